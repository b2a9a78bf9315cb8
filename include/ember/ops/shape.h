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
EMBER_API Tensor unflatten(const Tensor& x, int64_t dim, const Shape& sizes);  // one size may be -1
EMBER_API std::vector<Tensor> unbind(const Tensor& x, int64_t dim = 0);
EMBER_API std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim = 0);
EMBER_API std::vector<Tensor> split_with_sizes(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim = 0);
EMBER_API std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim = 0);
EMBER_API std::vector<Tensor> tensor_split(const Tensor& x, int64_t sections, int64_t dim = 0);
EMBER_API std::vector<Tensor> tensor_split(const Tensor& x, const std::vector<int64_t>& indices, int64_t dim = 0);
EMBER_API Tensor diagonal(const Tensor& x, int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1);
EMBER_API Tensor unfold(const Tensor& x, int64_t dimension, int64_t size, int64_t step);  // windows may overlap
EMBER_API Tensor movedim(const Tensor& x, const std::vector<int64_t>& source, const std::vector<int64_t>& destination);
EMBER_API Tensor t(const Tensor& x);                                           // <= 2-D
EMBER_API Tensor matrix_transpose(const Tensor& x, const char* name = "mT");   // swap the last two dims
EMBER_API Tensor reverse_dims(const Tensor& x);                                // Tensor.T

}  // namespace ember
