#pragma once
#include "ember/tensor.h"

namespace ember {

EMBER_API Tensor mm(const Tensor& a, const Tensor& b);
EMBER_API Tensor bmm(const Tensor& a, const Tensor& b);
EMBER_API Tensor matmul(const Tensor& a, const Tensor& b);

}  // namespace ember
