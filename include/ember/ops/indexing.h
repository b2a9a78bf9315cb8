#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ember/tensor.h"

namespace ember {

EMBER_API Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
// where(cond) with one argument: nonzero(cond, as_tuple=True).
EMBER_API std::vector<Tensor> where(const Tensor& cond);

// ---- advanced indexing (Tensor.__getitem__ / __setitem__ with tensors). `indices` has one entry
// per leading dim of self; an undefined Tensor means the whole dim (`:`). Entries are int64/int32
// index tensors or bool/uint8 masks (a k-dim mask covers k dims). Negative indices wrap.
EMBER_API Tensor index(const Tensor& self, const std::vector<Tensor>& indices);
EMBER_API Tensor index_put(const Tensor& self, const std::vector<Tensor>& indices, const Tensor& values,
                           bool accumulate = false);
EMBER_API Tensor& index_put_(Tensor& self, const std::vector<Tensor>& indices, const Tensor& values,
                             bool accumulate = false);

// ---- along one dim
EMBER_API Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index);
EMBER_API Tensor gather(const Tensor& self, int64_t dim, const Tensor& index);
// reduce: "" (plain), "add" or "multiply" (PyTorch's legacy scatter reduce argument).
EMBER_API Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                         const std::string& reduce = "");
EMBER_API Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value,
                         const std::string& reduce = "");
EMBER_API Tensor& scatter_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                           const std::string& reduce = "");
EMBER_API Tensor& scatter_(Tensor& self, int64_t dim, const Tensor& index, const Scalar& value,
                           const std::string& reduce = "");
EMBER_API Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
EMBER_API Tensor& scatter_add_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
// reduce: "sum", "prod", "mean", "amax" or "amin".
EMBER_API Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                                const std::string& reduce, bool include_self = true);
EMBER_API Tensor& scatter_reduce_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                                  const std::string& reduce, bool include_self = true);
EMBER_API Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source,
                           const Scalar& alpha = 1);
EMBER_API Tensor& index_add_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& source,
                             const Scalar& alpha = 1);
EMBER_API Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);
EMBER_API Tensor& index_copy_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);
EMBER_API Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value);
EMBER_API Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& value);  // 0-dim value
EMBER_API Tensor& index_fill_(Tensor& self, int64_t dim, const Tensor& index, const Scalar& value);
EMBER_API Tensor& index_fill_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& value);
EMBER_API Tensor take_along_dim(const Tensor& self, const Tensor& indices, std::optional<int64_t> dim = std::nullopt);

// ---- masks
EMBER_API Tensor masked_fill(const Tensor& self, const Tensor& mask, const Scalar& value);
EMBER_API Tensor masked_fill(const Tensor& self, const Tensor& mask, const Tensor& value);  // 0-dim value
EMBER_API Tensor& masked_fill_(Tensor& self, const Tensor& mask, const Scalar& value);
EMBER_API Tensor& masked_fill_(Tensor& self, const Tensor& mask, const Tensor& value);
EMBER_API Tensor masked_select(const Tensor& self, const Tensor& mask);
EMBER_API Tensor masked_scatter(const Tensor& self, const Tensor& mask, const Tensor& source);
EMBER_API Tensor& masked_scatter_(Tensor& self, const Tensor& mask, const Tensor& source);

// ---- flat positions
EMBER_API Tensor take(const Tensor& self, const Tensor& index);
EMBER_API Tensor put(const Tensor& self, const Tensor& index, const Tensor& source, bool accumulate = false);
EMBER_API Tensor& put_(Tensor& self, const Tensor& index, const Tensor& source, bool accumulate = false);

// ---- positions of nonzero elements
EMBER_API Tensor nonzero(const Tensor& self);                     // int64 [n, ndim]
EMBER_API std::vector<Tensor> nonzero_tuple(const Tensor& self);  // ndim tensors of [n]
EMBER_API Tensor argwhere(const Tensor& self);

// int64 [..., num_classes]; num_classes = -1 infers max + 1.
EMBER_API Tensor one_hot(const Tensor& self, int64_t num_classes = -1);

}  // namespace ember
