// Layer and batch normalisation: fused forward and backward. Statistics accumulate in double for
// float inputs (two-pass mean/variance), each row/channel by one thread: thread-count independent.
#include <cmath>

#include "core/parallel.h"
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

// x: [N, C, S]. Training: batch statistics into mean/rstd; eval: mean/rstd are given.
template <class T> void batch_norm_forward(const NormArgs& a) {
  const int64_t n = a.x.sizes[0], c = a.x.sizes[1], s = a.x.sizes[2];
  const T *x = cptr<T>(a.x), *w = cptr<T>(a.weight), *b = cptr<T>(a.bias);
  T *y = ptr<T>(a.y), *mean = ptr<T>(a.mean), *rstd = ptr<T>(a.rstd);
  parallel_for(0, c, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t ch = c0; ch < c1; ++ch) {
      if (a.training) {
        double sum = 0;
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < s; ++j) sum += double(x[(i * c + ch) * s + j]);
        const double count = double(n * s), m = sum / count;
        double v = 0;
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < s; ++j) {
            double d = double(x[(i * c + ch) * s + j]) - m;
            v += d * d;
          }
        mean[ch] = T(m);
        rstd[ch] = T(1.0 / std::sqrt(v / count + a.eps));
      }
      const T scale = rstd[ch] * (w ? w[ch] : T(1)), shift = (b ? b[ch] : T(0)) - mean[ch] * scale;
      for (int64_t i = 0; i < n; ++i) {
        const T* xr = x + (i * c + ch) * s;
        T* yr = y + (i * c + ch) * s;
        for (int64_t j = 0; j < s; ++j) yr[j] = xr[j] * scale + shift;
      }
    }
  });
}

template <class T> void batch_norm_backward(const NormArgs& a) {
  const int64_t n = a.x.sizes[0], c = a.x.sizes[1], s = a.x.sizes[2];
  const T *x = cptr<T>(a.x), *w = cptr<T>(a.weight), *dy = cptr<T>(a.dy), *mean = cptr<T>(a.mean),
          *rstd = cptr<T>(a.rstd);
  T *dx = ptr<T>(a.dx), *dw = ptr<T>(a.dweight), *db = ptr<T>(a.dbias);
  parallel_for(0, c, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t ch = c0; ch < c1; ++ch) {
      const double m = double(mean[ch]), inv = double(rstd[ch]);
      double sdy = 0, sdyx = 0;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < s; ++j) {
          const int64_t k = (i * c + ch) * s + j;
          sdy += double(dy[k]);
          sdyx += double(dy[k]) * (double(x[k]) - m);
        }
      if (dw) dw[ch] = T(sdyx * inv);
      if (db) db[ch] = T(sdy);
      if (!dx) continue;
      const double wc = w ? double(w[ch]) : 1.0, count = double(n * s);
      if (a.training) {  // dx = w * rstd * (dy - mean(dy) - xhat * mean(dy * xhat))
        const T k1 = T(wc * inv), mdy = T(sdy / count), k2 = T(sdyx * inv * inv / count), tm = T(m);
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < s; ++j) {
            const int64_t k = (i * c + ch) * s + j;
            dx[k] = k1 * (dy[k] - mdy - (x[k] - tm) * k2);
          }
      } else {
        const T k1 = T(wc * inv);
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < s; ++j) dx[(i * c + ch) * s + j] = k1 * dy[(i * c + ch) * s + j];
      }
    }
  });
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
