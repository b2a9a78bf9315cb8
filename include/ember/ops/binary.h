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
