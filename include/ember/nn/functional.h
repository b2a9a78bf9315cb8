#pragma once
// The compute behind ember.nn.functional: convolution, pooling (more families join here).
#include <string>
#include <tuple>
#include <vector>

#include "ember/tensor.h"

namespace ember::nn::functional {

using IntList = std::vector<int64_t>;  // one value (used for every spatial dim) or one per dim

// ---- convolution (csrc/ops/conv.cpp). padding_mode: "" (use `padding`), "same" or "valid".
EMBER_API Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(), IntList stride = {1},
                        IntList padding = {0}, IntList dilation = {1}, int64_t groups = 1,
                        const std::string& padding_mode = "");
EMBER_API Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(), IntList stride = {1},
                        IntList padding = {0}, IntList dilation = {1}, int64_t groups = 1,
                        const std::string& padding_mode = "");
EMBER_API Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                                  IntList stride = {1}, IntList padding = {0}, IntList output_padding = {0},
                                  int64_t groups = 1, IntList dilation = {1});
EMBER_API Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                                  IntList stride = {1}, IntList padding = {0}, IntList output_padding = {0},
                                  int64_t groups = 1, IntList dilation = {1});

// ---- pooling (csrc/ops/pool.cpp). Empty stride = kernel_size.
EMBER_API std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, IntList kernel_size,
                                                             IntList stride = {}, IntList padding = {0},
                                                             IntList dilation = {1}, bool ceil_mode = false);
EMBER_API Tensor max_pool2d(const Tensor& input, IntList kernel_size, IntList stride = {}, IntList padding = {0},
                            IntList dilation = {1}, bool ceil_mode = false);
EMBER_API Tensor avg_pool2d(const Tensor& input, IntList kernel_size, IntList stride = {}, IntList padding = {0},
                            bool ceil_mode = false, bool count_include_pad = true, int64_t divisor_override = 0);
EMBER_API Tensor adaptive_avg_pool2d(const Tensor& input, IntList output_size);
EMBER_API std::tuple<Tensor, Tensor> adaptive_max_pool2d(const Tensor& input, IntList output_size);

// ---- normalisation (csrc/ops/norm.cpp)
EMBER_API Tensor layer_norm(const Tensor& input, IntList normalized_shape, const Tensor& weight = Tensor(),
                            const Tensor& bias = Tensor(), double eps = 1e-5);
// Updates running_mean / running_var in place when training and they are defined.
EMBER_API Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                            const Tensor& weight = Tensor(), const Tensor& bias = Tensor(), bool training = false,
                            double momentum = 0.1, double eps = 1e-5);
EMBER_API Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight = Tensor(),
                            const Tensor& bias = Tensor(), double eps = 1e-5);

// ---- fused training ops (csrc/ops/loss.cpp, embedding.cpp, dropout.cpp). reduction: "none", "mean", "sum".
// Class-index targets (int64 or uint8), input (N, C, d1, ...) or (C,); weight: optional (C,).
EMBER_API Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                          const std::string& reduction = "mean", int64_t ignore_index = -100);
EMBER_API Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = Tensor(),
                               const std::string& reduction = "mean", int64_t ignore_index = -100,
                               double label_smoothing = 0.0);
// padding_idx < 0: none (already wrapped by the caller). Gradients are dense even when sparse is set.
EMBER_API Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx = -1,
                           bool scale_grad_by_freq = false, bool sparse = false);
EMBER_API Tensor dropout(const Tensor& input, double p = 0.5, bool training = true);
EMBER_API Tensor& dropout_(Tensor& input, double p = 0.5, bool training = true);

}  // namespace ember::nn::functional
