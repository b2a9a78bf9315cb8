#pragma once
// The compute behind ember.nn.functional: convolution, pooling (more families join here).
#include <optional>
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

// ---- attention (csrc/ops/attention.cpp). attn_mask: undefined, bool (true = take part) or float
// (added to the scores), broadcastable to [..., L, S]. scale nullopt: 1 / sqrt(E).
EMBER_API Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                              const Tensor& attn_mask = Tensor(), double dropout_p = 0.0,
                                              bool is_causal = false, std::optional<double> scale = std::nullopt,
                                              bool enable_gqa = false);
// Same, also returning the attention probabilities [..., Hq, L, S] (after dropout), differentiable.
EMBER_API std::tuple<Tensor, Tensor> scaled_dot_product_attention_with_weights(
    const Tensor& query, const Tensor& key, const Tensor& value, const Tensor& attn_mask = Tensor(),
    double dropout_p = 0.0, bool is_causal = false, std::optional<double> scale = std::nullopt,
    bool enable_gqa = false);

// ---- ctc (csrc/ops/ctc.cpp). log_probs [T, N, C]; targets [N, S] (padded) or 1-D concatenated.
// ctc_loss_per_sample: the unreduced negative log likelihood [N] (zero_infinity only affects gradients).
EMBER_API Tensor ctc_loss_per_sample(const Tensor& log_probs, const Tensor& targets, const IntList& input_lengths,
                                     const IntList& target_lengths, int64_t blank = 0, bool zero_infinity = false);
// reduction: "none", "mean" (each loss divided by its target length, then averaged) or "sum".
EMBER_API Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const IntList& input_lengths,
                          const IntList& target_lengths, int64_t blank = 0, const std::string& reduction = "mean",
                          bool zero_infinity = false);
// ---- spatial resampling (csrc/ops/upsample.cpp, grid_sample.cpp, fold.cpp)
// upsample: input [N, C, s1..sk] (k = output_size.size(), 1..3); mode "nearest", "nearest-exact",
// "linear"/"bilinear"/"trilinear" (one rule for any k) or "bicubic" (k == 2). scales: empty, or one
// per spatial dim; a value > 0 is the user's scale factor and the kernel uses 1/scale (PyTorch).
EMBER_API Tensor upsample(const Tensor& input, IntList output_size, const std::string& mode,
                          bool align_corners = false, std::vector<double> scales = {});
// The adjoint of upsample (its gradient), itself differentiable. input_size: the full [N, C, ...].
EMBER_API Tensor upsample_backward(const Tensor& grad_output, IntList input_size, const std::string& mode,
                                   bool align_corners = false, std::vector<double> scales = {});
// grid_sample's kernel: interpolation_mode 0 bilinear, 1 nearest; padding_mode 0 zeros, 1 border,
// 2 reflection. input [N, C, H, W], grid [N, Ho, Wo, 2] -> [N, C, Ho, Wo].
EMBER_API Tensor grid_sampler(const Tensor& input, const Tensor& grid, int64_t interpolation_mode = 0,
                              int64_t padding_mode = 0, bool align_corners = false);
// unfold / fold: [N, C, H, W] <-> [N, C*kh*kw, L] (unbatched forms drop N).
EMBER_API Tensor im2col(const Tensor& input, IntList kernel_size, IntList dilation = {1}, IntList padding = {0},
                        IntList stride = {1});
EMBER_API Tensor col2im(const Tensor& input, IntList output_size, IntList kernel_size, IntList dilation = {1},
                        IntList padding = {0}, IntList stride = {1});
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
