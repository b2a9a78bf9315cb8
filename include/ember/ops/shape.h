#pragma once
#include <vector>

#include "ember/tensor.h"

namespace ember {

// Views share storage (and the version counter) with their input.
EMBER_API Tensor as_strided(const Tensor& x, const Shape& sizes, const Strides& strides, int64_t storage_offset = -1);
EMBER_API Tensor view(const Tensor& x, const Shape& shape);       // one dim may be -1
EMBER_API Tensor reshape(const Tensor& x, const Shape& shape);    // a view when possible, else a copy
EMBER_API Tensor expand(const Tensor& x, const Shape& shape);     // -1 keeps a dim
EMBER_API Tensor permute(const Tensor& x, const std::vector<int64_t>& dims);
EMBER_API Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
EMBER_API Tensor squeeze(const Tensor& x, const std::vector<int64_t>& dims = {});  // empty: all size-1 dims
EMBER_API Tensor unsqueeze(const Tensor& x, int64_t dim);
EMBER_API Tensor select(const Tensor& x, int64_t dim, int64_t index);
EMBER_API Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step = 1);
EMBER_API Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
EMBER_API Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);

}  // namespace ember
