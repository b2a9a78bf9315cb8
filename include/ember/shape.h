#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ember/api.h"

namespace ember {

using Shape = std::vector<int64_t>;    // sizes, outermost first
using Strides = std::vector<int64_t>;  // in elements

EMBER_API Strides contiguous_strides(const Shape& shape);
EMBER_API int64_t shape_numel(const Shape& shape);
EMBER_API std::string shape_str(const Shape& shape);  // "[2, 3]"
// Broadcast two shapes by NumPy rules; throws naming `op` when they are incompatible.
EMBER_API Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op = "broadcast");
// Wrap a possibly negative dim into [0, ndim); throws IndexError naming `op`.
EMBER_API int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op = "dim");

}  // namespace ember
