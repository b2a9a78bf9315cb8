// Direct stride-1 convolution, compiled per ISA (DirectConvArgs in isa.h).
//
// Note [direct convolution]: for small channel counts the implicit-im2col GEMM spends a large share
// of its time packing (each im2col strip is used by one or two 14-row tiles) and wastes most of its
// 14-row register tile when C_out is 6 or 16. Here nothing is packed: on the zero-padded image a
// stride-1 tap (c, ki, kj) for a run of flat output positions q is the contiguous run
// x[c][q + ki*dh*wp + kj*dw], so the register tile is MR output channels x NV vectors of positions,
// fed by NV unaligned loads and MR weight broadcasts per tap (MR chosen to divide C_out evenly).
// The weight gradient keeps MR channels x KW taps of one kernel row as vector accumulators over
// positions and reduces them horizontally once per chunk of positions.
// Determinism: each output element is computed by one task, in an order fixed by the shape alone
// (chunks of positions are fixed, never derived from the thread count).
#include <algorithm>
#include <cstring>
#include <vector>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "core/parallel.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/isa/vec_load.h"

namespace ember::cpu::EMBER_ISA_NS {
namespace {

#if defined(__AVX512F__)
constexpr int kVecBytes = 64, kRegs = 32;
#elif defined(__AVX2__)
constexpr int kVecBytes = 32, kRegs = 16;
#else
constexpr int kVecBytes = 16, kRegs = 16;  // SSE2
#endif

template <class T> struct Vec {
  static constexpr int W = kVecBytes / int(sizeof(T));
  typedef T type __attribute__((vector_size(kVecBytes)));
};

#define EMBER_DC_INLINE inline __attribute__((always_inline))

// Keeps a loaded vector in a register: without it GCC folds the load into each FMA that uses it,
// and the weight-gradient tile becomes bound by the load ports (MR * KW loads instead of MR).
template <class V> EMBER_DC_INLINE void in_register(V& v) {
#if defined(__x86_64__) && defined(__AVX512F__)
  asm("" : "+v"(v));
#elif defined(__x86_64__)
  asm("" : "+x"(v));
#else
  (void)v;
#endif
}

// Lanes summed as a fixed tree.
template <class T, class V> EMBER_DC_INLINE T hsum(V v) {
  constexpr int W = Vec<T>::W;
  T lane[W];
  std::memcpy(lane, &v, sizeof(V));
  for (int s = W / 2; s > 0; s /= 2)
    for (int l = 0; l < s; ++l) lane[l] += lane[l + s];
  return lane[0];
}

// dst[0, n) = src[0, n) for the short runs of the forward's epilogue: whole vectors, the last one
// overlapping the previous (no call, no scalar remainder once n >= W).
template <class T> EMBER_DC_INLINE void copy_run(T* __restrict dst, const T* __restrict src, int64_t n) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::W;
  if (n < W) {
    for (int64_t k = 0; k < n; ++k) dst[k] = src[k];
    return;
  }
  int64_t k = 0;
  for (; k + W <= n; k += W) vstore(dst + k, vload<V>(src + k));
  if (k < n) vstore(dst + n - W, vload<V>(src + n - W));
}

// ---- forward: out[i][0, NV*W) = sum over c, taps of w[c][t][i] * x[c][off[t] + (0, NV*W)]
template <class T>
using FwdTileFn = void (*)(const T* x, int64_t x_plane, int64_t cin, const int64_t* off, int64_t taps, const T* w,
                           int64_t cout, T* out);

template <class T, int MR, int NV>
void fwd_tile(const T* x, int64_t x_plane, int64_t cin, const int64_t* off, int64_t taps, const T* w, int64_t cout,
              T* out) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::W;
  V acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) acc[i][v] = V{};
  for (int64_t c = 0; c < cin; ++c) {
    const T* xc = x + c * x_plane;
    const T* wc = w + c * taps * cout;
    for (int64_t t = 0; t < taps; ++t) {
      const T* xp = xc + off[t];
      const T* wt = wc + t * cout;
      V xv[NV];
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) xv[v] = vload<V>(xp + v * W);
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) {
        const V a = splat<V>(wt[i]);
#pragma GCC unroll 8
        for (int v = 0; v < NV; ++v) acc[i][v] += a * xv[v];
      }
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) vstore(out + (i * NV + v) * W, acc[i][v]);
}

// Tiles fit the register file: MR*NV accumulators + NV inputs + 1 broadcast.
constexpr int nv_for(int mr) { return std::max(1, std::min(6, (kRegs - 1) / (mr + 1))); }
constexpr bool fits(int mr, int nv) { return mr * nv + nv + 1 <= kRegs; }

template <class T, int NV> FwdTileFn<T> fwd_tile_for(int64_t mr) {
  switch (mr) {
    case 1: return &fwd_tile<T, 1, NV>;
    case 2: return &fwd_tile<T, 2, NV>;
    case 3: return &fwd_tile<T, 3, NV>;
    case 4: return &fwd_tile<T, 4, NV>;
    case 5: if constexpr (fits(5, NV)) return &fwd_tile<T, 5, NV>; break;
    case 6: if constexpr (fits(6, NV)) return &fwd_tile<T, 6, NV>; break;
    case 7: if constexpr (fits(7, NV)) return &fwd_tile<T, 7, NV>; break;
    case 8: if constexpr (fits(8, NV)) return &fwd_tile<T, 8, NV>; break;
  }
  return nullptr;
}
template <class T> FwdTileFn<T> fwd_tile_nv(int nv, int64_t mr) {
  switch (nv) {
    case 1: return fwd_tile_for<T, 1>(mr);
    case 2: return fwd_tile_for<T, 2>(mr);
    case 3: return fwd_tile_for<T, 3>(mr);
    case 4: return fwd_tile_for<T, 4>(mr);
    case 6: return fwd_tile_for<T, 6>(mr);
  }
  return nullptr;
}

// Channel blocks of C_out: nb blocks of mr (the last may be smaller), mr <= cap.
inline int64_t block_rows(int64_t cout, int64_t cap) {
  const int64_t nb = (cout + cap - 1) / cap;
  return (cout + nb - 1) / nb;
}

template <class T> void forward_typed(const DirectConvArgs& a) {
  constexpr int W = Vec<T>::W;
  const T* x = static_cast<const T*>(a.x);
  const T* w = static_cast<const T*>(a.w);
  T* y = static_cast<T*>(a.y);
  const int64_t taps = a.kh * a.kw, cin = a.cin_g, cout = a.cout_g, wp = a.wp, ow = a.ow, L = a.oh * a.ow;
  std::vector<int64_t> off(static_cast<size_t>(taps));
  for (int64_t t = 0; t < taps; ++t) off[size_t(t)] = (t / a.kw) * a.dh * wp + (t % a.kw) * a.dw;
  const int64_t mr = block_rows(cout, kRegs == 32 ? 8 : 4);
  const int nv = nv_for(int(mr));
  const int nvs = nv == 5 ? 4 : nv;  // instantiated widths: 1, 2, 3, 4, 6
  const int64_t BQ = int64_t(nvs) * W, Q = (a.oh - 1) * wp + ow, qblocks = (Q + BQ - 1) / BQ;
  const FwdTileFn<T> full = fwd_tile_nv<T>(nvs, mr), tail = fwd_tile_nv<T>(nvs, cout % mr ? cout % mr : mr);
  // Tasks: (image, group, run of up to 8 position blocks); each block loops over all channel blocks
  // while its input rows sit in L1.
  const int64_t per = std::min<int64_t>(8, qblocks), chunks = (qblocks + per - 1) / per;
  const int64_t tasks = a.n * a.groups * chunks;
  parallel_run(tasks, [&](int64_t task) {
    const int64_t img = task / (a.groups * chunks), grp = task / chunks % a.groups, ch = task % chunks;
    const T* xg = x + (img * a.groups + grp) * cin * a.x_plane;
    const T* wg = w + grp * cin * taps * cout;
    T* yg = y + (img * a.groups + grp) * cout * L;
    alignas(64) T out[8 * 6 * 16];
    for (int64_t qb = ch * per; qb < std::min(qblocks, (ch + 1) * per); ++qb) {
      const int64_t q0 = qb * BQ, qe = std::min(Q, q0 + BQ);
      // Output runs of this block: (offset in the block, offset in the plane, length).
      int64_t runs[6 * 16 + 1][3], nr = 0;
      for (int64_t q = q0; q < qe;) {
        const int64_t oy = q / wp, ox = q - oy * wp;
        if (ox >= ow) {
          q = (oy + 1) * wp;
          continue;
        }
        const int64_t len = std::min(ow - ox, qe - q);
        runs[nr][0] = q - q0;
        runs[nr][1] = oy * ow + ox;
        runs[nr][2] = len;
        ++nr;
        q += len;
      }
      for (int64_t o0 = 0; o0 < cout; o0 += mr) {
        const int64_t rows = std::min(mr, cout - o0);
        (rows == mr ? full : tail)(xg + q0, a.x_plane, cin, off.data(), taps, wg + o0, cout, out);
        for (int64_t i = 0; i < rows; ++i) {
          const T* src = out + i * BQ;
          T* dst = yg + (o0 + i) * L;
          for (int64_t r = 0; r < nr; ++r) copy_run(dst + runs[r][1], src + runs[r][0], runs[r][2]);
        }
      }
    }
  });
}

// ---- weight gradient: vpart[i][kj] (W lanes each) += gy[i][q] * x[q + kj*dw] over q in [0, nvec*W) of
// nimg images; the lanes are summed once at the end, in a fixed order.
template <class T>
using WgtTileFn = void (*)(const T* gy, int64_t gy_plane, int64_t gy_img, const T* x, int64_t x_img, int64_t x_next,
                           int64_t dw, int64_t nimg, int64_t nvec, T* vpart);

template <class T, int MR, int KW>
void wgt_tile(const T* gy, int64_t gy_plane, int64_t gy_img, const T* x, int64_t x_img, int64_t x_next, int64_t dw,
              int64_t nimg, int64_t nvec, T* vpart) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::W;
  V acc[MR][KW];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < KW; ++j) acc[i][j] = vload<V>(vpart + (i * KW + j) * W);
  for (int64_t img = 0; img < nimg; ++img) {
    const T* g0 = gy + img * gy_img;
    const T* x0 = x + img * x_img;
    for (int64_t q = 0; q < nvec * W; q += W) {
      // The next input channel's run (the caller's next tile, a cold plane): fetched meanwhile.
      __builtin_prefetch(x0 + x_next + q);
      V xv[KW];
#pragma GCC unroll 8
      for (int j = 0; j < KW; ++j) xv[j] = vload<V>(x0 + q + j * dw);
#pragma GCC unroll 8
      for (int i = 0; i < MR; ++i) {
        V g = vload<V>(g0 + i * gy_plane + q);
        in_register(g);
#pragma GCC unroll 8
        for (int j = 0; j < KW; ++j) acc[i][j] += g * xv[j];
      }
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < KW; ++j) vstore(vpart + (i * KW + j) * W, acc[i][j]);
}

template <class T, int KW> WgtTileFn<T> wgt_tile_for(int64_t mr) {
  switch (mr) {
    case 1: return &wgt_tile<T, 1, KW>;
    case 2: return &wgt_tile<T, 2, KW>;
    case 3: if constexpr (fits(3, KW)) return &wgt_tile<T, 3, KW>; break;
    case 4: if constexpr (fits(4, KW)) return &wgt_tile<T, 4, KW>; break;
    case 5: if constexpr (fits(5, KW)) return &wgt_tile<T, 5, KW>; break;
    case 6: if constexpr (fits(6, KW)) return &wgt_tile<T, 6, KW>; break;
    case 7: if constexpr (fits(7, KW)) return &wgt_tile<T, 7, KW>; break;
    case 8: if constexpr (fits(8, KW)) return &wgt_tile<T, 8, KW>; break;
  }
  return nullptr;
}
template <class T> WgtTileFn<T> wgt_tile_kw(int64_t kw, int64_t mr) {
  switch (kw) {
    case 3: return wgt_tile_for<T, 3>(mr);
    case 5: return wgt_tile_for<T, 5>(mr);
  }
  return nullptr;
}

template <class T> void weight_typed(const DirectConvArgs& a) {
  constexpr int W = Vec<T>::W;
  const T* x = static_cast<const T*>(a.x);
  const T* gy = static_cast<const T*>(a.gy);
  T* gw = static_cast<T*>(a.gw);
  const int64_t cin = a.cin_g, cout = a.cout_g, kh = a.kh, kw = a.kw;
  const int64_t cap = std::max<int64_t>(1, std::min<int64_t>(8, (kRegs - 1 - kw) / kw));
  const int64_t mr = block_rows(cout, cap);
  const WgtTileFn<T> full = wgt_tile_kw<T>(kw, mr), tail = wgt_tile_kw<T>(kw, cout % mr ? cout % mr : mr);
  // Chunks of positions fixed by the shape: mr rows of grad_output per chunk fit in half of L1
  // (several whole images when they are small, else runs of cq vectors of one image).
  const int64_t nvec = a.gy_plane / W, budget = 24576 / (int64_t(sizeof(T)) * mr);
  const int64_t ipc = a.gy_plane <= budget ? std::max<int64_t>(1, budget / a.gy_plane) : 1;
  const int64_t cq = a.gy_plane <= budget ? nvec : std::max<int64_t>(4, budget / W);
  const int64_t gy_img = a.groups * cout * a.gy_plane, x_img = a.groups * cin * a.x_plane;
  // Tasks: (group, run of channel blocks, run of input channels), as large as 8 tasks allow: every
  // task reads its grad_output rows and input channels once (the chunk of grad_output rows stays in
  // L1 across the task's input channels; the input chunk in L2 across its channel blocks).
  const int64_t oblocks = (cout + mr - 1) / mr;
  int64_t ob_per = oblocks, cb = cin;
  auto ntasks = [&] { return a.groups * ((oblocks + ob_per - 1) / ob_per) * ((cin + cb - 1) / cb); };
  while (ntasks() < 8 && (ob_per > 1 || cb > 1)) {
    if (ob_per > 1) ob_per = (ob_per + 1) / 2;
    else cb = (cb + 1) / 2;
  }
  const int64_t ogroups = (oblocks + ob_per - 1) / ob_per, cblocks = (cin + cb - 1) / cb;
  const int64_t tasks = a.groups * ogroups * cblocks;
  using V = typename Vec<T>::type;
  parallel_run(tasks, [&](int64_t task) {
    const int64_t grp = task / (ogroups * cblocks), og = task / cblocks % ogroups, cbk = task % cblocks;
    const int64_t ob0 = og * ob_per, ob1 = std::min(oblocks, ob0 + ob_per);
    const int64_t c0 = cbk * cb, c1 = std::min(cin, c0 + cb), per_ob = (c1 - c0) * kh * mr * kw * W;
    // vpart[ob - ob0][c - c0][ki][i][kj][lane]
    std::vector<T> vpart(size_t((ob1 - ob0) * per_ob), T(0));
    const T* xg = x + grp * cin * a.x_plane;
    for (int64_t img = 0; img < a.n; img += ipc) {
      const int64_t nimg = std::min(ipc, a.n - img);
      for (int64_t v0 = 0; v0 < nvec; v0 += cq) {
        const int64_t nv = std::min(cq, nvec - v0);
        for (int64_t ob = ob0; ob < ob1; ++ob) {
          const int64_t o0 = ob * mr, rows = std::min(mr, cout - o0);
          const WgtTileFn<T> fn = rows == mr ? full : tail;
          const T* gyc = gy + (grp * cout + o0) * a.gy_plane + img * gy_img + v0 * W;
          T* vp = vpart.data() + (ob - ob0) * per_ob;
          for (int64_t c = c0; c < c1; ++c)
            for (int64_t ki = 0; ki < kh; ++ki)
              fn(gyc, a.gy_plane, gy_img, xg + img * x_img + c * a.x_plane + ki * a.dh * a.wp + v0 * W, x_img,
                 c + 1 < c1 ? a.x_plane : 0, a.dw, nimg, nv, vp + ((c - c0) * kh + ki) * rows * kw * W);
        }
      }
    }
    for (int64_t ob = ob0; ob < ob1; ++ob) {
      const int64_t o0 = ob * mr, rows = std::min(mr, cout - o0);
      const T* vp = vpart.data() + (ob - ob0) * per_ob;
      for (int64_t c = c0; c < c1; ++c)
        for (int64_t ki = 0; ki < kh; ++ki)
          for (int64_t i = 0; i < rows; ++i)
            for (int64_t kj = 0; kj < kw; ++kj)
              gw[(((grp * cout + o0 + i) * cin + c) * kh + ki) * kw + kj] =
                  hsum<T>(vload<V>(vp + ((((c - c0) * kh + ki) * rows + i) * kw + kj) * W));
    }
  });
}

}  // namespace

void conv_direct_forward_kernel(const DirectConvArgs& a) {
  if (a.n <= 0 || a.cout_g <= 0 || a.oh <= 0 || a.ow <= 0) return;
  switch (a.dtype) {
    case Dtype::Float32: return forward_typed<float>(a);
    case Dtype::Float64: return forward_typed<double>(a);
    default: EMBER_FAIL(Type, "[ember.conv2d] direct convolution not implemented for dtype ", dtype_name(a.dtype));
  }
}

void conv_direct_weight_kernel(const DirectConvArgs& a) {
  if (a.cout_g <= 0) return;
  EMBER_CHECK(a.kw == 3 || a.kw == 5, Runtime, "[ember.conv2d] direct weight gradient has no tile for kernel width ", a.kw);
  switch (a.dtype) {
    case Dtype::Float32: return weight_typed<float>(a);
    case Dtype::Float64: return weight_typed<double>(a);
    default: EMBER_FAIL(Type, "[ember.conv2d] direct convolution not implemented for dtype ", dtype_name(a.dtype));
  }
}

}  // namespace ember::cpu::EMBER_ISA_NS
