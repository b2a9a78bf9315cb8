#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ember/tensor.h"

namespace ember {

// Copying shape ops: the result owns new storage.
EMBER_API Tensor cat(const std::vector<Tensor>& tensors, int64_t dim = 0);  // promotes dtypes; skips empty 1-D
EMBER_API Tensor stack(const std::vector<Tensor>& tensors, int64_t dim = 0);
EMBER_API Tensor hstack(const std::vector<Tensor>& tensors);
EMBER_API Tensor vstack(const std::vector<Tensor>& tensors);
EMBER_API Tensor dstack(const std::vector<Tensor>& tensors);
EMBER_API Tensor atleast_1d(const Tensor& x);
EMBER_API Tensor atleast_2d(const Tensor& x);
EMBER_API Tensor atleast_3d(const Tensor& x);
EMBER_API Tensor flip(const Tensor& x, const std::vector<int64_t>& dims);
EMBER_API Tensor fliplr(const Tensor& x);
EMBER_API Tensor flipud(const Tensor& x);
EMBER_API Tensor rot90(const Tensor& x, int64_t k = 1, const std::vector<int64_t>& dims = {0, 1});
EMBER_API Tensor narrow_copy(const Tensor& x, int64_t dim, int64_t start, int64_t length);
EMBER_API Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims = {});
EMBER_API Tensor repeat(const Tensor& x, const std::vector<int64_t>& repeats);
EMBER_API Tensor tile(const Tensor& x, const std::vector<int64_t>& dims);
EMBER_API Tensor repeat_interleave(const Tensor& x, int64_t repeats, std::optional<int64_t> dim = std::nullopt);
EMBER_API Tensor repeat_interleave(const Tensor& x, const Tensor& repeats, std::optional<int64_t> dim = std::nullopt);
EMBER_API Tensor repeat_interleave(const Tensor& repeats);  // indices repeated: [0]*r0 + [1]*r1 + ...
EMBER_API Tensor tril(const Tensor& x, int64_t diagonal = 0);
EMBER_API Tensor triu(const Tensor& x, int64_t diagonal = 0);

// nn.functional.pad: pads = (last_left, last_right, 2nd_last_left, ...); mode constant (negative
// pads crop), reflect, replicate or circular.
EMBER_API Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, const std::string& mode = "constant",
                     std::optional<double> value = std::nullopt);

}  // namespace ember
