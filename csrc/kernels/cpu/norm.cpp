// Layer and batch normalisation: fused forward and backward. Statistics accumulate in double for
// float inputs (two-pass mean/variance), each row/channel by one thread: thread-count independent.
#include <cmath>

#include "core/parallel.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/iter.h"
#include "kernels/cpu/kernels.h"

namespace ember::cpu {
namespace {

template <class T> const T* cptr(const View& v) { return v.data ? reinterpret_cast<const T*>(v.data) : nullptr; }
template <class T> T* ptr(const View& v) { return v.data ? reinterpret_cast<T*>(v.data) : nullptr; }

template <class T> void layer_norm_forward(const NormArgs& a) {
  const int64_t rows = a.x.sizes[0], d = a.x.sizes[1];
  const T *x = cptr<T>(a.x), *w = cptr<T>(a.weight), *b = cptr<T>(a.bias);
  T *y = ptr<T>(a.y), *mean = ptr<T>(a.mean), *rstd = ptr<T>(a.rstd);
  parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(d, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* xr = x + r * d;
      double s = 0;
      for (int64_t i = 0; i < d; ++i) s += double(xr[i]);
      const double m = d ? s / double(d) : 0.0;
      double v = 0;
      for (int64_t i = 0; i < d; ++i) {
        double c = double(xr[i]) - m;
        v += c * c;
      }
      const double inv = 1.0 / std::sqrt((d ? v / double(d) : 0.0) + a.eps);
      const T tm = T(m), ti = T(inv);
      T* yr = y + r * d;
      for (int64_t i = 0; i < d; ++i) {
        T h = (xr[i] - tm) * ti;
        yr[i] = w ? (b ? h * w[i] + b[i] : h * w[i]) : (b ? h + b[i] : h);
      }
      mean[r] = tm;
      rstd[r] = ti;
    }
  });
}

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * w.
template <class T> void layer_norm_backward(const NormArgs& a) {
  const int64_t rows = a.x.sizes[0], d = a.x.sizes[1];
  const T *x = cptr<T>(a.x), *w = cptr<T>(a.weight), *dy = cptr<T>(a.dy), *mean = cptr<T>(a.mean),
          *rstd = cptr<T>(a.rstd);
  T* dx = ptr<T>(a.dx);
  parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(d, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T *xr = x + r * d, *dyr = dy + r * d;
      const double m = double(mean[r]), inv = double(rstd[r]);
      double sg = 0, sgx = 0;
      for (int64_t i = 0; i < d; ++i) {
        double g = double(dyr[i]) * (w ? double(w[i]) : 1.0);
        sg += g;
        sgx += g * (double(xr[i]) - m) * inv;
      }
      const T mg = T(sg / double(d)), mgx = T(sgx / double(d)), ti = T(inv), tm = T(m);
      T* dxr = dx + r * d;
      for (int64_t i = 0; i < d; ++i) {
        T g = w ? dyr[i] * w[i] : dyr[i];
        dxr[i] = ti * (g - mg - (xr[i] - tm) * ti * mgx);
      }
    }
  });
}

// ---- batch_norm. Per channel: statistics over 16 fixed lanes accumulated in double (vectorised,
// summed in a fixed order, so thread-count independent), one task per channel. The channel loops
// are compiled for the ISA the process selected (EMBER_CPU_ISA): generic always-inline bodies
// called from target-attributed copies.
#define EMBER_NORM_INLINE inline __attribute__((always_inline))
constexpr int kLanes = 16;

template <class T> EMBER_NORM_INLINE void lanes_add(double* acc, const T* x, int64_t n, double shift, bool square) {
  int64_t i = 0;
  if (square) {
    for (; i + kLanes <= n; i += kLanes)
      for (int q = 0; q < kLanes; ++q) {
        const double d = double(x[i + q]) - shift;
        acc[q] += d * d;
      }
    for (; i < n; ++i) {
      const double d = double(x[i]) - shift;
      acc[i % kLanes] += d * d;
    }
  } else {
    for (; i + kLanes <= n; i += kLanes)
      for (int q = 0; q < kLanes; ++q) acc[q] += double(x[i + q]);
    for (; i < n; ++i) acc[i % kLanes] += double(x[i]);
  }
}

EMBER_NORM_INLINE double lanes_total(const double* acc) {
  double s[kLanes / 2];
  for (int q = 0; q < kLanes / 2; ++q) s[q] = acc[q] + acc[q + kLanes / 2];
  return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
}

template <class T> struct BnChannel {
  const T* x;
  const T* dy;
  T* out;
  int64_t n, c, s, ch;
};

// Training statistics of one channel: mean and 1/sqrt(var + eps) (two passes: mean, then deviations).
template <class T> EMBER_NORM_INLINE void bn_stats(const BnChannel<T>& b, double eps, T* mean, T* rstd) {
  double acc[kLanes] = {};
  for (int64_t i = 0; i < b.n; ++i) lanes_add(acc, b.x + (i * b.c + b.ch) * b.s, b.s, 0.0, false);
  const double count = double(b.n * b.s), m = lanes_total(acc) / count;
  double acc2[kLanes] = {};
  for (int64_t i = 0; i < b.n; ++i) lanes_add(acc2, b.x + (i * b.c + b.ch) * b.s, b.s, m, true);
  *mean = T(m);
  *rstd = T(1.0 / std::sqrt(lanes_total(acc2) / count + eps));
}

template <class T> EMBER_NORM_INLINE void bn_affine(const BnChannel<T>& b, T scale, T shift) {
  for (int64_t i = 0; i < b.n; ++i) {
    const T* xr = b.x + (i * b.c + b.ch) * b.s;
    T* yr = b.out + (i * b.c + b.ch) * b.s;
    for (int64_t j = 0; j < b.s; ++j) yr[j] = xr[j] * scale + shift;
  }
}

// sum(dy) and sum(dy * (x - m)) of one channel.
template <class T> EMBER_NORM_INLINE void bn_grad_sums(const BnChannel<T>& b, double m, double& sdy, double& sdyx) {
  double a1[kLanes] = {}, a2[kLanes] = {};
  for (int64_t i = 0; i < b.n; ++i) {
    const T* xr = b.x + (i * b.c + b.ch) * b.s;
    const T* gr = b.dy + (i * b.c + b.ch) * b.s;
    int64_t j = 0;
    for (; j + kLanes <= b.s; j += kLanes)
      for (int q = 0; q < kLanes; ++q) {
        const double g = double(gr[j + q]);
        a1[q] += g;
        a2[q] += g * (double(xr[j + q]) - m);
      }
    for (; j < b.s; ++j) {
      const double g = double(gr[j]);
      a1[j % kLanes] += g;
      a2[j % kLanes] += g * (double(xr[j]) - m);
    }
  }
  sdy = lanes_total(a1);
  sdyx = lanes_total(a2);
}

// Training: dx = k1 * (dy - mdy - (x - m) * k2).
template <class T> EMBER_NORM_INLINE void bn_grad_input(const BnChannel<T>& b, T k1, T mdy, T k2, T m) {
  for (int64_t i = 0; i < b.n; ++i) {
    const T* xr = b.x + (i * b.c + b.ch) * b.s;
    const T* gr = b.dy + (i * b.c + b.ch) * b.s;
    T* dr = b.out + (i * b.c + b.ch) * b.s;
    for (int64_t j = 0; j < b.s; ++j) dr[j] = k1 * (gr[j] - mdy - (xr[j] - m) * k2);
  }
}

template <class T> EMBER_NORM_INLINE void bn_forward_channels(const NormArgs& a, int64_t c0, int64_t c1) {
  const int64_t n = a.x.sizes[0], c = a.x.sizes[1], s = a.x.sizes[2];
  const T *w = cptr<T>(a.weight), *bias = cptr<T>(a.bias);
  T *mean = ptr<T>(a.mean), *rstd = ptr<T>(a.rstd);
  for (int64_t ch = c0; ch < c1; ++ch) {
    BnChannel<T> b{cptr<T>(a.x), nullptr, ptr<T>(a.y), n, c, s, ch};
    if (a.training) bn_stats(b, a.eps, mean + ch, rstd + ch);
    const T scale = rstd[ch] * (w ? w[ch] : T(1)), shift = (bias ? bias[ch] : T(0)) - mean[ch] * scale;
    bn_affine(b, scale, shift);
  }
}

template <class T> EMBER_NORM_INLINE void bn_backward_channels(const NormArgs& a, int64_t c0, int64_t c1) {
  const int64_t n = a.x.sizes[0], c = a.x.sizes[1], s = a.x.sizes[2];
  const T *w = cptr<T>(a.weight), *mean = cptr<T>(a.mean), *rstd = cptr<T>(a.rstd);
  T *dw = ptr<T>(a.dweight), *db = ptr<T>(a.dbias);
  for (int64_t ch = c0; ch < c1; ++ch) {
    BnChannel<T> b{cptr<T>(a.x), cptr<T>(a.dy), ptr<T>(a.dx), n, c, s, ch};
    const double m = double(mean[ch]), inv = double(rstd[ch]);
    double sdy = 0, sdyx = 0;
    if (dw || db || a.training) bn_grad_sums(b, m, sdy, sdyx);
    if (dw) dw[ch] = T(sdyx * inv);
    if (db) db[ch] = T(sdy);
    if (!b.out) continue;
    const double wc = w ? double(w[ch]) : 1.0, count = double(n * s);
    if (a.training)  // dx = w * rstd * (dy - mean(dy) - xhat * mean(dy * xhat))
      bn_grad_input(b, T(wc * inv), T(sdy / count), T(sdyx * inv * inv / count), T(m));
    else
      for (int64_t i = 0; i < n; ++i) {
        const T k1 = T(wc * inv), *gr = b.dy + (i * c + ch) * s;
        T* dr = b.out + (i * c + ch) * s;
        for (int64_t j = 0; j < s; ++j) dr[j] = k1 * gr[j];
      }
  }
}

#define EMBER_NORM_TARGET_COPIES(name, body)                                                                  \
  template <class T> void name##_base(const NormArgs& a, int64_t c0, int64_t c1) { body<T>(a, c0, c1); }      \
  template <class T> __attribute__((target("avx2,fma"))) void name##_avx2(const NormArgs& a, int64_t c0,      \
                                                                           int64_t c1) {                       \
    body<T>(a, c0, c1);                                                                                        \
  }                                                                                                            \
  template <class T> __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw"))) void name##_avx512(        \
      const NormArgs& a, int64_t c0, int64_t c1) {                                                             \
    body<T>(a, c0, c1);                                                                                        \
  }                                                                                                            \
  template <class T> void name(const NormArgs& a, int64_t c0, int64_t c1) {                                   \
    switch (selected_isa()) {                                                                                  \
      case Isa::Avx512: return name##_avx512<T>(a, c0, c1);                                                   \
      case Isa::Avx2: return name##_avx2<T>(a, c0, c1);                                                       \
      default: return name##_base<T>(a, c0, c1);                                                               \
    }                                                                                                          \
  }

#if defined(__x86_64__) && defined(EMBER_CPU_DISPATCH)
EMBER_NORM_TARGET_COPIES(bn_forward_run, bn_forward_channels)
EMBER_NORM_TARGET_COPIES(bn_backward_run, bn_backward_channels)
#else
template <class T> void bn_forward_run(const NormArgs& a, int64_t c0, int64_t c1) { bn_forward_channels<T>(a, c0, c1); }
template <class T> void bn_backward_run(const NormArgs& a, int64_t c0, int64_t c1) { bn_backward_channels<T>(a, c0, c1); }
#endif

// x: [N, C, S]. Training: batch statistics into mean/rstd; eval: mean/rstd are given.
template <class T> void batch_norm_forward(const NormArgs& a) {
  parallel_for(0, a.x.sizes[1], 1, [&](int64_t c0, int64_t c1) { bn_forward_run<T>(a, c0, c1); });
}

template <class T> void batch_norm_backward(const NormArgs& a) {
  parallel_for(0, a.x.sizes[1], 1, [&](int64_t c0, int64_t c1) { bn_backward_run<T>(a, c0, c1); });
}

template <class F> void float_dispatch(Dtype d, const char* name, F f) {
  switch (d) {
    case Dtype::Float32: return f(float());
    case Dtype::Float64: return f(double());
    default: EMBER_FAIL(Type, "[ember.", name, "] not implemented for dtype ", dtype_name(d));
  }
}

}  // namespace

void layer_norm_forward_kernel(const NormArgs& a) {
  float_dispatch(a.x.dtype, "layer_norm", [&](auto t) { layer_norm_forward<decltype(t)>(a); });
}
void layer_norm_backward_kernel(const NormArgs& a) {
  float_dispatch(a.x.dtype, "layer_norm_backward", [&](auto t) { layer_norm_backward<decltype(t)>(a); });
}
void batch_norm_forward_kernel(const NormArgs& a) {
  float_dispatch(a.x.dtype, "batch_norm", [&](auto t) { batch_norm_forward<decltype(t)>(a); });
}
void batch_norm_backward_kernel(const NormArgs& a) {
  float_dispatch(a.x.dtype, "batch_norm_backward", [&](auto t) { batch_norm_backward<decltype(t)>(a); });
}

}  // namespace ember::cpu
