// Winograd F(2x2, 3x3) convolution, compiled per ISA (WinogradArgs in isa.h).
//
// Note [Winograd convolution]: a 2x2 block of outputs (a tile) of a 3x3, stride-1 convolution is
// Y = A^T [sum_c (G g_c G^T) . (B^T d_c B)] A, where d_c is the tile's 4x4 input patch of channel c
// and . the element-wise product: 16 multiplies per channel pair instead of 36. For each of the 16
// positions xi of the 4x4 transformed tile, M[xi] (C_out x tiles) = U[xi] (C_out x C_in) @
// V[xi] (C_in x tiles): 16 GEMMs on the register-tiled micro-kernel below (the layout of
// isa/gemm.cpp: MR output channels x NR tiles, U packed once per call, V packed per block).
// Forward: tiles (all images, row-major) are cut into blocks of nb; per block and input channel the
// input rows the block needs are split into 8 polyphase planes (row parity x column parity x a shift
// of one column pair), where the 16 inputs of tile q = ty * tw + tx sit at q + const: the input
// transform then runs over W consecutive tiles with plain vector loads and writes V[xi][c][tile]
// (read in place by the micro-kernel). The 16 products fill M[xi][o][tile]; the output transform
// writes y, interleaving the 2x2 outputs into rows. V and M stay in L2.
// Input gradient: the forward kernel on grad_output with the weights flipped and transposed (conv.cpp).
// Weight gradient: dU[xi] = sum over tiles of V[xi] @ dM[xi]^T with dM = A dY A^T, then
// dg = G^T dU G. Tiles go in fixed chunks of KC; per chunk the rows of x and grad_output it needs are
// copied channels-last, both transforms run over channels (W at a time), and each chunk's products
// are added into dU in chunk order. Tasks own rows of the 4x4 transformed tile (4 xi each).
// Determinism: every output (y, or one dU element) is summed by one task in an order fixed by the
// shape alone, so results are bitwise identical for any thread count.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "core/allocator.h"
#include "core/parallel.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/isa/vec_load.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace ember::cpu::EMBER_ISA_NS {
namespace {

// Register tile: MR output rows x NV vectors of W lanes (as gemm.cpp's float blocking).
#if defined(__AVX512F__)
constexpr int W = 16, NV = 2, MR = 14;
#elif defined(__AVX2__)
constexpr int W = 8, NV = 2, MR = 6;
#else
constexpr int W = 4, NV = 2, MR = 4;
#endif
constexpr int NR = W * NV;
constexpr int64_t KC = 256;  // depth per micro-kernel call
typedef float V __attribute__((vector_size(W * 4)));
typedef int32_t VI __attribute__((vector_size(W * 4)));

#define EMBER_WG_INLINE inline __attribute__((always_inline))

inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }
// A stride (floats) for the 16 xi slices of a buffer: an odd number of cache lines, so the 16
// slices a transform touches fall in different L1 sets (a multiple of 4 KiB would put all in one).
inline int64_t spread(int64_t n) {
  n = round_up(n, 16);
  return (n / 16) % 2 ? n : n + 16;
}

// A float buffer from the caching CPU allocator (multi-MB buffers are reused, not page-faulted).
struct Buf {
  float* p = nullptr;
  size_t bytes = 0;
  Buf() = default;
  explicit Buf(int64_t count, bool zero = false) {
    ensure(count);
    if (zero) std::memset(p, 0, bytes);
  }
  ~Buf() {
    if (p) get_allocator(DeviceType::CPU)->deallocate(p, bytes);
  }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  // At least count floats (contents not kept).
  float* ensure(int64_t count) {
    const size_t need = size_t(std::max<int64_t>(count, 1)) * sizeof(float);
    if (need > bytes) {
      if (p) get_allocator(DeviceType::CPU)->deallocate(p, bytes);
      p = nullptr;
      bytes = 0;
      p = static_cast<float*>(get_allocator(DeviceType::CPU)->allocate(need));
      bytes = need;
    }
    return p;
  }
};

// c[i][v] (= or +=) sum over p < kc of a[p][i] * b[p][v] for R rows (a has MR per p) x NR (row stride ldc).
template <int R> EMBER_WG_INLINE void micro_kernel_rows(int64_t kc, const float* __restrict a, const float* __restrict b, int64_t ldb,
                                       float* c, int64_t ldc, bool add) {
  V acc[R][NV];
#pragma GCC unroll 32
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = V{};
#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; ++p) {
    V bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = vload<V>(b + v * W);
#pragma GCC unroll 32
    for (int i = 0; i < R; ++i) {
      const V av = splat<V>(a[i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] += av * bv[v];
    }
    a += MR;
    b += ldb;
  }
#pragma GCC unroll 32
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      V r = acc[i][v];
      if (add) r += vload<V>(c + i * ldc + v * W);
      vstore(c + i * ldc + v * W, r);
    }
}

// The same for `rows` <= MR rows: a short last strip (AVX-512's MR is 14) runs the 8-row kernel, rows
// past `rows` up to the kernel's are computed from A's zero padding. Every element sees the same FMAs.
EMBER_WG_INLINE void micro_kernel(int64_t rows, int64_t kc, const float* a, const float* b, int64_t ldb, float* c,
                                  int64_t ldc, bool add) {
  if constexpr (MR > 8) {
    if (rows <= 8) return micro_kernel_rows<8>(kc, a, b, ldb, c, ldc, add);
  }
  micro_kernel_rows<MR>(kc, a, b, ldb, c, ldc, add);
}

// Even / odd lanes of the 2W floats (a, b); a and b interleaved lane by lane into (lo, hi).
EMBER_WG_INLINE V even_lanes(V a, V b) {
#if defined(__AVX512F__)
  return (V)_mm512_permutex2var_ps((__m512)a, _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0),
                                   (__m512)b);
#elif defined(__AVX2__)
  return (V)_mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps((__m256)a, (__m256)b, 0x88)), 0xD8));
#elif defined(__SSE2__)
  return (V)_mm_shuffle_ps((__m128)a, (__m128)b, 0x88);
#else
  V r;
  for (int l = 0; l < W / 2; ++l) r[l] = a[2 * l], r[W / 2 + l] = b[2 * l];
  return r;
#endif
}
EMBER_WG_INLINE V odd_lanes(V a, V b) {
#if defined(__AVX512F__)
  return (V)_mm512_permutex2var_ps((__m512)a, _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1),
                                   (__m512)b);
#elif defined(__AVX2__)
  return (V)_mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps((__m256)a, (__m256)b, 0xDD)), 0xD8));
#elif defined(__SSE2__)
  return (V)_mm_shuffle_ps((__m128)a, (__m128)b, 0xDD);
#else
  V r;
  for (int l = 0; l < W / 2; ++l) r[l] = a[2 * l + 1], r[W / 2 + l] = b[2 * l + 1];
  return r;
#endif
}
EMBER_WG_INLINE void interleave(V a, V b, V& lo, V& hi) {
#if defined(__AVX512F__)
  lo = (V)_mm512_permutex2var_ps((__m512)a, _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0),
                                 (__m512)b);
  hi = (V)_mm512_permutex2var_ps((__m512)a,
                                 _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8), (__m512)b);
#elif defined(__AVX2__)
  const __m256 l = _mm256_unpacklo_ps((__m256)a, (__m256)b), h = _mm256_unpackhi_ps((__m256)a, (__m256)b);
  lo = (V)_mm256_permute2f128_ps(l, h, 0x20);
  hi = (V)_mm256_permute2f128_ps(l, h, 0x31);
#elif defined(__SSE2__)
  lo = (V)_mm_unpacklo_ps((__m128)a, (__m128)b);
  hi = (V)_mm_unpackhi_ps((__m128)a, (__m128)b);
#else
  for (int l = 0; l < W / 2; ++l) {
    lo[2 * l] = a[l], lo[2 * l + 1] = b[l];
    hi[2 * l] = a[W / 2 + l], hi[2 * l + 1] = b[W / 2 + l];
  }
#endif
}

// The first MR lanes of v to dst.
EMBER_WG_INLINE void store_mr(float* dst, V v) {
#if defined(__AVX512F__)
  _mm512_mask_storeu_ps(dst, __mmask16((1u << MR) - 1), (__m512)v);
#elif defined(__AVX2__)
  _mm256_maskstore_ps(dst, _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0), (__m256)v);
  static_assert(MR == 6, "AVX2 mask assumes MR = 6");
#else
  static_assert(MR == W, "baseline stores whole vectors");
  vstore(dst, v);
#endif
}

// dst[0, n) = src[0, n) for n <= 2W: whole vectors, overlapping at the end, scalars below W / 2.
EMBER_WG_INLINE void copy_short(float* __restrict dst, const float* __restrict src, int64_t n) {
  typedef float H __attribute__((vector_size(W * 2)));
  if (n >= W) {
    vstore(dst, vload<V>(src));
    if (n > W) vstore(dst + n - W, vload<V>(src + n - W));
  } else if (n >= W / 2 && W >= 4) {
    vstore(dst, vload<H>(src));
    vstore(dst + n - W / 2, vload<H>(src + n - W / 2));
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
  }
}

// d[16] (row-major 4x4 patch) -> B^T d B in place.
template <class X> EMBER_WG_INLINE void input_transform(X* d) {
  X t[16];
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) {
    t[0 + j] = d[0 + j] - d[8 + j];
    t[4 + j] = d[4 + j] + d[8 + j];
    t[8 + j] = d[8 + j] - d[4 + j];
    t[12 + j] = d[4 + j] - d[12 + j];
  }
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    const X* r = t + 4 * i;
    d[4 * i + 0] = r[0] - r[2];
    d[4 * i + 1] = r[1] + r[2];
    d[4 * i + 2] = r[2] - r[1];
    d[4 * i + 3] = r[1] - r[3];
  }
}

// m[16] -> A^T m A: y[0..3] = (0,0), (0,1), (1,0), (1,1).
template <class X> EMBER_WG_INLINE void output_transform(const X* m, X* y) {
  X t0[4], t1[4];
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {
    t0[k] = m[k] + m[4 + k] + m[8 + k];
    t1[k] = m[4 + k] - m[8 + k] - m[12 + k];
  }
  y[0] = t0[0] + t0[1] + t0[2];
  y[1] = t0[1] - t0[2] - t0[3];
  y[2] = t1[0] + t1[1] + t1[2];
  y[3] = t1[1] - t1[2] - t1[3];
}

// g[9] (3x3) -> G g G^T (16).
template <class X> EMBER_WG_INLINE void weight_transform(const X* g, X* u) {
  X s[12];
  for (int j = 0; j < 3; ++j) {
    s[0 + j] = g[j];
    s[3 + j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
    s[6 + j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
    s[9 + j] = g[6 + j];
  }
  for (int i = 0; i < 4; ++i) {
    const X* r = s + 3 * i;
    u[4 * i + 0] = r[0];
    u[4 * i + 1] = 0.5f * (r[0] + r[1] + r[2]);
    u[4 * i + 2] = 0.5f * (r[0] - r[1] + r[2]);
    u[4 * i + 3] = r[2];
  }
}

// Row i of A dY A^T (dy: 2x2 row-major).
template <class X> EMBER_WG_INLINE void grad_output_transform_row(const X* dy, int i, X* out) {
  X e0, e1;  // e[b] = sum_a A^T[a][i] dY[a][b]
  switch (i) {
    case 0: e0 = dy[0], e1 = dy[1]; break;
    case 1: e0 = dy[0] + dy[2], e1 = dy[1] + dy[3]; break;
    case 2: e0 = dy[0] - dy[2], e1 = dy[1] - dy[3]; break;
    default: e0 = -dy[2], e1 = -dy[3]; break;
  }
  out[0] = e0;
  out[1] = e0 + e1;
  out[2] = e0 - e1;
  out[3] = -e1;
}

// du[16] -> G^T dU G (9).
template <class X> EMBER_WG_INLINE void weight_grad_transform(const X* du, X* dg) {
  X f[12];
  for (int j = 0; j < 4; ++j) {
    f[0 + j] = du[j] + 0.5f * (du[4 + j] + du[8 + j]);
    f[4 + j] = 0.5f * (du[4 + j] - du[8 + j]);
    f[8 + j] = 0.5f * (du[4 + j] + du[8 + j]) + du[12 + j];
  }
  for (int r = 0; r < 3; ++r) {
    const X* q = f + 4 * r;
    dg[3 * r + 0] = q[0] + 0.5f * (q[1] + q[2]);
    dg[3 * r + 1] = 0.5f * (q[1] - q[2]);
    dg[3 * r + 2] = 0.5f * (q[1] + q[2]) + q[3];
  }
}

// dst[col * ld + r] = src[r * stride + col] for r < rows, col < cols: 8 x 8 blocks through a
// buffer (contiguous reads per row, whole runs of 8 written).
void transpose_rows(const float* src, int64_t stride, int64_t rows, int64_t cols, float* dst, int64_t ld) {
  int64_t r = 0;
  for (; r + 8 <= rows; r += 8) {
    int64_t col = 0;
#if defined(__AVX2__)
    for (; col + 8 <= cols; col += 8) {  // 8 x 8 in registers
      __m256 q[8], t[8];
      for (int i = 0; i < 8; ++i) q[i] = _mm256_loadu_ps(src + (r + i) * stride + col);
      for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(q[i], q[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(q[i], q[i + 1]);
      }
      for (int h = 0; h < 8; h += 4) {
        q[h + 0] = _mm256_shuffle_ps(t[h], t[h + 2], 0x44);
        q[h + 1] = _mm256_shuffle_ps(t[h], t[h + 2], 0xEE);
        q[h + 2] = _mm256_shuffle_ps(t[h + 1], t[h + 3], 0x44);
        q[h + 3] = _mm256_shuffle_ps(t[h + 1], t[h + 3], 0xEE);
      }
      for (int k = 0; k < 4; ++k) {
        _mm256_storeu_ps(dst + (col + k) * ld + r, _mm256_permute2f128_ps(q[k], q[k + 4], 0x20));
        _mm256_storeu_ps(dst + (col + k + 4) * ld + r, _mm256_permute2f128_ps(q[k], q[k + 4], 0x31));
      }
    }
#endif
    for (; col + 8 <= cols; col += 8) {
      float blk[8][8];
#pragma GCC unroll 8
      for (int q = 0; q < 8; ++q)
#pragma GCC unroll 8
        for (int k = 0; k < 8; ++k) blk[k][q] = src[(r + q) * stride + col + k];
#pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) std::memcpy(dst + (col + k) * ld + r, blk[k], sizeof(blk[k]));
    }
    for (; col < cols; ++col)
      for (int q = 0; q < 8; ++q) dst[col * ld + r + q] = src[(r + q) * stride + col];
  }
  for (; r < rows; ++r)
    for (int64_t col = 0; col < cols; ++col) dst[col * ld + r] = src[r * stride + col];
}

// ---- forward

struct Shape {
  int64_t th, tw, tpi, tiles;  // tile rows and columns per image, tiles per image, all tiles
  explicit Shape(const WinogradArgs& a)
      : th((a.oh + 1) / 2), tw((a.ow + 1) / 2), tpi(th * tw), tiles(a.n * th * tw) {}
};

// The block's tile rows of one image: its polyphase rows (tile rows ty0 .. ty0 + rows - 2, one more
// for the patches' lower half) start at offset `off` of each local plane.
struct Seg {
  int64_t img, ty0, rows, off;
};
// Up to W consecutive tiles of one image for the input transform: local plane offset pos, packed
// column col. Lanes past the run compute other tiles and are overwritten by the next run (or land
// in the row padding).
struct InChunk {
  int64_t pos, col;
};
// W packed columns for the output transform, as runs of tiles on one tile row: lanes [l0, l0 + len),
// y offset of the run's top-left output (image and channel 0), values to write in its top row (n0)
// and bottom row (n1, 0 when the bottom row is past the output).
struct OutRun {
  int32_t l0, len, n0, n1;
  int64_t off;
};
struct OutChunk {
  int64_t col0;
  int nruns;
  OutRun runs[W];
};
// Returns the local plane length (all segments, then W elements of slack).
int64_t plan_block(const WinogradArgs& a, const Shape& s, int64_t k0, int64_t k1, std::vector<Seg>& segs,
                   std::vector<InChunk>& in, std::vector<OutChunk>& out) {
  segs.clear();
  in.clear();
  out.clear();
  int64_t off = 0;
  for (int64_t k = k0; k < k1;) {
    const int64_t img = k / s.tpi, ke = std::min(k1, (img + 1) * s.tpi), ty0 = k % s.tpi / s.tw;
    const int64_t ty1 = (ke - 1) % s.tpi / s.tw;
    segs.push_back({img, ty0, ty1 - ty0 + 2, off});
    for (int64_t kk = k; kk < ke; kk += W) in.push_back({off + kk % s.tpi - ty0 * s.tw, kk - k0});
    off += (ty1 - ty0 + 2) * s.tw;
    k = ke;
  }
  const int64_t plane = a.oh * a.ow;
  for (int64_t k = k0; k < k1; k += W) {
    OutChunk c{k - k0, 0, {}};
    for (int64_t kl = k; kl < std::min(k + W, k1);) {
      const int64_t img = kl / s.tpi, r = kl % s.tpi, ty = r / s.tw, tx = r % s.tw;
      const int64_t len = std::min({k + W, k1, kl + s.tw - tx}) - kl, oy = 2 * ty, ox = 2 * tx;
      const int64_t n0 = std::min(2 * len, a.ow - ox);
      c.runs[c.nruns++] = {int32_t(kl - k), int32_t(len), int32_t(n0), int32_t(oy + 1 < a.oh ? n0 : 0),
                           img * a.cout * plane + oy * a.ow + ox};
      kl += len;
    }
    out.push_back(c);
  }
  return off + W;
}

void forward_impl(const WinogradArgs& a) {
  const Shape s(a);
  const int64_t cin = a.cin, cout = a.cout, cout_p = round_up(cout, MR), so = cout_p / MR;
  // U packed [16][so][cin][MR] (rows past cout zero), from the weights transposed to [cin * 9][ldw]
  // (output channels contiguous), MR output channels per vector.
  const int64_t ldw = cout_p + W;
  Buf wt_t(cin * 9 * ldw, true);
  parallel_for(0, (cout + 7) / 8, 1, [&](int64_t b, int64_t e) {
    const int64_t o0 = b * 8, o1 = std::min(cout, e * 8);
    transpose_rows(a.wt + o0 * cin * 9, cin * 9, o1 - o0, cin * 9, wt_t.p + o0, ldw);
  });
  Buf up(16 * so * cin * MR);
  parallel_for(0, cin, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c)
      for (int64_t os = 0; os < so; ++os) {
        V g[9], u[16];
        for (int k = 0; k < 9; ++k) g[k] = vload<V>(wt_t.p + (c * 9 + k) * ldw + os * MR);
        weight_transform(g, u);
        for (int xi = 0; xi < 16; ++xi) store_mr(up.p + ((xi * so + os) * cin + c) * MR, u[xi]);
      }
  });
  // Blocks of nb tiles: V [16][cin][ldv] (tiles contiguous, read in place by the micro-kernel) and
  // M [16][cout_p][nb] within ~768 KB.
  int64_t nb = round_up(std::max<int64_t>(1, (768 << 10) / (64 * (cin + cout_p))), NR);
  nb = std::max<int64_t>(NR, std::min<int64_t>({nb, 4 * NR, round_up((s.tiles + 2 * get_num_threads() - 1) /
                                                                       (2 * get_num_threads()), NR)}));
  int64_t ldv = nb + W;
  if (ldv * 4 % 4096 == 0) ldv += W;  // rows 4 KiB apart would share L1 sets
  const int64_t nblocks = (s.tiles + nb - 1) / nb, plane = a.oh * a.ow;
  const int64_t vxs = spread(cin * ldv), mxs = spread(cout_p * nb);  // per xi
  parallel_for(0, nblocks, 1, [&](int64_t b0, int64_t b1) {
    Buf vbuf(16 * vxs, true), mbuf(16 * mxs);  // V zeroed once: columns past a block's tiles stay finite
    std::vector<InChunk> in;
    std::vector<Seg> segs;
    std::vector<float> poly, tmp(static_cast<size_t>(2 * s.tw + 2 * W + 4));  // tmp: one padded input row
    const int64_t j0 = std::max<int64_t>(0, a.pw), j1 = std::min<int64_t>(int64_t(tmp.size()), a.w + a.pw);
    // masks[cx][chunk]: lanes m whose input column 2m + cx - pw lies in the image
    const int64_t nmc = (s.tw + W - 1) / W;
    std::vector<V> masks(size_t(4 * nmc));
    for (int cx = 0; cx < 4; ++cx)
      for (int64_t mi = 0; mi < nmc; ++mi)
        for (int l = 0; l < W; ++l) {
          const int64_t col = 2 * (mi * W + l) + cx - a.pw;
          VI bits = (VI)masks[size_t(cx * nmc + mi)];
          bits[l] = col >= 0 && col < a.w ? -1 : 0;
          masks[size_t(cx * nmc + mi)] = (V)bits;
        }
    const float* xend = a.x + a.n * cin * a.h * a.w;
    std::vector<OutChunk> out;
    float* vp = vbuf.p;
    float* mp = mbuf.p;
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t k0 = blk * nb, k1 = std::min(s.tiles, k0 + nb), nk = k1 - k0;
      const int64_t ls = plan_block(a, s, k0, k1, segs, in, out);
      // Polyphase planes of the block [cin][8][ls]: plane ((rp * 2 + cp) * 2 + sh) holds the padded
      // input at (2k + rp, 2(m + sh) + cp), m < tw, so tile q = ty * tw + tx reads element
      // q + (r / 2) * tw for patch row r and column 2 * sh + cp: contiguous in q.
      // One channel at a time (its planes stay in L1): fill, then transform its runs in increasing
      // column order (each run's extra lanes are overwritten by the next one).
      if (int64_t(poly.size()) < 8 * ls) poly.resize(size_t(8 * ls));
      for (int64_t p = 0; p < 8; ++p) std::fill(poly.data() + p * ls + ls - W, poly.data() + (p + 1) * ls, 0.f);
      for (int64_t c = 0; c < cin; ++c) {
        if (c + 1 < cin)  // the next channel's rows, while this one is transformed
          for (const Seg& sg : segs) {
            const int64_t r0 = std::max<int64_t>(0, 2 * sg.ty0 - a.ph), r1 = std::min(a.h, 2 * (sg.ty0 + sg.rows) - a.ph);
            const char* p0 = reinterpret_cast<const char*>(a.x + ((sg.img * cin + c + 1) * a.h + r0) * a.w);
            for (int64_t off = 0; off < (r1 - r0) * a.w * 4; off += 64) __builtin_prefetch(p0 + off);
          }
        for (const Seg& sg : segs) {
          const float* src = a.x + (sg.img * cin + c) * a.h * a.w;
          float* planes = poly.data() + sg.off;
          for (int64_t r = 2 * sg.ty0; r < 2 * (sg.ty0 + sg.rows); ++r) {
            const int64_t iy = r - a.ph;
            float* dst0 = planes + (r & 1) * 4 * ls + (r / 2 - sg.ty0) * s.tw;
            if (iy < 0 || iy >= a.h) {
              for (int ph = 0; ph < 4; ++ph)
                for (int64_t m = 0; m < s.tw; m += W) vstore(dst0 + ph * ls + m, V{});
              continue;
            }
            const float* row = src + iy * a.w - a.pw;  // padded column 0
            bool have_tmp = false;
            for (int64_t m = 0, mi = 0; m < s.tw; m += W, ++mi)
              for (int sh = 0; sh < 2; ++sh) {
                // 2W inputs from padded column 2(m + sh): even lanes -> cp 0, odd -> cp 1; lanes
                // outside the image masked to zero.
                const int64_t start = 2 * (m + sh);
                const float* t = row + start;
                if (reinterpret_cast<uintptr_t>(t) < reinterpret_cast<uintptr_t>(a.x) ||
                    reinterpret_cast<uintptr_t>(t + 2 * W) > reinterpret_cast<uintptr_t>(xend)) {
                  if (!have_tmp) {  // the tensor's first or last row: a zero-padded copy
                    std::fill(tmp.begin(), tmp.end(), 0.f);
                    if (j0 < j1) std::memcpy(tmp.data() + j0, src + iy * a.w + j0 - a.pw, size_t(j1 - j0) * 4);
                    have_tmp = true;
                  }
                  t = tmp.data() + start;
                }
                const V v0 = vload<V>(t), v1 = vload<V>(t + W);
                vstore(dst0 + sh * ls + m, (V)((VI)even_lanes(v0, v1) & (VI)masks[size_t((2 * sh) * nmc + mi)]));
                vstore(dst0 + (2 + sh) * ls + m, (V)((VI)odd_lanes(v0, v1) & (VI)masks[size_t((2 * sh + 1) * nmc + mi)]));
              }
          }
        }
        for (const InChunk& ch : in) {
          const float* base = poly.data() + ch.pos;
          V d[16];
#pragma GCC unroll 16
          for (int r = 0; r < 16; ++r) {
            const int i = r >> 2, j = r & 3;
            d[r] = vload<V>(base + (((i & 1) * 2 + (j & 1)) * 2 + (j >> 1)) * ls + (i >> 1) * s.tw);
          }
          input_transform(d);
          float* dst = vp + c * ldv + ch.col;
#pragma GCC unroll 16
          for (int xi = 0; xi < 16; ++xi) vstore(dst + xi * vxs, d[xi]);
        }
      }
      // M[xi] = U[xi] @ V[xi].
      const int64_t ns = (nk + NR - 1) / NR;
      for (int xi = 0; xi < 16; ++xi)
        for (int64_t os = 0; os < so; ++os)
          for (int64_t st = 0; st < ns; ++st)
            for (int64_t pc = 0; pc < cin; pc += KC)
              micro_kernel(std::min<int64_t>(MR, cout - os * MR), std::min(KC, cin - pc), up.p + ((xi * so + os) * cin + pc) * MR,
                           vp + xi * vxs + pc * ldv + st * NR, ldv, mp + xi * mxs + os * MR * nb + st * NR, nb,
                           pc > 0);
      // Output transform.
      for (int64_t o = 0; o < cout; ++o)
        for (const OutChunk& ch : out) {
          V m[16], y[4];
#pragma GCC unroll 16
          for (int xi = 0; xi < 16; ++xi) m[xi] = vload<V>(mp + xi * mxs + o * nb + ch.col0);
          output_transform(m, y);
          alignas(64) float top[2 * W], bottom[2 * W];
          V lo, hi;
          interleave(y[0], y[1], lo, hi);
          vstore(top, lo), vstore(top + W, hi);
          interleave(y[2], y[3], lo, hi);
          vstore(bottom, lo), vstore(bottom + W, hi);
          for (int ri = 0; ri < ch.nruns; ++ri) {
            const OutRun& run = ch.runs[ri];
            float* r0 = a.y + run.off + o * plane;
            copy_short(r0, top + 2 * run.l0, run.n0);
            if (run.n1) copy_short(r0 + a.ow, bottom + 2 * run.l0, run.n1);
          }
        }
    }
  });
}

// ---- weight gradient

void weight_impl(const WinogradArgs& a) {
  const Shape s(a);
  const int64_t cin = a.cin, cout = a.cout;
  if (s.tiles == 0) {
    std::fill(a.gw, a.gw + cout * cin * 9, 0.f);
    return;
  }
  const int64_t cin_p = round_up(cin, MR), sc = cin_p / MR, cs = cin_p + W;  // V side: MR channels per strip
  const int64_t cout_p = round_up(cout, NR), so = cout_p / NR;               // dM side: NR per strip
  const int64_t wp = 2 * s.tw + 2, gw_ = 2 * s.tw;
  // Per chunk of KC tiles: V [16][sc][KC][MR], dM [16][so][KC][NR]; dU [16][cin_p][cout_p].
  // Tiles per chunk: the chunk's V and dM stay in L2 for few channels; many channels keep the full
  // depth so that dU is read and written less often.
  const int64_t KC = cin_p + cout_p <= 160 ? 64 : 256;
  const int64_t vxs = spread(sc * KC * MR), gxs = spread(so * KC * NR);  // per xi
  Buf du(16 * cin_p * cout_p);
  // Each task owns the rows i0 <= i < i1 of the 4x4 transformed tile (4 xi each): it transforms only
  // those rows of every tile and accumulates their dU slices over all chunks, in chunk order. The
  // arithmetic per xi is the same whatever the split, so results do not depend on the thread count.
  const int64_t nt = get_num_threads(), groups = nt >= 4 ? 4 : std::max<int64_t>(1, nt);
  parallel_run(groups, [&](int64_t gi) {
    const int i0 = int(4 * gi / groups), i1 = int(4 * (gi + 1) / groups), nxi = (i1 - i0) * 4, x0 = 4 * i0, x1 = 4 * i1;
    if (nxi == 0) return;
    Buf vt(nxi * vxs), dm(nxi * gxs);
    // The chunk's input rows channels-last and zero-padded ([row][wp][cs]) and its grad_output rows
    // ([row][gw_][cout_p], zero past the output), per image it touches (rows from tile row ty0 on).
    struct WSeg {
      int64_t img, ty0, xo, go;
    };
    std::vector<WSeg> segs;
    Buf xl, gl;
    for (int64_t k0 = 0; k0 < s.tiles; k0 += KC) {
      const int64_t kc = std::min(KC, s.tiles - k0);
      segs.clear();
      int64_t xo = 0, go = 0;
      for (int64_t k = k0; k < k0 + kc;) {
        const int64_t img = k / s.tpi, ke = std::min(k0 + kc, (img + 1) * s.tpi);
        const int64_t ty0 = k % s.tpi / s.tw, rows = 2 * ((ke - 1) % s.tpi / s.tw - ty0 + 1);
        segs.push_back({img, ty0, xo, go});
        xo += (rows + 2) * wp * cs;
        go += rows * gw_ * cout_p;
        k = ke;
      }
      xl.ensure(xo);
      gl.ensure(go);
      for (size_t si = 0; si < segs.size(); ++si) {
        const WSeg& sg = segs[si];
        const int64_t xrows = ((si + 1 < segs.size() ? segs[si + 1].xo : xo) - sg.xo) / (wp * cs);
        for (int64_t lr = 0; lr < xrows; ++lr) {
          float* row = xl.p + sg.xo + lr * wp * cs;
          std::fill(row, row + wp * cs, 0.f);
          const int64_t iy = 2 * sg.ty0 + lr - a.ph;
          if (iy < 0 || iy >= a.h) continue;
          const int64_t c0 = std::max<int64_t>(0, a.pw), c1 = std::min<int64_t>(wp, a.w + a.pw);
          transpose_rows(a.x + (sg.img * cin * a.h + iy) * a.w + c0 - a.pw, a.h * a.w, cin, c1 - c0, row + c0 * cs, cs);
        }
        for (int64_t lr = 0; lr < xrows - 2; ++lr) {
          float* row = gl.p + sg.go + lr * gw_ * cout_p;
          std::fill(row, row + gw_ * cout_p, 0.f);
          const int64_t oy = 2 * sg.ty0 + lr;
          if (oy >= a.oh) continue;
          transpose_rows(a.gy + (sg.img * cout * a.oh + oy) * a.ow, a.oh * a.ow, cout, a.ow, row, cout_p);
        }
      }
      size_t si = 0;
      for (int64_t t = 0; t < kc; ++t) {
        const int64_t k = k0 + t, img = k / s.tpi, r = k % s.tpi, ty = r / s.tw, tx = r % s.tw;
        while (segs[si].img != img) ++si;
        const int64_t ly = ty - segs[si].ty0;
        const float* xb = xl.p + segs[si].xo + ((2 * ly) * wp + 2 * tx) * cs;
        for (int64_t sv = 0; sv < sc; ++sv) {
          V d[16];
#pragma GCC unroll 16
          for (int q = 0; q < 16; ++q) d[q] = vload<V>(xb + ((q >> 2) * wp + (q & 3)) * cs + sv * MR);
          input_transform(d);  // all rows (cheap arithmetic), only this task's stored
          float* vd = vt.p + (sv * KC + t) * MR - x0 * vxs;
#pragma GCC unroll 16
          for (int xi = 0; xi < 16; ++xi)  // constant indices keep d in registers
            if (xi >= x0 && xi < x1) store_mr(vd + xi * vxs, d[xi]);
        }
        const float* gb = gl.p + segs[si].go + ((2 * ly) * gw_ + 2 * tx) * cout_p;
        for (int64_t o0 = 0; o0 < cout_p; o0 += W) {
          V dy[4];
          dy[0] = vload<V>(gb + o0);
          dy[1] = vload<V>(gb + cout_p + o0);
          dy[2] = vload<V>(gb + gw_ * cout_p + o0);
          dy[3] = vload<V>(gb + (gw_ + 1) * cout_p + o0);
          V g[16];
#pragma GCC unroll 4
          for (int i = 0; i < 4; ++i) grad_output_transform_row(dy, i, g + 4 * i);
          float* gd = dm.p + (o0 / NR * KC + t) * NR + o0 % NR - x0 * gxs;
#pragma GCC unroll 16
          for (int xi = 0; xi < 16; ++xi)
            if (xi >= x0 && xi < x1) vstore(gd + xi * gxs, g[xi]);
        }
      }
      for (int xl = 0; xl < nxi; ++xl)
        for (int64_t sv = 0; sv < sc; ++sv)
          for (int64_t sg = 0; sg < so; ++sg)
            micro_kernel(std::min<int64_t>(MR, cin - sv * MR), kc, vt.p + xl * vxs + sv * KC * MR, dm.p + xl * gxs + sg * KC * NR, NR,
                         du.p + ((i0 * 4 + xl) * cin_p + sv * MR) * cout_p + sg * NR, cout_p, k0 > 0);
    }
  });
  // dW = G^T dU G over W output channels at a time into [cin * 9][cout_p], then transposed into gw.
  Buf gt(cin * 9 * cout_p);
  parallel_for(0, cin, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c)
      for (int64_t o0 = 0; o0 < cout_p; o0 += W) {
        V u[16], g[9];
        for (int xi = 0; xi < 16; ++xi) u[xi] = vload<V>(du.p + (xi * cin_p + c) * cout_p + o0);
        weight_grad_transform(u, g);
        for (int k = 0; k < 9; ++k) vstore(gt.p + (c * 9 + k) * cout_p + o0, g[k]);
      }
  });
  parallel_for(0, (cout + 7) / 8, 1, [&](int64_t b, int64_t e) {
    const int64_t o0 = b * 8, o1 = std::min(cout, e * 8);
    transpose_rows(gt.p + o0, cout_p, cin * 9, o1 - o0, a.gw + o0 * cin * 9, cin * 9);
  });
}

}  // namespace

void conv_winograd_forward_kernel(const WinogradArgs& a) {
  if (a.n <= 0 || a.cout <= 0 || a.oh <= 0 || a.ow <= 0) return;
  if (a.cin <= 0) {
    std::fill(a.y, a.y + a.n * a.cout * a.oh * a.ow, 0.f);
    return;
  }
  forward_impl(a);
}

void conv_winograd_weight_kernel(const WinogradArgs& a) {
  if (a.cout <= 0 || a.cin <= 0) return;
  if (a.n <= 0 || a.oh <= 0 || a.ow <= 0) {
    std::fill(a.gw, a.gw + a.cout * a.cin * 9, 0.f);
    return;
  }
  weight_impl(a);
}

}  // namespace ember::cpu::EMBER_ISA_NS
