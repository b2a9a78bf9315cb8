#pragma once
#include <optional>
#include <utility>
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
// dim: nullopt reduces every dim (keepdim then ignored).
EMBER_API Tensor prod(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false,
                      std::optional<Dtype> dtype = std::nullopt);
EMBER_API Tensor max(const Tensor& x);  // every element; NaN propagates
EMBER_API Tensor min(const Tensor& x);
// (values, indices) along dim; the first position of the extreme (first NaN).
EMBER_API std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
EMBER_API std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
EMBER_API Tensor amax(const Tensor& x, const DimList& dims = {}, bool keepdim = false);
EMBER_API Tensor amin(const Tensor& x, const DimList& dims = {}, bool keepdim = false);
// dim nullopt: over the flattened input.
EMBER_API Tensor argmax(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
EMBER_API Tensor argmin(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
EMBER_API Tensor count_nonzero(const Tensor& x, const DimList& dims = {});
EMBER_API Tensor logsumexp(const Tensor& x, const DimList& dims, bool keepdim = false);
EMBER_API Tensor nansum(const Tensor& x, const DimList& dims = {}, bool keepdim = false,
                        std::optional<Dtype> dtype = std::nullopt);
EMBER_API Tensor nanmean(const Tensor& x, const DimList& dims = {}, bool keepdim = false,
                         std::optional<Dtype> dtype = std::nullopt);
EMBER_API Tensor cumsum(const Tensor& x, int64_t dim, std::optional<Dtype> dtype = std::nullopt);
EMBER_API Tensor cumprod(const Tensor& x, int64_t dim, std::optional<Dtype> dtype = std::nullopt);
// correction: nullopt means 1 (Bessel's correction).
EMBER_API Tensor var(const Tensor& x, const DimList& dims = {}, std::optional<double> correction = std::nullopt,
                     bool keepdim = false);
EMBER_API Tensor std(const Tensor& x, const DimList& dims = {}, std::optional<double> correction = std::nullopt,
                     bool keepdim = false);
EMBER_API std::pair<Tensor, Tensor> var_mean(const Tensor& x, const DimList& dims = {},
                                             std::optional<double> correction = std::nullopt, bool keepdim = false);
EMBER_API std::pair<Tensor, Tensor> std_mean(const Tensor& x, const DimList& dims = {},
                                             std::optional<double> correction = std::nullopt, bool keepdim = false);
// Vector p-norm (p may be +-inf or 0) over dims.
EMBER_API Tensor norm(const Tensor& x, double p = 2, const DimList& dims = {}, bool keepdim = false,
                      std::optional<Dtype> dtype = std::nullopt);
// The gradient of a value-selecting reduction (max/min/median/mode/kthvalue along dim): grad
// scattered to `indices` in a zero tensor of `sizes`.
EMBER_API Tensor value_selecting_reduction_backward(const Tensor& grad, int64_t dim, const Tensor& indices,
                                                    const Shape& sizes, bool keepdim);

// ---- softmax family (csrc/ops/softmax.cpp)
EMBER_API Tensor softmax(const Tensor& x, int64_t dim, std::optional<Dtype> dtype = std::nullopt);
EMBER_API Tensor log_softmax(const Tensor& x, int64_t dim, std::optional<Dtype> dtype = std::nullopt);
// grad_input from grad_output and the forward's output (PyTorch's _softmax_backward_data).
EMBER_API Tensor softmax_backward(const Tensor& grad, const Tensor& output, int64_t dim);
EMBER_API Tensor log_softmax_backward(const Tensor& grad, const Tensor& output, int64_t dim);

// ---- sort family (csrc/ops/sort.cpp); NaN sorts above every number
EMBER_API std::pair<Tensor, Tensor> sort(const Tensor& x, int64_t dim = -1, bool descending = false, bool stable = false);
EMBER_API Tensor argsort(const Tensor& x, int64_t dim = -1, bool descending = false, bool stable = false);
EMBER_API Tensor msort(const Tensor& x);
EMBER_API std::pair<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim = -1, bool largest = true,
                                         bool sorted = true);
EMBER_API std::pair<Tensor, Tensor> kthvalue(const Tensor& x, int64_t k, int64_t dim = -1, bool keepdim = false);
EMBER_API Tensor median(const Tensor& x);  // the lower median; NaN if any
EMBER_API std::pair<Tensor, Tensor> median(const Tensor& x, int64_t dim, bool keepdim = false);
EMBER_API std::pair<Tensor, Tensor> mode(const Tensor& x, int64_t dim = -1, bool keepdim = false);
// Sorted distinct values of the flattened input, then the inverse (input's shape) and counts when asked.
EMBER_API std::vector<Tensor> unique(const Tensor& x, bool sorted = true, bool return_inverse = false,
                                     bool return_counts = false);

}  // namespace ember
