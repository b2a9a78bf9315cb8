#pragma once
// The strided elementwise loop engine for the GPU (the CPU's kernels/cpu/iter.h, on threads).
// The host side drops size-1 dims, orders dims by the output's strides and merges dims that are
// contiguous in every operand; the kernel then walks linear indices in a grid-stride loop. With
// one dim left (contiguous operands, or a broadcast scalar: stride 0) an operand's offset is
// i * stride; otherwise each index is decomposed over the dims. Values load as their op-math
// type (float for float16/bfloat16) and the scalar functors of kernels/functors.h compute them,
// so the CPU and the GPU share the math.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdlib>
#include <type_traits>
#include <utility>

#include "dispatch/kernels.h"
#include "kernels/cuda/context.h"
#include "kernels/functors.h"

namespace ember::gpu {

constexpr int kMaxDims = 25;
constexpr int kMaxOperands = 4;
constexpr int kThreads = 256;

// ---- element access: storage type T <-> op-math value
template <class T> struct IO {
  using op_t = T;
  static __device__ __forceinline__ T load(const char* p) { return *reinterpret_cast<const T*>(p); }
  static __device__ __forceinline__ void store(char* p, T v) { *reinterpret_cast<T*>(p) = v; }
};
template <> struct IO<Half> {
  using op_t = float;
  static __device__ __forceinline__ float load(const char* p) { return __half2float(*reinterpret_cast<const __half*>(p)); }
  static __device__ __forceinline__ void store(char* p, float v) { *reinterpret_cast<__half*>(p) = __float2half_rn(v); }
};
template <> struct IO<BFloat16> {
  using op_t = float;
  static __device__ __forceinline__ float load(const char* p) {
    return __bfloat162float(*reinterpret_cast<const __nv_bfloat16*>(p));
  }
  static __device__ __forceinline__ void store(char* p, float v) {
    *reinterpret_cast<__nv_bfloat16*>(p) = __float2bfloat16_rn(v);
  }
};
template <class T> using op_t = typename IO<T>::op_t;

// A value as the op-math type of To, converting the way the CPU's cast_value does.
template <class To, class V> __device__ __forceinline__ op_t<To> convert(V v) {
  if constexpr (std::is_same_v<To, bool>) return v != V(0);
  else return static_cast<op_t<To>>(v);
}

// ---- geometry
template <int N> struct Geometry {
  int ndim = 0;
  int64_t numel = 1;
  int64_t sizes[kMaxDims];        // innermost first
  int64_t strides[N][kMaxDims];   // bytes
  char* base[N];
};

template <int N> Geometry<N> make_geometry(const View* const (&views)[N], const char* op) {
  Geometry<N> g;
  const View& v0 = *views[0];
  EMBER_CHECK(v0.ndim <= kMaxDims, Runtime, "[ember.", op, "] tensors with more than ", kMaxDims,
              " dims are not supported by CUDA kernels, got ", v0.ndim);
  g.numel = v0.numel();
  for (int k = 0; k < N; ++k) g.base[k] = views[k]->data;
  for (int64_t d = v0.ndim - 1; d >= 0; --d) {
    if (v0.sizes[d] == 1) continue;
    g.sizes[g.ndim] = v0.sizes[d];
    for (int k = 0; k < N; ++k) g.strides[k][g.ndim] = views[k]->strides[d] * int64_t(elem_size(views[k]->dtype));
    ++g.ndim;
  }
  // Order dims by |stride| (operand 0 first, broadcast operands do not decide), smallest innermost.
  auto less = [&](int a, int b) {
    for (int k = 0; k < N; ++k) {
      int64_t sa = std::llabs(g.strides[k][a]), sb = std::llabs(g.strides[k][b]);
      if (sa == 0 || sb == 0) continue;
      if (sa != sb) return sa < sb;
    }
    return false;
  };
  for (int i = 1; i < g.ndim; ++i)
    for (int j = i; j > 0 && less(j, j - 1); --j) {
      std::swap(g.sizes[j], g.sizes[j - 1]);
      for (int k = 0; k < N; ++k) std::swap(g.strides[k][j], g.strides[k][j - 1]);
    }
  // Merge dims contiguous in every operand.
  if (g.ndim > 1) {
    int out = 0;
    for (int d = 1; d < g.ndim; ++d) {
      bool can = true;
      for (int k = 0; k < N && can; ++k) can = g.strides[k][d] == g.strides[k][out] * g.sizes[out];
      if (can) {
        g.sizes[out] *= g.sizes[d];
      } else {
        ++out;
        g.sizes[out] = g.sizes[d];
        for (int k = 0; k < N; ++k) g.strides[k][out] = g.strides[k][d];
      }
    }
    g.ndim = out + 1;
  }
  if (g.ndim == 0) {  // one element
    g.sizes[0] = 1;
    for (int k = 0; k < N; ++k) g.strides[k][0] = 0;
  }
  return g;
}

template <int N> __device__ __forceinline__ void offsets(const Geometry<N>& g, int64_t i, char* (&p)[N]) {
  if (g.ndim <= 1) {
#pragma unroll
    for (int k = 0; k < N; ++k) p[k] = g.base[k] + i * g.strides[k][0];
    return;
  }
#pragma unroll
  for (int k = 0; k < N; ++k) p[k] = g.base[k];
  for (int d = 0; d < g.ndim; ++d) {
    const int64_t idx = i % g.sizes[d];
    i /= g.sizes[d];
#pragma unroll
    for (int k = 0; k < N; ++k) p[k] += idx * g.strides[k][d];
  }
}

// Blocks for n elements in a grid-stride loop: enough to fill the device several times over.
inline unsigned grid_for(int64_t n, int device) {
  int64_t blocks = (n + kThreads - 1) / kThreads;
  int64_t cap = int64_t(sm_count(device)) * 32;
  if (blocks > cap) blocks = cap;
  return unsigned(blocks < 1 ? 1 : blocks);
}

template <class Out, class... In, class F, size_t... I>
__device__ __forceinline__ void apply_one(char* (&p)[sizeof...(In) + 1], const F& f, std::index_sequence<I...>) {
  IO<Out>::store(p[0], convert<Out>(f(IO<In>::load(p[I + 1])...)));
}

// (A __global__ template takes its pack last: the functor type comes first.)
template <class F, class Out, class... In>
__global__ void elementwise_kernel(Geometry<sizeof...(In) + 1> g, F f) {
  constexpr int N = sizeof...(In) + 1;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < g.numel; i += stride) {
    char* p[N];
    offsets<N>(g, i, p);
    apply_one<Out, In...>(p, f, std::index_sequence_for<In...>{});
  }
}

// out = f(in...) over views of equal sizes (operand 0 the output); f maps op-math values.
template <class Out, class... In, class F>
void launch_elementwise(const View& out, const View* const (&in)[sizeof...(In)], const F& f, const char* op) {
  constexpr int N = sizeof...(In) + 1;
  const View* views[N];
  views[0] = &out;
  for (int k = 1; k < N; ++k) views[k] = in[k - 1];
  Geometry<N> g = make_geometry<N>(views, op);
  if (g.numel == 0) return;
  const int device = current_device();
  elementwise_kernel<F, Out, In...><<<grid_for(g.numel, device), kThreads, 0, current_stream(device)>>>(g, f);
  EMBER_CUDA_LAUNCH_CHECK(op);
}

// ---- dtype dispatch (the CPU's EMBER_DISPATCH_*, failing with this module's dtype names)
#define EMBER_GPU_CASE(T, name, ...) \
  case ::ember::Dtype::name: {       \
    using scalar_t = T;              \
    return __VA_ARGS__();            \
  }
#define EMBER_GPU_FLOAT_CASES(...)                          \
  EMBER_GPU_CASE(float, Float32, __VA_ARGS__)               \
  EMBER_GPU_CASE(double, Float64, __VA_ARGS__)              \
  EMBER_GPU_CASE(::ember::Half, Float16, __VA_ARGS__)       \
  EMBER_GPU_CASE(::ember::BFloat16, BFloat16, __VA_ARGS__)
#define EMBER_GPU_INT_CASES(...)                            \
  EMBER_GPU_CASE(uint8_t, UInt8, __VA_ARGS__)               \
  EMBER_GPU_CASE(int8_t, Int8, __VA_ARGS__)                 \
  EMBER_GPU_CASE(int16_t, Int16, __VA_ARGS__)               \
  EMBER_GPU_CASE(int32_t, Int32, __VA_ARGS__)               \
  EMBER_GPU_CASE(int64_t, Int64, __VA_ARGS__)
#define EMBER_GPU_DISPATCH(dtype, op, CASES, ...)           \
  [&] {                                                     \
    switch (dtype) {                                        \
      CASES(__VA_ARGS__)                                    \
      default: ::ember::gpu::fail_dtype(op, dtype);         \
    }                                                       \
  }()
#define EMBER_GPU_NUMERIC_CASES(...) EMBER_GPU_FLOAT_CASES(__VA_ARGS__) EMBER_GPU_INT_CASES(__VA_ARGS__)
#define EMBER_GPU_ALL_CASES(...) EMBER_GPU_NUMERIC_CASES(__VA_ARGS__) EMBER_GPU_CASE(bool, Bool, __VA_ARGS__)
#define EMBER_GPU_INT_BOOL_CASES(...) EMBER_GPU_INT_CASES(__VA_ARGS__) EMBER_GPU_CASE(bool, Bool, __VA_ARGS__)

}  // namespace ember::gpu
