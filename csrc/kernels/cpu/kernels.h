#pragma once
// CPU kernels compiled once for the baseline ISA (kernels/cpu/*.cpp), by family. The hot ones,
// compiled per ISA, are listed in kernels/cpu/isa.h instead.
#include "dispatch/kernels.h"

namespace ember::cpu {

// ---- sort
void sort_kernel(const DimArgs& a);
void topk_kernel(const DimArgs& a);
void gather_dim_kernel(const DimArgs& a);
void scatter_dim_kernel(const DimArgs& a);
void mode_kernel(const DimArgs& a);
void unique_consecutive_kernel(const UniqueArgs& a);

// ---- shape

// ---- indexing
void index_kernel(const IndexArgs& a);
void index_put_kernel(const IndexArgs& a);
void index_range_kernel(const IndexRangeArgs& a);
int64_t nonzero_kernel(const NonzeroArgs& a);

// ---- random
void uniform_kernel(const RandomArgs&);
void normal_kernel(const RandomArgs&);
void random_int_kernel(const RandomArgs&);
void bernoulli_scalar_kernel(const RandomArgs&);
void bernoulli_tensor_kernel(const RandomArgs&);
void exponential_kernel(const RandomArgs&);
void geometric_kernel(const RandomArgs&);
void cauchy_kernel(const RandomArgs&);
void log_normal_kernel(const RandomArgs&);
void randperm_kernel(const RandomArgs&);
void multinomial_kernel(const RandomArgs&);

// ---- nn
void conv2d_forward_kernel(const ConvArgs& a);
void conv2d_backward_input_kernel(const ConvArgs& a);
void conv2d_backward_weight_kernel(const ConvArgs& a);
void max_pool2d_forward_kernel(const PoolArgs& a);
void max_pool2d_backward_kernel(const PoolArgs& a);
void avg_pool2d_forward_kernel(const PoolArgs& a);
void avg_pool2d_backward_kernel(const PoolArgs& a);
void layer_norm_forward_kernel(const NormArgs& a);
void layer_norm_backward_kernel(const NormArgs& a);
void batch_norm_forward_kernel(const NormArgs& a);
void batch_norm_backward_kernel(const NormArgs& a);

// ---- ctc
void ctc_loss_forward_kernel(const CtcArgs& a);
void ctc_loss_backward_kernel(const CtcArgs& a);
// ---- spatial (upsample.cpp, grid_sample.cpp; im2col/col2im live beside conv in conv.cpp)
void upsample_forward_kernel(const UpsampleArgs& a);
void upsample_backward_kernel(const UpsampleArgs& a);
void grid_sampler_2d_forward_kernel(const GridSampleArgs& a);
void grid_sampler_2d_backward_kernel(const GridSampleArgs& a);
void im2col_kernel(const Im2colArgs& a);
void col2im_kernel(const Im2colArgs& a);
// ---- fused (loss, embedding; the hot ones are per ISA in isa.h)
void nll_loss_forward_kernel(const LossArgs& a);
void nll_loss_backward_kernel(const LossArgs& a);
void embedding_forward_kernel(const EmbeddingArgs& a);
void embedding_backward_kernel(const EmbeddingArgs& a);

}  // namespace ember::cpu
