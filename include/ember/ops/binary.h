#pragma once
#include <string>

#include "ember/tensor.h"

namespace ember {

// PyTorch's promotion over tensors (0-dim and wrapped numbers rank below dimensioned tensors).
EMBER_API Dtype result_type(const Tensor& a, const Tensor& b);
EMBER_API Dtype result_type(const Tensor& a, const Scalar& b);

// ---- arithmetic (broadcasting; the Scalar forms treat the scalar as a Python number)
EMBER_API Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
EMBER_API Tensor add(const Tensor& a, const Scalar& b, const Scalar& alpha = 1);
EMBER_API Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
EMBER_API Tensor sub(const Tensor& a, const Scalar& b, const Scalar& alpha = 1);
EMBER_API Tensor rsub(const Tensor& a, const Scalar& b, const Scalar& alpha = 1);  // b - alpha * a
EMBER_API Tensor mul(const Tensor& a, const Tensor& b);
EMBER_API Tensor mul(const Tensor& a, const Scalar& b);
// rounding_mode: "" (true division), "trunc" or "floor"
EMBER_API Tensor div(const Tensor& a, const Tensor& b, const std::string& rounding_mode = "");
EMBER_API Tensor div(const Tensor& a, const Scalar& b, const std::string& rounding_mode = "");
EMBER_API Tensor rdiv(const Tensor& a, const Scalar& b);  // b / a
EMBER_API Tensor& add_(Tensor& a, const Tensor& b, const Scalar& alpha = 1);
EMBER_API Tensor& add_(Tensor& a, const Scalar& b, const Scalar& alpha = 1);
EMBER_API Tensor& sub_(Tensor& a, const Tensor& b, const Scalar& alpha = 1);
EMBER_API Tensor& mul_(Tensor& a, const Tensor& b);
EMBER_API Tensor& mul_(Tensor& a, const Scalar& b);
EMBER_API Tensor& div_(Tensor& a, const Tensor& b, const std::string& rounding_mode = "");

// ---- more arithmetic: each as f(a, b), f(a, scalar) and the in-place f_(a, b)
#define EMBER_DECLARE_BINARY(name)                                  \
  EMBER_API Tensor name(const Tensor& a, const Tensor& b);          \
  EMBER_API Tensor name(const Tensor& a, const Scalar& b);          \
  EMBER_API Tensor& name##_(Tensor& a, const Tensor& b);
EMBER_DECLARE_BINARY(remainder)  // Python's %: the sign of the divisor
EMBER_DECLARE_BINARY(fmod)       // C's fmod: the sign of the dividend
EMBER_DECLARE_BINARY(floor_divide)
EMBER_DECLARE_BINARY(pow)
EMBER_DECLARE_BINARY(atan2)
EMBER_DECLARE_BINARY(hypot)
EMBER_DECLARE_BINARY(maximum)
EMBER_DECLARE_BINARY(minimum)
EMBER_DECLARE_BINARY(fmax)
EMBER_DECLARE_BINARY(fmin)
EMBER_DECLARE_BINARY(copysign)
EMBER_DECLARE_BINARY(xlogy)  // x * log(y), 0 where x == 0 (NaN y still gives NaN)
// integer/bool only
EMBER_DECLARE_BINARY(bitwise_and)
EMBER_DECLARE_BINARY(bitwise_or)
EMBER_DECLARE_BINARY(bitwise_xor)
EMBER_DECLARE_BINARY(bitwise_left_shift)
EMBER_DECLARE_BINARY(bitwise_right_shift)
// bool results (the in-place forms write 0/1 into a's dtype)
EMBER_DECLARE_BINARY(eq)
EMBER_DECLARE_BINARY(ne)
EMBER_DECLARE_BINARY(lt)
EMBER_DECLARE_BINARY(le)
EMBER_DECLARE_BINARY(gt)
EMBER_DECLARE_BINARY(ge)
EMBER_DECLARE_BINARY(logical_and)
EMBER_DECLARE_BINARY(logical_or)
EMBER_DECLARE_BINARY(logical_xor)
#undef EMBER_DECLARE_BINARY
EMBER_API Tensor pow(const Scalar& base, const Tensor& exponent);
EMBER_API Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight);
EMBER_API Tensor lerp(const Tensor& start, const Tensor& end, const Scalar& weight);
EMBER_API Tensor& lerp_(Tensor& start, const Tensor& end, const Tensor& weight);
EMBER_API Tensor& lerp_(Tensor& start, const Tensor& end, const Scalar& weight);
EMBER_API Tensor isclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);
EMBER_API bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false);
EMBER_API bool equal(const Tensor& a, const Tensor& b);  // same shape and values

// Sum `t` over the dims that broadcasting added to reach it from `shape` (binary-op backward).
EMBER_API Tensor sum_to_shape(const Tensor& t, const Shape& shape);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator+(const Tensor& a, const Scalar& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Scalar& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Scalar& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Scalar& b) { return div(a, b); }
inline Tensor operator*(const Scalar& a, const Tensor& b) { return mul(b, a); }
inline Tensor operator+(const Scalar& a, const Tensor& b) { return add(b, a); }

}  // namespace ember
