#pragma once
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
#undef EMBER_DECLARE_UNARY

EMBER_API Tensor isnan(const Tensor& x);
// grad where self > threshold, else 0 (the backward of relu/threshold).
EMBER_API Tensor threshold_backward(const Tensor& grad, const Tensor& self, double threshold);

inline Tensor operator-(const Tensor& x) { return neg(x); }

}  // namespace ember
