// 2-D convolution on the CPU.
//
// Note [implicit im2col]: forward, weight gradient and (stride 1) input gradient are each ONE GEMM
// over the whole batch (packed_gemm_kernel, isa/gemm.cpp) whose packing routines below read the
// image directly: no column buffer is written, the weights are packed once per block instead of
// once per image, and small images are batched along N. The input gradient at stride 1 is the
// forward convolution of grad_output with the flipped, transposed weights (padding d*(k-1) - p);
// strided input gradients fall back to GEMM + col2im (small planes batch several images per GEMM). Depthwise convolutions
// (one input and one output channel per group) run direct loops. Stride-1 convolutions whose
// planes are large enough take the direct kernels instead (isa/conv_direct.cpp, Note [direct
// convolution]; the *_direct functions below pick them). The GEMM never splits its depth
// and the direct loops give each output to one thread, so results are bitwise identical for any
// thread count.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "core/allocator.h"
#include "core/parallel.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/kernels.h"

namespace ember::cpu {
namespace {

struct Geometry {
  int64_t n, c_in, h, w, c_out, kh, kw, oh, ow, groups;
  int64_t sh, sw, ph, pw, dh, dw;
  int64_t cin_g() const { return c_in / groups; }
  int64_t cout_g() const { return c_out / groups; }
  int64_t k_g() const { return cin_g() * kh * kw; }  // GEMM depth per group
  int64_t l() const { return oh * ow; }
  bool is_depthwise() const { return cin_g() == 1 && cout_g() == 1; }
  Geometry() = default;
  explicit Geometry(const ConvArgs& a)
      : n(a.input.sizes[0]), c_in(a.input.sizes[1]), h(a.input.sizes[2]), w(a.input.sizes[3]),
        c_out(a.weight.sizes[0]), kh(a.weight.sizes[2]), kw(a.weight.sizes[3]), oh(a.output.sizes[2]),
        ow(a.output.sizes[3]), groups(a.groups), sh(a.stride[0]), sw(a.stride[1]), ph(a.pad_before[0]),
        pw(a.pad_before[1]), dh(a.dilation[0]), dw(a.dilation[1]) {}
};

// Columns of an image: col[(c, ki, kj)][(oy, ox)], zero where the window is in the padding (F.unfold).
template <class T> void im2col(const T* x, int64_t channels, const Geometry& g, T* col, int64_t ld = 0) {
  const int64_t L = g.l();
  if (ld == 0) ld = L;  // row stride of col
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        T* row = col + ((c * g.kh + i) * g.kw + j) * ld;
        const T* plane = x + c * g.h * g.w;
        for (int64_t oy = 0; oy < g.oh; ++oy) {
          int64_t iy = oy * g.sh - g.ph + i * g.dh;
          T* out = row + oy * g.ow;
          if (iy < 0 || iy >= g.h) {
            std::fill(out, out + g.ow, T(0));
            continue;
          }
          const T* src = plane + iy * g.w;
          int64_t ix0 = -g.pw + j * g.dw;
          for (int64_t ox = 0; ox < g.ow; ++ox) {
            int64_t ix = ox * g.sw + ix0;
            out[ox] = (ix >= 0 && ix < g.w) ? src[ix] : T(0);
          }
        }
      }
}

// The adjoint of im2col: accumulate columns back into the image (x must start zeroed). Rows of
// col are ld apart (default: L).
template <class T> void col2im(const T* col, int64_t channels, const Geometry& g, T* x, int64_t ld = 0) {
  if (ld == 0) ld = g.l();
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* row = col + ((c * g.kh + i) * g.kw + j) * ld;
        T* plane = x + c * g.h * g.w;
        for (int64_t oy = 0; oy < g.oh; ++oy) {
          int64_t iy = oy * g.sh - g.ph + i * g.dh;
          if (iy < 0 || iy >= g.h) continue;
          const T* in = row + oy * g.ow;
          T* dst = plane + iy * g.w;
          int64_t ix0 = -g.pw + j * g.dw;
          for (int64_t ox = 0; ox < g.ow; ++ox) {
            int64_t ix = ox * g.sw + ix0;
            if (ix >= 0 && ix < g.w) dst[ix] += in[ox];
          }
        }
      }
}

// C = alpha * A @ B + beta * C with plain row-major strides (A: m x k, B: k x n, C: m x n).
template <class T>
void gemm(int64_t m, int64_t n, int64_t k, const T* a, int64_t a_rs, int64_t a_cs, const T* b, int64_t b_rs,
          int64_t b_cs, T* c, int64_t c_rs, double beta) {
  GemmArgs ga;
  ga.dtype = DtypeOf<T>::value;
  ga.batch = 1;
  ga.m = m;
  ga.n = n;
  ga.k = k;
  ga.a = reinterpret_cast<const char*>(a);
  ga.a_batch_stride = 0;
  ga.a_row_stride = a_rs;
  ga.a_col_stride = a_cs;
  ga.b = reinterpret_cast<const char*>(b);
  ga.b_batch_stride = 0;
  ga.b_row_stride = b_rs;
  ga.b_col_stride = b_cs;
  ga.c = reinterpret_cast<char*>(c);
  ga.c_batch_stride = 0;
  ga.c_row_stride = c_rs;
  ga.c_col_stride = 1;
  ga.alpha = 1;
  ga.beta = beta;
  gemm_stub.get(DeviceType::CPU, ga.dtype)(ga);
}


// EMBER_CONV_COLS=0 turns off the explicit-column path of forward_gemm (for A/B benchmarks).
inline bool explicit_cols_enabled() {
  static const bool on = [] {
    const char* e = std::getenv("EMBER_CONV_COLS");
    return !(e && e[0] == '0');
  }();
  return on;
}

// ---- packing routines for packed_gemm_kernel (PackedGemmArgs in isa.h)

struct PackCtx {
  Geometry g;
  const void* x;     // image 0, first channel of the group
  const void* gy;    // weight gradient: grad_output of image 0, first channel of the group
  int64_t x_img, gy_img;  // per-image strides (elements)
};

// A run of consecutive output positions inside one output row of one image.
struct Run {
  int64_t img, oy, ox, len, off;
};

// Split the flat positions [j0, j0 + n) (image-major, then oy, ox) into runs.
inline int64_t make_runs(const Geometry& g, int64_t j0, int64_t n, Run* runs) {
  const int64_t L = g.l();
  int64_t count = 0;
  for (int64_t j = j0; j < j0 + n;) {
    const int64_t img = j / L, l = j % L, oy = l / g.ow, ox = l % g.ow, len = std::min(g.ow - ox, j0 + n - j);
    runs[count++] = {img, oy, ox, len, j - j0};
    j += len;
  }
  return count;
}

#define EMBER_CONV_INLINE inline __attribute__((always_inline))

// out[0, n) = src[0, n) for short runs: fixed 8-element blocks (one or two vector moves each), the
// last block overlapping the previous one, instead of a scalar remainder loop.
template <class T> EMBER_CONV_INLINE void copy8(T* __restrict out, const T* __restrict src) {
  T tmp[8];
  std::memcpy(tmp, src, sizeof(tmp));
  std::memcpy(out, tmp, sizeof(tmp));
}
template <class T> EMBER_CONV_INLINE void copy_run(T* __restrict out, const T* __restrict src, int64_t n) {
  if (n < 8) {
    for (int64_t t = 0; t < n; ++t) out[t] = src[t];
    return;
  }
  int64_t t = 0;
  for (; t + 8 <= n; t += 8) copy8(out + t, src + t);
  if (t < n) copy8(out + n - 8, src + n - 8);
}

// out[t * step] = row[ix0 + t * sw] for t < len (0 where the column is outside [0, w)).
template <class T> EMBER_CONV_INLINE void gather_row(const T* row, int64_t ix0, int64_t sw, int64_t w, int64_t len,
                                                     T* out, int64_t step) {
  int64_t t0, t1;
  if (sw == 1) {  // no divisions on the common path
    t0 = std::min(len, std::max<int64_t>(0, -ix0));
    t1 = std::max(t0, std::min(len, w - ix0));
  } else {
    t0 = ix0 >= 0 ? 0 : std::min(len, (-ix0 + sw - 1) / sw);
    t1 = std::max(t0, ix0 >= w ? 0 : std::min(len, (w - 1 - ix0) / sw + 1));
  }
  for (int64_t t = 0; t < t0; ++t) out[t * step] = T(0);
  if (sw == 1 && step == 1) {
    copy_run(out + t0, row + ix0 + t0, t1 - t0);
  } else {
    for (int64_t t = t0; t < t1; ++t) out[t * step] = row[ix0 + t * sw];
  }
  for (int64_t t = t1; t < len; ++t) out[t * step] = T(0);
}

// B = im2col(x) for every image side by side: B[(c, ki, kj)][(img, oy, ox)].
template <class T>
EMBER_CONV_INLINE void pack_b_im2col_body(const void* vctx, int64_t p0, int64_t kc, int64_t j0, int64_t nr, int64_t NR, void* vdst) {
  const PackCtx& c = *static_cast<const PackCtx*>(vctx);
  const Geometry& g = c.g;
  const T* x = static_cast<const T*>(c.x);
  T* dst = static_cast<T*>(vdst);
  Run runs[64];
  const int64_t nruns = make_runs(g, j0, nr, runs);
  int64_t ch = p0 / (g.kh * g.kw), ki = p0 / g.kw % g.kh, kj = p0 % g.kw;
  for (int64_t p = 0; p < kc; ++p) {
    T* d = dst + p * NR;
    for (int64_t r = 0; r < nruns; ++r) {
      const Run& run = runs[r];
      const int64_t iy = run.oy * g.sh - g.ph + ki * g.dh;
      T* out = d + run.off;
      if (iy < 0 || iy >= g.h) {
        for (int64_t t = 0; t < run.len; ++t) out[t] = T(0);
        continue;
      }
      const T* row = x + run.img * c.x_img + (ch * g.h + iy) * g.w;
      gather_row(row, run.ox * g.sw - g.pw + kj * g.dw, g.sw, g.w, run.len, out, 1);
    }
    for (int64_t j = nr; j < NR; ++j) d[j] = T(0);
    if (++kj == g.kw) {
      kj = 0;
      if (++ki == g.kh) ki = 0, ++ch;
    }
  }
}

// Weight gradient, A = grad_output: A[o][(img, oy, ox)].
template <class T>
EMBER_CONV_INLINE void pack_a_grad_output_body(const void* vctx, int64_t i0, int64_t mr, int64_t p0, int64_t kc,
                                               int64_t MR, void* vdst) {
  const PackCtx& c = *static_cast<const PackCtx*>(vctx);
  const int64_t L = c.g.l();
  const T* gy = static_cast<const T*>(c.gy);
  T* dst = static_cast<T*>(vdst);
  for (int64_t p = p0; p < p0 + kc;) {
    const int64_t img = p / L, l = p % L, len = std::min(L - l, p0 + kc - p);
    const T* src = gy + img * c.gy_img + i0 * L + l;
    T* d = dst + (p - p0) * MR;
    // Transpose 8 positions at a time: contiguous reads per row, whole rows of MR written.
    for (int64_t t = 0; t < len; t += 8) {
      const int64_t n8 = std::min<int64_t>(8, len - t);
      T blk[8][16] = {};
      for (int64_t i = 0; i < mr; ++i) {
        const T* si = src + i * L + t;
        if (n8 == 8)
          for (int q = 0; q < 8; ++q) blk[q][i] = si[q];
        else
          for (int64_t q = 0; q < n8; ++q) blk[q][i] = si[q];
      }
      for (int64_t q = 0; q < n8; ++q) std::memcpy(d + (t + q) * MR, blk[q], size_t(MR) * sizeof(T));
    }
    p += len;
  }
}

// Weight gradient, B = im2col(x)^T: B[(img, oy, ox)][(c, ki, kj)], 8 positions at a time.
template <class T>
EMBER_CONV_INLINE void pack_b_im2col_t_body(const void* vctx, int64_t p0, int64_t kc, int64_t j0, int64_t nr,
                                            int64_t NR, void* vdst) {
  const PackCtx& c = *static_cast<const PackCtx*>(vctx);
  const Geometry& g = c.g;
  const T* x = static_cast<const T*>(c.x);
  T* dst = static_cast<T*>(vdst);
  std::vector<Run> heap;
  Run local[256];
  Run* runs = local;
  if (kc > 256) {
    heap.resize(size_t(kc));
    runs = heap.data();
  }
  const int64_t nruns = make_runs(g, p0, kc, runs);
  int64_t dy[32], dx[32], coff[32];
  {
    int64_t ch = j0 / (g.kh * g.kw), ki = j0 / g.kw % g.kh, kj = j0 % g.kw;
    for (int64_t j = 0; j < nr; ++j) {
      dy[j] = ki * g.dh - g.ph;
      dx[j] = kj * g.dw - g.pw;
      coff[j] = ch * g.h * g.w;
      if (++kj == g.kw) {
        kj = 0;
        if (++ki == g.kh) ki = 0, ++ch;
      }
    }
  }
  for (int64_t r = 0; r < nruns; ++r) {
    const Run& run = runs[r];
    const T* base = x + run.img * c.x_img;
    for (int64_t t = 0; t < run.len; t += 8) {
      const int64_t n8 = std::min<int64_t>(8, run.len - t), ox = (run.ox + t) * g.sw;
      T blk[8][32] = {};
      for (int64_t j = 0; j < nr; ++j) {
        const int64_t iy = run.oy * g.sh + dy[j];
        if (iy < 0 || iy >= g.h) continue;
        const T* row = base + coff[j] + iy * g.w;
        const int64_t ix = ox + dx[j];
        if (n8 == 8 && ix >= 0 && ix + 7 * g.sw < g.w) {
          if (g.sw == 1)
            for (int q = 0; q < 8; ++q) blk[q][j] = row[ix + q];
          else
            for (int q = 0; q < 8; ++q) blk[q][j] = row[ix + q * g.sw];
        } else {
          for (int64_t q = 0; q < n8; ++q) {
            const int64_t xq = ix + q * g.sw;
            blk[q][j] = (xq >= 0 && xq < g.w) ? row[xq] : T(0);
          }
        }
      }
      for (int64_t q = 0; q < n8; ++q) std::memcpy(dst + (run.off + t + q) * NR, blk[q], size_t(NR) * sizeof(T));
    }
  }
}

// Each packer compiled for every ISA (generic always-inline bodies in target-attributed copies),
// picked by the ISA the process selected (EMBER_CPU_ISA).
#if defined(__x86_64__) && defined(EMBER_CPU_DISPATCH)
#define EMBER_CONV_PACKER(name, Sig, args)                                                                   \
  template <class T> void name##_base Sig { name##_body<T> args; }                                           \
  template <class T> __attribute__((target("avx2,fma"))) void name##_avx2 Sig { name##_body<T> args; }       \
  template <class T> __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw"))) void name##_avx512 Sig { \
    name##_body<T> args;                                                                                     \
  }                                                                                                          \
  template <class T> auto name() {                                                                           \
    switch (selected_isa()) {                                                                                \
      case Isa::Avx512: return &name##_avx512<T>;                                                            \
      case Isa::Avx2: return &name##_avx2<T>;                                                                \
      default: return &name##_base<T>;                                                                       \
    }                                                                                                        \
  }
#else
#define EMBER_CONV_PACKER(name, Sig, args)                          \
  template <class T> void name##_base Sig { name##_body<T> args; } \
  template <class T> auto name() { return &name##_base<T>; }
#endif
#define EMBER_PACK_SIG (const void* c, int64_t a0, int64_t a1, int64_t a2, int64_t a3, int64_t a4, void* d)
EMBER_CONV_PACKER(pack_b_im2col, EMBER_PACK_SIG, (c, a0, a1, a2, a3, a4, d))
EMBER_CONV_PACKER(pack_a_grad_output, EMBER_PACK_SIG, (c, a0, a1, a2, a3, a4, d))
EMBER_CONV_PACKER(pack_b_im2col_t, EMBER_PACK_SIG, (c, a0, a1, a2, a3, a4, d))

// y = conv(x, w) for the whole batch through the implicit-im2col GEMM, one product per group.
template <class T> void forward_gemm(const Geometry& g, const T* x, const T* wt, T* y) {
  const int64_t L = g.l(), K = g.k_g();
  if (g.groups == 1 && L <= 16 && g.c_out >= 64 && explicit_cols_enabled()) {
    // Small planes (ResNet-18's 4x4 / 2x2 layers; measured: 8x8 is faster implicit): the runs are 2-4
    // elements long. Write the columns of all images once ([K][n*L]), one plain GEMM into
    // [C_out][n*L], then scatter to [n][C_out][L].
    const int64_t NL = g.n * L;
    std::vector<T> col(size_t(K * NL)), tmp(size_t(g.c_out * NL));
    parallel_for(0, g.n, 1, [&](int64_t b, int64_t e) {
      for (int64_t img = b; img < e; ++img) im2col(x + img * g.c_in * g.h * g.w, g.c_in, g, col.data() + img * L, NL);
    });
    gemm<T>(g.c_out, NL, K, wt, K, 1, col.data(), NL, 1, tmp.data(), NL, 0.0);
    parallel_for(0, g.n, 1, [&](int64_t b, int64_t e) {
      for (int64_t img = b; img < e; ++img)
        for (int64_t o = 0; o < g.c_out; ++o)
          std::memcpy(y + (img * g.c_out + o) * L, tmp.data() + o * NL + img * L, size_t(L) * sizeof(T));
    });
    return;
  }
  for (int64_t grp = 0; grp < g.groups; ++grp) {
    PackCtx ctx{g, x + grp * g.cin_g() * g.h * g.w, nullptr, g.c_in * g.h * g.w, 0};
    PackedGemmArgs pg;
    pg.dtype = DtypeOf<T>::value;
    pg.m = g.cout_g();
    pg.n = g.n * L;
    pg.k = K;
    pg.pack_a = nullptr;
    pg.a = reinterpret_cast<const char*>(wt + grp * g.cout_g() * K);
    pg.a_row_stride = K;
    pg.a_col_stride = 1;
    pg.pack_b = pack_b_im2col<T>();
    pg.ctx = &ctx;
    pg.c = reinterpret_cast<char*>(y + grp * g.cout_g() * L);
    pg.c_row_stride = L;
    pg.c_group = L;
    pg.c_group_stride = g.c_out * L;
    selected_packed_gemm()(pg);
  }
}

// ---- depthwise (one input and one output channel per group): direct loops, one plane per task

// The output columns ox with 0 <= ox * sw + ix0 < w, as [lo, hi).
inline void valid_cols(int64_t ix0, int64_t sw, int64_t w, int64_t ow, int64_t& lo, int64_t& hi) {
  lo = ix0 >= 0 ? 0 : (-ix0 + sw - 1) / sw;
  hi = ix0 >= w ? 0 : (w - 1 - ix0) / sw + 1;
  lo = std::min(lo, ow);
  hi = std::max(lo, std::min(hi, ow));
}

template <class T>
EMBER_CONV_INLINE void depthwise_forward_body(const Geometry& g, const T* x, const T* wt, T* y, int64_t b, int64_t e) {
  const int64_t C = g.c_in, hw = g.h * g.w, ohw = g.l();
    for (int64_t pl = b; pl < e; ++pl) {
      const T* xp = x + pl * hw;
      const T* wk = wt + (pl % C) * g.kh * g.kw;
      T* yp = y + pl * ohw;
      for (int64_t oy = 0; oy < g.oh; ++oy) {
        T* yr = yp + oy * g.ow;
        for (int64_t ox = 0; ox < g.ow; ++ox) yr[ox] = T(0);
        for (int64_t ki = 0; ki < g.kh; ++ki) {
          const int64_t iy = oy * g.sh - g.ph + ki * g.dh;
          if (iy < 0 || iy >= g.h) continue;
          const T* xr = xp + iy * g.w;
          for (int64_t kj = 0; kj < g.kw; ++kj) {
            const T wv = wk[ki * g.kw + kj];
            const int64_t ix0 = kj * g.dw - g.pw;
            int64_t lo, hi;
            valid_cols(ix0, g.sw, g.w, g.ow, lo, hi);
            if (g.sw == 1) {
              const T* xs = xr + ix0;
              for (int64_t ox = lo; ox < hi; ++ox) yr[ox] += wv * xs[ox];
            } else {
              for (int64_t ox = lo; ox < hi; ++ox) yr[ox] += wv * xr[ox * g.sw + ix0];
            }
          }
        }
      }
    }
}
EMBER_CONV_PACKER(depthwise_forward, (const Geometry& g, const T* x, const T* wt, T* y, int64_t b, int64_t e), (g, x, wt, y, b, e))
template <class T> void depthwise_forward(const Geometry& g, const T* x, const T* wt, T* y) {
  const int64_t C = g.c_in, ohw = g.l();
  auto run = depthwise_forward<T>();
  parallel_for(0, g.n * C, std::max<int64_t>(1, 8192 / std::max<int64_t>(ohw, 1)), [&](int64_t b, int64_t e) { run(g, x, wt, y, b, e); });
}

// Strided input gradient: scatter each grad_output row back through the window.
template <class T>
EMBER_CONV_INLINE void depthwise_backward_input_scatter_body(const Geometry& g, const T* gy, const T* wt, T* gx, int64_t b, int64_t e) {
  const int64_t C = g.c_in, hw = g.h * g.w, ohw = g.l();
    for (int64_t pl = b; pl < e; ++pl) {
      T* xp = gx + pl * hw;
      const T* wk = wt + (pl % C) * g.kh * g.kw;
      const T* yp = gy + pl * ohw;
      std::fill(xp, xp + hw, T(0));
      for (int64_t oy = 0; oy < g.oh; ++oy) {
        const T* yr = yp + oy * g.ow;
        for (int64_t ki = 0; ki < g.kh; ++ki) {
          const int64_t iy = oy * g.sh - g.ph + ki * g.dh;
          if (iy < 0 || iy >= g.h) continue;
          T* xr = xp + iy * g.w;
          for (int64_t kj = 0; kj < g.kw; ++kj) {
            const T wv = wk[ki * g.kw + kj];
            const int64_t ix0 = kj * g.dw - g.pw;
            int64_t lo, hi;
            valid_cols(ix0, g.sw, g.w, g.ow, lo, hi);
            for (int64_t ox = lo; ox < hi; ++ox) xr[ox * g.sw + ix0] += wv * yr[ox];
          }
        }
      }
    }
}
EMBER_CONV_PACKER(depthwise_backward_input_scatter, (const Geometry& g, const T* gy, const T* wt, T* gx, int64_t b, int64_t e), (g, gy, wt, gx, b, e))
template <class T> void depthwise_backward_input_scatter(const Geometry& g, const T* gy, const T* wt, T* gx) {
  const int64_t C = g.c_in, ohw = g.l();
  auto run = depthwise_backward_input_scatter<T>();
  parallel_for(0, g.n * C, std::max<int64_t>(1, 8192 / std::max<int64_t>(ohw, 1)), [&](int64_t b, int64_t e) { run(g, gy, wt, gx, b, e); });
}

// gw[c][ki][kj] = sum over images and outputs of gy * x; each channel by one task, summed in a
// fixed order (8 partial sums per tap, combined in order).
template <class T>
EMBER_CONV_INLINE void depthwise_backward_weight_body(const Geometry& g, const T* x, const T* gy, T* gw, int64_t b, int64_t e) {
  const int64_t C = g.c_in, hw = g.h * g.w, ohw = g.l(), taps = g.kh * g.kw;
    std::vector<T> part(size_t(taps * 8));
    for (int64_t ch = b; ch < e; ++ch) {
      std::fill(part.begin(), part.end(), T(0));
      for (int64_t n = 0; n < g.n; ++n) {
        const T* xp = x + (n * C + ch) * hw;
        const T* yp = gy + (n * C + ch) * ohw;
        for (int64_t oy = 0; oy < g.oh; ++oy) {
          const T* yr = yp + oy * g.ow;
          for (int64_t ki = 0; ki < g.kh; ++ki) {
            const int64_t iy = oy * g.sh - g.ph + ki * g.dh;
            if (iy < 0 || iy >= g.h) continue;
            const T* xr = xp + iy * g.w;
            for (int64_t kj = 0; kj < g.kw; ++kj) {
              const int64_t ix0 = kj * g.dw - g.pw;
              int64_t lo, hi;
              valid_cols(ix0, g.sw, g.w, g.ow, lo, hi);
              T* acc = part.data() + (ki * g.kw + kj) * 8;
              T lane[8] = {acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7]};
              int64_t ox = lo;
              if (g.sw == 1) {
                const T* xs = xr + ix0;
                for (; ox + 8 <= hi; ox += 8)
                  for (int q = 0; q < 8; ++q) lane[q] += yr[ox + q] * xs[ox + q];
              }
              for (; ox < hi; ++ox) lane[0] += yr[ox] * xr[ox * g.sw + ix0];
              for (int q = 0; q < 8; ++q) acc[q] = lane[q];
            }
          }
        }
      }
      for (int64_t t = 0; t < taps; ++t) {
        const T* acc = part.data() + t * 8;
        gw[ch * taps + t] = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
      }
    }
}
EMBER_CONV_PACKER(depthwise_backward_weight, (const Geometry& g, const T* x, const T* gy, T* gw, int64_t b, int64_t e), (g, x, gy, gw, b, e))
template <class T> void depthwise_backward_weight(const Geometry& g, const T* x, const T* gy, T* gw) {
  const int64_t C = g.c_in;
  auto run = depthwise_backward_weight<T>();
  parallel_for(0, C, 1, [&](int64_t b, int64_t e) { run(g, x, gy, gw, b, e); });
}

// The stride-1 input gradient as a forward convolution: grad_output convolved with the weights
// flipped in space and transposed per group ([C_in, C_out/groups, kh, kw]), padding d*(k-1) - p.
// Its GEMM has M = C_in/groups rows: few input channels would waste most of each register tile
// (and pack all of grad_output's columns for them), so those keep GEMM + col2im.
inline bool input_grad_as_forward(const Geometry& g) {
  return g.sh == 1 && g.sw == 1 && g.dh * (g.kh - 1) >= g.ph && g.dw * (g.kw - 1) >= g.pw &&
         (g.is_depthwise() || g.cin_g() >= 32);
}
inline Geometry transposed_geometry(const Geometry& g) {
  Geometry t = g;
  t.c_in = g.c_out;
  t.h = g.oh;
  t.w = g.ow;
  t.c_out = g.c_in;
  t.oh = g.h;
  t.ow = g.w;
  t.ph = g.dh * (g.kh - 1) - g.ph;
  t.pw = g.dw * (g.kw - 1) - g.pw;
  return t;
}
template <class T> std::vector<T> flipped_weights(const Geometry& g, const T* wt) {
  const int64_t cin_g = g.cin_g(), cout_g = g.cout_g(), taps = g.kh * g.kw;
  std::vector<T> w2(size_t(g.c_out * cin_g * taps));
  for (int64_t grp = 0; grp < g.groups; ++grp)
    for (int64_t o = 0; o < cout_g; ++o)
      for (int64_t c = 0; c < cin_g; ++c)
        for (int64_t t = 0; t < taps; ++t)
          w2[size_t(((grp * cin_g + c) * cout_g + o) * taps + (taps - 1 - t))] =
              wt[((grp * cout_g + o) * cin_g + c) * taps + t];
  return w2;
}

// ---- direct stride-1 paths (isa/conv_direct.cpp, Note [direct convolution])

// Planes [count][sh][sw] copied to [count][plane] as dh_ x dw_ grids, source at (top, left), zero
// elsewhere (and after each grid up to `plane`), plus kDirectConvSlack zeros after the last plane.
// From the caching CPU allocator: a fresh multi-MB buffer per call would page-fault every time.
template <class T> struct Padded {
  struct Free {
    size_t bytes;
    void operator()(T* p) const { get_allocator(DeviceType::CPU)->deallocate(p, bytes); }
  };
  std::unique_ptr<T, Free> buf{nullptr, Free{0}};
  int64_t plane = 0;
};
template <class T>
Padded<T> pad_planes(const T* src, int64_t count, int64_t sh, int64_t sw, int64_t dh_, int64_t dw_, int64_t top,
                     int64_t left, int64_t plane) {
  Padded<T> p;
  p.plane = plane;
  const size_t bytes = size_t(count * plane + kDirectConvSlack) * sizeof(T);
  p.buf = std::unique_ptr<T, typename Padded<T>::Free>(static_cast<T*>(get_allocator(DeviceType::CPU)->allocate(bytes)),
                                                       typename Padded<T>::Free{bytes});
  T* dst = p.buf.get();
  std::fill(dst + count * plane, dst + count * plane + kDirectConvSlack, T(0));
  const int64_t j0 = std::max<int64_t>(0, left), j1 = std::min(dw_, left + sw);
  parallel_for(0, count, std::max<int64_t>(1, 16384 / std::max<int64_t>(plane, 1)), [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; ++pl) {
      T* __restrict d = dst + pl * plane;
      const T* __restrict s0 = src + pl * sh * sw;
      // Rows are short (16-58 elements): plain loops the compiler vectorises, no library calls.
      for (int64_t r = 0; r < dh_; ++r) {
        T* __restrict row = d + r * dw_;
        const int64_t iy = r - top;
        if (iy < 0 || iy >= sh || j0 >= j1) {
          for (int64_t k = 0; k < dw_; ++k) row[k] = T(0);
          continue;
        }
        const T* __restrict srow = s0 + iy * sw - left;
        for (int64_t k = 0; k < j0; ++k) row[k] = T(0);
        for (int64_t k = j0; k < j1; ++k) row[k] = srow[k];
        for (int64_t k = j1; k < dw_; ++k) row[k] = T(0);
      }
      for (int64_t k = dh_ * dw_; k < plane; ++k) d[k] = T(0);
    }
  });
  return p;
}

// Stride 1, not 1x1 (a plain GEMM). Depthwise stride-1 convolutions run here too (groups = C). EMBER_CONV_DIRECT=0 turns the
// direct paths off (benchmarks compare the two; the tests cover both).
inline bool direct_enabled() {
  static const bool on = [] {
    const char* e = std::getenv("EMBER_CONV_DIRECT");
    return !(e && e[0] == '0');
  }();
  return on;
}
inline bool direct_ok(const Geometry& g) {
  return direct_enabled() && g.sh == 1 && g.sw == 1 && !(g.kh == 1 && g.kw == 1);
}

// Share of the positions the direct forward computes that are real outputs: it runs over flat
// padded rows in blocks of nv vectors (isa/conv_direct.cpp; AVX-512 float block sizes), computing the
// padding columns too. Small planes (4x4, 2x2 in ResNet's last stages) waste most lanes there and
// keep the GEMM, which packs several images per strip.
inline double direct_efficiency(int64_t oh, int64_t ow, int64_t wp, int64_t cout_g) {
  const int64_t nb = (cout_g + 7) / 8, mr = (cout_g + nb - 1) / nb;
  int64_t nv = std::min<int64_t>(6, 31 / (mr + 1));
  if (nv == 5) nv = 4;
  const int64_t bq = nv * 16, q = (oh - 1) * wp + ow;
  return double(oh * ow) / double((q + bq - 1) / bq * bq);
}
// The GEMM's share of useful rows in its 14-row register tiles (AVX-512).
inline double gemm_row_efficiency(int64_t rows) { return double(rows) / double((rows + 13) / 14 * 14); }
inline bool direct_wins(double eff, int64_t rows) { return eff >= 0.75 || eff > gemm_row_efficiency(rows); }
inline bool forward_direct_wins(const Geometry& g) {
  return direct_ok(g) && direct_wins(direct_efficiency(g.oh, g.ow, g.ow + (g.kw - 1) * g.dw, g.cout_g()), g.cout_g());
}

inline DirectConvArgs direct_args(const Geometry& g, Dtype dt) {
  DirectConvArgs d;
  d.dtype = dt;
  d.n = g.n;
  d.groups = g.groups;
  d.cin_g = g.cin_g();
  d.cout_g = g.cout_g();
  d.kh = g.kh;
  d.kw = g.kw;
  d.dh = g.dh;
  d.dw = g.dw;
  d.oh = g.oh;
  d.ow = g.ow;
  d.hp = g.oh + (g.kh - 1) * g.dh;
  d.wp = g.ow + (g.kw - 1) * g.dw;
  d.x_plane = d.hp * d.wp;
  d.x = d.w = d.gy = nullptr;
  d.y = d.gw = nullptr;
  d.gy_plane = 0;
  return d;
}

// y = conv(x, w): weights as [grp][c][tap][o].
template <class T> void forward_direct(const Geometry& g, const T* x, const T* wt, T* y) {
  DirectConvArgs d = direct_args(g, DtypeOf<T>::value);
  const int64_t taps = g.kh * g.kw, cin = g.cin_g(), cout = g.cout_g();
  Padded<T> xp = pad_planes(x, g.n * g.c_in, g.h, g.w, d.hp, d.wp, g.ph, g.pw, d.x_plane);
  std::vector<T> wl(size_t(g.c_out * cin * taps));
  for (int64_t grp = 0; grp < g.groups; ++grp)
    for (int64_t o = 0; o < cout; ++o)
      for (int64_t c = 0; c < cin; ++c)
        for (int64_t t = 0; t < taps; ++t)
          wl[size_t(((grp * cin + c) * taps + t) * cout + o)] = wt[((grp * cout + o) * cin + c) * taps + t];
  d.x = xp.buf.get();
  d.w = wl.data();
  d.y = y;
  selected_conv_direct_forward()(d);
}

// gx = conv(gy padded by d*(k-1) - p, w flipped and transposed per group).
inline bool input_grad_direct_ok(const Geometry& g) {
  return direct_ok(g) && g.dh * (g.kh - 1) >= g.ph && g.dw * (g.kw - 1) >= g.pw &&
         direct_wins(direct_efficiency(g.h, g.w, g.w + (g.kw - 1) * g.dw, g.cin_g()), g.cin_g());
}
// The weight gradient's positions run in whole vectors per padded plane. Measured (1 thread, AVX-512):
// the direct kernel wins up to 64 input channels per group; beyond (ResNet-18's 128-512 channel
// layers on 8x8 and smaller planes) the GEMM, whose depth spans many images, is faster.
inline bool weight_grad_direct_ok(const Geometry& g) {
  const int64_t wp = g.ow + (g.kw - 1) * g.dw;
  // Its padding columns read up to (kw-1)*dw + 15 elements past the last plane: within the slack.
  return direct_ok(g) && (g.kw == 3 || g.kw == 5) && g.cin_g() <= 64 && (g.kw - 1) * g.dw + 16 <= kDirectConvSlack &&
         double(g.oh * g.ow) / double((g.oh * wp + 15) / 16 * 16) >= 0.6;
}
template <class T> void backward_input_direct(const Geometry& g, const T* gy, const T* wt, T* gx) {
  Geometry t = g;  // the transposed problem: channels swapped, output = the input's size
  t.c_in = g.c_out;
  t.c_out = g.c_in;
  t.oh = g.h;
  t.ow = g.w;
  DirectConvArgs d = direct_args(t, DtypeOf<T>::value);
  const int64_t taps = g.kh * g.kw, cin = g.cin_g(), cout = g.cout_g();
  Padded<T> yp = pad_planes(gy, g.n * g.c_out, g.oh, g.ow, d.hp, d.wp, g.dh * (g.kh - 1) - g.ph,
                            g.dw * (g.kw - 1) - g.pw, d.x_plane);
  std::vector<T> wl(size_t(g.c_out * cin * taps));  // [grp][o][tap'][c], tap' = taps - 1 - tap
  for (int64_t grp = 0; grp < g.groups; ++grp)
    for (int64_t o = 0; o < cout; ++o)
      for (int64_t c = 0; c < cin; ++c)
        for (int64_t tp = 0; tp < taps; ++tp)
          wl[size_t(((grp * cout + o) * taps + (taps - 1 - tp)) * cin + c)] = wt[((grp * cout + o) * cin + c) * taps + tp];
  d.x = yp.buf.get();
  d.w = wl.data();
  d.y = gx;
  selected_conv_direct_forward()(d);
}

// gw = sum over images and positions of gy * shifted x; gy laid on the padded grid with zero columns.
template <class T> void backward_weight_direct(const Geometry& g, const T* x, const T* gy, T* gw) {
  DirectConvArgs d = direct_args(g, DtypeOf<T>::value);
  Padded<T> xp = pad_planes(x, g.n * g.c_in, g.h, g.w, d.hp, d.wp, g.ph, g.pw, d.x_plane);
  d.gy_plane = (g.oh * d.wp + 15) / 16 * 16;
  Padded<T> yp = pad_planes(gy, g.n * g.c_out, g.oh, g.ow, g.oh, d.wp, 0, 0, d.gy_plane);
  d.x = xp.buf.get();
  d.gy = yp.buf.get();
  d.gw = gw;
  selected_conv_direct_weight()(d);
}

// ---- Winograd F(2x2, 3x3) for 3x3, stride-1, dilation-1 float32 convolutions with one group
// (isa/conv_winograd.cpp, Note [Winograd convolution]). EMBER_CONV_WINOGRAD=0 turns it off (A/B
// benchmarks), =1 takes it for every such shape (the tests); otherwise winograd_wins picks.
inline int winograd_mode() {
  static const int mode = [] {
    const char* e = std::getenv("EMBER_CONV_WINOGRAD");
    return e && e[0] == '0' ? 0 : e && e[0] == '1' ? 1 : 2;
  }();
  return mode;
}
// (oh, ow): the planes it computes (the input's size for the input gradient), cin -> cout its
// channels (swapped for the input gradient). Measured per pass on Zen 4 (AVX-512, RESULTS.md,
// Winograd): it loses with fewer than 16 input or 32 output channels (transforms and register-tile
// padding outweigh the 2.25x fewer multiplies; the direct kernels are strong there) and with few tiles
// (the transformed weights, 16/9 the weights' size, are written and read once per call: 512 channels
// on 2x2 planes lose 3-4x).
inline bool winograd_wins(int64_t n, int64_t oh, int64_t ow, int64_t cin, int64_t cout) {
  const int64_t tiles = n * ((oh + 1) / 2) * ((ow + 1) / 2);
  return cin >= 16 && cout >= 32 && tiles >= 64 && tiles * 1024 >= cin * cout;
}
template <class T> bool winograd_ok(const Geometry& g) {
  return std::is_same_v<T, float> && winograd_mode() != 0 && g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 &&
         g.dh == 1 && g.dw == 1 && g.groups == 1;
}
inline WinogradArgs winograd_args(int64_t n, int64_t cin, int64_t cout, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                  int64_t ph, int64_t pw) {
  WinogradArgs a{};
  a.n = n, a.cin = cin, a.cout = cout, a.h = h, a.w = w, a.oh = oh, a.ow = ow, a.ph = ph, a.pw = pw;
  return a;
}
template <class T> bool forward_winograd(const Geometry& g, const T* x, const T* wt, T* y) {
  if (!winograd_ok<T>(g) || (winograd_mode() == 2 && !winograd_wins(g.n, g.oh, g.ow, g.c_in, g.c_out))) return false;
  WinogradArgs a = winograd_args(g.n, g.c_in, g.c_out, g.h, g.w, g.oh, g.ow, g.ph, g.pw);
  a.x = reinterpret_cast<const float*>(x), a.wt = reinterpret_cast<const float*>(wt), a.y = reinterpret_cast<float*>(y);
  selected_conv_winograd_forward()(a);
  return true;
}
// gx = the forward convolution of gy padded by 2 - p with the flipped, transposed weights.
template <class T> bool backward_input_winograd(const Geometry& g, const T* gy, const T* wt, T* gx) {
  if (!winograd_ok<T>(g) || (winograd_mode() == 2 && !winograd_wins(g.n, g.h, g.w, g.c_out, g.c_in))) return false;
  // w2[c][o] = w[o][c] flipped, 16 input channels per pass over the output channels, in a buffer from
  // the caching allocator (a fresh multi-MB vector per call would page-fault every time).
  const size_t bytes = size_t(g.c_out * g.c_in * 9) * sizeof(T);
  typename Padded<T>::Free free_w2{bytes};
  std::unique_ptr<T, typename Padded<T>::Free> w2(static_cast<T*>(get_allocator(DeviceType::CPU)->allocate(bytes)), free_w2);
  parallel_for(0, (g.c_in + 15) / 16, 1, [&](int64_t b, int64_t e) {
    for (int64_t c0 = b * 16; c0 < std::min(g.c_in, e * 16); c0 += 16)
      for (int64_t o = 0; o < g.c_out; ++o)
        for (int64_t c = c0; c < std::min(g.c_in, c0 + 16); ++c)
          for (int t = 0; t < 9; ++t) w2.get()[(c * g.c_out + o) * 9 + 8 - t] = wt[(o * g.c_in + c) * 9 + t];
  });
  WinogradArgs a = winograd_args(g.n, g.c_out, g.c_in, g.oh, g.ow, g.h, g.w, 2 - g.ph, 2 - g.pw);
  a.x = reinterpret_cast<const float*>(gy), a.wt = reinterpret_cast<const float*>(w2.get());
  a.y = reinterpret_cast<float*>(gx);
  selected_conv_winograd_forward()(a);
  return true;
}
template <class T> bool backward_weight_winograd(const Geometry& g, const T* x, const T* gy, T* gw) {
  if (!winograd_ok<T>(g) || (winograd_mode() == 2 && !winograd_wins(g.n, g.oh, g.ow, g.c_in, g.c_out))) return false;
  WinogradArgs a = winograd_args(g.n, g.c_in, g.c_out, g.h, g.w, g.oh, g.ow, g.ph, g.pw);
  a.x = reinterpret_cast<const float*>(x), a.gy = reinterpret_cast<const float*>(gy), a.gw = reinterpret_cast<float*>(gw);
  selected_conv_winograd_weight()(a);
  return true;
}

// ---- the three passes

template <class T> void forward(const ConvArgs& a) {
  Geometry g(a);
  const T* x = reinterpret_cast<const T*>(a.input.data);
  const T* wt = reinterpret_cast<const T*>(a.weight.data);
  T* y = reinterpret_cast<T*>(a.output.data);
  if (forward_winograd(g, x, wt, y)) return;
  if (forward_direct_wins(g)) return forward_direct(g, x, wt, y);
  if (g.is_depthwise()) return depthwise_forward(g, x, wt, y);
  if (g.kh == 1 && g.kw == 1 && g.ph == 0 && g.pw == 0 && (g.sh > 1 || g.sw > 1)) {
    // Strided 1x1: subsample the image once (contiguous rows), then a stride-1 1x1 product.
    std::vector<T> sub(size_t(g.n * g.c_in * g.l()));
    parallel_for(0, g.n * g.c_in, std::max<int64_t>(1, 16384 / std::max<int64_t>(g.l(), 1)), [&](int64_t b, int64_t e) {
      for (int64_t pl = b; pl < e; ++pl)
        for (int64_t oy = 0; oy < g.oh; ++oy) {
          const T* src = x + (pl * g.h + oy * g.sh) * g.w;
          T* dst = sub.data() + (pl * g.oh + oy) * g.ow;
          for (int64_t ox = 0; ox < g.ow; ++ox) dst[ox] = src[ox * g.sw];
        }
    });
    Geometry s1 = g;
    s1.h = g.oh;
    s1.w = g.ow;
    s1.sh = s1.sw = 1;
    return forward_gemm(s1, sub.data(), wt, y);
  }
  forward_gemm(g, x, wt, y);
}

// gx for strided convolutions whose planes are small: chunks of images whose grad_output is laid
// out [c_out][image][position], one GEMM per chunk and group, col2im per image.
template <class T> void backward_input_strided_batched(const Geometry& g, const T* gy, const T* wt, T* gx) {
  const int64_t L = g.l(), K = g.k_g(), x_img = g.c_in * g.h * g.w, y_img = g.c_out * L;
  const int64_t per = std::min(g.n, std::max<int64_t>(1, std::min<int64_t>((512 + L - 1) / L, (1 << 22) / (K * g.groups * L))));
  std::vector<T> gyt(size_t(g.c_out * per * L)), col(size_t(g.groups * K * per * L));
  for (int64_t n0 = 0; n0 < g.n; n0 += per) {
    const int64_t cn = std::min(per, g.n - n0), cols = cn * L;
    for (int64_t i = 0; i < cn; ++i)
      for (int64_t o = 0; o < g.c_out; ++o)
        std::memcpy(gyt.data() + o * cols + i * L, gy + (n0 + i) * y_img + o * L, size_t(L) * sizeof(T));
    for (int64_t grp = 0; grp < g.groups; ++grp)
      gemm<T>(K, cols, g.cout_g(), wt + grp * g.cout_g() * K, 1, K, gyt.data() + grp * g.cout_g() * cols, cols, 1,
              col.data() + grp * K * cols, cols, 0.0);
    parallel_for(0, cn, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        T* img = gx + (n0 + i) * x_img;
        std::fill(img, img + x_img, T(0));
        col2im(col.data() + i * L, g.c_in, g, img, cols);
      }
    });
  }
}

template <class T> void backward_input(const ConvArgs& a) {
  Geometry g(a);
  T* gx = reinterpret_cast<T*>(a.input.data);
  const T* wt = reinterpret_cast<const T*>(a.weight.data);
  const T* gy = reinterpret_cast<const T*>(a.output.data);
  const int64_t L = g.l(), K = g.k_g(), x_img = g.c_in * g.h * g.w, y_img = g.c_out * L;
  if (g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0) {  // 1x1: gx = W^T @ gy
    auto one = [&](int64_t n) {
      for (int64_t grp = 0; grp < g.groups; ++grp)
        gemm<T>(K, L, g.cout_g(), wt + grp * g.cout_g() * K, 1, K, gy + n * y_img + grp * g.cout_g() * L, L, 1,
                gx + n * x_img + grp * K * L, L, 0.0);
    };
    if (g.n >= get_num_threads()) parallel_for(0, g.n, 1, [&](int64_t b, int64_t e) { for (int64_t n = b; n < e; ++n) one(n); });
    else for (int64_t n = 0; n < g.n; ++n) one(n);
    return;
  }
  if (backward_input_winograd(g, gy, wt, gx)) return;
  if (input_grad_direct_ok(g)) return backward_input_direct(g, gy, wt, gx);
  if (input_grad_as_forward(g)) {
    std::vector<T> w2 = flipped_weights(g, wt);
    Geometry t = transposed_geometry(g);
    if (g.is_depthwise()) return depthwise_forward(t, gy, w2.data(), gx);
    return forward_gemm(t, gy, w2.data(), gx);
  }
  if (g.is_depthwise()) return depthwise_backward_input_scatter(g, gy, wt, gx);
  // Strided: gcol = W^T @ gy, then col2im. Small planes put several images side by side in one
  // product (ResNet-18's 4x4 -> 2x2 layers would run 4-column GEMMs per image, 8x below the
  // register tile's width).
  if (L < 256 && g.n > 1) return backward_input_strided_batched(g, gy, wt, gx);
  auto one = [&](int64_t n, std::vector<T>& col) {
    col.resize(size_t(g.c_in * g.kh * g.kw * L));
    for (int64_t grp = 0; grp < g.groups; ++grp)
      gemm<T>(K, L, g.cout_g(), wt + grp * g.cout_g() * K, 1, K, gy + n * y_img + grp * g.cout_g() * L, L, 1,
              col.data() + grp * K * L, L, 0.0);
    std::fill(gx + n * x_img, gx + (n + 1) * x_img, T(0));
    col2im(col.data(), g.c_in, g, gx + n * x_img);
  };
  if (g.n >= get_num_threads()) {
    parallel_for(0, g.n, 1, [&](int64_t b, int64_t e) {
      std::vector<T> col;
      for (int64_t n = b; n < e; ++n) one(n, col);
    });
  } else {
    std::vector<T> col;
    for (int64_t n = 0; n < g.n; ++n) one(n, col);
  }
}

template <class T> void backward_weight(const ConvArgs& a) {
  Geometry g(a);
  const T* x = reinterpret_cast<const T*>(a.input.data);
  T* gw = reinterpret_cast<T*>(a.weight.data);
  const T* gy = reinterpret_cast<const T*>(a.output.data);
  if (backward_weight_winograd(g, x, gy, gw)) return;
  if (weight_grad_direct_ok(g)) return backward_weight_direct(g, x, gy, gw);
  if (g.is_depthwise()) return depthwise_backward_weight(g, x, gy, gw);
  const int64_t L = g.l(), K = g.k_g();
  if (g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0) {
    // 1x1: the image is already the column matrix, and the plain GEMM's blocked transposes pack
    // it faster than the implicit packer. gw += gy[n] @ x[n]^T per image, in 8 fixed chunks of
    // the batch (partial sums combined in order: thread-count independent).
    const int64_t x_img = g.c_in * L, y_img = g.c_out * L, w_size = g.c_out * K;
    const int64_t chunks = std::min<int64_t>(g.n, 8), per = (g.n + chunks - 1) / chunks;
    std::vector<T> partial(size_t(chunks * w_size), T(0));
    parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
      for (int64_t ci = c0; ci < c1; ++ci)
        for (int64_t n = ci * per; n < std::min(g.n, (ci + 1) * per); ++n)
          for (int64_t grp = 0; grp < g.groups; ++grp)
            gemm<T>(g.cout_g(), K, L, gy + n * y_img + grp * g.cout_g() * L, L, 1, x + n * x_img + grp * K * L, 1, L,
                    partial.data() + ci * w_size + grp * g.cout_g() * K, K, 1.0);
    });
    std::fill(gw, gw + w_size, T(0));
    for (int64_t ci = 0; ci < chunks; ++ci)
      for (int64_t i = 0; i < w_size; ++i) gw[i] += partial[size_t(ci * w_size + i)];
    return;
  }
  // gw[grp] = gy[:, grp] @ im2col(x[:, grp])^T: the depth runs over every image and position.
  for (int64_t grp = 0; grp < g.groups; ++grp) {
    PackCtx ctx{g, x + grp * g.cin_g() * g.h * g.w, gy + grp * g.cout_g() * L, g.c_in * g.h * g.w, g.c_out * L};
    PackedGemmArgs pg;
    pg.dtype = DtypeOf<T>::value;
    pg.m = g.cout_g();
    pg.n = K;
    pg.k = g.n * L;
    pg.pack_a = pack_a_grad_output<T>();
    pg.pack_b = pack_b_im2col_t<T>();
    pg.ctx = &ctx;
    pg.c = reinterpret_cast<char*>(gw + grp * g.cout_g() * K);
    pg.c_row_stride = K;
    pg.c_group = K;
    pg.c_group_stride = 0;
    selected_packed_gemm()(pg);
  }
}

template <template <class> class Fn> void dispatch(const ConvArgs& a, const char* name) {
  switch (a.input.dtype) {
    case Dtype::Float32: return Fn<float>::run(a);
    case Dtype::Float64: return Fn<double>::run(a);
    default: EMBER_FAIL(Type, "[ember.", name, "] not implemented for dtype ", dtype_name(a.input.dtype));
  }
}
template <class T> struct Forward { static void run(const ConvArgs& a) { forward<T>(a); } };
template <class T> struct BackwardInput { static void run(const ConvArgs& a) { backward_input<T>(a); } };
template <class T> struct BackwardWeight { static void run(const ConvArgs& a) { backward_weight<T>(a); } };

}  // namespace

void conv2d_forward_kernel(const ConvArgs& a) { dispatch<Forward>(a, "conv2d"); }
void conv2d_backward_input_kernel(const ConvArgs& a) { dispatch<BackwardInput>(a, "conv2d_backward"); }
void conv2d_backward_weight_kernel(const ConvArgs& a) { dispatch<BackwardWeight>(a, "conv2d_backward"); }

namespace {
// F.unfold / F.fold reuse the conv loops above, one (image, channel) plane per task.
template <class T> void im2col_planes(const Im2colArgs& a, bool to_col) {
  const int64_t n = a.image.sizes[0], c = a.image.sizes[1], h = a.image.sizes[2], w = a.image.sizes[3];
  const int64_t oh = (h + 2 * a.padding[0] - a.dilation[0] * (a.kernel[0] - 1) - 1) / a.stride[0] + 1;
  const int64_t ow = (w + 2 * a.padding[1] - a.dilation[1] * (a.kernel[1] - 1) - 1) / a.stride[1] + 1;
  int64_t in_sizes[4] = {n, c, h, w}, w_sizes[4] = {1, c, a.kernel[0], a.kernel[1]}, out_sizes[4] = {n, 1, oh, ow};
  ConvArgs ca;
  ca.input.sizes = in_sizes;
  ca.weight.sizes = w_sizes;
  ca.output.sizes = out_sizes;
  for (int i = 0; i < 2; ++i) {
    ca.stride[i] = a.stride[i];
    ca.pad_before[i] = a.padding[i];
    ca.dilation[i] = a.dilation[i];
  }
  ca.groups = 1;
  const Geometry g(ca);
  T* img = reinterpret_cast<T*>(a.image.data);
  T* col = reinterpret_cast<T*>(a.col.data);
  const int64_t plane = h * w, rows = a.kernel[0] * a.kernel[1] * oh * ow;
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(rows + plane, 1));
  parallel_for(0, n * c, grain, [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      if (to_col) {
        im2col(img + p * plane, 1, g, col + p * rows);
      } else {
        std::fill(img + p * plane, img + (p + 1) * plane, T(0));
        col2im(col + p * rows, 1, g, img + p * plane);
      }
    }
  });
}
}  // namespace

void im2col_kernel(const Im2colArgs& a) {
  switch (a.image.dtype) {
    case Dtype::Float32: return im2col_planes<float>(a, true);
    case Dtype::Float64: return im2col_planes<double>(a, true);
    default: EMBER_FAIL(Type, "[ember.im2col] not implemented for dtype ", dtype_name(a.image.dtype));
  }
}
void col2im_kernel(const Im2colArgs& a) {
  switch (a.image.dtype) {
    case Dtype::Float32: return im2col_planes<float>(a, false);
    case Dtype::Float64: return im2col_planes<double>(a, false);
    default: EMBER_FAIL(Type, "[ember.col2im] not implemented for dtype ", dtype_name(a.image.dtype));
  }
}

}  // namespace ember::cpu
