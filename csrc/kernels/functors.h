#pragma once
// Scalar math shared by the CPU and CUDA kernels: each functor maps opmath values (float for the
// 16-bit floats) to a result. The same functor compiles into every backend's elementwise loop.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__CUDACC__)
#define EMBER_HD __host__ __device__ __forceinline__
#else
#define EMBER_HD inline
#endif

namespace ember::functors {

// exp for float with no libm call, so contiguous loops vectorise: Cody-Waite reduction by ln2,
// Cephes' degree-6 polynomial (about 1 ulp), 2^n applied in two steps so denormal results stay
// exact; +-inf, NaN and underflow to 0 handled by selects.
// GCC vectorises it only with AVX-512 masks (the selects are control flow for AVX2), so other
// builds keep libm's expf, which is faster there as a scalar call.
#if defined(__AVX512F__) && !defined(__CUDACC__)
#define EMBER_FAST_EXPF 1
#else
#define EMBER_FAST_EXPF 0
#endif
EMBER_HD float fast_expf(float x) {
  if constexpr (!EMBER_FAST_EXPF) return std::exp(x);
  const float kHi = 88.72283935546875f, kLo = -103.97208f;
  float xc = x != x ? 0.0f : (x > kHi ? kHi : (x < kLo ? kLo : x));
  const float kMagic = 12582912.0f;  // 1.5 * 2^23: adding and subtracting rounds to an integer
  float n = (xc * 1.44269504088896341f + kMagic) - kMagic;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  float y = p * r * r + r + 1.0f;
  int32_t ni = int32_t(n), n1 = ni >> 1, n2 = ni - n1;
  uint32_t b1 = uint32_t(n1 + 127) << 23, b2 = uint32_t(n2 + 127) << 23;
  float s1, s2;
  std::memcpy(&s1, &b1, 4);
  std::memcpy(&s2, &b2, 4);
  float res = y * s1 * s2;
  res = x > kHi ? float(INFINITY) : res;
  res = x < kLo ? 0.0f : res;
  return x != x ? x : res;
}

// tanh for float with no libm call (vectorises like fast_expf): an odd Taylor polynomial through
// x^17 for |x| < 0.5 (truncation below 1e-8), else 1 - 2 / (exp(2|x|) + 1) with the sign restored.
EMBER_HD float fast_tanhf(float x) {
  if constexpr (!EMBER_FAST_EXPF) return std::tanh(x);
  const float ax = x < 0.0f ? -x : x, x2 = x * x;
  float p = 5.90027440e-4f;
  p = p * x2 - 1.45583438e-3f;
  p = p * x2 + 3.59212803e-3f;
  p = p * x2 - 8.86323552e-3f;
  p = p * x2 + 2.18694885e-2f;
  p = p * x2 - 5.39682540e-2f;
  p = p * x2 + 1.33333333e-1f;
  p = p * x2 - 3.33333333e-1f;
  const float small = x + x * x2 * p;
  const float big_abs = 1.0f - 2.0f / (fast_expf(2.0f * ax) + 1.0f);
  const float big = x < 0.0f ? -big_abs : big_abs;
  const float r = ax < 0.5f ? small : big;
  return x != x ? x : r;
}

// ---- unary (see ops/unary_ops.def)
struct Neg {
  template <class T> EMBER_HD T operator()(T x) const { return -x; }
};
struct Exp {
  template <class T> EMBER_HD T operator()(T x) const {
    if constexpr (std::is_same_v<T, float>) return fast_expf(x);
    else return std::exp(x);
  }
};
struct Log {
  template <class T> EMBER_HD T operator()(T x) const { return std::log(x); }
};
struct Sqrt {
  template <class T> EMBER_HD T operator()(T x) const { return std::sqrt(x); }
};
struct Tanh {
  template <class T> EMBER_HD T operator()(T x) const {
    if constexpr (std::is_same_v<T, float>) return fast_tanhf(x);
    else return std::tanh(x);
  }
};
struct Sigmoid {
  template <class T> EMBER_HD T operator()(T x) const {
    if constexpr (std::is_same_v<T, float>) return 1.0f / (1.0f + fast_expf(-x));
    else return T(1) / (T(1) + std::exp(-x));
  }
};
struct Relu {
  template <class T> EMBER_HD T operator()(T x) const { return x > T(0) ? x : T(0); }
};
struct Abs {
  template <class T> EMBER_HD T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T>) return x;
    else if constexpr (std::is_integral_v<T>) return x < 0 ? T(-x) : x;
    else return std::fabs(x);
  }
};
struct Sign {
  template <class T> EMBER_HD T operator()(T x) const {
    if constexpr (std::is_unsigned_v<T>) return T(x > 0);
    else if constexpr (std::is_integral_v<T>) return T((T(0) < x) - (x < T(0)));
    else return T((T(0) < x) - (x < T(0)));  // NaN gives 0, as PyTorch
  }
};
struct Reciprocal {
  template <class T> EMBER_HD T operator()(T x) const { return T(1) / x; }
};
struct Exp2 {
  template <class T> EMBER_HD T operator()(T x) const { return std::exp2(x); }
};
struct Expm1 {
  template <class T> EMBER_HD T operator()(T x) const { return std::expm1(x); }
};
struct Log2 {
  template <class T> EMBER_HD T operator()(T x) const { return std::log2(x); }
};
struct Log10 {
  template <class T> EMBER_HD T operator()(T x) const { return std::log10(x); }
};
struct Log1p {
  template <class T> EMBER_HD T operator()(T x) const { return std::log1p(x); }
};
struct Rsqrt {
  template <class T> EMBER_HD T operator()(T x) const { return T(1) / std::sqrt(x); }
};
struct Sin {
  template <class T> EMBER_HD T operator()(T x) const { return std::sin(x); }
};
struct Cos {
  template <class T> EMBER_HD T operator()(T x) const { return std::cos(x); }
};
struct Tan {
  template <class T> EMBER_HD T operator()(T x) const { return std::tan(x); }
};
struct Asin {
  template <class T> EMBER_HD T operator()(T x) const { return std::asin(x); }
};
struct Acos {
  template <class T> EMBER_HD T operator()(T x) const { return std::acos(x); }
};
struct Atan {
  template <class T> EMBER_HD T operator()(T x) const { return std::atan(x); }
};
struct Sinh {
  template <class T> EMBER_HD T operator()(T x) const { return std::sinh(x); }
};
struct Cosh {
  template <class T> EMBER_HD T operator()(T x) const { return std::cosh(x); }
};
struct Asinh {
  template <class T> EMBER_HD T operator()(T x) const { return std::asinh(x); }
};
struct Acosh {
  template <class T> EMBER_HD T operator()(T x) const { return std::acosh(x); }
};
struct Atanh {
  template <class T> EMBER_HD T operator()(T x) const { return std::atanh(x); }
};
struct Erf {
  template <class T> EMBER_HD T operator()(T x) const { return std::erf(x); }
};
struct Erfc {
  template <class T> EMBER_HD T operator()(T x) const { return std::erfc(x); }
};
// Inverse error function: Giles' single-precision approximation, then two Newton steps in double.
struct Erfinv {
  template <class T> EMBER_HD T operator()(T y) const {
    if (y != y || y < T(-1) || y > T(1)) return T(NAN);
    if (y == T(1)) return T(INFINITY);
    if (y == T(-1)) return T(-INFINITY);
    double yd = double(y);
    double w = -std::log((1.0 - yd) * (1.0 + yd)), p;
    if (w < 5.0) {
      w -= 2.5;
      p = 2.81022636e-08;
      p = 3.43273939e-07 + p * w; p = -3.5233877e-06 + p * w; p = -4.39150654e-06 + p * w;
      p = 0.00021858087 + p * w; p = -0.00125372503 + p * w; p = -0.00417768164 + p * w;
      p = 0.246640727 + p * w; p = 1.50140941 + p * w;
    } else {
      w = std::sqrt(w) - 3.0;
      p = -0.000200214257;
      p = 0.000100950558 + p * w; p = 0.00134934322 + p * w; p = -0.00367342844 + p * w;
      p = 0.00573950773 + p * w; p = -0.0076224613 + p * w; p = 0.00943887047 + p * w;
      p = 1.00167406 + p * w; p = 2.83297682 + p * w;
    }
    double x = p * yd;
    for (int i = 0; i < 2; ++i) {
      double err = std::erf(x) - yd;
      x -= err / (1.1283791670955126 * std::exp(-x * x));
    }
    return T(x);
  }
};
struct Floor {
  template <class T> EMBER_HD T operator()(T x) const {
    if constexpr (std::is_integral_v<T>) return x;
    else return std::floor(x);
  }
};
struct Ceil {
  template <class T> EMBER_HD T operator()(T x) const {
    if constexpr (std::is_integral_v<T>) return x;
    else return std::ceil(x);
  }
};
struct Trunc {
  template <class T> EMBER_HD T operator()(T x) const {
    if constexpr (std::is_integral_v<T>) return x;
    else return std::trunc(x);
  }
};
// Half to even, as PyTorch.
struct Round {
  template <class T> EMBER_HD T operator()(T x) const {
    if constexpr (std::is_integral_v<T>) return x;
    else return std::nearbyint(x);
  }
};
struct Frac {
  template <class T> EMBER_HD T operator()(T x) const { return x - std::trunc(x); }
};
struct Square {
  template <class T> EMBER_HD T operator()(T x) const { return x * x; }
};
struct Silu {
  template <class T> EMBER_HD T operator()(T x) const {
    if constexpr (std::is_same_v<T, float>) return x / (1.0f + fast_expf(-x));
    else return x / (T(1) + std::exp(-x));
  }
};
// log(1 + exp(x)) without overflow.
template <class T> EMBER_HD T softplus1(T x) { return x > T(20) ? x : std::log1p(std::exp(x)); }
struct Mish {
  template <class T> EMBER_HD T operator()(T x) const { return x * std::tanh(softplus1(x)); }
};
struct Softsign {
  template <class T> EMBER_HD T operator()(T x) const { return x / (T(1) + std::fabs(x)); }
};
struct LogSigmoid {
  template <class T> EMBER_HD T operator()(T x) const {
    return std::fmin(x, T(0)) - std::log1p(std::exp(-std::fabs(x)));
  }
};
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;
struct Selu {
  template <class T> EMBER_HD T operator()(T x) const {
    return x > T(0) ? T(kSeluScale) * x : T(kSeluScale * kSeluAlpha) * std::expm1(x);
  }
};
struct Hardswish {
  template <class T> EMBER_HD T operator()(T x) const {
    T r = x + T(3);
    r = r < T(0) ? T(0) : (r > T(6) ? T(6) : r);
    return x * r / T(6);
  }
};
struct Hardsigmoid {
  template <class T> EMBER_HD T operator()(T x) const {
    T r = x + T(3);
    r = r < T(0) ? T(0) : (r > T(6) ? T(6) : r);
    return r / T(6);
  }
};
struct IsInf {
  template <class T> EMBER_HD bool operator()(T x) const {
    if constexpr (std::is_integral_v<T>) return false;
    else return std::isinf(x);
  }
};
struct IsFinite {
  template <class T> EMBER_HD bool operator()(T x) const {
    if constexpr (std::is_integral_v<T>) return true;
    else return std::isfinite(x);
  }
};
struct IsPosInf {
  template <class T> EMBER_HD bool operator()(T x) const {
    if constexpr (std::is_integral_v<T>) return false;
    else return x == T(INFINITY);
  }
};
struct IsNegInf {
  template <class T> EMBER_HD bool operator()(T x) const {
    if constexpr (std::is_integral_v<T>) return false;
    else return x == T(-INFINITY);
  }
};

// ---- unary with parameters (s0, s1 of ElementwiseArgs)
struct LeakyRelu {
  template <class T> EMBER_HD T operator()(T x, T slope, T) const { return x > T(0) ? x : x * slope; }
};
// scale * (x > 0 ? x : alpha * (exp(x) - 1)); elu and selu.
struct Elu {
  template <class T> EMBER_HD T operator()(T x, T alpha, T scale) const {
    return x > T(0) ? scale * x : scale * alpha * std::expm1(x);
  }
};
struct Softplus {
  template <class T> EMBER_HD T operator()(T x, T beta, T threshold) const {
    return x * beta > threshold ? x : std::log1p(std::exp(x * beta)) / beta;
  }
};
// s0: 0 exact (erf), 1 tanh approximation.
struct Gelu {
  template <class T> EMBER_HD T operator()(T x, T approximate, T) const {
    if (approximate != T(0)) {
      const T k = T(0.7978845608028654);  // sqrt(2 / pi)
      return T(0.5) * x * (T(1) + std::tanh(k * (x + T(0.044715) * x * x * x)));
    }
    return T(0.5) * x * (T(1) + std::erf(x * T(0.7071067811865476)));
  }
};
struct Threshold {
  template <class T> EMBER_HD T operator()(T x, T threshold, T value) const { return x > threshold ? x : value; }
};
struct IsNan {
  template <class T> EMBER_HD bool operator()(T x) const { return x != x; }
};

// ---- binary; s0 carries alpha for add/sub
struct Add {
  template <class T> EMBER_HD T operator()(T a, T b, T alpha) const { return a + alpha * b; }
};
struct Sub {
  template <class T> EMBER_HD T operator()(T a, T b, T alpha) const { return a - alpha * b; }
};
struct Mul {
  template <class T> EMBER_HD T operator()(T a, T b) const { return a * b; }
};
struct Div {
  template <class T> EMBER_HD T operator()(T a, T b) const { return a / b; }
};
struct DivTrunc {
  template <class T> EMBER_HD T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) return a / b;
    else return std::trunc(a / b);
  }
};
struct DivFloor {
  template <class T> EMBER_HD T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      T q = a / b;
      return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
    } else {
      // Python's floor division: floor(a / b) computed from fmod for exactness.
      if (b == T(0)) return a / b;
      T mod = std::fmod(a, b);
      T div = (a - mod) / b;
      if (mod != T(0) && ((b < T(0)) != (mod < T(0)))) div -= T(1);
      if (div == T(0)) return std::copysign(T(0), a / b);
      T floordiv = std::floor(div);
      if (div - floordiv > T(0.5)) floordiv += T(1);
      return floordiv;
    }
  }
};

// Python's modulo: the result takes the divisor's sign.
struct Remainder {
  template <class T> EMBER_HD T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      if constexpr (std::is_signed_v<T>) if (b == T(-1)) return T(0);
      T r = a % b;
      if constexpr (std::is_signed_v<T>) if (r != 0 && ((r < 0) != (b < 0))) r += b;
      return r;
    } else {
      T r = std::fmod(a, b);
      if (r != T(0) && ((r < T(0)) != (b < T(0)))) r += b;
      return r;
    }
  }
};
struct Fmod {
  template <class T> EMBER_HD T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      if constexpr (std::is_signed_v<T>) if (b == T(-1)) return T(0);
      return a % b;
    } else {
      return std::fmod(a, b);
    }
  }
};
struct Pow {
  template <class T> EMBER_HD T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      if constexpr (std::is_signed_v<T>) {
        if (b < 0) {
          if (a == 1) return T(1);
          if (a == -1) return (b & 1) ? T(-1) : T(1);
          return T(0);
        }
      }
      using U = std::make_unsigned_t<T>;
      U base = U(a), r = 1;
      for (T e = b; e; e >>= 1) {
        if (e & 1) r = U(r * base);
        base = U(base * base);
      }
      return T(r);
    } else {
      if (b == T(2)) return a * a;
      return std::pow(a, b);
    }
  }
};
struct Atan2 {
  template <class T> EMBER_HD T operator()(T a, T b) const { return std::atan2(a, b); }
};
// x * log(y) with 0 where x == 0, NaN where y is NaN (PyTorch's xlogy).
struct Xlogy {
  template <class T> EMBER_HD T operator()(T x, T y) const {
    if (y != y) return y;
    if (x == T(0)) return T(0);
    return x * std::log(y);
  }
};
struct Hypot {
  template <class T> EMBER_HD T operator()(T a, T b) const { return std::hypot(a, b); }
};
// maximum/minimum propagate NaN; fmax/fmin ignore it.
struct Maximum {
  template <class T> EMBER_HD T operator()(T a, T b) const {
    if constexpr (!std::is_integral_v<T>) if (a != a || b != b) return a != a ? a : b;
    return a > b ? a : b;
  }
};
struct Minimum {
  template <class T> EMBER_HD T operator()(T a, T b) const {
    if constexpr (!std::is_integral_v<T>) if (a != a || b != b) return a != a ? a : b;
    return a < b ? a : b;
  }
};
struct Fmax {
  template <class T> EMBER_HD T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) return a > b ? a : b;
    else return std::fmax(a, b);
  }
};
struct Fmin {
  template <class T> EMBER_HD T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) return a < b ? a : b;
    else return std::fmin(a, b);
  }
};
struct Copysign {
  template <class T> EMBER_HD T operator()(T a, T b) const { return std::copysign(a, b); }
};
// start + weight * (end - start), exact at both ends (PyTorch's formula).
struct Lerp {
  template <class T> EMBER_HD T operator()(T s, T e, T w) const {
    T d = e - s;
    return std::fabs(w) < T(0.5) ? s + w * d : e - d * (T(1) - w);
  }
};
struct BitAnd {
  template <class T> EMBER_HD T operator()(T a, T b) const { return a & b; }
};
struct BitOr {
  template <class T> EMBER_HD T operator()(T a, T b) const { return a | b; }
};
struct BitXor {
  template <class T> EMBER_HD T operator()(T a, T b) const { return a ^ b; }
};
// Shifts by a negative or too-large amount give 0 (left) or the sign fill (right), as PyTorch.
struct LShift {
  template <class T> EMBER_HD T operator()(T a, T b) const {
    constexpr int bits = int(sizeof(T) * 8);
    if constexpr (std::is_signed_v<T>) if (b < 0) return T(0);
    if (int64_t(b) >= bits) return T(0);
    return T(std::make_unsigned_t<T>(a) << b);
  }
};
struct RShift {
  template <class T> EMBER_HD T operator()(T a, T b) const {
    constexpr int bits = int(sizeof(T) * 8);
    bool big = int64_t(b) >= bits;
    if constexpr (std::is_signed_v<T>) big = big || b < 0;
    if (big) {
      if constexpr (std::is_signed_v<T>) return a < 0 ? T(-1) : T(0);
      else return T(0);
    }
    return T(a >> b);
  }
};
struct Eq {
  template <class T> EMBER_HD bool operator()(T a, T b) const { return a == b; }
};
struct Ne {
  template <class T> EMBER_HD bool operator()(T a, T b) const { return a != b; }
};
struct Lt {
  template <class T> EMBER_HD bool operator()(T a, T b) const { return a < b; }
};
struct Le {
  template <class T> EMBER_HD bool operator()(T a, T b) const { return a <= b; }
};
struct Gt {
  template <class T> EMBER_HD bool operator()(T a, T b) const { return a > b; }
};
struct Ge {
  template <class T> EMBER_HD bool operator()(T a, T b) const { return a >= b; }
};
struct LogicalAnd {
  template <class T> EMBER_HD bool operator()(T a, T b) const { return (a != T(0)) && (b != T(0)); }
};
struct LogicalOr {
  template <class T> EMBER_HD bool operator()(T a, T b) const { return (a != T(0)) || (b != T(0)); }
};
struct LogicalXor {
  template <class T> EMBER_HD bool operator()(T a, T b) const { return (a != T(0)) != (b != T(0)); }
};

}  // namespace ember::functors
