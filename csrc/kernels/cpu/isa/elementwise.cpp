// Elementwise kernels (copy, fill, binary arithmetic, where, the unary table), compiled per ISA.
#include <cstring>
#include <type_traits>

#include "kernels/cpu/cast.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/iter.h"
#include "kernels/cpu/isa/divisor_check.h"
#include "kernels/cpu/isa/vec_unary.h"
#include "kernels/functors.h"

namespace ember::cpu::EMBER_ISA_NS {

void copy_kernel(const ElementwiseArgs& a) {
  StridedLoop loop({&a.out, &a.in[0]});
  if (a.out.dtype == a.in[0].dtype) {
    size_t item = itemsize(a.out.dtype);
    if (loop.ndim <= 1 && loop.strides[0][0] == int64_t(item) && loop.strides[1][0] == int64_t(item)) {
      parallel_for(0, loop.numel, kGrainSize * 4, [&](int64_t b, int64_t e) {
        std::memcpy(loop.base[0] + b * item, loop.base[1] + b * item, size_t(e - b) * item);
      });
      return;
    }
  }
  EMBER_DISPATCH_ALL(a.out.dtype, "copy", [&] {
    using out_t = scalar_t;
    EMBER_DISPATCH_ALL(a.in[0].dtype, "copy", [&] {
      using in_t = scalar_t;
      elementwise<out_t, in_t>(loop, [](in_t x) { return cast_value<out_t>(x); });
    });
  });
}

void fill_kernel(const FillArgs& a) {
  StridedLoop loop({&a.out});
  EMBER_DISPATCH_ALL(a.out.dtype, "fill", [&] {
    const scalar_t v = a.value.to<scalar_t>();
    elementwise<scalar_t>(loop, [v]() { return v; });
  });
}

namespace {

template <class F> void binary_all(const ElementwiseArgs& a, const char* name) {
  StridedLoop loop({&a.out, &a.in[0], &a.in[1]});
  EMBER_DISPATCH_ALL(a.out.dtype, name, [&] {
    using op_t = opmath_t<scalar_t>;
    elementwise<scalar_t, scalar_t, scalar_t>(
        loop, [](scalar_t x, scalar_t y) { return static_cast<scalar_t>(F()(op_t(x), op_t(y))); });
  });
}

template <class F> void binary_alpha(const ElementwiseArgs& a, const char* name) {
  StridedLoop loop({&a.out, &a.in[0], &a.in[1]});
  EMBER_DISPATCH_ALL(a.out.dtype, name, [&] {
    using op_t = opmath_t<scalar_t>;
    const op_t alpha = static_cast<op_t>(a.s0);
    elementwise<scalar_t, scalar_t, scalar_t>(
        loop, [alpha](scalar_t x, scalar_t y) { return static_cast<scalar_t>(F()(op_t(x), op_t(y), alpha)); });
  });
}

// x / y for y == -1 without the INT_MIN overflow (which traps on x86); nullopt otherwise.
template <class T> inline bool divides_by_minus_one(T x, T y, T* out) {
  if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    if (y == T(-1)) {
      *out = static_cast<T>(~static_cast<std::make_unsigned_t<T>>(x) + 1u);
      return true;
    }
  }
  return false;
}

template <class F> void integer_safe_div(const ElementwiseArgs& a, const char* name) {
  check_nonzero_divisor(a.in[1], name);
  StridedLoop loop({&a.out, &a.in[0], &a.in[1]});
  EMBER_DISPATCH_NUMERIC(a.out.dtype, name, [&] {
    using op_t = opmath_t<scalar_t>;
    elementwise<scalar_t, scalar_t, scalar_t>(loop, [](scalar_t x, scalar_t y) {
      scalar_t q;
      if (divides_by_minus_one(x, y, &q)) return q;
      return static_cast<scalar_t>(F()(op_t(x), op_t(y)));
    });
  });
}

template <class F> void unary_float(const ElementwiseArgs& a, const char* name) {
  StridedLoop loop({&a.out, &a.in[0]});
  if constexpr (vmath::HasVecOp<F>::value) {  // float32 sin, erf, log1p, ...: isa/vec_unary.h
    if (a.out.dtype == Dtype::Float32 && a.in[0].dtype == Dtype::Float32) return vmath::unary_f32<vmath::VecOp<F>>(loop);
  }
  EMBER_DISPATCH_FLOATING(a.out.dtype, name, [&] {
    using op_t = opmath_t<scalar_t>;
    elementwise<scalar_t, scalar_t>(loop, [](scalar_t x) { return static_cast<scalar_t>(F()(op_t(x))); });
  });
}

template <class F> void unary_same(const ElementwiseArgs& a, const char* name) {
  StridedLoop loop({&a.out, &a.in[0]});
  EMBER_DISPATCH_NUMERIC(a.out.dtype, name, [&] {
    using op_t = opmath_t<scalar_t>;
    elementwise<scalar_t, scalar_t>(loop, [](scalar_t x) { return static_cast<scalar_t>(F()(op_t(x))); });
  });
}

}  // namespace

void add_kernel(const ElementwiseArgs& a) { binary_alpha<functors::Add>(a, "add"); }
void sub_kernel(const ElementwiseArgs& a) { binary_alpha<functors::Sub>(a, "sub"); }
void mul_kernel(const ElementwiseArgs& a) { binary_all<functors::Mul>(a, "mul"); }
void div_kernel(const ElementwiseArgs& a) { binary_all<functors::Div>(a, "div"); }
void div_trunc_kernel(const ElementwiseArgs& a) { integer_safe_div<functors::DivTrunc>(a, "div"); }
void div_floor_kernel(const ElementwiseArgs& a) { integer_safe_div<functors::DivFloor>(a, "div"); }

void where_kernel(const ElementwiseArgs& a) {
  StridedLoop loop({&a.out, &a.in[0], &a.in[1], &a.in[2]});
  EMBER_DISPATCH_ALL(a.out.dtype, "where", [&] {
    elementwise<scalar_t, bool, scalar_t, scalar_t>(loop, [](bool c, scalar_t x, scalar_t y) { return c ? x : y; });
  });
}

void isnan_kernel(const ElementwiseArgs& a) {
  StridedLoop loop({&a.out, &a.in[0]});
  EMBER_DISPATCH_ALL(a.in[0].dtype, "isnan", [&] {
    using op_t = opmath_t<scalar_t>;
    elementwise<bool, scalar_t>(loop, [](scalar_t x) { return functors::IsNan()(op_t(x)); });
  });
}

// The table-driven unary ops: one kernel per line of ops/unary_ops.def.
#define EMBER_UNARY_KERNEL_Float(name, F) \
  void name##_kernel(const ElementwiseArgs& a) { unary_float<functors::F>(a, #name); }
#define EMBER_UNARY_KERNEL_Same(name, F) \
  void name##_kernel(const ElementwiseArgs& a) { unary_same<functors::F>(a, #name); }
#define EMBER_UNARY_KERNEL_FloatOnly(name, F) EMBER_UNARY_KERNEL_Float(name, F)
#define EMBER_UNARY_KERNEL(name, F, kind, ...) EMBER_UNARY_KERNEL_##kind(name, F)
EMBER_UNARY_OPS(EMBER_UNARY_KERNEL)

}  // namespace ember::cpu::EMBER_ISA_NS

namespace ember::cpu::EMBER_ISA_NS {
// grad where x > threshold, else 0 (relu's backward). in[0] = grad, in[1] = x; s0 = threshold.
void threshold_backward_kernel(const ElementwiseArgs& a) {
  StridedLoop loop({&a.out, &a.in[0], &a.in[1]});
  EMBER_DISPATCH_NUMERIC(a.out.dtype, "threshold_backward", [&] {
    using op_t = opmath_t<scalar_t>;
    const op_t threshold = op_t(a.s0);
    elementwise<scalar_t, scalar_t, scalar_t>(
        loop, [threshold](scalar_t g, scalar_t x) { return op_t(x) > threshold ? g : scalar_t(0); });
  });
}
}  // namespace ember::cpu::EMBER_ISA_NS
