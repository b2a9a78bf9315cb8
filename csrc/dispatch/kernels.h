#pragma once
// THE kernel table: every kernel's argument type and its stub, grouped by family. A backend fills
// its column in one register function (kernels/cpu/register.cpp). Kernels take plain strided views
// and know nothing of autograd or refcounts.
#include <cstdint>
#include <vector>

#include "dispatch/dispatch.h"
#include "ember/scalar.h"
#include "ember/tensor.h"
#include "ops/unary_ops.def"

namespace ember {

// A dtype-erased strided view (strides in elements; pointer to the first element).
struct View {
  char* data = nullptr;
  Dtype dtype = Dtype::Float32;
  int64_t ndim = 0;
  const int64_t* sizes = nullptr;
  const int64_t* strides = nullptr;

  View() = default;
  explicit View(const Tensor& t);
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t i = 0; i < ndim; ++i) n *= sizes[i];
    return n;
  }
};

// Elementwise: out and in[0..nin) have identical sizes (broadcast dims have stride 0). The op layer
// casts inputs to the kernel's compute dtype first; `out` may have another dtype only where the
// kernel says so (comparisons write bool). s0, s1: op parameters (alpha, slope, min/max, ...).
struct ElementwiseArgs {
  View out;
  View in[3];
  int nin = 0;
  double s0 = 0, s1 = 0;
};
using ElementwiseFn = void (*)(const ElementwiseArgs&);

struct FillArgs {
  View out;
  Scalar value;
};
using FillFn = void (*)(const FillArgs&);

// Reductions: `out` has in's ndim with size 1 on reduced dims (stride 0 there); `index` (optional)
// receives int64 positions for arg-reductions. `param`: e.g. the norm's p or var's correction.
struct ReduceArgs {
  View out;
  View in;
  View index;
  double param = 0;
};
using ReduceFn = void (*)(const ReduceArgs&);

// Along-one-dim kernels (scans, softmax, sort): `dim` indexes in's dims; out/in have equal sizes
// unless noted. `grad` is the incoming gradient for the backward kernels; `index` int64 positions.
struct DimArgs {
  View out;
  View in;
  View grad;
  View index;
  int64_t dim = 0;
  int64_t k = 0;          // topk: how many
  bool flag = false;      // sort/topk: descending (largest); softmax: log
  bool stable = false;
};
using DimFn = void (*)(const DimArgs&);

// unique_consecutive over a sorted 1-D contiguous `in`: writes the distinct values to `out`,
// their counts to `counts` and each element's group number to `group`; sets *num_groups.
struct UniqueArgs {
  View in, out, counts, group;
  int64_t* num_groups = nullptr;
};
using UniqueFn = void (*)(const UniqueArgs&);

// C[b] = alpha * op(A[b]) @ op(B[b]) + beta * C[b] over `batch` matrices; all operands strided
// (row stride, col stride in elements, any sign-free layout), batch strides may be 0 (broadcast).
struct GemmArgs {
  Dtype dtype;
  int64_t batch, m, n, k;
  const char* a;
  int64_t a_batch_stride, a_row_stride, a_col_stride;
  const char* b;
  int64_t b_batch_stride, b_row_stride, b_col_stride;
  char* c;
  int64_t c_batch_stride, c_row_stride, c_col_stride;
  double alpha = 1, beta = 0;  // beta == 0: C is not read (may hold garbage)
};
using GemmFn = void (*)(const GemmArgs&);

// 2-D convolution on contiguous NCHW tensors. forward: output = conv(input, weight) (the op adds
// the bias). backward_input: input <- grad w.r.t. input, with `output` holding grad_output.
// backward_weight: weight <- grad w.r.t. weight (from input and grad_output in `output`).
// pad_before: top/left padding; the far side gets whatever the output size implies (asymmetric 'same').
struct ConvArgs {
  View input, weight, output;
  int64_t stride[2], pad_before[2], dilation[2], groups;
};
using ConvFn = void (*)(const ConvArgs&);

// 2-D pooling on contiguous [N*C, H, W] planes. max: `indices` (int64, flat h*W+w per plane) is
// written by forward and read by backward; backward writes grad_input into `input` from grad_output
// in `output`. avg: count_include_pad / divisor (0: none) as in PyTorch.
struct PoolArgs {
  View input, output, indices;
  int64_t kernel[2], stride[2], padding[2], dilation[2];
  bool count_include_pad = true;
  int64_t divisor = 0;
};
using PoolFn = void (*)(const PoolArgs&);

// Normalisation over contiguous inputs. layer_norm: x is [rows, D], statistics per row.
// batch_norm: x is [N, C, S], statistics per channel. weight/bias optional (data == nullptr).
// forward writes y, mean, rstd (batch_norm training: from the batch, else reads mean/rstd given);
// backward reads dy, x, mean, rstd, weight and writes dx (and, for batch_norm, dweight/dbias).
struct NormArgs {
  View x, y, weight, bias, mean, rstd, dy, dx, dweight, dbias;
  double eps = 1e-5;
  bool training = true;
};
using NormFn = void (*)(const NormArgs&);

// ---- the table: (stub name, kernel type), one list per family; EMBER_FORALL_KERNELS joins them.
// Unary ops are listed in ops/unary_ops.def and get one ElementwiseFn stub each (`exp_stub`, ...).
#define EMBER_COPY_KERNELS(_) \
  _(copy, ElementwiseFn)      \
  _(fill, FillFn)

#define EMBER_BINARY_KERNELS(_) \
  _(add, ElementwiseFn)         \
  _(sub, ElementwiseFn)         \
  _(mul, ElementwiseFn)         \
  _(div, ElementwiseFn)         \
  _(div_trunc, ElementwiseFn)   \
  _(div_floor, ElementwiseFn)   \
  _(remainder, ElementwiseFn)   \
  _(fmod, ElementwiseFn)        \
  _(pow, ElementwiseFn)         \
  _(atan2, ElementwiseFn)       \
  _(hypot, ElementwiseFn)       \
  _(maximum, ElementwiseFn)     \
  _(minimum, ElementwiseFn)     \
  _(fmax, ElementwiseFn)        \
  _(fmin, ElementwiseFn)        \
  _(copysign, ElementwiseFn)    \
  _(lerp, ElementwiseFn)        \
  _(bitwise_and, ElementwiseFn) \
  _(bitwise_or, ElementwiseFn)  \
  _(bitwise_xor, ElementwiseFn) \
  _(lshift, ElementwiseFn)      \
  _(rshift, ElementwiseFn)      \
  _(logical_and, ElementwiseFn) \
  _(logical_or, ElementwiseFn)  \
  _(logical_xor, ElementwiseFn) \
  _(eq, ElementwiseFn)          \
  _(ne, ElementwiseFn)          \
  _(lt, ElementwiseFn)          \
  _(le, ElementwiseFn)          \
  _(gt, ElementwiseFn)          \
  _(ge, ElementwiseFn)          \
  _(xlogy, ElementwiseFn)

// Hand-written unary kernels (the table-driven ones come from unary_ops.def).
#define EMBER_UNARY_EXTRA_KERNELS(_) \
  _(isnan, ElementwiseFn)            \
  _(threshold_backward, ElementwiseFn) \
  _(isinf, ElementwiseFn)            \
  _(isfinite, ElementwiseFn)         \
  _(isposinf, ElementwiseFn)         \
  _(isneginf, ElementwiseFn)         \
  _(logical_not, ElementwiseFn)      \
  _(bitwise_not, ElementwiseFn)      \
  _(clamp, ElementwiseFn)            \
  _(leaky_relu, ElementwiseFn)       \
  _(elu, ElementwiseFn)              \
  _(softplus, ElementwiseFn)         \
  _(gelu, ElementwiseFn)             \
  _(threshold, ElementwiseFn)        \
  _(round_decimals, ElementwiseFn)

#define EMBER_REDUCE_KERNELS(_) \
  _(sum, ReduceFn)              \
  _(var, ReduceFn)              \
  _(any, ReduceFn)              \
  _(all, ReduceFn)              \
  _(prod, ReduceFn)             \
  _(max, ReduceFn)              \
  _(min, ReduceFn)              \
  _(count_nonzero, ReduceFn)    \
  _(cumsum, DimFn)              \
  _(cumprod, DimFn)             \
  _(softmax, DimFn)             \
  _(softmax_backward, DimFn)    \
  _(prod_backward, DimFn)       \
  _(reduce_helper, ElementwiseFn)

#define EMBER_SORT_KERNELS(_)  \
  _(sort, DimFn)               \
  _(topk, DimFn)               \
  _(gather_dim, DimFn)         \
  _(scatter_dim, DimFn)        \
  _(mode, DimFn)               \
  _(unique_consecutive, UniqueFn)

#define EMBER_SHAPE_KERNELS(_)

// Indexing (gather/scatter, advanced indexing, take/put, index_select/add/copy/fill): for every
// position p of `shape`, the `self` element is self.data + p.self_strides + sum_k idx_k[p] * indexed_strides[k]
// (self is restrided: stride 0 on the dims the indices replace). `index` copies it to values[p];
// `index_put` writes values[p] into it (reduce: 0 assign, 1 add, 2 multiply, 3 max, 4 min).
// Indices (int64 or int32, broadcast to `shape`) are validated by the op layer; the kernel wraps
// negatives. `index_range` reports an index tensor's min and max (for validation).
struct IndexArgs {
  View self;    // ndim == values.ndim, sizes == values.sizes
  View values;
  std::vector<View> indices;
  std::vector<int64_t> indexed_sizes, indexed_strides;  // per index: size of the indexed dim, its stride (elements)
  int reduce = 0;
};
using IndexFn = void (*)(const IndexArgs&);

struct IndexRangeArgs {
  View in;  // integer dtype, numel > 0
  int64_t* min;
  int64_t* max;
};
using IndexRangeFn = void (*)(const IndexRangeArgs&);

// Counts the nonzero elements of `in`; when `out` is set, also writes their coordinates as
// row-major int64 [count, in.ndim] (C order of `in`).
struct NonzeroArgs {
  View in;
  int64_t* out = nullptr;
};
using NonzeroFn = int64_t (*)(const NonzeroArgs&);

#define EMBER_INDEXING_KERNELS(_) \
  _(where, ElementwiseFn)         \
  _(index, IndexFn)               \
  _(index_put, IndexFn)           \
  _(index_range, IndexRangeFn)    \
  _(nonzero, NonzeroFn)

#define EMBER_LINALG_KERNELS(_) \
  _(gemm, GemmFn)

// Random: `out` is contiguous and element i's value is a function of (seed, offset, i) only, so
// the result never depends on the thread count. `offset` is the first Philox counter block the op
// reserved. in[0]: a per-element parameter (bernoulli's p, contiguous, `out`'s numel).
struct RandomArgs {
  View out;
  View in[1];
  int nin = 0;
  uint64_t seed = 0, offset = 0;
  double a = 0, b = 1;            // from/to, mean/std, p, lambda
  int64_t low = 0;                // integer ranges: [low, low + range)
  uint64_t range = 0;             // 0 means 2^64
  bool flag = false;              // multinomial: replacement
  int64_t rows = 0, cols = 0;     // multinomial: probs (rows, cols); out (rows, n)
};
using RandomFn = void (*)(const RandomArgs&);

#define EMBER_RANDOM_KERNELS(_) \
  _(uniform, RandomFn)           \
  _(normal, RandomFn)            \
  _(random_int, RandomFn)        \
  _(bernoulli_scalar, RandomFn)  \
  _(bernoulli_tensor, RandomFn)  \
  _(exponential, RandomFn)       \
  _(geometric, RandomFn)         \
  _(cauchy, RandomFn)            \
  _(log_normal, RandomFn)        \
  _(randperm, RandomFn)          \
  _(multinomial, RandomFn)

#define EMBER_NN_KERNELS(_)                \
  _(conv2d_forward, ConvFn)                 \
  _(conv2d_backward_input, ConvFn)          \
  _(conv2d_backward_weight, ConvFn)         \
  _(max_pool2d_forward, PoolFn)             \
  _(max_pool2d_backward, PoolFn)            \
  _(avg_pool2d_forward, PoolFn)             \
  _(avg_pool2d_backward, PoolFn)            \
  _(layer_norm_forward, NormFn)             \
  _(layer_norm_backward, NormFn)            \
  _(batch_norm_forward, NormFn)             \
  _(batch_norm_backward, NormFn)

// ---- ctc (connectionist temporal classification). log_probs: [T, N, C] (any strides, float32/64);
// targets: contiguous int64, sample n's labels at targets[target_offsets[n] ...] (target_lengths[n]
// of them). forward writes neg_log_likelihood [N] and log_alpha [N, T, 2 * max_target_length + 1]
// (contiguous); backward reads those and grad_out [N] (any stride) and writes grad [T, N, C]
// (contiguous). zero_infinity: samples with an infinite loss get a zero gradient.
struct CtcArgs {
  View log_probs, neg_log_likelihood, log_alpha, grad_out, grad;
  const int64_t* targets = nullptr;
  const int64_t* target_offsets = nullptr;
  const int64_t* input_lengths = nullptr;
  const int64_t* target_lengths = nullptr;
  int64_t blank = 0;
  bool zero_infinity = false;
};
using CtcFn = void (*)(const CtcArgs&);

#define EMBER_CTC_KERNELS(_) \
  _(ctc_loss_forward, CtcFn)  \
  _(ctc_loss_backward, CtcFn)
// Recurrent networks (ops/rnn.cpp): the fused gate math of one time step over `rows` batch rows.
// mode 0 RNN_TANH, 1 RNN_RELU (G = 1 gate), 2 LSTM (G = 4: i f g o), 3 GRU (G = 3: r z n); each
// gate `hidden` wide. Row-major operands with row strides (ld_*) in elements; null = absent.
// forward: `gates` holds x W_ih^T (RNN/LSTM: + h W_hh^T) and is overwritten with the activated
//   gates; `hg` (GRU) holds h W_hh^T; biases are added here. GRU reads h_prev. The new hidden
//   state goes to h_out and h_out2 (when set); LSTM reads c_prev from `c` and writes c there,
//   tanh(c) to tanh_c (when set); GRU writes W_hn h + b_hn to `hn` (when set).
// backward: dh = dh_in (ld_dh_in) + dh_carry (when set); reads the saved gates, tanh_c, c_prev,
//   hn, h_prev; writes the pre-activation gradients to dgates (and GRU's h-side ones to dhg);
//   LSTM: `dc` holds dc from the next step and receives dc for the previous one; GRU: dh_carry
//   receives the direct term dh * z.
struct RnnStepArgs {
  Dtype dtype = Dtype::Float32;
  int mode = 0;
  int64_t rows = 0, hidden = 0;
  char* gates = nullptr;
  int64_t ld_gates = 0;
  const char* hg = nullptr;
  int64_t ld_hg = 0;
  const char* bias_ih = nullptr;
  const char* bias_hh = nullptr;
  const char* h_prev = nullptr;
  int64_t ld_h_prev = 0;
  char* h_out = nullptr;
  int64_t ld_h_out = 0;
  char* h_out2 = nullptr;
  int64_t ld_h_out2 = 0;
  char* c = nullptr;         // ld = hidden
  char* tanh_c = nullptr;    // ld = hidden
  const char* c_prev = nullptr;  // ld = hidden
  char* hn = nullptr;        // ld = hidden
  const char* dh_in = nullptr;
  int64_t ld_dh_in = 0;
  char* dh_carry = nullptr;
  int64_t ld_dh_carry = 0;
  char* dc = nullptr;        // ld = hidden
  char* dgates = nullptr;
  int64_t ld_dgates = 0;
  char* dhg = nullptr;
  int64_t ld_dhg = 0;
};
using RnnStepFn = void (*)(const RnnStepArgs&);

#define EMBER_RNN_KERNELS(_)          \
  _(rnn_step_forward, RnnStepFn)      \
  _(rnn_step_backward, RnnStepFn)
// ---- spatial (upsample, grid_sample, im2col/col2im; ops/upsample.cpp, ops/grid_sample.cpp, ops/fold.cpp)
// Upsample over contiguous [planes, d0(, d1(, d2))] tensors with 1..3 spatial dims. forward: output
// <- resample(input); backward: input <- adjoint(output) (input holds grad_input, output grad_output).
// mode: 0 nearest, 1 nearest-exact, 2 linear (1-3 dims), 3 cubic (2 dims). scales[i] > 0: the
// user's scale factor for dim i (the kernel uses 1/scale, as PyTorch does), else in/out.
struct UpsampleArgs {
  View input, output;
  int mode = 0;
  bool align_corners = false;
  double scales[3] = {0, 0, 0};
};
using UpsampleFn = void (*)(const UpsampleArgs&);

// grid_sampler_2d on contiguous input [N, C, H, W] and grid [N, Ho, Wo, 2]; output [N, C, Ho, Wo].
// mode: 0 bilinear, 1 nearest, 2 bicubic; padding: 0 zeros, 1 border, 2 reflection. backward reads
// grad_output, input, grid and writes grad_input (if data != nullptr) and grad_grid.
struct GridSampleArgs {
  View input, grid, output, grad_output, grad_input, grad_grid;
  int mode = 0, padding = 0;
  bool align_corners = false;
};
using GridSampleFn = void (*)(const GridSampleArgs&);

// im2col: col [N, C*kh*kw, oh*ow] <- image [N, C, H, W] (both contiguous); col2im: the adjoint,
// image <- sum of the columns (the kernel zeroes the image first).
struct Im2colArgs {
  View image, col;
  int64_t kernel[2], stride[2], padding[2], dilation[2];
};
using Im2colFn = void (*)(const Im2colArgs&);

#define EMBER_SPATIAL_KERNELS(_)             \
  _(upsample_forward, UpsampleFn)           \
  _(upsample_backward, UpsampleFn)          \
  _(grid_sampler_2d_forward, GridSampleFn)  \
  _(grid_sampler_2d_backward, GridSampleFn) \
  _(im2col, Im2colFn)                       \
  _(col2im, Im2colFn)
// ---- fused training ops (loss, embedding, dropout, optimizer updates)
// Class-index losses over contiguous `input` viewed as [N, C, S] (S: product of the trailing dims)
// and contiguous int64 `target` [N, S]. weight: optional [C] (data == nullptr: all ones).
// reduction 0 none (out [N, S]), 1 mean, 2 sum (out 0-dim). total_weight (0-dim, input dtype):
// the sum of the target classes' weights over non-ignored rows. cross_entropy reads logits and
// writes `lse` [N, S] (log-sum-exp per row) for its backward; nll_loss reads log-probabilities.
// A target outside [0, C) that is not ignore_index is never read through: the kernel lowers
// *bad_pos (preset to INT64_MAX by the op) to the smallest such row and writes nothing useful.
// backward writes grad_input [N, C, S] from grad_out (0-dim, or [N, S] for none).
struct LossArgs {
  View input, target, weight, out, total_weight, lse, grad_out, grad_input;
  int64_t N = 0, C = 0, S = 1;
  int64_t ignore_index = -100;
  int reduction = 1;
  double label_smoothing = 0;
  int64_t* bad_pos = nullptr;
};
using LossFn = void (*)(const LossArgs&);

// embedding: out[i] = weight[indices[i]] (weight [V, D] contiguous, indices int64 [n] contiguous and
// already checked in [0, V)). backward: grad_weight [V, D] from grad_out [n, D]: each row is the sum
// of its occurrences' gradients in index order (bitwise the same for any thread count); the
// padding_idx row (if >= 0) gets zero; scale_grad_by_freq divides by the occurrence count.
struct EmbeddingArgs {
  View weight, indices, out, grad_out, grad_weight;
  int64_t padding_idx = -1;
  bool scale_grad_by_freq = false;
};
using EmbeddingFn = void (*)(const EmbeddingArgs&);

// dropout over contiguous tensors: forward keeps element i when the Philox uniform for
// (seed, offset + i / 4, word i % 4) is below 1 - p, writes mask[i] (bool) and out[i] = in[i] * scale
// or 0. backward: out[i] = in[i] * scale where mask[i], else 0 (in = grad_output).
struct DropoutArgs {
  View in, out, mask;
  uint64_t seed = 0, offset = 0;
  double p = 0.5, scale = 2.0;
};
using DropoutFn = void (*)(const DropoutArgs&);

// One optimizer step over every tensor of a parameter group (all contiguous, one dtype, numel[i]
// elements each). buf0..2: the optimizer's state buffers (nullptr when unused); step[i]: tensor i's
// step count after this update; init[i]: SGD's momentum buffer is created by this step.
struct OptimArgs {
  Dtype dtype = Dtype::Float32;
  std::vector<int64_t> numel;
  std::vector<char*> param, grad, buf0, buf1, buf2;
  std::vector<double> step;
  std::vector<uint8_t> init;
  double lr = 0, beta1 = 0, beta2 = 0, eps = 0, weight_decay = 0, momentum = 0, dampening = 0, alpha = 0,
         lr_decay = 0;
  bool nesterov = false, maximize = false, amsgrad = false, decoupled = false, centered = false;
};
using OptimFn = void (*)(const OptimArgs&);

#define EMBER_FUSED_KERNELS(_)          \
  _(cross_entropy_forward, LossFn)      \
  _(cross_entropy_backward, LossFn)     \
  _(nll_loss_forward, LossFn)           \
  _(nll_loss_backward, LossFn)          \
  _(embedding_forward, EmbeddingFn)     \
  _(embedding_backward, EmbeddingFn)    \
  _(dropout_forward, DropoutFn)         \
  _(dropout_backward, DropoutFn)        \
  _(sgd_update, OptimFn)                \
  _(adam_update, OptimFn)               \
  _(rmsprop_update, OptimFn)            \
  _(adagrad_update, OptimFn)

#define EMBER_FORALL_KERNELS(_) \
  EMBER_COPY_KERNELS(_)         \
  EMBER_BINARY_KERNELS(_)       \
  EMBER_UNARY_EXTRA_KERNELS(_)  \
  EMBER_REDUCE_KERNELS(_)       \
  EMBER_SORT_KERNELS(_)         \
  EMBER_SHAPE_KERNELS(_)        \
  EMBER_INDEXING_KERNELS(_)     \
  EMBER_LINALG_KERNELS(_)       \
  EMBER_RANDOM_KERNELS(_)       \
  EMBER_NN_KERNELS(_)           \
  EMBER_CTC_KERNELS(_)          \
  EMBER_RNN_KERNELS(_)          \
  EMBER_SPATIAL_KERNELS(_)      \
  EMBER_FUSED_KERNELS(_)

#define EMBER_DECLARE_STUB(name, Fn) extern DispatchStub<Fn> name##_stub;
EMBER_FORALL_KERNELS(EMBER_DECLARE_STUB)
#undef EMBER_DECLARE_STUB
#define EMBER_DECLARE_UNARY_STUB(name, ...) extern DispatchStub<ElementwiseFn> name##_stub;
EMBER_UNARY_OPS(EMBER_DECLARE_UNARY_STUB)
#undef EMBER_DECLARE_UNARY_STUB

// For the completeness test: (stub name, has a kernel) for every stub on one device type.
struct StubStatus {
  const char* name;
  bool registered;
};
std::vector<StubStatus> kernel_table_status(DeviceType d);

}  // namespace ember
