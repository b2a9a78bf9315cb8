#pragma once
#include <optional>
#include <vector>

#include "ember/tensor.h"

namespace ember {

using DimList = std::vector<int64_t>;  // empty: every dim

EMBER_API Tensor sum(const Tensor& x, const DimList& dims = {}, bool keepdim = false,
                     std::optional<Dtype> dtype = std::nullopt);
EMBER_API Tensor mean(const Tensor& x, const DimList& dims = {}, bool keepdim = false,
                      std::optional<Dtype> dtype = std::nullopt);
EMBER_API Tensor any(const Tensor& x, const DimList& dims = {}, bool keepdim = false);
EMBER_API Tensor all(const Tensor& x, const DimList& dims = {}, bool keepdim = false);

}  // namespace ember
