#pragma once
// Hot kernels (kernels/cpu/isa/*.cpp) compile once per ISA, each copy in its own namespace
// ember::cpu::<EMBER_ISA_NS> (baseline, avx2, avx512). register.cpp declares every copy through
// EMBER_CPU_ISA_KERNELS and picks one at start-up: the best the CPU supports, or the one
// EMBER_CPU_ISA=baseline|avx2|avx512 forces (tests use it to cover every path).
#include "dispatch/kernels.h"

// One list per family; each entry is a function defined in every ISA namespace.
#define EMBER_CPU_ISA_COPY_KERNELS(_) \
  _(copy_kernel, ElementwiseFn)       \
  _(fill_kernel, FillFn)

#define EMBER_CPU_ISA_BINARY_KERNELS(_) \
  _(add_kernel, ElementwiseFn)          \
  _(sub_kernel, ElementwiseFn)          \
  _(mul_kernel, ElementwiseFn)          \
  _(div_kernel, ElementwiseFn)          \
  _(div_trunc_kernel, ElementwiseFn)    \
  _(div_floor_kernel, ElementwiseFn)    \
  _(where_kernel, ElementwiseFn)        \
  _(remainder_kernel, ElementwiseFn) \
  _(fmod_kernel, ElementwiseFn) \
  _(pow_kernel, ElementwiseFn) \
  _(atan2_kernel, ElementwiseFn) \
  _(hypot_kernel, ElementwiseFn) \
  _(maximum_kernel, ElementwiseFn) \
  _(minimum_kernel, ElementwiseFn) \
  _(fmax_kernel, ElementwiseFn) \
  _(fmin_kernel, ElementwiseFn) \
  _(copysign_kernel, ElementwiseFn) \
  _(lerp_kernel, ElementwiseFn) \
  _(bitwise_and_kernel, ElementwiseFn) \
  _(bitwise_or_kernel, ElementwiseFn) \
  _(bitwise_xor_kernel, ElementwiseFn) \
  _(lshift_kernel, ElementwiseFn) \
  _(rshift_kernel, ElementwiseFn) \
  _(logical_and_kernel, ElementwiseFn) \
  _(logical_or_kernel, ElementwiseFn) \
  _(logical_xor_kernel, ElementwiseFn) \
  _(eq_kernel, ElementwiseFn) \
  _(ne_kernel, ElementwiseFn) \
  _(lt_kernel, ElementwiseFn) \
  _(le_kernel, ElementwiseFn) \
  _(gt_kernel, ElementwiseFn) \
  _(ge_kernel, ElementwiseFn) \
  _(xlogy_kernel, ElementwiseFn)

#define EMBER_CPU_ISA_UNARY_KERNELS(_) \
  _(isnan_kernel, ElementwiseFn)       \
  _(threshold_backward_kernel, ElementwiseFn) \
  _(isinf_kernel, ElementwiseFn) \
  _(isfinite_kernel, ElementwiseFn) \
  _(isposinf_kernel, ElementwiseFn) \
  _(isneginf_kernel, ElementwiseFn) \
  _(logical_not_kernel, ElementwiseFn) \
  _(bitwise_not_kernel, ElementwiseFn) \
  _(clamp_kernel, ElementwiseFn) \
  _(leaky_relu_kernel, ElementwiseFn) \
  _(elu_kernel, ElementwiseFn) \
  _(softplus_kernel, ElementwiseFn) \
  _(gelu_kernel, ElementwiseFn) \
  _(threshold_kernel, ElementwiseFn) \
  _(round_decimals_kernel, ElementwiseFn)

#define EMBER_CPU_ISA_REDUCE_KERNELS(_) \
  _(sum_kernel, ReduceFn)               \
  _(var_kernel, ReduceFn)               \
  _(any_kernel, ReduceFn)               \
  _(all_kernel, ReduceFn)               \
  _(prod_kernel, ReduceFn)              \
  _(max_kernel, ReduceFn)               \
  _(min_kernel, ReduceFn)               \
  _(count_nonzero_kernel, ReduceFn)     \
  _(cumsum_kernel, DimFn)               \
  _(cumprod_kernel, DimFn)              \
  _(softmax_kernel, DimFn)              \
  _(softmax_backward_kernel, DimFn)     \
  _(prod_backward_kernel, DimFn)        \
  _(reduce_helper_kernel, ElementwiseFn)

#define EMBER_CPU_ISA_LINALG_KERNELS(_) \
  _(gemm_kernel, GemmFn)

// C = A @ B (C += A @ B when `accumulate`) for float32/float64 where A and B are never
// materialised: the convolutions' packing routines write them straight from the image (implicit
// im2col). pack_a(ctx, i0, mr, p0, kc, MR, dst): rows [i0, i0+mr) x depth [p0, p0+kc) of A into
// dst[p][i] (MR values per p, rows >= mr zero). pack_b(ctx, p0, kc, j0, nr, NR, dst): depth
// [p0, p0+kc) x columns [j0, j0+nr) of B into dst[p][j] (NR per p, columns >= nr zero).
// C(i, j) is at c + i * c_row_stride + (j / c_group) * c_group_stride + j % c_group (elements):
// columns come in groups (one image each), so one product may span several images.
// Threads split M or N, never the depth: results are bitwise identical for any thread count.
namespace ember {
struct PackedGemmArgs {
  Dtype dtype;
  int64_t m, n, k;
  void (*pack_a)(const void* ctx, int64_t i0, int64_t mr, int64_t p0, int64_t kc, int64_t MR, void* dst);
  void (*pack_b)(const void* ctx, int64_t p0, int64_t kc, int64_t j0, int64_t nr, int64_t NR, void* dst);
  const void* ctx;
  const char* a = nullptr;  // with pack_a == nullptr: A is dense at `a` with these strides
  int64_t a_row_stride = 0, a_col_stride = 0;
  char* c;
  int64_t c_row_stride, c_group, c_group_stride;
  bool accumulate = false;
  bool parallel = true;  // may use the thread pool
};
using PackedGemmFn = void (*)(const PackedGemmArgs&);
}  // namespace ember
namespace ember::cpu {
PackedGemmFn selected_packed_gemm();  // the copy for the selected ISA (register.cpp)
}  // namespace ember::cpu

#define EMBER_CPU_ISA_NN_KERNELS(_) \
  _(packed_gemm_kernel, PackedGemmFn)

// ---- conv: direct stride-1 convolution on a zero-padded image (isa/conv_direct.cpp).
// Positions are flat on the padded grid: output (oy, ox) is q = oy * wp + ox and reads
// x[c][q + ki * dh * wp + kj * dw], so every tap is one contiguous run; columns ox >= ow are computed
// and dropped (forward) or carry zeros in gy (weight gradient). Planes need kDirectConvSlack elements
// readable after the last one. Each output element is summed in a fixed order by one thread.
namespace ember {
struct DirectConvArgs {
  Dtype dtype;
  int64_t n, groups, cin_g, cout_g;  // channels per group
  int64_t hp, wp, x_plane;           // padded input plane (rows, row length, elements between planes)
  int64_t kh, kw, dh, dw, oh, ow;
  const void* x;   // padded input [n][groups * cin_g][x_plane]
  const void* w;   // forward: [groups][cin_g][kh * kw][cout_g] (o innermost)
  void* y;         // forward: output [n][groups * cout_g][oh][ow]
  const void* gy;  // weight grad: [n][groups * cout_g][gy_plane] on the wp grid, zero where ox >= ow
  int64_t gy_plane;
  void* gw;        // weight grad: [groups * cout_g][cin_g][kh][kw]
};
using DirectConvFn = void (*)(const DirectConvArgs&);
constexpr int64_t kDirectConvSlack = 256;
}  // namespace ember
namespace ember::cpu {
DirectConvFn selected_conv_direct_forward();  // register.cpp
DirectConvFn selected_conv_direct_weight();
}  // namespace ember::cpu
// ---- conv_winograd: Winograd F(2x2, 3x3) for 3x3, stride-1, dilation-1 float32 convolutions with
// one group (isa/conv_winograd.cpp, Note [Winograd convolution]). Images are [n][c][h][w], contiguous;
// the input is read as if zero-padded by (ph, pw) before and by zeros after.
namespace ember {
struct WinogradArgs {
  int64_t n, cin, cout, h, w, oh, ow, ph, pw;
  const float* x;   // input [n][cin][h][w]
  const float* wt;  // weights [cout][cin][3][3]
  float* y;         // forward: output [n][cout][oh][ow]
  const float* gy;  // weight gradient: grad_output [n][cout][oh][ow]
  float* gw;        // weight gradient: [cout][cin][3][3] (overwritten)
};
using WinogradFn = void (*)(const WinogradArgs&);
}  // namespace ember
namespace ember::cpu {
WinogradFn selected_conv_winograd_forward();  // register.cpp
WinogradFn selected_conv_winograd_weight();
}  // namespace ember::cpu
#define EMBER_CPU_ISA_CONV_KERNELS(_)      \
  _(conv_direct_forward_kernel, DirectConvFn) \
  _(conv_direct_weight_kernel, DirectConvFn) \
  _(conv_winograd_forward_kernel, WinogradFn) \
  _(conv_winograd_weight_kernel, WinogradFn)

#define EMBER_CPU_ISA_RNN_KERNELS(_)       \
  _(rnn_step_forward_kernel, RnnStepFn) \
  _(rnn_step_backward_kernel, RnnStepFn)
#define EMBER_CPU_ISA_FUSED_KERNELS(_)       \
  _(cross_entropy_forward_kernel, LossFn)    \
  _(cross_entropy_backward_kernel, LossFn)   \
  _(dropout_forward_kernel, DropoutFn)       \
  _(dropout_backward_kernel, DropoutFn)      \
  _(sgd_update_kernel, OptimFn)              \
  _(adam_update_kernel, OptimFn)             \
  _(rmsprop_update_kernel, OptimFn)          \
  _(adagrad_update_kernel, OptimFn)

#define EMBER_CPU_ISA_KERNELS(_)     \
  EMBER_CPU_ISA_COPY_KERNELS(_)      \
  EMBER_CPU_ISA_BINARY_KERNELS(_)    \
  EMBER_CPU_ISA_UNARY_KERNELS(_)     \
  EMBER_CPU_ISA_REDUCE_KERNELS(_)    \
  EMBER_CPU_ISA_LINALG_KERNELS(_)    \
  EMBER_CPU_ISA_NN_KERNELS(_)        \
  EMBER_CPU_ISA_CONV_KERNELS(_)      \
  EMBER_CPU_ISA_RNN_KERNELS(_)       \
  EMBER_CPU_ISA_FUSED_KERNELS(_)

namespace ember::cpu {
enum class Isa { Baseline = 0, Avx2 = 1, Avx512 = 2 };
Isa selected_isa();           // after EMBER_CPU_ISA and CPU detection
const char* isa_name(Isa isa);
}  // namespace ember::cpu
