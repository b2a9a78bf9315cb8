#pragma once
#include "ember/tensor.h"

namespace ember {

EMBER_API Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

}  // namespace ember
