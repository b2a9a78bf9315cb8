// Fused, numerically stable softmax / log_softmax and their backward, compiled per ISA.
// Operands are contiguous, viewed as [outer, D, inner] around a.dim (the op makes them so).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/cpu/isa.h"
#include "kernels/cpu/reduce_loop.h"

namespace ember::cpu::EMBER_ISA_NS {

namespace {
// exp(x) for float (Cephes polynomial, ~1 ulp), written so the compiler vectorises it; 0 below
// the float range (softmax over -inf masks gives exact zeros).
inline float exp_approx(float x) {
  float xc = std::fmin(std::fmax(x, -87.33f), 88.72f);
  float n = std::floor(xc * 1.44269504088896341f + 0.5f);
  float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  int32_t bits = (int32_t(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  float y = p * scale;
  return x < -87.33f ? 0.0f : (x != x ? x : y);
}
inline double exp_approx(double x) { return std::exp(x); }

template <class T> struct Shape3 {
  int64_t outer = 1, D = 1, inner = 1;
  explicit Shape3(const View& v, int64_t dim) {
    for (int64_t d = 0; d < v.ndim; ++d) {
      if (d < dim) outer *= v.sizes[d];
      else if (d > dim) inner *= v.sizes[d];
    }
    D = v.ndim ? v.sizes[dim] : 1;
  }
};

constexpr int64_t kCols = 64;

template <class T, class A> void softmax_rows(const T* x, T* y, int64_t D, bool log, A* buf) {
  A m = -INFINITY;
  for (int64_t i = 0; i < D; ++i) m = std::fmax(m, A(x[i]));
  if (std::isnan(m)) {  // any NaN: all NaN
    for (int64_t i = 0; i < D; ++i) if (x[i] != x[i]) m = A(x[i]);
  }
  if (m == -INFINITY) m = 0;  // all -inf: exp gives 0, sum 0 -> nan as in torch
  for (int64_t i = 0; i < D; ++i) buf[i] = exp_approx(A(x[i]) - m);
  A lanes[8] = {};
  int64_t i = 0;
  for (; i + 8 <= D; i += 8)
    for (int l = 0; l < 8; ++l) lanes[l] += buf[i + l];
  for (; i < D; ++i) lanes[0] += buf[i];
  A s = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  if (log) {
    A ls = m + std::log(s);
    for (int64_t j = 0; j < D; ++j) y[j] = T(A(x[j]) - ls);
  } else {
    A inv = A(1) / s;
    for (int64_t j = 0; j < D; ++j) y[j] = T(buf[j] * inv);
  }
}

// Columns [c0, c0+w) of one outer slice: strided by `inner` along D.
template <class T, class A> void softmax_cols(const T* x, T* y, int64_t D, int64_t inner, int64_t w, bool log) {
  A m[kCols], s[kCols];
  for (int64_t j = 0; j < w; ++j) m[j] = -INFINITY, s[j] = 0;
  for (int64_t i = 0; i < D; ++i)
    for (int64_t j = 0; j < w; ++j) {
      A v = A(x[i * inner + j]);
      m[j] = (v > m[j] || v != v) ? v : m[j];
    }
  for (int64_t j = 0; j < w; ++j)
    if (m[j] == -INFINITY) m[j] = 0;
  for (int64_t i = 0; i < D; ++i)
    for (int64_t j = 0; j < w; ++j) s[j] += exp_approx(A(x[i * inner + j]) - m[j]);
  if (log) {
    for (int64_t j = 0; j < w; ++j) s[j] = m[j] + std::log(s[j]);
    for (int64_t i = 0; i < D; ++i)
      for (int64_t j = 0; j < w; ++j) y[i * inner + j] = T(A(x[i * inner + j]) - s[j]);
  } else {
    for (int64_t j = 0; j < w; ++j) s[j] = A(1) / s[j];
    for (int64_t i = 0; i < D; ++i)
      for (int64_t j = 0; j < w; ++j) y[i * inner + j] = T(exp_approx(A(x[i * inner + j]) - m[j]) * s[j]);
  }
}

// grad_in = y * (g - sum(g * y)) or, for log_softmax, g - exp(y) * sum(g).
template <class T, class A>
void softmax_bwd_cols(const T* y, const T* g, T* gi, int64_t D, int64_t inner, int64_t w, bool log) {
  A s[kCols];
  for (int64_t j = 0; j < w; ++j) s[j] = 0;
  for (int64_t i = 0; i < D; ++i)
    for (int64_t j = 0; j < w; ++j) {
      int64_t k = i * inner + j;
      s[j] += log ? A(g[k]) : A(g[k]) * A(y[k]);
    }
  for (int64_t i = 0; i < D; ++i)
    for (int64_t j = 0; j < w; ++j) {
      int64_t k = i * inner + j;
      gi[k] = log ? T(A(g[k]) - exp_approx(A(y[k])) * s[j]) : T(A(y[k]) * (A(g[k]) - s[j]));
    }
}
}  // namespace

void softmax_kernel(const DimArgs& a) {
  EMBER_DISPATCH_FLOATING(a.in.dtype, a.flag ? "log_softmax" : "softmax", [&] {
    using T = scalar_t;
    using A = opmath_t<T>;
    Shape3<T> s(a.in, a.dim);
    const T* x = reinterpret_cast<const T*>(a.in.data);
    T* y = reinterpret_cast<T*>(a.out.data);
    if (s.outer * s.D * s.inner == 0) return;
    if (s.inner == 1) {
      int64_t grain = std::max<int64_t>(1, kGrainSize / (4 * s.D));
      parallel_for(0, s.outer, grain, [&](int64_t b, int64_t e) {
        std::vector<A> buf(size_t(s.D));
        for (int64_t o = b; o < e; ++o) softmax_rows<T, A>(x + o * s.D, y + o * s.D, s.D, a.flag, buf.data());
      });
      return;
    }
    int64_t nchunks = (s.inner + kCols - 1) / kCols;
    int64_t grain = std::max<int64_t>(1, kGrainSize / (4 * s.D * kCols));
    parallel_for(0, s.outer * nchunks, grain, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        int64_t o = t / nchunks, c0 = (t % nchunks) * kCols, w = std::min(kCols, s.inner - c0);
        int64_t off = o * s.D * s.inner + c0;
        softmax_cols<T, A>(x + off, y + off, s.D, s.inner, w, a.flag);
      }
    });
  });
}

void softmax_backward_kernel(const DimArgs& a) {
  EMBER_DISPATCH_FLOATING(a.in.dtype, a.flag ? "log_softmax_backward" : "softmax_backward", [&] {
    using T = scalar_t;
    using A = opmath_t<T>;
    Shape3<T> s(a.in, a.dim);
    const T* y = reinterpret_cast<const T*>(a.in.data);
    const T* g = reinterpret_cast<const T*>(a.grad.data);
    T* gi = reinterpret_cast<T*>(a.out.data);
    if (s.outer * s.D * s.inner == 0) return;
    int64_t w = std::min(kCols, s.inner), nchunks = (s.inner + kCols - 1) / kCols;
    int64_t grain = std::max<int64_t>(1, kGrainSize / (4 * s.D * w));
    parallel_for(0, s.outer * nchunks, grain, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        int64_t o = t / nchunks, c0 = (t % nchunks) * kCols, cw = std::min(kCols, s.inner - c0);
        int64_t off = o * s.D * s.inner + c0;
        softmax_bwd_cols<T, A>(y + off, g + off, gi + off, s.D, s.inner, cw, a.flag);
      }
    });
  });
}

}  // namespace ember::cpu::EMBER_ISA_NS
