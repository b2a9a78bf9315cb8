// GEMM, compiled per ISA (BLIS-style). C = alpha * A @ B + beta * C for strided A, B, C.
//
// Note [GEMM blocking and determinism]
// Loops, outer to inner: jc (NC columns of B) -> pc (KC of the shared dim; B block packed into
// KC x NC strips of NR columns) -> ic (MC rows of A; packed into strips of MR rows) -> jr -> ir ->
// the MR x NR register-blocked micro-kernel. Packing zero-pads the M/N remainders, so every tile,
// full or partial, runs the same micro-kernel and the same epilogue code; partial tiles go through
// a small buffer. Threads split M (or N) on tile boundaries and never K, so each C element sees the
// same sequence of FMAs whatever the thread count: results are bitwise identical for 1..N threads.
#include <cstdlib>
#include <cstring>
#include <new>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <type_traits>

#include "core/parallel.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/iter.h"
#include "kernels/cpu/isa/vec_load.h"

namespace ember::cpu::EMBER_ISA_NS {

namespace {

// Register blocking per ISA: W lanes per vector, NV vectors across N (NR = W * NV), MR rows.
// AVX-512: 14 x 32 floats = 28 zmm accumulators + 2 B vectors + 1 broadcast (of 32 registers).
// Cache blocks chosen on AMD Zen 4/5 (L1d 32-48 KB, L2 1 MB per core): the KC x NR B micro-panel
// (32 KB) stays in L1 across a column of tiles, the MC x KC A block (~340 KB) in L2.
template <class T> struct Blocking;
#if defined(__AVX512F__)
template <> struct Blocking<float> { static constexpr int W = 16, NV = 2, MR = 14, KC = 256, MC = 14 * 24, NC = 4096; };
template <> struct Blocking<double> { static constexpr int W = 8, NV = 2, MR = 14, KC = 256, MC = 14 * 18, NC = 2048; };
#elif defined(__AVX2__)
template <> struct Blocking<float> { static constexpr int W = 8, NV = 2, MR = 6, KC = 256, MC = 6 * 24, NC = 4096; };
template <> struct Blocking<double> { static constexpr int W = 4, NV = 2, MR = 6, KC = 256, MC = 6 * 16, NC = 2048; };
#else
template <> struct Blocking<float> { static constexpr int W = 4, NV = 2, MR = 4, KC = 256, MC = 4 * 32, NC = 2048; };
template <> struct Blocking<double> { static constexpr int W = 2, NV = 2, MR = 4, KC = 256, MC = 4 * 32, NC = 2048; };
#endif

template <class T, int W> struct VecOf {
  typedef T type __attribute__((vector_size(sizeof(T) * W)));
};


inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// A 64-byte aligned scratch buffer, one per thread, grown on demand.
template <class T> struct Scratch {
  T* p = nullptr;
  size_t cap = 0;
  T* get(size_t n) {
    if (n > cap) {
      std::free(p);
      cap = size_t(round_up(int64_t(n), 64));
      p = static_cast<T*>(std::aligned_alloc(64, cap * sizeof(T)));
      if (!p) {
        cap = 0;
        throw std::bad_alloc();
      }
    }
    return p;
  }
  ~Scratch() { std::free(p); }
};
template <class T> T* scratch_a(size_t n) {
  static thread_local Scratch<T> s;
  return s.get(n);
}
template <class T> T* scratch_b(size_t n) {
  static thread_local Scratch<T> s;
  return s.get(n);
}

#if defined(__AVX512F__)
// One strip of row-major float A (mr <= 14 rows, row stride rs) into [p][i] with MR = 14: 16
// columns at a time, transposed in registers (16 x 16, rows past mr zero); returns the columns done.
inline int64_t pack_a_rows_avx512(const float* a, int64_t rs, int64_t mr, int64_t kc, float* dst) {
  const __mmask16 keep = 0x3FFF;
  int64_t p = 0;
  for (; p + 16 <= kc; p += 16) {
    __m512 r[16];
    for (int i = 0; i < 16; ++i) r[i] = i < mr ? _mm512_loadu_ps(a + i * rs + p) : _mm512_setzero_ps();
    __m512 t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
      t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int q = 0; q < 4; ++q) {  // u[4q + e]: rows 4q..4q+3 of column e of each 128-bit lane
      u[4 * q] = _mm512_shuffle_ps(t[4 * q], t[4 * q + 2], 0x44);
      u[4 * q + 1] = _mm512_shuffle_ps(t[4 * q], t[4 * q + 2], 0xEE);
      u[4 * q + 2] = _mm512_shuffle_ps(t[4 * q + 1], t[4 * q + 3], 0x44);
      u[4 * q + 3] = _mm512_shuffle_ps(t[4 * q + 1], t[4 * q + 3], 0xEE);
    }
    for (int e = 0; e < 4; ++e) {
      const __m512 v0 = _mm512_shuffle_f32x4(u[e], u[4 + e], 0x88), v1 = _mm512_shuffle_f32x4(u[e], u[4 + e], 0xDD);
      const __m512 v2 = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0x88);
      const __m512 v3 = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0xDD);
      _mm512_mask_storeu_ps(dst + (p + e) * 14, keep, _mm512_shuffle_f32x4(v0, v2, 0x88));
      _mm512_mask_storeu_ps(dst + (p + 8 + e) * 14, keep, _mm512_shuffle_f32x4(v0, v2, 0xDD));
      _mm512_mask_storeu_ps(dst + (p + 4 + e) * 14, keep, _mm512_shuffle_f32x4(v1, v3, 0x88));
      _mm512_mask_storeu_ps(dst + (p + 12 + e) * 14, keep, _mm512_shuffle_f32x4(v1, v3, 0xDD));
    }
  }
  return p;
}
#endif

// Pack rows [0, mc) x cols [0, kc) of A (row stride rs, col stride cs) into MR-row strips,
// each laid out [p][i]; rows past mc are zero.
template <class T> void pack_a(const T* A, int64_t rs, int64_t cs, int64_t mc, int64_t kc, T* dst) {
  constexpr int MR = Blocking<T>::MR;
  for (int64_t i0 = 0; i0 < mc; i0 += MR, dst += MR * kc) {
    const int64_t mr = std::min<int64_t>(MR, mc - i0);
    const T* a = A + i0 * rs;
#if defined(__AVX512F__)
    if constexpr (std::is_same_v<T, float> && MR == 14) {
      if (cs == 1 && kc >= 16) {
        const int64_t p0 = pack_a_rows_avx512(a, rs, mr, kc, dst);
        for (int64_t p = p0; p < kc; ++p) {
          for (int64_t i = 0; i < mr; ++i) dst[p * MR + i] = a[i * rs + p];
          for (int64_t i = mr; i < MR; ++i) dst[p * MR + i] = T(0);
        }
        continue;
      }
    }
#endif
    if (mr == MR && rs == 1) {
      for (int64_t p = 0; p < kc; ++p)
        for (int i = 0; i < MR; ++i) dst[p * MR + i] = a[p * cs + i];
    } else if (mr == MR && cs == 1) {
      // Row-major A: transpose 8 k-steps at a time (contiguous reads, whole-row writes).
      int64_t p = 0;
      for (; p + 8 <= kc; p += 8) {
        T blk[8][MR];
        for (int i = 0; i < MR; ++i) {
          const T* ai = a + i * rs + p;
#pragma GCC unroll 8
          for (int q = 0; q < 8; ++q) blk[q][i] = ai[q];
        }
        std::memcpy(dst + p * MR, blk, sizeof(blk));
      }
      for (; p < kc; ++p)
        for (int i = 0; i < MR; ++i) dst[p * MR + i] = a[i * rs + p];
    } else if (mr == MR) {
      for (int i = 0; i < MR; ++i) {
        const T* ai = a + i * rs;
        for (int64_t p = 0; p < kc; ++p) dst[p * MR + i] = ai[p * cs];
      }
    } else {
      for (int64_t p = 0; p < kc; ++p) {
        for (int64_t i = 0; i < mr; ++i) dst[p * MR + i] = a[i * rs + p * cs];
        for (int64_t i = mr; i < MR; ++i) dst[p * MR + i] = T(0);
      }
    }
  }
}

// Pack rows [0, kc) x cols [s0*NR, s1*NR) ∩ [0, nc) of B into NR-column strips laid out [p][j].
template <class T>
void pack_b(const T* B, int64_t rs, int64_t cs, int64_t kc, int64_t nc, int64_t s0, int64_t s1, T* dst) {
  constexpr int NR = Blocking<T>::W * Blocking<T>::NV;
  for (int64_t s = s0; s < s1; ++s) {
    const int64_t j0 = s * NR, nr = std::min<int64_t>(NR, nc - j0);
    const T* b = B + j0 * cs;
    T* d = dst + s * NR * kc;
    if (nr == NR && cs == 1) {
      for (int64_t p = 0; p < kc; ++p) std::memcpy(d + p * NR, b + p * rs, NR * sizeof(T));
    } else if (nr == NR && rs == 1) {
      // Columns of B are contiguous (B = W.T in linear): transpose 8 k-steps at a time, reading
      // each column's run and writing whole rows of the strip.
      int64_t p = 0;
      for (; p + 8 <= kc; p += 8) {
        T blk[8][NR];
        for (int j = 0; j < NR; ++j) {
          const T* bj = b + j * cs + p;
#pragma GCC unroll 8
          for (int q = 0; q < 8; ++q) blk[q][j] = bj[q];
        }
        std::memcpy(d + p * NR, blk, sizeof(blk));
      }
      for (; p < kc; ++p)
        for (int j = 0; j < NR; ++j) d[p * NR + j] = b[j * cs + p];
    } else if (nr == NR) {
      for (int j = 0; j < NR; ++j) {
        const T* bj = b + j * cs;
        for (int64_t p = 0; p < kc; ++p) d[p * NR + j] = bj[p * rs];
      }
    } else {
      for (int64_t p = 0; p < kc; ++p) {
        for (int64_t j = 0; j < nr; ++j) d[p * NR + j] = b[p * rs + j * cs];
        for (int64_t j = nr; j < NR; ++j) d[p * NR + j] = T(0);
      }
    }
  }
}

// One MR x NR tile: acc = packed A strip @ packed B strip over kc, then
// C[0:mr, 0:nr] = alpha * acc + beta * C (beta == 0: C is not read).
// MRK rows are computed (MRK < MR: a short last tile, whose packed strip still has MR-row steps:
// lda = MR); B steps by ldb per k (NR when packed, the row stride when read in place).
// Epilogue of a register tile: C = alpha * acc + beta * C, full tiles straight into C, partial
// ones through `tmp`.
template <class T, int MRK>
inline void store_tile(const typename VecOf<T, Blocking<T>::W>::type (&acc)[MRK][Blocking<T>::NV], T* c, int64_t rsc,
                       int64_t csc, int64_t mr, int64_t nr, T alpha, T beta) {
  constexpr int W = Blocking<T>::W, NV = Blocking<T>::NV, MR = MRK, NR = W * NV;
  using V = typename VecOf<T, W>::type;
  alignas(64) T tmp[MR * NR];
  const bool direct = mr == MR && nr == NR && csc == 1;
  T* cp = direct ? c : tmp;
  const int64_t crs = direct ? rsc : NR;
  if (!direct && beta != T(0)) {
    for (int64_t i = 0; i < mr; ++i)
      for (int64_t j = 0; j < nr; ++j) tmp[i * NR + j] = c[i * rsc + j * csc];
  }
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) {
    if (i >= mr) break;
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      V r = acc[i][v];
      if (alpha != T(1)) r = r * alpha;
      if (beta == T(1)) r = r + vload<V>(cp + i * crs + v * W);
      else if (beta != T(0)) r = r + vload<V>(cp + i * crs + v * W) * beta;
      vstore(cp + i * crs + v * W, r);
    }
  }
  if (!direct) {
    for (int64_t i = 0; i < mr; ++i)
      for (int64_t j = 0; j < nr; ++j) c[i * rsc + j * csc] = tmp[i * NR + j];
  }
}

// The register tile. A is packed (A(i, p) at a[p * a_step + i]) or, with A_ROWS, read in place
// from row-major A (A(i, p) at a[i * a_step + p]: activations in products with few rows, no
// packing); rows past mr then repeat row mr - 1 (computed, never stored), so nothing past the
// matrix is read.
template <class T, int MRK, bool A_ROWS>
void micro_tile_impl(int64_t kc, const T* __restrict a, int64_t a_step, const T* __restrict b, int64_t ldb, T* c,
                     int64_t rsc, int64_t csc, int64_t mr, int64_t nr, T alpha, T beta) {
  constexpr int W = Blocking<T>::W, NV = Blocking<T>::NV, MR = MRK, NR = W * NV;
  using V = typename VecOf<T, W>::type;
  V acc[MR][NV];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[i][v] = V{};
  // C rows are read/written after the loop: fetch them meanwhile (not with A in place: measured
  // 10-20% slower on 64-row products, 1 thread)
  if (!A_ROWS && csc == 1 && mr == MR)
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      __builtin_prefetch(c + i * rsc, 1);
      __builtin_prefetch(c + i * rsc + NR - 1, 1);
    }
  const T* row[MR];
  if constexpr (A_ROWS) {
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) row[i] = a + (i < mr ? i : mr - 1) * a_step;
  }
#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; ++p) {
    V bv[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) bv[v] = vload<V>(b + v * W);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      V av;
      if constexpr (A_ROWS) av = splat<V>(row[i][p]);
      else av = splat<V>(a[i]);
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) acc[i][v] += av * bv[v];
    }
    if constexpr (!A_ROWS) a += a_step;
    b += ldb;
  }
  store_tile<T, MRK>(acc, c, rsc, csc, mr, nr, alpha, beta);
}

// A packed with lda values per depth step, or in place with rows a_row_stride apart (when != 0).
template <class T, int MRK = Blocking<T>::MR>
inline void micro_tile(int64_t kc, const T* a, const T* b, T* c, int64_t rsc, int64_t csc, int64_t mr, int64_t nr,
                       T alpha, T beta, int64_t lda = Blocking<T>::MR, int64_t ldb = Blocking<T>::W * Blocking<T>::NV,
                       int64_t a_row_stride = 0) {
  if (a_row_stride != 0)
    return micro_tile_impl<T, MRK, true>(kc, a, a_row_stride, b, ldb, c, rsc, csc, mr, nr, alpha, beta);
  micro_tile_impl<T, MRK, false>(kc, a, lda, b, ldb, c, rsc, csc, mr, nr, alpha, beta);
}

struct Mat {
  int64_t m, n, k;
  int64_t rsa, csa, rsb, csb, rsc, csc;
};

// Tiles of the packed block: rows [0, mc) of packed A x strips [s0, s1) of packed B.
// One tile; a last tile of at most 8 rows runs the 8-row kernel (AVX-512's MR is 14).
template <class T>
inline void tile(int64_t kc, const T* a, const T* b, T* c, int64_t rsc, int64_t csc, int64_t mr, int64_t nr, T alpha,
                 T beta, int64_t ldb, int64_t ars) {
  constexpr int MR = Blocking<T>::MR;
  if constexpr (MR > 8) {
    if (mr <= 8) return micro_tile<T, 8>(kc, a, b, c, rsc, csc, mr, nr, alpha, beta, MR, ldb, ars);
  }
  micro_tile<T>(kc, a, b, c, rsc, csc, mr, nr, alpha, beta, MR, ldb, ars);
}

// B strips come packed at bp (strip s at bp + s * NR * kc), or, with bu != nullptr, full strips
// are read in place from row-major B (bu: row pc, column jc; row stride ldb) and only a partial
// last strip is packed. With ars != 0, A is read in place: rows ars elements apart from ap.
template <class T>
void macro_kernel(const Mat& d, const T* ap, const T* bp, T* C, int64_t mc, int64_t nc, int64_t kc, int64_t s0,
                  int64_t s1, T alpha, T beta, const T* bu = nullptr, int64_t ars = 0) {
  constexpr int MR = Blocking<T>::MR, NR = Blocking<T>::W * Blocking<T>::NV;
  for (int64_t s = s0; s < s1; ++s) {
    const int64_t j0 = s * NR, nr = std::min<int64_t>(NR, nc - j0);
    const bool in_place = bu != nullptr && nr == NR;
    const T* b = in_place ? bu + j0 : bp + s * NR * kc;
    const int64_t ldb = in_place ? d.rsb : NR;
    for (int64_t i0 = 0; i0 < mc; i0 += MR) {
      const int64_t mr = std::min<int64_t>(MR, mc - i0);
      tile<T>(kc, ap + i0 * (ars ? ars : kc), b, C + i0 * d.rsc + j0 * d.csc, d.rsc, d.csc, mr, nr, alpha, beta, ldb,
              ars);
    }
  }
}

// Work of one thread (tid of nt) on one matrix: its share of M tiles (split_m) or of N strips.
// Each thread packs the B strips it needs into its own buffer, so threads never wait for each
// other (no barriers: on a shared machine a preempted thread would stall its peer); the
// duplicated B packing costs O(k n) against the O(m n k / nt) product.
template <class T>
void gemm_blocked(const Mat& d, const T* A, const T* B, T* C, T alpha, T beta, int tid, int nt, bool split_m) {
  constexpr int MR = Blocking<T>::MR, NR = Blocking<T>::W * Blocking<T>::NV;
  constexpr int64_t KC = Blocking<T>::KC, MC = Blocking<T>::MC, NC = Blocking<T>::NC;
  const int64_t mtiles = (d.m + MR - 1) / MR;
  int64_t m0 = 0, m1 = d.m;
  if (split_m) {
    m0 = std::min(d.m, mtiles * tid / nt * MR);
    m1 = std::min(d.m, mtiles * (tid + 1) / nt * MR);
    if (m0 >= m1) return;
  }
  T* ap = scratch_a<T>(size_t(MC * std::min(KC, d.k)));
  T* bp = scratch_b<T>(size_t(std::min(KC, d.k) * round_up(std::min(NC, d.n), NR)));
  // Few rows of A (a batch of 64 through a layer, an RNN step): each B strip serves only a few
  // tiles, so row-major B is read in place rather than copied (unless its row stride is a
  // multiple of 4 KiB, whose rows would all collide in the same L1 sets).
  const bool b_in_place = d.csb == 1 && m1 - m0 <= 5 * MR && (d.rsb * int64_t(sizeof(T))) % 4096 != 0;
  // Row-major A with few rows is read in place too: packing it cost about as much as the product
  // of an RNN step (64 x 512 by 512 x 128) split by columns, where every thread packs all of A.
  const bool a_in_place = d.csa == 1 && m1 - m0 <= 5 * MR && (d.rsa * int64_t(sizeof(T))) % 4096 != 0;
  for (int64_t jc = 0; jc < d.n; jc += NC) {
    const int64_t nc = std::min(NC, d.n - jc), strips = (nc + NR - 1) / NR;
    const int64_t s0 = split_m ? 0 : strips * tid / nt, s1 = split_m ? strips : strips * (tid + 1) / nt;
    if (s0 >= s1) continue;
    for (int64_t pc = 0; pc < d.k; pc += KC) {
      const int64_t kc = std::min(KC, d.k - pc);
      const T beta_eff = pc == 0 ? beta : T(1);
      const T* bu = b_in_place ? B + pc * d.rsb + jc : nullptr;
      if (!b_in_place) pack_b(B + pc * d.rsb + jc * d.csb, d.rsb, d.csb, kc, nc, s0, s1, bp);
      else if (nc % NR != 0 && s1 == strips) pack_b(B + pc * d.rsb + jc, d.rsb, d.csb, kc, nc, strips - 1, strips, bp);
      for (int64_t ic = m0; ic < m1; ic += MC) {
        const int64_t mc = std::min(MC, m1 - ic);
        if (a_in_place) {
          macro_kernel<T>(d, A + ic * d.rsa + pc, bp, C + ic * d.rsc + jc * d.csc, mc, nc, kc, s0, s1, alpha, beta_eff,
                          bu, d.rsa);
          continue;
        }
        pack_a(A + ic * d.rsa + pc * d.csa, d.rsa, d.csa, mc, kc, ap);
        macro_kernel<T>(d, ap, bp, C + ic * d.rsc + jc * d.csc, mc, nc, kc, s0, s1, alpha, beta_eff, bu);
      }
    }
  }
}

// Tiny products: a direct loop beats packing.
template <class T> void gemm_direct(const Mat& d, const T* A, const T* B, T* C, T alpha, T beta) {
  for (int64_t i = 0; i < d.m; ++i)
    for (int64_t j = 0; j < d.n; ++j) {
      T s = T(0);
      for (int64_t p = 0; p < d.k; ++p) s += A[i * d.rsa + p * d.csa] * B[p * d.rsb + j * d.csb];
      T& c = C[i * d.rsc + j * d.csc];
      c = beta == T(0) ? alpha * s : alpha * s + beta * c;
    }
}

// Matrix-vector products (n == 1, or m == 1 through the transpose): y = alpha * A x + beta * y
// for A (rows x k). Rows are independent and each is summed in a fixed order, so the thread
// split never changes a result.
template <class T> inline T dot_contig(const T* a, const T* x, int64_t k) {
  constexpr int W = Blocking<T>::W;
  using V = typename VecOf<T, W>::type;
  V acc[4] = {V{}, V{}, V{}, V{}};
  int64_t p = 0;
  for (; p + 4 * W <= k; p += 4 * W)
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) acc[u] += vload<V>(a + p + u * W) * vload<V>(x + p + u * W);
  V v = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  T s = T(0);
  for (int l = 0; l < W; ++l) s += v[l];
  for (; p < k; ++p) s += a[p] * x[p];
  return s;
}

template <class T>
void gemv(int64_t rows, int64_t k, const T* A, int64_t rs, int64_t cs, const T* x, int64_t xs, T* y, int64_t ys,
          T alpha, T beta, int nt) {
  T* xc = nullptr;
  if (xs != 1) {  // a contiguous copy of x
    xc = scratch_b<T>(size_t(k));
    for (int64_t p = 0; p < k; ++p) xc[p] = x[p * xs];
    x = xc;
  }
  auto finish = [&](T& out, T s) { out = beta == T(0) ? alpha * s : alpha * s + beta * out; };
  const int64_t grain = std::max<int64_t>(16, kGrainSize / std::max<int64_t>(k, 1));
  const int64_t chunks = nt > 1 ? std::min<int64_t>(nt, (rows + grain - 1) / grain) : 1;
  auto body = [&](int64_t r0, int64_t r1) {
    if (cs == 1) {
      for (int64_t i = r0; i < r1; ++i) finish(y[i * ys], dot_contig(A + i * rs, x, k));
    } else if (rs == 1) {  // columns of A are contiguous: accumulate y over p (vectorised over rows)
      T* acc = scratch_a<T>(size_t(r1 - r0));
      std::fill(acc, acc + (r1 - r0), T(0));
      for (int64_t p = 0; p < k; ++p) {
        const T xp = x[p], *ap = A + p * cs;
        for (int64_t i = r0; i < r1; ++i) acc[i - r0] += ap[i] * xp;
      }
      for (int64_t i = r0; i < r1; ++i) finish(y[i * ys], acc[i - r0]);
    } else {
      for (int64_t i = r0; i < r1; ++i) {
        T s = T(0);
        for (int64_t p = 0; p < k; ++p) s += A[i * rs + p * cs] * x[p];
        finish(y[i * ys], s);
      }
    }
  };
  if (chunks <= 1 || in_parallel_region()) return body(0, rows);
  const int64_t per = round_up((rows + chunks - 1) / chunks, 16);
  parallel_run(chunks, [&](int64_t c) { body(std::min(rows, c * per), std::min(rows, (c + 1) * per)); });
}

template <class T> void scale_c(const Mat& d, T* C, T beta) {
  for (int64_t i = 0; i < d.m; ++i)
    for (int64_t j = 0; j < d.n; ++j) {
      T& c = C[i * d.rsc + j * d.csc];
      c = beta == T(0) ? T(0) : beta * c;
    }
}

// Split M tiles or N strips across threads, whichever gives the busiest thread less work. A batch
// of 64 rows is 5 tiles of 14: split by rows, one of 2 threads gets 36 rows (tiles 14 + 14 + 8)
// against 28, while 512 columns split into 8 strips of 32 each.
inline bool split_rows(int64_t m, int64_t n, int64_t MR, int64_t NR, int nt) {
  const int64_t tiles = (m + MR - 1) / MR, strips = (n + NR - 1) / NR;
  if (strips < nt) return true;
  int64_t rows_max = 0;
  for (int t = 0; t < nt; ++t)
    rows_max = std::max(rows_max, std::min(m, tiles * (t + 1) / nt * MR) - std::min(m, tiles * t / nt * MR));
  const int64_t by_rows = rows_max * strips * NR, by_cols = m * ((strips + nt - 1) / nt) * NR;
  return by_rows <= by_cols;
}

constexpr int64_t kDirectWork = 512;          // m*n*k at or below: direct loop
constexpr int64_t kParallelWork = 64 * 64 * 64;  // m*n*k at or above: threads

// One matrix on the calling thread (or on nt threads when nt > 1).
template <class T> void gemm_one(const Mat& d, const T* A, const T* B, T* C, T alpha, T beta, int nt) {
  const int64_t work = d.m * d.n * d.k;
  if (d.k == 0) return scale_c(d, C, beta);
  if (work <= kDirectWork) return gemm_direct(d, A, B, C, alpha, beta);
  if (d.n == 1) return gemv(d.m, d.k, A, d.rsa, d.csa, B, d.rsb, C, d.rsc, alpha, beta, nt);
  if (d.m == 1) return gemv(d.n, d.k, B, d.csb, d.rsb, A, d.csa, C, d.csc, alpha, beta, nt);
  if (nt <= 1 || in_parallel_region()) return gemm_blocked(d, A, B, C, alpha, beta, 0, 1, true);
  const bool split_m = split_rows(d.m, d.n, Blocking<T>::MR, Blocking<T>::W * Blocking<T>::NV, nt);
  // Each of the nt tasks computes its own share (no barriers), so tasks may also run one after another.
  parallel_run(nt, [&](int64_t tid) { gemm_blocked(d, A, B, C, alpha, beta, int(tid), nt, split_m); });
}

template <class T> void gemm_typed(const GemmArgs& g) {
  const Mat d{g.m, g.n, g.k, g.a_row_stride, g.a_col_stride, g.b_row_stride, g.b_col_stride, g.c_row_stride,
              g.c_col_stride};
  const T alpha = T(g.alpha), beta = T(g.beta);
  const T* A = reinterpret_cast<const T*>(g.a);
  const T* B = reinterpret_cast<const T*>(g.b);
  T* C = reinterpret_cast<T*>(g.c);
  const int64_t work = d.m * d.n * std::max<int64_t>(d.k, 1);
  const int nt = work * g.batch >= kParallelWork ? get_num_threads() : 1;
  // Many small matrices: one thread per matrix; otherwise threads inside each product.
  if (g.batch > 1 && nt > 1 && (work < kParallelWork * 8 || g.batch >= 4 * nt)) {
    parallel_for(0, g.batch, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b)
        gemm_one<T>(d, A + b * g.a_batch_stride, B + b * g.b_batch_stride, C + b * g.c_batch_stride, alpha, beta, 1);
    });
    return;
  }
  for (int64_t b = 0; b < g.batch; ++b)
    gemm_one<T>(d, A + b * g.a_batch_stride, B + b * g.b_batch_stride, C + b * g.c_batch_stride, alpha, beta,
                work >= kParallelWork ? nt : 1);
}

// Integer products: exact, so a plain loop (i, p, j order, vectorised over j).
template <class T> void gemm_int(const GemmArgs& g) {
  const T alpha = T(g.alpha), beta = T(g.beta);
  parallel_for(0, g.batch * g.m, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, g.n * g.k)),
               [&](int64_t r0, int64_t r1) {
                 for (int64_t r = r0; r < r1; ++r) {
                   const int64_t b = r / g.m, i = r % g.m;
                   const T* A = reinterpret_cast<const T*>(g.a) + b * g.a_batch_stride + i * g.a_row_stride;
                   const T* B = reinterpret_cast<const T*>(g.b) + b * g.b_batch_stride;
                   T* C = reinterpret_cast<T*>(g.c) + b * g.c_batch_stride + i * g.c_row_stride;
                   for (int64_t j = 0; j < g.n; ++j) {
                     T& c = C[j * g.c_col_stride];
                     c = g.beta == 0 ? T(0) : T(beta * c);
                   }
                   for (int64_t p = 0; p < g.k; ++p) {
                     const T a = T(alpha * A[p * g.a_col_stride]);
                     const T* bp = B + p * g.b_row_stride;
                     for (int64_t j = 0; j < g.n; ++j) C[j * g.c_col_stride] += a * bp[j * g.b_col_stride];
                   }
                 }
               });
}

// ---- GEMM on caller-packed operands (PackedGemmArgs in isa.h): the convolutions' implicit
// im2col. Same blocking, micro-kernel and thread split rules as gemm_blocked; C columns come in
// groups (images), and a tile that straddles two groups goes through a small buffer.
template <class T>
void packed_tiles(const PackedGemmArgs& g, const T* ap, const T* bp, int64_t ic, int64_t mc, int64_t kc, int64_t s0,
                  int64_t s1, T beta) {
  constexpr int MR = Blocking<T>::MR, NR = Blocking<T>::W * Blocking<T>::NV;
  T* C = reinterpret_cast<T*>(g.c);
  const int64_t rsc = g.c_row_stride, cg = g.c_group, gs = g.c_group_stride;
  alignas(64) T tmp[MR * NR];
  for (int64_t s = s0; s < s1; ++s) {
    const int64_t j0 = s * NR, nr = std::min<int64_t>(NR, g.n - j0), grp = j0 / cg, l0 = j0 % cg;
    const T* b = bp + (s - s0) * NR * kc;
    int64_t off[NR];
    bool have_off = false;
    for (int64_t i0 = 0; i0 < mc; i0 += MR) {
      const int64_t mr = std::min<int64_t>(MR, mc - i0), i = ic + i0;
      if (l0 + nr <= cg) {
        micro_tile<T>(kc, ap + i0 * kc, b, C + i * rsc + grp * gs + l0, rsc, 1, mr, nr, T(1), beta);
        continue;
      }
      if (!have_off) {  // column offsets of this strip, computed once (no division per element)
        for (int64_t j = 0; j < nr; ++j) off[j] = ((j0 + j) / cg) * gs + (j0 + j) % cg;
        have_off = true;
      }
      if (beta != T(0))
        for (int64_t r = 0; r < mr; ++r) {
          const T* cr = C + (i + r) * rsc;
          for (int64_t j = 0; j < nr; ++j) tmp[r * NR + j] = cr[off[j]];
        }
      micro_tile<T>(kc, ap + i0 * kc, b, tmp, NR, 1, mr, nr, T(1), beta);
      for (int64_t r = 0; r < mr; ++r) {
        T* cr = C + (i + r) * rsc;
        for (int64_t j = 0; j < nr; ++j) cr[off[j]] = tmp[r * NR + j];
      }
    }
  }
}

// Rows [m0, m1) x strips [sb0, sb1) of C, on the calling thread.
template <class T> void packed_part(const PackedGemmArgs& g, int64_t m0, int64_t m1, int64_t sb0, int64_t sb1) {
  constexpr int MR = Blocking<T>::MR, NR = Blocking<T>::W * Blocking<T>::NV;
  constexpr int64_t KC = Blocking<T>::KC, MC = Blocking<T>::MC, NCS = Blocking<T>::NC / NR;
  if (m0 >= m1 || sb0 >= sb1) return;
  T* ap = scratch_a<T>(size_t(MC * std::min(KC, g.k)));
  T* bp = scratch_b<T>(size_t(std::min(KC, g.k) * NR * std::min(NCS, sb1 - sb0)));
  const T* A = reinterpret_cast<const T*>(g.a);
  for (int64_t sb = sb0; sb < sb1; sb += NCS) {
    const int64_t se = std::min(sb1, sb + NCS);
    for (int64_t pc = 0; pc < g.k; pc += KC) {
      const int64_t kc = std::min(KC, g.k - pc);
      const T beta = pc == 0 && !g.accumulate ? T(0) : T(1);
      if (m1 - m0 <= MC) {
        // One block of A: pack it, then each B strip right before its tiles (the strip stays in L1).
        if (g.pack_a) {
          for (int64_t i0 = 0; i0 < m1 - m0; i0 += MR)
            g.pack_a(g.ctx, m0 + i0, std::min<int64_t>(MR, m1 - m0 - i0), pc, kc, MR, ap + i0 * kc);
        } else {
          pack_a(A + m0 * g.a_row_stride + pc * g.a_col_stride, g.a_row_stride, g.a_col_stride, m1 - m0, kc, ap);
        }
        for (int64_t s = sb; s < se; ++s) {
          g.pack_b(g.ctx, pc, kc, s * NR, std::min<int64_t>(NR, g.n - s * NR), NR, bp);
          packed_tiles<T>(g, ap, bp, m0, m1 - m0, kc, s, s + 1, beta);
        }
        continue;
      }
      for (int64_t s = sb; s < se; ++s)
        g.pack_b(g.ctx, pc, kc, s * NR, std::min<int64_t>(NR, g.n - s * NR), NR, bp + (s - sb) * NR * kc);
      for (int64_t ic = m0; ic < m1; ic += MC) {
        const int64_t mc = std::min(MC, m1 - ic);
        if (g.pack_a) {
          for (int64_t i0 = 0; i0 < mc; i0 += MR)
            g.pack_a(g.ctx, ic + i0, std::min<int64_t>(MR, mc - i0), pc, kc, MR, ap + i0 * kc);
        } else {
          pack_a(A + ic * g.a_row_stride + pc * g.a_col_stride, g.a_row_stride, g.a_col_stride, mc, kc, ap);
        }
        packed_tiles<T>(g, ap, bp, ic, mc, kc, sb, se, beta);
      }
    }
  }
}

template <class T> void packed_gemm_typed(const PackedGemmArgs& g) {
  constexpr int MR = Blocking<T>::MR, NR = Blocking<T>::W * Blocking<T>::NV;
  if (g.k == 0) {
    if (g.accumulate) return;
    T* C = reinterpret_cast<T*>(g.c);
    for (int64_t i = 0; i < g.m; ++i)
      for (int64_t j = 0; j < g.n; ++j) C[i * g.c_row_stride + (j / g.c_group) * g.c_group_stride + j % g.c_group] = T(0);
    return;
  }
  const int64_t strips = (g.n + NR - 1) / NR, mtiles = (g.m + MR - 1) / MR;
  const int nt = g.parallel && !in_parallel_region() && g.m * g.n * g.k >= kParallelWork ? get_num_threads() : 1;
  if (nt <= 1) return packed_part<T>(g, 0, g.m, 0, strips);
  // Split N (each thread packs only its own B strips) unless there are too few strips.
  const bool split_n = strips >= 2 * nt || mtiles < 2 * nt;
  parallel_run(nt, [&](int64_t t) {
    if (split_n) packed_part<T>(g, 0, g.m, strips * t / nt, strips * (t + 1) / nt);
    else packed_part<T>(g, std::min(g.m, mtiles * t / nt * MR), std::min(g.m, mtiles * (t + 1) / nt * MR), 0, strips);
  });
}
}  // namespace

void gemm_kernel(const GemmArgs& g) {
  if (g.batch <= 0 || g.m <= 0 || g.n <= 0) return;
  switch (g.dtype) {
    case Dtype::Float32: return gemm_typed<float>(g);
    case Dtype::Float64: return gemm_typed<double>(g);
    case Dtype::Int64: return gemm_int<int64_t>(g);
    case Dtype::Int32: return gemm_int<int32_t>(g);
    case Dtype::Int16: return gemm_int<int16_t>(g);
    case Dtype::Int8: return gemm_int<int8_t>(g);
    case Dtype::UInt8: return gemm_int<uint8_t>(g);
    default: EMBER_FAIL(Type, "[ember.matmul] not implemented for dtype ", dtype_name(g.dtype));
  }
}

void packed_gemm_kernel(const PackedGemmArgs& g) {
  if (g.m <= 0 || g.n <= 0) return;
  switch (g.dtype) {
    case Dtype::Float32: return packed_gemm_typed<float>(g);
    case Dtype::Float64: return packed_gemm_typed<double>(g);
    default: EMBER_FAIL(Type, "[ember.conv2d] packed GEMM not implemented for dtype ", dtype_name(g.dtype));
  }
}

}  // namespace ember::cpu::EMBER_ISA_NS
