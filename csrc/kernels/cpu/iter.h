#pragma once
// The strided loop engine (PyTorch's TensorIterator, trimmed). Given views of identical sizes
// (broadcast dims carry stride 0), it drops size-1 dims, orders dims by the output's strides,
// merges dims that are contiguous in every operand, and walks the result as a 1-D inner loop over
// outer positions, split across threads when the element count passes the grain size.
// Kernel authors write a scalar functor and call `elementwise<Out, In...>(loop, f)`.
#include <cstdlib>
#include <cstring>
#include <tuple>
#include <utility>

#include "core/check.h"
#include "core/parallel.h"
#include "dispatch/kernels.h"

namespace ember::cpu {

constexpr int kMaxIterDims = 25;
constexpr int kMaxOperands = 4;

struct StridedLoop {
  int ndim = 0;
  int nops = 0;
  int64_t numel = 1;
  int64_t sizes[kMaxIterDims];                 // innermost first
  int64_t strides[kMaxOperands][kMaxIterDims];  // bytes, innermost first
  char* base[kMaxOperands];

  StridedLoop(std::initializer_list<const View*> views) {
    nops = int(views.size());
    const View* v0 = *views.begin();
    numel = v0->numel();
    EMBER_CHECK(v0->ndim <= kMaxIterDims, Runtime, "[ember] tensors with more than ", kMaxIterDims,
                " dims are not supported by elementwise kernels, got ", v0->ndim);
    int op = 0;
    for (const View* v : views) base[op++] = v->data;
    // Innermost first, dropping size-1 dims.
    for (int64_t d = v0->ndim - 1; d >= 0; --d) {
      if (v0->sizes[d] == 1) continue;
      sizes[ndim] = v0->sizes[d];
      op = 0;
      for (const View* v : views) {
        strides[op][ndim] = v->strides[d] * int64_t(itemsize(v->dtype));
        ++op;
      }
      ++ndim;
    }
    reorder();
    coalesce();
  }

  // Insertion sort of dims by |stride| of operand 0 (then the others), smallest innermost.
  void reorder() {
    auto less = [&](int a, int b) {
      for (int op = 0; op < nops; ++op) {
        int64_t sa = std::abs(strides[op][a]), sb = std::abs(strides[op][b]);
        if (sa == 0 || sb == 0) continue;  // broadcast operands do not decide
        if (sa != sb) return sa < sb;
      }
      return false;
    };
    for (int i = 1; i < ndim; ++i)
      for (int j = i; j > 0 && less(j, j - 1); --j) swap_dims(j, j - 1);
  }

  void swap_dims(int a, int b) {
    std::swap(sizes[a], sizes[b]);
    for (int op = 0; op < nops; ++op) std::swap(strides[op][a], strides[op][b]);
  }

  void coalesce() {
    if (ndim <= 1) return;
    int out = 0;
    for (int d = 1; d < ndim; ++d) {
      bool can = true;
      for (int op = 0; op < nops && can; ++op) can = strides[op][d] == strides[op][out] * sizes[out];
      if (can) {
        sizes[out] *= sizes[d];
      } else {
        ++out;
        sizes[out] = sizes[d];
        for (int op = 0; op < nops; ++op) strides[op][out] = strides[op][d];
      }
    }
    ndim = out + 1;
  }

  int64_t inner_size() const { return ndim ? sizes[0] : 1; }

  // loop(char** ptrs, const int64_t* inner_strides, int64_t n) over every inner run in [begin, end).
  template <class Loop> void run_range(int64_t begin, int64_t end, const Loop& loop) const {
    char* ptrs[kMaxOperands];
    int64_t inner_strides[kMaxOperands];
    for (int op = 0; op < nops; ++op) inner_strides[op] = ndim ? strides[op][0] : 0;
    if (ndim == 0) {
      for (int op = 0; op < nops; ++op) ptrs[op] = base[op];
      if (begin < end) loop(ptrs, inner_strides, int64_t(1));
      return;
    }
    int64_t idx[kMaxIterDims];
    int64_t rem = begin;
    for (int d = 0; d < ndim; ++d) {
      idx[d] = rem % sizes[d];
      rem /= sizes[d];
    }
    int64_t pos = begin;
    while (pos < end) {
      for (int op = 0; op < nops; ++op) {
        char* p = base[op];
        for (int d = 0; d < ndim; ++d) p += idx[d] * strides[op][d];
        ptrs[op] = p;
      }
      int64_t n = std::min(sizes[0] - idx[0], end - pos);
      loop(ptrs, inner_strides, n);
      pos += n;
      idx[0] += n;
      for (int d = 0; d < ndim - 1 && idx[d] == sizes[d]; ++d) {
        idx[d] = 0;
        ++idx[d + 1];
      }
    }
  }

  template <class Loop> void for_each(const Loop& loop, int64_t grain = kGrainSize) const {
    parallel_for(0, numel, grain, [&](int64_t b, int64_t e) { run_range(b, e, loop); });
  }
};

// ---- the functor loop: fast paths for all-contiguous and for one stride-0 (scalar) input.
namespace detail {
template <class Out, class... In, class F, size_t... I>
inline void elementwise_run(char** p, const int64_t* s, int64_t n, const F& f, std::index_sequence<I...>) {
  Out* out = reinterpret_cast<Out*>(p[0]);
  bool contiguous = s[0] == int64_t(sizeof(Out)) && ((s[I + 1] == int64_t(sizeof(In))) && ...);
  if (contiguous) {
    std::tuple<const In*...> in{reinterpret_cast<const In*>(p[I + 1])...};
    for (int64_t i = 0; i < n; ++i) out[i] = f(std::get<I>(in)[i]...);
    return;
  }
  if constexpr (sizeof...(In) == 2) {
    using A = std::tuple_element_t<0, std::tuple<In...>>;
    using B = std::tuple_element_t<1, std::tuple<In...>>;
    if (s[0] == int64_t(sizeof(Out)) && s[1] == int64_t(sizeof(A)) && s[2] == 0) {
      const A* a = reinterpret_cast<const A*>(p[1]);
      const B b = *reinterpret_cast<const B*>(p[2]);
      for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], b);
      return;
    }
    if (s[0] == int64_t(sizeof(Out)) && s[1] == 0 && s[2] == int64_t(sizeof(B))) {
      const A a = *reinterpret_cast<const A*>(p[1]);
      const B* b = reinterpret_cast<const B*>(p[2]);
      for (int64_t i = 0; i < n; ++i) out[i] = f(a, b[i]);
      return;
    }
  }
  for (int64_t i = 0; i < n; ++i)
    *reinterpret_cast<Out*>(p[0] + i * s[0]) = f(*reinterpret_cast<const In*>(p[I + 1] + i * s[I + 1])...);
}
}  // namespace detail

// out[i] = f(in0[i], in1[i], ...) over a StridedLoop whose operand 0 is the output.
template <class Out, class... In, class F> void elementwise(const StridedLoop& loop, const F& f) {
  loop.for_each([&](char** p, const int64_t* s, int64_t n) {
    detail::elementwise_run<Out, In...>(p, s, n, f, std::index_sequence_for<In...>{});
  });
}

}  // namespace ember::cpu

// ---- dtype dispatch: run a lambda with `scalar_t` bound to the C++ type of `dtype`.
#define EMBER_DISPATCH_CASE(T, name, ...) \
  case ::ember::Dtype::name: {            \
    using scalar_t = T;                   \
    return __VA_ARGS__();                 \
  }
#define EMBER_DISPATCH_DEFAULT(dtype, opname) \
  default:                                    \
    EMBER_FAIL(Type, "[ember.", opname, "] not implemented for dtype ", ::ember::dtype_name(dtype));

#define EMBER_DISPATCH_FLOATING(dtype, opname, ...)                       \
  [&] {                                                                   \
    switch (dtype) {                                                      \
      EMBER_DISPATCH_CASE(float, Float32, __VA_ARGS__)                    \
      EMBER_DISPATCH_CASE(double, Float64, __VA_ARGS__)                   \
      EMBER_DISPATCH_CASE(::ember::Half, Float16, __VA_ARGS__)            \
      EMBER_DISPATCH_CASE(::ember::BFloat16, BFloat16, __VA_ARGS__)       \
      EMBER_DISPATCH_DEFAULT(dtype, opname)                               \
    }                                                                     \
  }()

#define EMBER_DISPATCH_INTEGRAL_CASES(...)                 \
  EMBER_DISPATCH_CASE(uint8_t, UInt8, __VA_ARGS__)         \
  EMBER_DISPATCH_CASE(int8_t, Int8, __VA_ARGS__)           \
  EMBER_DISPATCH_CASE(int16_t, Int16, __VA_ARGS__)         \
  EMBER_DISPATCH_CASE(int32_t, Int32, __VA_ARGS__)         \
  EMBER_DISPATCH_CASE(int64_t, Int64, __VA_ARGS__)

// Every dtype but bool.
#define EMBER_DISPATCH_NUMERIC(dtype, opname, ...)                        \
  [&] {                                                                   \
    switch (dtype) {                                                      \
      EMBER_DISPATCH_CASE(float, Float32, __VA_ARGS__)                    \
      EMBER_DISPATCH_CASE(double, Float64, __VA_ARGS__)                   \
      EMBER_DISPATCH_CASE(::ember::Half, Float16, __VA_ARGS__)            \
      EMBER_DISPATCH_CASE(::ember::BFloat16, BFloat16, __VA_ARGS__)       \
      EMBER_DISPATCH_INTEGRAL_CASES(__VA_ARGS__)                          \
      EMBER_DISPATCH_DEFAULT(dtype, opname)                               \
    }                                                                     \
  }()

#define EMBER_DISPATCH_ALL(dtype, opname, ...)                            \
  [&] {                                                                   \
    switch (dtype) {                                                      \
      EMBER_DISPATCH_CASE(float, Float32, __VA_ARGS__)                    \
      EMBER_DISPATCH_CASE(double, Float64, __VA_ARGS__)                   \
      EMBER_DISPATCH_CASE(::ember::Half, Float16, __VA_ARGS__)            \
      EMBER_DISPATCH_CASE(::ember::BFloat16, BFloat16, __VA_ARGS__)       \
      EMBER_DISPATCH_INTEGRAL_CASES(__VA_ARGS__)                          \
      EMBER_DISPATCH_CASE(bool, Bool, __VA_ARGS__)                        \
    }                                                                     \
    EMBER_FAIL(Type, "[ember.", opname, "] unknown dtype");               \
  }()
