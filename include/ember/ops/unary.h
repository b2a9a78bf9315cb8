#pragma once
#include <optional>
#include <string>

#include "ember/tensor.h"

namespace ember {

// Table-driven ops (csrc/ops/unary_ops.def): f(x) and the in-place f_(x).
#define EMBER_DECLARE_UNARY(name) \
  EMBER_API Tensor name(const Tensor& x); \
  EMBER_API Tensor& name##_(Tensor& x);
EMBER_DECLARE_UNARY(neg)
EMBER_DECLARE_UNARY(exp)
EMBER_DECLARE_UNARY(log)
EMBER_DECLARE_UNARY(sqrt)
EMBER_DECLARE_UNARY(tanh)
EMBER_DECLARE_UNARY(sigmoid)
EMBER_DECLARE_UNARY(relu)
EMBER_DECLARE_UNARY(abs)
EMBER_DECLARE_UNARY(sign)
EMBER_DECLARE_UNARY(reciprocal)
EMBER_DECLARE_UNARY(exp2)
EMBER_DECLARE_UNARY(expm1)
EMBER_DECLARE_UNARY(log2)
EMBER_DECLARE_UNARY(log10)
EMBER_DECLARE_UNARY(log1p)
EMBER_DECLARE_UNARY(rsqrt)
EMBER_DECLARE_UNARY(sin)
EMBER_DECLARE_UNARY(cos)
EMBER_DECLARE_UNARY(tan)
EMBER_DECLARE_UNARY(asin)
EMBER_DECLARE_UNARY(acos)
EMBER_DECLARE_UNARY(atan)
EMBER_DECLARE_UNARY(sinh)
EMBER_DECLARE_UNARY(cosh)
EMBER_DECLARE_UNARY(asinh)
EMBER_DECLARE_UNARY(acosh)
EMBER_DECLARE_UNARY(atanh)
EMBER_DECLARE_UNARY(erf)
EMBER_DECLARE_UNARY(erfc)
EMBER_DECLARE_UNARY(erfinv)
EMBER_DECLARE_UNARY(floor)
EMBER_DECLARE_UNARY(ceil)
EMBER_DECLARE_UNARY(trunc)
EMBER_DECLARE_UNARY(round)
EMBER_DECLARE_UNARY(frac)
EMBER_DECLARE_UNARY(square)
EMBER_DECLARE_UNARY(silu)
EMBER_DECLARE_UNARY(mish)
EMBER_DECLARE_UNARY(softsign)
EMBER_DECLARE_UNARY(logsigmoid)
EMBER_DECLARE_UNARY(selu)
EMBER_DECLARE_UNARY(hardswish)
EMBER_DECLARE_UNARY(hardsigmoid)
#undef EMBER_DECLARE_UNARY

EMBER_API Tensor isnan(const Tensor& x);
// grad where self > threshold, else 0 (the backward of relu/threshold).
EMBER_API Tensor threshold_backward(const Tensor& grad, const Tensor& self, double threshold);

// Predicates and logical/bitwise not (bool out for the predicates and logical_not).
EMBER_API Tensor isinf(const Tensor& x);
EMBER_API Tensor isfinite(const Tensor& x);
EMBER_API Tensor isposinf(const Tensor& x);
EMBER_API Tensor isneginf(const Tensor& x);
EMBER_API Tensor logical_not(const Tensor& x);
EMBER_API Tensor& logical_not_(Tensor& x);
EMBER_API Tensor bitwise_not(const Tensor& x);
EMBER_API Tensor& bitwise_not_(Tensor& x);
EMBER_API Tensor round(const Tensor& x, int64_t decimals);
EMBER_API Tensor& round_(Tensor& x, int64_t decimals);

// ---- clamp and activations with parameters (csrc/ops/activation.cpp)
// A missing bound is std::nullopt (scalars) or an undefined Tensor (tensors).
EMBER_API Tensor clamp(const Tensor& x, const std::optional<Scalar>& min, const std::optional<Scalar>& max);
EMBER_API Tensor& clamp_(Tensor& x, const std::optional<Scalar>& min, const std::optional<Scalar>& max);
EMBER_API Tensor clamp(const Tensor& x, const Tensor& min, const Tensor& max);
EMBER_API Tensor& clamp_(Tensor& x, const Tensor& min, const Tensor& max);
EMBER_API Tensor hardtanh(const Tensor& x, const Scalar& min_val = -1, const Scalar& max_val = 1);
EMBER_API Tensor& hardtanh_(Tensor& x, const Scalar& min_val = -1, const Scalar& max_val = 1);
EMBER_API Tensor relu6(const Tensor& x);
EMBER_API Tensor& relu6_(Tensor& x);
EMBER_API Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
EMBER_API Tensor& leaky_relu_(Tensor& x, double negative_slope = 0.01);
EMBER_API Tensor elu(const Tensor& x, double alpha = 1.0);
EMBER_API Tensor& elu_(Tensor& x, double alpha = 1.0);
EMBER_API Tensor celu(const Tensor& x, double alpha = 1.0);
EMBER_API Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
EMBER_API Tensor gelu(const Tensor& x, const std::string& approximate = "none");
EMBER_API Tensor threshold(const Tensor& x, double threshold, double value);
EMBER_API Tensor& threshold_(Tensor& x, double threshold, double value);

inline Tensor operator-(const Tensor& x) { return neg(x); }

}  // namespace ember
