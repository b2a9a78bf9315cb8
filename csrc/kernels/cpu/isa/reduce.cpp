// Reduction and scan kernels, compiled per ISA. Deterministic: see Note [fixed reduction blocking]
// in kernels/cpu/reduce_loop.h.
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/cpu/cast.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/reduce_loop.h"

namespace ember::cpu::EMBER_ISA_NS {

namespace {
constexpr int kLanes = 32;

// Sum (of squares when kSquare) of n strided values with kLanes independent accumulators
// (vectorises; fixed order).
template <bool kSquare, class in_t, class acc_t> acc_t strided_sum(const in_t* p, int64_t n, int64_t stride) {
  acc_t lanes[kLanes] = {};
  auto f = [](acc_t v) { return kSquare ? v * v : v; };
  int64_t i = 0;
  if (stride == 1) {
    for (; i + kLanes <= n; i += kLanes)
      for (int l = 0; l < kLanes; ++l) lanes[l] += f(acc_t(p[i + l]));
    for (; i < n; ++i) lanes[i % kLanes] += f(acc_t(p[i]));
  } else {
    for (; i < n; ++i) lanes[i & 7] += f(acc_t(p[i * stride]));
  }
  for (int w = kLanes / 2; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l) lanes[l] = lanes[l] + lanes[l + w];
  return lanes[0];
}

template <class in_t, class acc_t> acc_t strided_prod(const in_t* p, int64_t n, int64_t stride) {
  acc_t lanes[8];
  for (int l = 0; l < 8; ++l) lanes[l] = acc_t(1);
  int64_t i = 0;
  if (stride == 1)
    for (; i + 8 <= n; i += 8)
      for (int l = 0; l < 8; ++l) lanes[l] *= acc_t(p[i + l]);
  for (; i < n; ++i) lanes[i & 7] *= acc_t(p[i * stride]);
  return ((lanes[0] * lanes[1]) * (lanes[2] * lanes[3])) * ((lanes[4] * lanes[5]) * (lanes[6] * lanes[7]));
}

template <class T> inline bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) return x != x;
  else return false;
}
// Is a better than b? NaN beats everything (propagates), as in PyTorch.
template <bool kMax, class T> inline bool better(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (a != a) return b == b;
  }
  return kMax ? a > b : a < b;
}
}  // namespace

namespace {
template <bool kSquare> void sum_impl(const ReduceArgs& a) {
  EMBER_DISPATCH_ALL(a.out.dtype, "sum", [&] {
    using out_t = scalar_t;
    using acc_t = std::conditional_t<std::is_same_v<out_t, bool>, int64_t, opmath_t<out_t>>;
    out_t* out = reinterpret_cast<out_t*>(a.out.data);
    auto write = [out](int64_t off, acc_t acc) { out[off] = cast_value<out_t>(acc); };
    auto vstep = [](acc_t s, out_t x) { return kSquare ? s + acc_t(x) * acc_t(x) : s + acc_t(x); };
    if (reduce_vertical<out_t, acc_t>(a, acc_t(0), vstep, write)) return;
    reduce_each_output<out_t, acc_t>(
        a, acc_t(0),
        [](acc_t acc, const out_t* p, int64_t n, int64_t s, int64_t) {
          return acc + strided_sum<kSquare, out_t, acc_t>(p, n, s);
        },
        [](acc_t x, acc_t y) { return x + y; }, write);
  });
}
}  // namespace

// The output dtype is the accumulation dtype chosen by the op; the input is cast to it first.
// param == 2: the sum of squares (for norm).
void sum_kernel(const ReduceArgs& a) {
  if (a.param == 2) sum_impl<true>(a);
  else sum_impl<false>(a);
}

void prod_kernel(const ReduceArgs& a) {
  EMBER_DISPATCH_ALL(a.out.dtype, "prod", [&] {
    using out_t = scalar_t;
    using acc_t = std::conditional_t<std::is_same_v<out_t, bool>, int64_t, opmath_t<out_t>>;
    out_t* out = reinterpret_cast<out_t*>(a.out.data);
    auto write = [out](int64_t off, acc_t acc) { out[off] = cast_value<out_t>(acc); };
    if (reduce_vertical<out_t, acc_t>(a, acc_t(1), [](acc_t s, out_t x) { return s * acc_t(x); }, write)) return;
    reduce_each_output<out_t, acc_t>(
        a, acc_t(1),
        [](acc_t acc, const out_t* p, int64_t n, int64_t s, int64_t) { return acc * strided_prod<out_t, acc_t>(p, n, s); },
        [](acc_t x, acc_t y) { return x * y; }, write);
  });
}

void count_nonzero_kernel(const ReduceArgs& a) {
  int64_t* out = reinterpret_cast<int64_t*>(a.out.data);
  EMBER_DISPATCH_ALL(a.in.dtype, "count_nonzero", [&] {
    using in_t = scalar_t;
    reduce_each_output<in_t, int64_t>(
        a, 0,
        [](int64_t acc, const in_t* p, int64_t n, int64_t s, int64_t) {
          for (int64_t i = 0; i < n; ++i) acc += cast_value<bool>(p[i * s]) ? 1 : 0;
          return acc;
        },
        [](int64_t x, int64_t y) { return x + y; }, [out](int64_t off, int64_t acc) { out[off] = acc; });
  });
}

namespace {
template <bool kMax> void max_min(const ReduceArgs& a, const char* name) {
  EMBER_DISPATCH_ALL(a.in.dtype, name, [&] {
    using in_t = scalar_t;
    using op_t = std::conditional_t<std::is_same_v<in_t, bool>, bool, opmath_t<in_t>>;
    in_t* out = reinterpret_cast<in_t*>(a.out.data);
    const op_t init = kMax ? std::numeric_limits<op_t>::lowest() : std::numeric_limits<op_t>::max();
    if (a.index.data) {
      // Values and the first position of the extreme (first NaN when there is one).
      struct Acc {
        op_t v;
        int64_t i;
      };
      int64_t* index = reinterpret_cast<int64_t*>(a.index.data);
      reduce_each_output<in_t, Acc>(
          a, Acc{init, -1},
          [](Acc acc, const in_t* p, int64_t n, int64_t s, int64_t pos) {
            for (int64_t i = 0; i < n; ++i) {
              op_t v = op_t(p[i * s]);
              if (acc.i < 0 || better<kMax>(v, acc.v)) acc = Acc{v, pos + i};
            }
            return acc;
          },
          [](Acc x, Acc y) { return (x.i < 0 || (y.i >= 0 && better<kMax>(y.v, x.v))) ? y : x; },
          [out, index](int64_t off, Acc acc) {
            out[off] = cast_value<in_t>(acc.v);
            index[off] = acc.i < 0 ? 0 : acc.i;
          });
      return;
    }
    // Branch-free select: a NaN, once taken, stays (nothing compares greater than it).
    auto pick = [](op_t acc, in_t x) {
      op_t v = op_t(x);
      return ((kMax ? v > acc : v < acc) || v != v) ? v : acc;
    };
    auto write = [out](int64_t off, op_t acc) { out[off] = cast_value<in_t>(acc); };
    if (reduce_vertical<in_t, op_t>(a, init, pick, write)) return;
    reduce_each_output<in_t, op_t>(
        a, init,
        [](op_t acc, const in_t* p, int64_t n, int64_t s, int64_t) {
          op_t lanes[16];
          for (int l = 0; l < 16; ++l) lanes[l] = acc;
          int64_t i = 0;
          if (s == 1)
            for (; i + 16 <= n; i += 16)
              for (int l = 0; l < 16; ++l) {
                op_t v = op_t(p[i + l]);
                lanes[l] = ((kMax ? v > lanes[l] : v < lanes[l]) || v != v) ? v : lanes[l];
              }
          for (; i < n; ++i) {
            op_t v = op_t(p[i * s]);
            lanes[0] = better<kMax>(v, lanes[0]) ? v : lanes[0];
          }
          for (int l = 1; l < 16; ++l) lanes[0] = better<kMax>(lanes[l], lanes[0]) ? lanes[l] : lanes[0];
          return lanes[0];
        },
        [](op_t x, op_t y) { return better<kMax>(y, x) ? y : x; }, write);
  });
}
}  // namespace

void max_kernel(const ReduceArgs& a) { max_min<true>(a, "max"); }
void min_kernel(const ReduceArgs& a) { max_min<false>(a, "min"); }

namespace {
template <bool kAny> void any_all(const ReduceArgs& a, const char* name) {
  bool* out = reinterpret_cast<bool*>(a.out.data);
  EMBER_DISPATCH_ALL(a.in.dtype, name, [&] {
    using in_t = scalar_t;
    reduce_each_output<in_t, bool>(
        a, !kAny,
        [](bool acc, const in_t* p, int64_t n, int64_t s, int64_t) {
          for (int64_t i = 0; i < n; ++i) {
            bool v = cast_value<bool>(p[i * s]);
            acc = kAny ? (acc || v) : (acc && v);
          }
          return acc;
        },
        [](bool x, bool y) { return kAny ? (x || y) : (x && y); }, [out](int64_t off, bool acc) { out[off] = acc; });
  });
}

// Inclusive scan along a.dim; out and in share dtype (the op casts first).
template <bool kProd> void scan(const DimArgs& a, const char* name) {
  EMBER_DISPATCH_NUMERIC(a.out.dtype, name, [&] {
    using T = scalar_t;
    using acc_t = opmath_t<T>;
    const int64_t n = a.in.sizes[a.dim], si = a.in.strides[a.dim], so = a.out.strides[a.dim];
    const T* in = reinterpret_cast<const T*>(a.in.data);
    T* out = reinterpret_cast<T*>(a.out.data);
    const View* views[2] = {&a.in, &a.out};
    for_each_line<2>(views, a.dim, n, [&](int64_t, const int64_t* off) {
      acc_t acc = kProd ? acc_t(1) : acc_t(0);
      const T* p = in + off[0];
      T* q = out + off[1];
      for (int64_t i = 0; i < n; ++i) {
        acc = kProd ? acc * acc_t(p[i * si]) : acc + acc_t(p[i * si]);
        q[i * so] = T(acc);
      }
    });
  });
}
}  // namespace

// grad_in[i] = grad[i] * prod_{j != i} in[j] along dim, by prefix and suffix products (exact with zeros).
void prod_backward_kernel(const DimArgs& a) {
  EMBER_DISPATCH_FLOATING(a.out.dtype, "prod_backward", [&] {
    using T = scalar_t;
    using acc_t = opmath_t<T>;
    const int64_t n = a.in.ndim ? a.in.sizes[a.dim] : 1;
    const int64_t si = a.in.ndim ? a.in.strides[a.dim] : 0, sg = a.grad.ndim ? a.grad.strides[a.dim] : 0,
                  so = a.out.ndim ? a.out.strides[a.dim] : 0;
    const T* in = reinterpret_cast<const T*>(a.in.data);
    const T* g = reinterpret_cast<const T*>(a.grad.data);
    T* out = reinterpret_cast<T*>(a.out.data);
    auto body = [&](int64_t, const int64_t* off) {
      std::vector<acc_t> suffix(size_t(n) + 1);
      suffix[size_t(n)] = acc_t(1);
      for (int64_t i = n - 1; i >= 0; --i) suffix[size_t(i)] = suffix[size_t(i) + 1] * acc_t(in[off[0] + i * si]);
      acc_t prefix = acc_t(1);
      for (int64_t i = 0; i < n; ++i) {
        out[off[2] + i * so] = T(acc_t(g[off[1] + i * sg]) * prefix * suffix[size_t(i) + 1]);
        prefix *= acc_t(in[off[0] + i * si]);
      }
    };
    if (a.in.ndim == 0) {
      const int64_t zero[3] = {0, 0, 0};
      body(0, zero);
      return;
    }
    const View* views[3] = {&a.in, &a.grad, &a.out};
    for_each_line<3>(views, a.dim, n * 4, body);
  });
}

// Helpers for reduction backwards (s0 picks): 0: in0 == in1 as 1/0; 1: sign(in0); 2: |in0|.
void reduce_helper_kernel(const ElementwiseArgs& a) {
  int mode = int(a.s0);
  EMBER_DISPATCH_NUMERIC(a.out.dtype, "reduce_helper", [&] {
    using T = scalar_t;
    using A = opmath_t<T>;
    if (mode == 0) {
      StridedLoop loop({&a.out, &a.in[0], &a.in[1]});
      elementwise<T, T, T>(loop, [](T x, T y) { return T(A(x) == A(y) ? 1 : 0); });
    } else {
      StridedLoop loop({&a.out, &a.in[0]});
      if (mode == 1)
        elementwise<T, T>(loop, [](T x) { return T(A(x) > A(0) ? A(1) : A(x) < A(0) ? A(-1) : A(x) * A(0)); });
      else
        elementwise<T, T>(loop, [](T x) { return T(A(x) < A(0) ? A(-A(x)) : A(x)); });
    }
  });
}

void any_kernel(const ReduceArgs& a) { any_all<true>(a, "any"); }
void all_kernel(const ReduceArgs& a) { any_all<false>(a, "all"); }
void cumsum_kernel(const DimArgs& a) { scan<false>(a, "cumsum"); }
void cumprod_kernel(const DimArgs& a) { scan<true>(a, "cumprod"); }

}  // namespace ember::cpu::EMBER_ISA_NS
