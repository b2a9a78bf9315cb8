#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ember/scalar.h"
#include "ember/tensor.h"

namespace ember {

EMBER_API Tensor mm(const Tensor& a, const Tensor& b);
EMBER_API Tensor bmm(const Tensor& a, const Tensor& b);
EMBER_API Tensor matmul(const Tensor& a, const Tensor& b);
// beta * input + alpha * (mat1 @ mat2): one GEMM whose C starts as the broadcast input.
EMBER_API Tensor addmm(const Tensor& input, const Tensor& mat1, const Tensor& mat2, const Scalar& beta = 1,
                       const Scalar& alpha = 1);
EMBER_API Tensor baddbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, const Scalar& beta = 1,
                         const Scalar& alpha = 1);
EMBER_API Tensor addbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, const Scalar& beta = 1,
                        const Scalar& alpha = 1);
EMBER_API Tensor addmv(const Tensor& input, const Tensor& mat, const Tensor& vec, const Scalar& beta = 1,
                       const Scalar& alpha = 1);
EMBER_API Tensor mv(const Tensor& mat, const Tensor& vec);
EMBER_API Tensor dot(const Tensor& a, const Tensor& b);
EMBER_API Tensor vdot(const Tensor& a, const Tensor& b);
EMBER_API Tensor outer(const Tensor& a, const Tensor& b);
EMBER_API Tensor inner(const Tensor& a, const Tensor& b);
EMBER_API Tensor kron(const Tensor& a, const Tensor& b);
EMBER_API Tensor tensordot(const Tensor& a, const Tensor& b, const std::vector<int64_t>& dims_a,
                           const std::vector<int64_t>& dims_b);
EMBER_API Tensor tensordot(const Tensor& a, const Tensor& b, int64_t dims = 2);
EMBER_API Tensor matrix_power(const Tensor& a, int64_t n);
EMBER_API Tensor trace(const Tensor& a);
EMBER_API Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands);
// input @ weight.T + bias (bias optional): one GEMM with the bias as its starting C.
EMBER_API Tensor linear(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias = std::nullopt);

}  // namespace ember
