// The CPU column of the kernel table: one line per stub. Hot kernels exist once per ISA
// (kernels/cpu/isa/*.cpp); `pick` chooses the copy for the ISA selected at start-up.
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>

#include "kernels/cpu/isa.h"
#include "kernels/cpu/kernels.h"

namespace ember::cpu {

#define EMBER_DECLARE_ISA_KERNEL(name, Fn) std::remove_pointer_t<Fn> name;
#define EMBER_DECLARE_UNARY_ISA_KERNEL(name, ...) void name##_kernel(const ElementwiseArgs&);
namespace baseline {
EMBER_CPU_ISA_KERNELS(EMBER_DECLARE_ISA_KERNEL)
EMBER_UNARY_OPS(EMBER_DECLARE_UNARY_ISA_KERNEL)
}  // namespace baseline
#ifdef EMBER_CPU_DISPATCH
namespace avx2 {
EMBER_CPU_ISA_KERNELS(EMBER_DECLARE_ISA_KERNEL)
EMBER_UNARY_OPS(EMBER_DECLARE_UNARY_ISA_KERNEL)
}  // namespace avx2
namespace avx512 {
EMBER_CPU_ISA_KERNELS(EMBER_DECLARE_ISA_KERNEL)
EMBER_UNARY_OPS(EMBER_DECLARE_UNARY_ISA_KERNEL)
}  // namespace avx512
#endif

namespace {
Isa detect_isa() {
#if defined(EMBER_CPU_DISPATCH) && (defined(__x86_64__) || defined(_M_X64))
  __builtin_cpu_init();
  Isa best = Isa::Baseline;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) best = Isa::Avx2;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    best = Isa::Avx512;
  const char* env = std::getenv("EMBER_CPU_ISA");
  if (env && *env) {
    Isa want = Isa::Baseline;
    if (!std::strcmp(env, "avx2")) want = Isa::Avx2;
    else if (!std::strcmp(env, "avx512")) want = Isa::Avx512;
    else if (std::strcmp(env, "baseline") != 0)
      EMBER_FAIL(Value, "[ember] EMBER_CPU_ISA must be baseline, avx2 or avx512, got '", env, "'");
    EMBER_CHECK(int(want) <= int(best), Runtime, "[ember] EMBER_CPU_ISA=", env, " but this CPU supports only ",
                isa_name(best));
    return want;
  }
  return best;
#else
  return Isa::Baseline;
#endif
}

template <class Fn> Fn pick(Fn base, Fn a2, Fn a512) {
  switch (selected_isa()) {
    case Isa::Avx512: return a512;
    case Isa::Avx2: return a2;
    default: return base;
  }
}
}  // namespace

Isa selected_isa() {
  static Isa isa = detect_isa();
  return isa;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "baseline";
  }
}

#ifdef EMBER_CPU_DISPATCH
#define EMBER_ISA(fn) pick(&baseline::fn, &avx2::fn, &avx512::fn)
#else
#define EMBER_ISA(fn) (&baseline::fn)
#endif

// Kernels compiled once (not per ISA) are declared in kernels/cpu/kernels.h.
void register_cpu_kernels() {
  constexpr DeviceType CPU = DeviceType::CPU;
  // ---- copy
  copy_stub.set(CPU, EMBER_ISA(copy_kernel));
  fill_stub.set(CPU, EMBER_ISA(fill_kernel));

  // ---- binary
  add_stub.set(CPU, EMBER_ISA(add_kernel));
  sub_stub.set(CPU, EMBER_ISA(sub_kernel));
  mul_stub.set(CPU, EMBER_ISA(mul_kernel));
  div_stub.set(CPU, EMBER_ISA(div_kernel));
  div_trunc_stub.set(CPU, EMBER_ISA(div_trunc_kernel));
  div_floor_stub.set(CPU, EMBER_ISA(div_floor_kernel));
  remainder_stub.set(CPU, EMBER_ISA(remainder_kernel));
  fmod_stub.set(CPU, EMBER_ISA(fmod_kernel));
  pow_stub.set(CPU, EMBER_ISA(pow_kernel));
  atan2_stub.set(CPU, EMBER_ISA(atan2_kernel));
  hypot_stub.set(CPU, EMBER_ISA(hypot_kernel));
  maximum_stub.set(CPU, EMBER_ISA(maximum_kernel));
  minimum_stub.set(CPU, EMBER_ISA(minimum_kernel));
  fmax_stub.set(CPU, EMBER_ISA(fmax_kernel));
  fmin_stub.set(CPU, EMBER_ISA(fmin_kernel));
  copysign_stub.set(CPU, EMBER_ISA(copysign_kernel));
  lerp_stub.set(CPU, EMBER_ISA(lerp_kernel));
  bitwise_and_stub.set(CPU, EMBER_ISA(bitwise_and_kernel));
  bitwise_or_stub.set(CPU, EMBER_ISA(bitwise_or_kernel));
  bitwise_xor_stub.set(CPU, EMBER_ISA(bitwise_xor_kernel));
  lshift_stub.set(CPU, EMBER_ISA(lshift_kernel));
  rshift_stub.set(CPU, EMBER_ISA(rshift_kernel));
  logical_and_stub.set(CPU, EMBER_ISA(logical_and_kernel));
  logical_or_stub.set(CPU, EMBER_ISA(logical_or_kernel));
  logical_xor_stub.set(CPU, EMBER_ISA(logical_xor_kernel));
  eq_stub.set(CPU, EMBER_ISA(eq_kernel));
  ne_stub.set(CPU, EMBER_ISA(ne_kernel));
  lt_stub.set(CPU, EMBER_ISA(lt_kernel));
  le_stub.set(CPU, EMBER_ISA(le_kernel));
  gt_stub.set(CPU, EMBER_ISA(gt_kernel));
  ge_stub.set(CPU, EMBER_ISA(ge_kernel));
  xlogy_stub.set(CPU, EMBER_ISA(xlogy_kernel));

  // ---- unary
#define EMBER_REGISTER_UNARY(name, ...) name##_stub.set(CPU, EMBER_ISA(name##_kernel));
  EMBER_UNARY_OPS(EMBER_REGISTER_UNARY)
#undef EMBER_REGISTER_UNARY
  isnan_stub.set(CPU, EMBER_ISA(isnan_kernel));
  threshold_backward_stub.set(CPU, EMBER_ISA(threshold_backward_kernel));
  isinf_stub.set(CPU, EMBER_ISA(isinf_kernel));
  isfinite_stub.set(CPU, EMBER_ISA(isfinite_kernel));
  isposinf_stub.set(CPU, EMBER_ISA(isposinf_kernel));
  isneginf_stub.set(CPU, EMBER_ISA(isneginf_kernel));
  logical_not_stub.set(CPU, EMBER_ISA(logical_not_kernel));
  bitwise_not_stub.set(CPU, EMBER_ISA(bitwise_not_kernel));
  clamp_stub.set(CPU, EMBER_ISA(clamp_kernel));
  leaky_relu_stub.set(CPU, EMBER_ISA(leaky_relu_kernel));
  elu_stub.set(CPU, EMBER_ISA(elu_kernel));
  softplus_stub.set(CPU, EMBER_ISA(softplus_kernel));
  gelu_stub.set(CPU, EMBER_ISA(gelu_kernel));
  threshold_stub.set(CPU, EMBER_ISA(threshold_kernel));
  round_decimals_stub.set(CPU, EMBER_ISA(round_decimals_kernel));

  // ---- reduce
  sum_stub.set(CPU, EMBER_ISA(sum_kernel));
  var_stub.set(CPU, EMBER_ISA(var_kernel));
  any_stub.set(CPU, EMBER_ISA(any_kernel));
  all_stub.set(CPU, EMBER_ISA(all_kernel));
  prod_stub.set(CPU, EMBER_ISA(prod_kernel));
  max_stub.set(CPU, EMBER_ISA(max_kernel));
  min_stub.set(CPU, EMBER_ISA(min_kernel));
  count_nonzero_stub.set(CPU, EMBER_ISA(count_nonzero_kernel));
  cumsum_stub.set(CPU, EMBER_ISA(cumsum_kernel));
  cumprod_stub.set(CPU, EMBER_ISA(cumprod_kernel));
  softmax_stub.set(CPU, EMBER_ISA(softmax_kernel));
  softmax_backward_stub.set(CPU, EMBER_ISA(softmax_backward_kernel));
  prod_backward_stub.set(CPU, EMBER_ISA(prod_backward_kernel));
  reduce_helper_stub.set(CPU, EMBER_ISA(reduce_helper_kernel));

  // ---- sort
  sort_stub.set(CPU, sort_kernel);
  topk_stub.set(CPU, topk_kernel);
  gather_dim_stub.set(CPU, gather_dim_kernel);
  scatter_dim_stub.set(CPU, scatter_dim_kernel);
  mode_stub.set(CPU, mode_kernel);
  unique_consecutive_stub.set(CPU, unique_consecutive_kernel);

  // ---- shape

  // ---- indexing
  where_stub.set(CPU, EMBER_ISA(where_kernel));
  index_stub.set(CPU, index_kernel);
  index_put_stub.set(CPU, index_put_kernel);
  index_range_stub.set(CPU, index_range_kernel);
  nonzero_stub.set(CPU, nonzero_kernel);

  // ---- linalg
  gemm_stub.set(CPU, EMBER_ISA(gemm_kernel));

  // ---- random
  uniform_stub.set(CPU, &uniform_kernel);
  normal_stub.set(CPU, &normal_kernel);
  random_int_stub.set(CPU, &random_int_kernel);
  bernoulli_scalar_stub.set(CPU, &bernoulli_scalar_kernel);
  bernoulli_tensor_stub.set(CPU, &bernoulli_tensor_kernel);
  exponential_stub.set(CPU, &exponential_kernel);
  geometric_stub.set(CPU, &geometric_kernel);
  cauchy_stub.set(CPU, &cauchy_kernel);
  log_normal_stub.set(CPU, &log_normal_kernel);
  randperm_stub.set(CPU, &randperm_kernel);
  multinomial_stub.set(CPU, &multinomial_kernel);

  // ---- nn
  conv2d_forward_stub.set(CPU, &conv2d_forward_kernel);
  conv2d_backward_input_stub.set(CPU, &conv2d_backward_input_kernel);
  conv2d_backward_weight_stub.set(CPU, &conv2d_backward_weight_kernel);
  max_pool2d_forward_stub.set(CPU, &max_pool2d_forward_kernel);
  max_pool2d_backward_stub.set(CPU, &max_pool2d_backward_kernel);
  avg_pool2d_forward_stub.set(CPU, &avg_pool2d_forward_kernel);
  avg_pool2d_backward_stub.set(CPU, &avg_pool2d_backward_kernel);
  layer_norm_forward_stub.set(CPU, &layer_norm_forward_kernel);
  layer_norm_backward_stub.set(CPU, &layer_norm_backward_kernel);
  batch_norm_forward_stub.set(CPU, &batch_norm_forward_kernel);
  batch_norm_backward_stub.set(CPU, &batch_norm_backward_kernel);

  // ---- ctc
  ctc_loss_forward_stub.set(CPU, &ctc_loss_forward_kernel);
  ctc_loss_backward_stub.set(CPU, &ctc_loss_backward_kernel);
  // ---- rnn
  rnn_step_forward_stub.set(CPU, EMBER_ISA(rnn_step_forward_kernel));
  rnn_step_backward_stub.set(CPU, EMBER_ISA(rnn_step_backward_kernel));
  // spatial
  upsample_forward_stub.set(CPU, &upsample_forward_kernel);
  upsample_backward_stub.set(CPU, &upsample_backward_kernel);
  grid_sampler_2d_forward_stub.set(CPU, &grid_sampler_2d_forward_kernel);
  grid_sampler_2d_backward_stub.set(CPU, &grid_sampler_2d_backward_kernel);
  im2col_stub.set(CPU, &im2col_kernel);
  col2im_stub.set(CPU, &col2im_kernel);
  // ---- fused
  cross_entropy_forward_stub.set(CPU, EMBER_ISA(cross_entropy_forward_kernel));
  cross_entropy_backward_stub.set(CPU, EMBER_ISA(cross_entropy_backward_kernel));
  nll_loss_forward_stub.set(CPU, &nll_loss_forward_kernel);
  nll_loss_backward_stub.set(CPU, &nll_loss_backward_kernel);
  embedding_forward_stub.set(CPU, &embedding_forward_kernel);
  embedding_backward_stub.set(CPU, &embedding_backward_kernel);
  dropout_forward_stub.set(CPU, EMBER_ISA(dropout_forward_kernel));
  dropout_backward_stub.set(CPU, EMBER_ISA(dropout_backward_kernel));
  sgd_update_stub.set(CPU, EMBER_ISA(sgd_update_kernel));
  adam_update_stub.set(CPU, EMBER_ISA(adam_update_kernel));
  rmsprop_update_stub.set(CPU, EMBER_ISA(rmsprop_update_kernel));
  adagrad_update_stub.set(CPU, EMBER_ISA(adagrad_update_kernel));
}

// ---- nn: the implicit-im2col GEMM the convolutions call directly (CPU only, no stub).
PackedGemmFn selected_packed_gemm() { return EMBER_ISA(packed_gemm_kernel); }
// ---- conv: the direct stride-1 convolution kernels (isa/conv_direct.cpp), called by conv.cpp.
DirectConvFn selected_conv_direct_forward() { return EMBER_ISA(conv_direct_forward_kernel); }
DirectConvFn selected_conv_direct_weight() { return EMBER_ISA(conv_direct_weight_kernel); }
// ---- conv_winograd: Winograd F(2x2, 3x3) kernels (isa/conv_winograd.cpp), called by conv.cpp.
WinogradFn selected_conv_winograd_forward() { return EMBER_ISA(conv_winograd_forward_kernel); }
WinogradFn selected_conv_winograd_weight() { return EMBER_ISA(conv_winograd_weight_kernel); }

}  // namespace ember::cpu
