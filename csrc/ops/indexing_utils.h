#pragma once
// Helpers shared by ops/indexing.cpp and ops/indexing_dim.cpp (private).
#include <utility>
#include <vector>

#include "ops/op_utils.h"

namespace ember {

// min and max of an integer tensor with numel > 0 (see Note [index validation]).
std::pair<int64_t, int64_t> index_min_max(const Tensor& idx);

// A kernel View of t's data with the given geometry (pointers into sizes/strides).
View raw_view(const Tensor& t, const Shape& sizes, const Strides& strides);

// Strides of t broadcast (right-aligned) to `shape`: 0 on dims t lacks or has size 1.
Strides broadcast_strides(const Tensor& t, const Shape& shape);

// The geometry of one index / index_put kernel call (dispatch/kernels.h, IndexArgs).
struct IndexPlan {
  Shape shape;
  Strides self_strides, values_strides;
  std::vector<Tensor> idx;
  std::vector<Strides> idx_strides;
  std::vector<int64_t> indexed_sizes, indexed_strides;
  void add_index(const Tensor& t, Strides strides, int64_t size, int64_t stride);
  void run(const DispatchStub<IndexFn>& stub, const Tensor& self, const Tensor& values, int reduce = 0) const;
};

// `values` detached, cloned if it shares memory with the tensor about to be written.
Tensor values_for_write(const Tensor& self, const Tensor& values);

}  // namespace ember
