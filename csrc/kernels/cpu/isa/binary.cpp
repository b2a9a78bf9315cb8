// Binary kernels beyond add/sub/mul/div (elementwise.cpp): remainder, pow, max/min, bitwise and
// shifts, and the comparisons / logical ops, which read the common dtype and write bool.
#include <type_traits>

#include "kernels/cpu/isa.h"
#include "kernels/cpu/iter.h"
#include "kernels/cpu/isa/divisor_check.h"
#include "kernels/cpu/isa/vec_math.h"
#include "kernels/functors.h"

namespace ember::cpu::EMBER_ISA_NS {
namespace {

#define EMBER_DISPATCH_INTEGRAL_AND_BOOL(dtype, opname, ...)              \
  [&] {                                                                   \
    switch (dtype) {                                                      \
      EMBER_DISPATCH_INTEGRAL_CASES(__VA_ARGS__)                          \
      EMBER_DISPATCH_CASE(bool, Bool, __VA_ARGS__)                        \
      EMBER_DISPATCH_DEFAULT(dtype, opname)                               \
    }                                                                     \
  }()

#define EMBER_DISPATCH_INTEGRAL(dtype, opname, ...)                       \
  [&] {                                                                   \
    switch (dtype) {                                                      \
      EMBER_DISPATCH_INTEGRAL_CASES(__VA_ARGS__)                          \
      EMBER_DISPATCH_DEFAULT(dtype, opname)                               \
    }                                                                     \
  }()

template <class F, class T> void run_binary(const StridedLoop& loop) {
  using op_t = opmath_t<T>;
  elementwise<T, T, T>(loop, [](T x, T y) { return static_cast<T>(F()(op_t(x), op_t(y))); });
}

template <class F> void binary_numeric(const ElementwiseArgs& a, const char* name) {
  StridedLoop loop({&a.out, &a.in[0], &a.in[1]});
  EMBER_DISPATCH_NUMERIC(a.out.dtype, name, [&] { run_binary<F, scalar_t>(loop); });
}

template <class F> void binary_floating(const ElementwiseArgs& a, const char* name) {
  StridedLoop loop({&a.out, &a.in[0], &a.in[1]});
  EMBER_DISPATCH_FLOATING(a.out.dtype, name, [&] { run_binary<F, scalar_t>(loop); });
}

template <class F> void binary_bitwise(const ElementwiseArgs& a, const char* name) {
  StridedLoop loop({&a.out, &a.in[0], &a.in[1]});
  EMBER_DISPATCH_INTEGRAL_AND_BOOL(a.out.dtype, name, [&] {
    elementwise<scalar_t, scalar_t, scalar_t>(loop, [](scalar_t x, scalar_t y) { return static_cast<scalar_t>(F()(x, y)); });
  });
}

template <class F> void binary_shift(const ElementwiseArgs& a, const char* name) {
  StridedLoop loop({&a.out, &a.in[0], &a.in[1]});
  EMBER_DISPATCH_INTEGRAL(a.out.dtype, name, [&] {
    elementwise<scalar_t, scalar_t, scalar_t>(loop, [](scalar_t x, scalar_t y) { return F()(x, y); });
  });
}

// Inputs in the common dtype, output bool.
template <class F> void compare(const ElementwiseArgs& a, const char* name) {
  StridedLoop loop({&a.out, &a.in[0], &a.in[1]});
  EMBER_DISPATCH_ALL(a.in[0].dtype, name, [&] {
    using op_t = std::conditional_t<std::is_same_v<scalar_t, bool>, bool, opmath_t<scalar_t>>;
    elementwise<bool, scalar_t, scalar_t>(loop, [](scalar_t x, scalar_t y) { return F()(op_t(x), op_t(y)); });
  });
}

// float32 fmod in double lanes, exact: q = floor(|a| / |b|) is off by at most one while the
// quotient stays below 2^29, |a| - q |b| is then exact in double, and one correction step lands
// it in [0, |b|). Other lanes (b == 0, inf, NaN, larger quotients) take the scalar functor.
inline vmath::vd fmod_d(vmath::vd a, vmath::vd b) {
  using namespace vmath;
  vd A = vabs(a), B = vabs(b);
  vl n;
  vd v = A / B, q = round_int(v, &n);
  q = q > v ? q - 1.0 : q;
  vd r = A - q * B;
  r = r < 0.0 ? r + B : r;
  r = r >= B ? r - B : r;
  return with_sign(r, a);
}
inline vmath::vi fmod_bad(vmath::vf a, vmath::vf b) {
  using namespace vmath;
  vf A = vabs(a), B = vabs(b);
  return ~((A < __builtin_huge_valf()) & (B > 0.0f) & (B < __builtin_huge_valf()) & (A < B * 536870912.0f));
}
struct FmodVec {
  static float scalar(float a, float b) { return functors::Fmod()(a, b); }
  static vmath::vi bad(vmath::vf a, vmath::vf b) { return fmod_bad(a, b); }
  static vmath::vf vec(vmath::vf a, vmath::vf b) { return vmath::narrow(fmod_d(vmath::widen(a), vmath::widen(b))); }
};
// Python's modulo: fmod, then + b where the signs differ (in float, as the scalar functor).
struct RemainderVec {
  static float scalar(float a, float b) { return functors::Remainder()(a, b); }
  static vmath::vi bad(vmath::vf a, vmath::vf b) { return fmod_bad(a, b); }
  static vmath::vf vec(vmath::vf a, vmath::vf b) {
    vmath::vf r = vmath::narrow(fmod_d(vmath::widen(a), vmath::widen(b)));
    return ((r != 0.0f) & ((r < 0.0f) != (b < 0.0f))) ? r + b : r;
  }
};
// x * log(y) in double lanes for finite x and 0 < y < inf.
struct XlogyVec {
  static float scalar(float a, float b) { return functors::Xlogy()(a, b); }
  static vmath::vi bad(vmath::vf a, vmath::vf b) {
    return ~((b > 0.0f) & (b < __builtin_huge_valf()) & (vmath::vabs(a) < __builtin_huge_valf()));
  }
  static vmath::vf vec(vmath::vf a, vmath::vf b) {
    vmath::vd x = vmath::widen(a);
    return vmath::narrow(x == 0.0 ? vmath::splat(0.0) : x * vmath::log_d(vmath::widen(b)));
  }
};

}  // namespace

void remainder_kernel(const ElementwiseArgs& a) {
  check_nonzero_divisor(a.in[1], "remainder");
  if (a.out.dtype == Dtype::Float32) return vmath::binary_f32<RemainderVec>(StridedLoop({&a.out, &a.in[0], &a.in[1]}));
  binary_numeric<functors::Remainder>(a, "remainder");
}
void fmod_kernel(const ElementwiseArgs& a) {
  check_nonzero_divisor(a.in[1], "fmod");
  if (a.out.dtype == Dtype::Float32) return vmath::binary_f32<FmodVec>(StridedLoop({&a.out, &a.in[0], &a.in[1]}));
  binary_numeric<functors::Fmod>(a, "fmod");
}
void xlogy_kernel(const ElementwiseArgs& a) {
  if (a.out.dtype == Dtype::Float32) return vmath::binary_f32<XlogyVec>(StridedLoop({&a.out, &a.in[0], &a.in[1]}));
  binary_floating<functors::Xlogy>(a, "xlogy");
}
void pow_kernel(const ElementwiseArgs& a) { binary_numeric<functors::Pow>(a, "pow"); }
void atan2_kernel(const ElementwiseArgs& a) { binary_floating<functors::Atan2>(a, "atan2"); }
void hypot_kernel(const ElementwiseArgs& a) { binary_floating<functors::Hypot>(a, "hypot"); }
void maximum_kernel(const ElementwiseArgs& a) {
  if (a.out.dtype == Dtype::Bool) return binary_bitwise<functors::BitOr>(a, "maximum");
  binary_numeric<functors::Maximum>(a, "maximum");
}
void minimum_kernel(const ElementwiseArgs& a) {
  if (a.out.dtype == Dtype::Bool) return binary_bitwise<functors::BitAnd>(a, "minimum");
  binary_numeric<functors::Minimum>(a, "minimum");
}
void fmax_kernel(const ElementwiseArgs& a) { binary_numeric<functors::Fmax>(a, "fmax"); }
void fmin_kernel(const ElementwiseArgs& a) { binary_numeric<functors::Fmin>(a, "fmin"); }
void copysign_kernel(const ElementwiseArgs& a) { binary_floating<functors::Copysign>(a, "copysign"); }
void bitwise_and_kernel(const ElementwiseArgs& a) { binary_bitwise<functors::BitAnd>(a, "bitwise_and"); }
void bitwise_or_kernel(const ElementwiseArgs& a) { binary_bitwise<functors::BitOr>(a, "bitwise_or"); }
void bitwise_xor_kernel(const ElementwiseArgs& a) { binary_bitwise<functors::BitXor>(a, "bitwise_xor"); }
void lshift_kernel(const ElementwiseArgs& a) { binary_shift<functors::LShift>(a, "bitwise_left_shift"); }
void rshift_kernel(const ElementwiseArgs& a) { binary_shift<functors::RShift>(a, "bitwise_right_shift"); }
void logical_and_kernel(const ElementwiseArgs& a) { compare<functors::LogicalAnd>(a, "logical_and"); }
void logical_or_kernel(const ElementwiseArgs& a) { compare<functors::LogicalOr>(a, "logical_or"); }
void logical_xor_kernel(const ElementwiseArgs& a) { compare<functors::LogicalXor>(a, "logical_xor"); }
void eq_kernel(const ElementwiseArgs& a) { compare<functors::Eq>(a, "eq"); }
void ne_kernel(const ElementwiseArgs& a) { compare<functors::Ne>(a, "ne"); }
void lt_kernel(const ElementwiseArgs& a) { compare<functors::Lt>(a, "lt"); }
void le_kernel(const ElementwiseArgs& a) { compare<functors::Le>(a, "le"); }
void gt_kernel(const ElementwiseArgs& a) { compare<functors::Gt>(a, "gt"); }
void ge_kernel(const ElementwiseArgs& a) { compare<functors::Ge>(a, "ge"); }

// in[0] start, in[1] end, in[2] weight (a broadcast 0-dim tensor for a scalar weight).
void lerp_kernel(const ElementwiseArgs& a) {
  StridedLoop loop({&a.out, &a.in[0], &a.in[1], &a.in[2]});
  EMBER_DISPATCH_FLOATING(a.out.dtype, "lerp", [&] {
    using op_t = opmath_t<scalar_t>;
    elementwise<scalar_t, scalar_t, scalar_t, scalar_t>(loop, [](scalar_t s, scalar_t e, scalar_t w) {
      return static_cast<scalar_t>(functors::Lerp()(op_t(s), op_t(e), op_t(w)));
    });
  });
}

}  // namespace ember::cpu::EMBER_ISA_NS
