#pragma once
// The CUDA backend's kernels (registered for DeviceType::CUDA in register.cpp). Same signatures as
// the CPU's: views and args structs from dispatch/kernels.h.
#include "dispatch/kernels.h"

namespace ember::gpu {

// ---- elementwise.cu
void copy_kernel(const ElementwiseArgs& a);
void fill_kernel(const FillArgs& a);
#define EMBER_GPU_DECLARE(name) void name##_kernel(const ElementwiseArgs& a);
#define EMBER_GPU_ELEMENTWISE(_)                                                                      \
  _(add) _(sub) _(mul) _(div) _(div_trunc) _(div_floor) _(remainder) _(fmod) _(pow) _(atan2) _(hypot) \
  _(xlogy) _(maximum) _(minimum) _(fmax) _(fmin) _(copysign) _(bitwise_and) _(bitwise_or)             \
  _(bitwise_xor) _(lshift) _(rshift) _(logical_and) _(logical_or) _(logical_xor) _(eq) _(ne) _(lt)     \
  _(le) _(gt) _(ge) _(lerp) _(where) _(isnan) _(isinf) _(isfinite) _(isposinf) _(isneginf)             \
  _(logical_not) _(bitwise_not) _(clamp) _(leaky_relu) _(elu) _(softplus) _(gelu) _(threshold)         \
  _(threshold_backward) _(round_decimals)
EMBER_GPU_ELEMENTWISE(EMBER_GPU_DECLARE)
#define EMBER_GPU_DECLARE_UNARY(name, ...) void name##_kernel(const ElementwiseArgs& a);
EMBER_UNARY_OPS(EMBER_GPU_DECLARE_UNARY)
#undef EMBER_GPU_DECLARE_UNARY
#undef EMBER_GPU_DECLARE

// ---- reduce.cu (out: in's ndim with stride 0 on reduced dims; index: int64 positions)
void sum_kernel(const ReduceArgs& a);
void prod_kernel(const ReduceArgs& a);
void max_kernel(const ReduceArgs& a);
void min_kernel(const ReduceArgs& a);
void any_kernel(const ReduceArgs& a);
void all_kernel(const ReduceArgs& a);

// ---- softmax.cu (contiguous; DimArgs as the CPU's)
void softmax_kernel(const DimArgs& a);
void softmax_backward_kernel(const DimArgs& a);

// ---- gemm.cpp (cuBLAS)
void gemm_kernel(const GemmArgs& a);
void set_allow_tf32(bool allow);

// ---- copy.cpp: bytes between host and device (the DeviceHooks::copy_bytes hook)
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes, bool non_blocking);

}  // namespace ember::gpu
