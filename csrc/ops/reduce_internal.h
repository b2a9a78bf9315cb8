#pragma once
// Helpers shared by the reduce, softmax and sort op files (private).
#include <vector>

#include "ops/op_utils.h"

namespace ember {

// Which dims of an ndim tensor a dim list reduces (empty list: all).
std::vector<bool> reduced_dim_mask(const DimList& dims, int64_t ndim, const char* op);
Shape reduced_shape(const Shape& in, const std::vector<bool>& mask, bool keepdim);
// Run a reduction kernel into a new `out_dtype` tensor (index: an int64 tensor of the same shape
// receives positions when given).
Tensor run_reduction(const DispatchStub<ReduceFn>& stub, const char* op, const Tensor& in, const DimList& dims,
                     bool keepdim, Dtype out_dtype, double param, Tensor* index = nullptr);
// grad of a reduction, broadcast back over the reduced dims.
Tensor expand_reduced_grad(const Tensor& grad, const Shape& in_shape, const std::vector<bool>& mask, bool keepdim);

namespace detail {
// 1/0 where x == y (y broadcasts), in x's dtype; sign(x); |x|. Not differentiable (mask-like).
Tensor equal_mask(const Tensor& x, const Tensor& y);
Tensor sign(const Tensor& x);
Tensor abs(const Tensor& x);
// out = in gathered along dim at index; differentiable in `in` (backward: scatter_add_dim).
Tensor gather_dim(const Tensor& in, int64_t dim, const Tensor& index);
// zeros(sizes) with src added at index along dim; differentiable in `src` (backward: gather_dim).
Tensor scatter_add_dim(const Tensor& src, int64_t dim, const Tensor& index, const Shape& sizes);
}  // namespace detail

}  // namespace ember
