// Fused, numerically stable softmax / log_softmax and their backward, compiled per ISA.
// Operands are contiguous, viewed as [outer, D, inner] around a.dim (the op makes them so).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/cpu/isa.h"
#include "kernels/cpu/isa/exp_fast.h"
#include "kernels/cpu/reduce_loop.h"

namespace ember::cpu::EMBER_ISA_NS {

namespace {

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
  constexpr int L = 16;
  A lanes[L];
  for (int l = 0; l < L; ++l) lanes[l] = -INFINITY;
  int64_t i = 0;
  for (; i + L <= D; i += L)
    for (int l = 0; l < L; ++l) {
      A v = A(x[i + l]);
      lanes[l] = v > lanes[l] ? v : lanes[l];
    }
  for (; i < D; ++i) {
    A v = A(x[i]);
    lanes[0] = v > lanes[0] ? v : lanes[0];
  }
  A m = lanes[0];
  for (int l = 1; l < L; ++l) m = lanes[l] > m ? lanes[l] : m;
  if (m == -INFINITY) m = 0;  // all -inf (or NaN): the sum below gives the NaN / -inf torch gives
  for (int64_t j = 0; j < D; ++j) buf[j] = exp_fast(A(x[j]) - m);
  for (int l = 0; l < L; ++l) lanes[l] = 0;
  for (i = 0; i + L <= D; i += L)
    for (int l = 0; l < L; ++l) lanes[l] += buf[i + l];
  for (; i < D; ++i) lanes[0] += buf[i];
  for (int w = L / 2; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l) lanes[l] += lanes[l + w];
  A s = lanes[0];
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
    for (int64_t j = 0; j < w; ++j) s[j] += exp_fast(A(x[i * inner + j]) - m[j]);
  if (log) {
    for (int64_t j = 0; j < w; ++j) s[j] = m[j] + std::log(s[j]);
    for (int64_t i = 0; i < D; ++i)
      for (int64_t j = 0; j < w; ++j) y[i * inner + j] = T(A(x[i * inner + j]) - s[j]);
  } else {
    for (int64_t j = 0; j < w; ++j) s[j] = A(1) / s[j];
    for (int64_t i = 0; i < D; ++i)
      for (int64_t j = 0; j < w; ++j) y[i * inner + j] = T(exp_fast(A(x[i * inner + j]) - m[j]) * s[j]);
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
      gi[k] = log ? T(A(g[k]) - exp_fast(A(y[k])) * s[j]) : T(A(y[k]) * (A(g[k]) - s[j]));
    }
}
template <class T, class A> void softmax_bwd_row(const T* y, const T* g, T* gi, int64_t D, bool log) {
  constexpr int L = 16;
  A lanes[L] = {};
  int64_t i = 0;
  for (; i + L <= D; i += L)
    for (int l = 0; l < L; ++l) lanes[l] += log ? A(g[i + l]) : A(g[i + l]) * A(y[i + l]);
  for (; i < D; ++i) lanes[0] += log ? A(g[i]) : A(g[i]) * A(y[i]);
  for (int w = L / 2; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l) lanes[l] += lanes[l + w];
  A s = lanes[0];
  if (log)
    for (int64_t j = 0; j < D; ++j) gi[j] = T(A(g[j]) - exp_fast(A(y[j])) * s);
  else
    for (int64_t j = 0; j < D; ++j) gi[j] = T(A(y[j]) * (A(g[j]) - s));
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
    if (s.inner == 1) {
      int64_t grain = std::max<int64_t>(1, kGrainSize / (4 * s.D));
      parallel_for(0, s.outer, grain, [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; ++o) softmax_bwd_row<T, A>(y + o * s.D, g + o * s.D, gi + o * s.D, s.D, a.flag);
      });
      return;
    }
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
