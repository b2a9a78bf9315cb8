// Hand-written unary kernels: predicates (bool out), logical/bitwise not, clamp, and the
// activations with parameters (s0, s1 of ElementwiseArgs).
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/cpu/isa.h"
#include "kernels/cpu/iter.h"
#include "kernels/cpu/isa/vec_unary.h"
#include "kernels/functors.h"

namespace ember::cpu::EMBER_ISA_NS {
namespace {

template <class F> void predicate(const ElementwiseArgs& a, const char* name) {
  StridedLoop loop({&a.out, &a.in[0]});
  EMBER_DISPATCH_ALL(a.in[0].dtype, name, [&] {
    using op_t = std::conditional_t<std::is_same_v<scalar_t, bool>, bool, opmath_t<scalar_t>>;
    elementwise<bool, scalar_t>(loop, [](scalar_t x) { return F()(op_t(x)); });
  });
}

template <class F> void unary_param_float(const ElementwiseArgs& a, const char* name) {
  StridedLoop loop({&a.out, &a.in[0]});
  EMBER_DISPATCH_FLOATING(a.out.dtype, name, [&] {
    using op_t = opmath_t<scalar_t>;
    const op_t p0 = op_t(a.s0), p1 = op_t(a.s1);
    elementwise<scalar_t, scalar_t>(loop, [p0, p1](scalar_t x) { return static_cast<scalar_t>(F()(op_t(x), p0, p1)); });
  });
}

// A double bound as T, saturating at T's range (integer clamps with +-inf for a missing bound).
template <class T> T saturate(double v) {
  if constexpr (std::is_integral_v<T>) {
    if (!(v > double(std::numeric_limits<T>::lowest()))) return std::numeric_limits<T>::lowest();
    if (!(v < double(std::numeric_limits<T>::max()))) return std::numeric_limits<T>::max();
    return T(v);
  } else {
    return T(v);
  }
}

}  // namespace

void isinf_kernel(const ElementwiseArgs& a) { predicate<functors::IsInf>(a, "isinf"); }
void isfinite_kernel(const ElementwiseArgs& a) { predicate<functors::IsFinite>(a, "isfinite"); }
void isposinf_kernel(const ElementwiseArgs& a) { predicate<functors::IsPosInf>(a, "isposinf"); }
void isneginf_kernel(const ElementwiseArgs& a) { predicate<functors::IsNegInf>(a, "isneginf"); }

void logical_not_kernel(const ElementwiseArgs& a) {
  StridedLoop loop({&a.out, &a.in[0]});
  EMBER_DISPATCH_ALL(a.in[0].dtype, "logical_not", [&] {
    using op_t = std::conditional_t<std::is_same_v<scalar_t, bool>, bool, opmath_t<scalar_t>>;
    elementwise<bool, scalar_t>(loop, [](scalar_t x) { return op_t(x) == op_t(0); });
  });
}

void bitwise_not_kernel(const ElementwiseArgs& a) {
  StridedLoop loop({&a.out, &a.in[0]});
  if (a.out.dtype == Dtype::Bool) {
    elementwise<bool, bool>(loop, [](bool x) { return !x; });
    return;
  }
  switch (a.out.dtype) {
    EMBER_DISPATCH_INTEGRAL_CASES([&] {
      elementwise<scalar_t, scalar_t>(loop, [](scalar_t x) { return static_cast<scalar_t>(~x); });
    })
    default: EMBER_FAIL(Type, "[ember.bitwise_not] not implemented for dtype ", dtype_name(a.out.dtype));
  }
}

// s0 = min, s1 = max (-inf / +inf when absent); NaN inputs stay NaN; min > max gives max.
void clamp_kernel(const ElementwiseArgs& a) {
  StridedLoop loop({&a.out, &a.in[0]});
  EMBER_DISPATCH_NUMERIC(a.out.dtype, "clamp", [&] {
    using op_t = opmath_t<scalar_t>;
    const op_t lo = saturate<op_t>(a.s0), hi = saturate<op_t>(a.s1);
    elementwise<scalar_t, scalar_t>(loop, [lo, hi](scalar_t x) {
      op_t r = op_t(x) < lo ? lo : op_t(x);
      r = r > hi ? hi : r;
      return static_cast<scalar_t>(r);
    });
  });
}

void leaky_relu_kernel(const ElementwiseArgs& a) { unary_param_float<functors::LeakyRelu>(a, "leaky_relu"); }
void elu_kernel(const ElementwiseArgs& a) { unary_param_float<functors::Elu>(a, "elu"); }
void softplus_kernel(const ElementwiseArgs& a) { unary_param_float<functors::Softplus>(a, "softplus"); }
void gelu_kernel(const ElementwiseArgs& a) {
  if (a.out.dtype == Dtype::Float32 && a.in[0].dtype == Dtype::Float32) {
    StridedLoop loop({&a.out, &a.in[0]});
    if (a.s0 != 0) vmath::unary_f32<vmath::GeluTanhVec>(loop);
    else vmath::unary_f32<vmath::GeluErfVec>(loop);
    return;
  }
  unary_param_float<functors::Gelu>(a, "gelu");
}

void threshold_kernel(const ElementwiseArgs& a) {
  StridedLoop loop({&a.out, &a.in[0]});
  EMBER_DISPATCH_NUMERIC(a.out.dtype, "threshold", [&] {
    using op_t = opmath_t<scalar_t>;
    const op_t th = op_t(a.s0), v = op_t(a.s1);
    elementwise<scalar_t, scalar_t>(loop, [th, v](scalar_t x) { return static_cast<scalar_t>(functors::Threshold()(op_t(x), th, v)); });
  });
}

// round(x, decimals=s0), PyTorch's formula (half to even at the scaled value).
void round_decimals_kernel(const ElementwiseArgs& a) {
  StridedLoop loop({&a.out, &a.in[0]});
  EMBER_DISPATCH_FLOATING(a.out.dtype, "round", [&] {
    using op_t = opmath_t<scalar_t>;
    const int64_t d = int64_t(a.s0);
    const bool neg = d < 0;
    const op_t ten = std::pow(op_t(10), op_t(neg ? -d : d));
    elementwise<scalar_t, scalar_t>(loop, [ten, neg](scalar_t x) {
      op_t v = op_t(x);
      return static_cast<scalar_t>(neg ? std::nearbyint(v / ten) * ten : std::nearbyint(v * ten) / ten);
    });
  });
}

}  // namespace ember::cpu::EMBER_ISA_NS
