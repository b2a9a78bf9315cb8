#pragma once
#include <functional>
#include <optional>

#include "ember/tensor.h"

namespace ember {

struct TensorOptions {
  std::optional<Dtype> dtype_;
  Device device_;
  bool requires_grad_ = false;

  TensorOptions() = default;
  TensorOptions(Dtype d) : dtype_(d) {}
  TensorOptions dtype(Dtype d) const { auto o = *this; o.dtype_ = d; return o; }
  TensorOptions dtype(std::optional<Dtype> d) const { auto o = *this; o.dtype_ = d; return o; }
  TensorOptions device(Device d) const { auto o = *this; o.device_ = d; return o; }
  TensorOptions requires_grad(bool r) const { auto o = *this; o.requires_grad_ = r; return o; }
  Dtype dtype_or_default() const { return dtype_ ? *dtype_ : get_default_dtype(); }
};

EMBER_API Tensor empty(const Shape& shape, TensorOptions options = {});
EMBER_API Tensor empty_strided(const Shape& shape, const Strides& strides, TensorOptions options = {});
EMBER_API Tensor zeros(const Shape& shape, TensorOptions options = {});
EMBER_API Tensor ones(const Shape& shape, TensorOptions options = {});
EMBER_API Tensor full(const Shape& shape, const Scalar& value, TensorOptions options = {});
// *_like: same shape, and the source's dtype/device unless the options say otherwise.
EMBER_API Tensor empty_like(const Tensor& t, TensorOptions options = {});
EMBER_API Tensor zeros_like(const Tensor& t, TensorOptions options = {});
EMBER_API Tensor ones_like(const Tensor& t, TensorOptions options = {});
EMBER_API Tensor full_like(const Tensor& t, const Scalar& value, TensorOptions options = {});
// A 0-dim tensor; wrapped=true marks it as a Python number for type promotion.
EMBER_API Tensor scalar_tensor(const Scalar& value, TensorOptions options = {}, bool wrapped = false);
EMBER_API Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step = 1, TensorOptions options = {});
EMBER_API Tensor linspace(double start, double end, int64_t steps, TensorOptions options = {});
EMBER_API Tensor logspace(double start, double end, int64_t steps, double base = 10.0, TensorOptions options = {});
EMBER_API Tensor eye(int64_t n, int64_t m = -1, TensorOptions options = {});
// Wrap memory someone else owns; `deleter` runs when the last view is gone.
EMBER_API Tensor from_blob(void* data, const Shape& shape, const Strides& strides, Dtype dtype,
                           std::function<void(void*)> deleter, Device device = Device());

}  // namespace ember
