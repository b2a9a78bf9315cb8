#pragma once
// The float32 vector forms of the unary functors (see Note [float32 math in double lanes] in
// vec_math.h). VecOp<F> exists for a functor F that has one; unary_float in isa/elementwise.cpp
// and the activation kernels in isa/unary.cpp route contiguous and strided float32 loops to it.
#include <type_traits>

#include "kernels/cpu/isa/vec_math.h"
#include "kernels/functors.h"

namespace ember::cpu::EMBER_ISA_NS::vmath {

template <class F, class = void> struct VecOp {};
template <class F, class = void> struct HasVecOp : std::false_type {};
template <class F> struct HasVecOp<F, std::void_t<decltype(&VecOp<F>::vec)>> : std::true_type {};

constexpr float kInf = __builtin_huge_valf();
inline vi not_finite(vf x) { return ~(vabs(x) < kInf); }  // NaN or +-inf
inline vi is_nan(vf x) { return x != x; }

// Scalar fallback through the functor itself.
template <class F> struct ScalarOf {
  static float scalar(float x) { return F()(x); }
};

#define EMBER_VEC_OP(F, BAD, ...)                                          \
  template <> struct VecOp<functors::F> : ScalarOf<functors::F> {           \
    static vi bad(vf xf) { return BAD; }                                    \
    static vf vec(vf xf) {                                                  \
      vd x = widen(xf);                                                     \
      return narrow(__VA_ARGS__);                                           \
    }                                                                       \
  };

EMBER_VEC_OP(Sin, ~(vabs(xf) <= kTrigMax), sin_d(x, 0))
EMBER_VEC_OP(Cos, ~(vabs(xf) <= kTrigMax), sin_d(x, 1))
EMBER_VEC_OP(Tan, ~(vabs(xf) <= kTrigMax), tan_d(x))
EMBER_VEC_OP(Erf, not_finite(xf), erf_d(x))
EMBER_VEC_OP(Erfc, not_finite(xf), erfc_d(x))
EMBER_VEC_OP(Expm1, is_nan(xf), expm1_d(x))
EMBER_VEC_OP(Log, ~((xf > 0.0f) & (xf < kInf)), log_d(x))
EMBER_VEC_OP(Log1p, ~((xf > -1.0f) & (xf < kInf)), log1p_d(x))
EMBER_VEC_OP(Log2, ~((xf > 0.0f) & (xf < kInf)), log2_d(x))
EMBER_VEC_OP(Log10, ~((xf > 0.0f) & (xf < kInf)), log_d(x) * 0.43429448190325176)
EMBER_VEC_OP(Exp2, is_nan(xf), exp2_d(x))
EMBER_VEC_OP(Sinh, is_nan(xf), sinh_d(x))
EMBER_VEC_OP(Cosh, is_nan(xf), cosh_d(x))
EMBER_VEC_OP(Asinh, not_finite(xf), asinh_d(x))
EMBER_VEC_OP(Acosh, ~((xf >= 1.0f) & (xf < kInf)), acosh_d(x))
EMBER_VEC_OP(Atanh, ~(vabs(xf) < 1.0f), atanh_d(x))
EMBER_VEC_OP(Atan, is_nan(xf), atan_d(x))
EMBER_VEC_OP(Asin, ~(vabs(xf) <= 1.0f), asin_d(x))
EMBER_VEC_OP(Acos, ~(vabs(xf) <= 1.0f), splat(1.5707963267948966) - asin_d(x))
EMBER_VEC_OP(LogSigmoid, not_finite(xf), vmin(x, splat(0.0)) - log1p_d(exp_d(-vabs(x))))
EMBER_VEC_OP(Mish, not_finite(xf), mish_d(x))
#undef EMBER_VEC_OP

// gelu(x) = x Phi(x) = 0.5 x erfc(-x / sqrt(2)); the tanh form as x / (1 + exp(-2 y)) (= 0.5 x (1 + tanh y)),
// which has no cancellation for negative x.
struct GeluErfVec {
  static float scalar(float x) { return functors::Gelu()(x, 0.0f, 0.0f); }
  static vi bad(vf x) { return not_finite(x); }
  // gelu(x) = x Phi(x) with E = Phi(-|x|) = exp(-x^2 / 2) t P(s) in one formula for every x:
  // t = 1 / (1 + 0.2375 |x|), P of degree 9 in s = (t - 0.6125) / 0.3875 fitted to
  // Phi(-u) / (exp(-u^2 / 2) t) for u in [0, 14.5] (relative error < 2e-9); beyond 14.5, E = 0 and
  // gelu rounds to -0.0f or x. Phi(x) = E for x < 0 and 1 - E otherwise: no cancellation in the
  // left tail. About 30% faster than 0.5 x erfc(-x / sqrt 2), which evaluated erf's two branches.
  static vf vec(vf xf) {
    static constexpr double c[] = {0x1.664ed5b2afe7bp-18, 0x1.83ab4edcc0000p-18,  -0x1.716bab0d71800p-14,
                                   -0x1.06ab43993dd40p-12, 0x1.c8fe4e87b8e40p-11, 0x1.15639b0e8523cp-7,
                                   0x1.0c9a476e9f582p-5,  0x1.5602dfb91da9fp-4,  0x1.3e9fdd9e77c18p-3,
                                   0x1.c0c497eda17c2p-3};
    vd x = widen(xf), ax = vabs(x);
    vd a = vmin(ax, splat(14.5));
    vd t = 1.0 / (1.0 + 0.2375 * a);
    vd e = exp_d(-0.5 * (a * a)) * t * poly(t * 2.5807622504537204 - 1.5807622504537204, c);
    e = ax < 14.5 ? e : splat(0.0);
    return narrow(x * (x < 0.0 ? e : 1.0 - e));
  }
};
struct GeluTanhVec {
  static float scalar(float x) { return functors::Gelu()(x, 1.0f, 0.0f); }
  static vi bad(vf x) { return not_finite(x); }
  static vf vec(vf xf) {
    vd x = widen(xf);
    vd y = 0.7978845608028654 * (x + 0.044715 * x * x * x);
    return narrow(x / (1.0 + exp_d(-2.0 * y)));
  }
};

}  // namespace ember::cpu::EMBER_ISA_NS::vmath
