#pragma once
#include "ember/tensor.h"

namespace ember {

// self <- src (broadcast, any dtype); returns self.
EMBER_API Tensor& copy_(Tensor& self, const Tensor& src);
EMBER_API Tensor& fill_(Tensor& self, const Scalar& value);
EMBER_API Tensor& zero_(Tensor& self);
EMBER_API Tensor clone(const Tensor& t);
EMBER_API Tensor contiguous(const Tensor& t);
EMBER_API Tensor to_dtype(const Tensor& t, Dtype dtype, bool copy = false);
EMBER_API Tensor to_device(const Tensor& t, Device device, bool copy = false);
EMBER_API Tensor detach(const Tensor& t);

}  // namespace ember
