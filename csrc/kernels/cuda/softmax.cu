// softmax / log_softmax and their backward on the GPU, over contiguous tensors viewed as
// [outer, D, inner] (DimArgs: `dim` is D). inner == 1 (the last dim): a block per row, block-wide
// max and sum with warp shuffles; otherwise a thread per (outer, inner) column walking D with
// coalesced loads across the columns. Same formulas as the CPU kernels (kernels/cpu/isa/softmax.cpp).
#include <cmath>

#include "kernels/cuda/iter.cuh"
#include "kernels/cuda/kernels.h"

namespace ember::gpu {
namespace {

struct Shape3 {
  int64_t outer = 1, D = 1, inner = 1;
  Shape3(const View& v, int64_t dim) {
    for (int64_t d = 0; d < v.ndim; ++d) {
      if (d < dim) outer *= v.sizes[d];
      else if (d > dim) inner *= v.sizes[d];
    }
    D = v.ndim ? v.sizes[dim] : 1;
  }
};

template <class A> __device__ __forceinline__ A max_of(A a, A b) { return b > a ? b : a; }

// Block-wide reduction whose result every thread gets. kMax: max, else sum.
template <bool kMax, class A> __device__ A block_all_reduce(A v) {
  __shared__ A shared[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = (blockDim.x + 31) >> 5;
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    A other = __shfl_down_sync(0xffffffffu, v, o);
    v = kMax ? max_of(v, other) : v + other;
  }
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < nwarps ? shared[lane] : (kMax ? A(-INFINITY) : A(0));
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
      A other = __shfl_down_sync(0xffffffffu, v, o);
      v = kMax ? max_of(v, other) : v + other;
    }
    if (lane == 0) shared[0] = v;
  }
  __syncthreads();
  v = shared[0];
  __syncthreads();  // `shared` is reused by the next call
  return v;
}

template <class T> __global__ void softmax_rows_kernel(const char* x, char* y, int64_t rows, int64_t D, bool log) {
  using A = op_t<T>;
  constexpr int64_t S = sizeof(T);
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const char* xr = x + r * D * S;
    char* yr = y + r * D * S;
    A m = A(-INFINITY);
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x) m = max_of(m, A(IO<T>::load(xr + i * S)));
    m = block_all_reduce<true>(m);
    if (m == A(-INFINITY)) m = A(0);  // all -inf (or NaN): the sum gives the NaN / -inf torch gives
    A s = A(0);
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x) s += exp(A(IO<T>::load(xr + i * S)) - m);
    s = block_all_reduce<false>(s);
    const A ls = m + ::log(s), inv = A(1) / s;
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x) {
      const A v = IO<T>::load(xr + i * S);
      IO<T>::store(yr + i * S, log ? v - ls : exp(v - m) * inv);
    }
  }
}

template <class T>
__global__ void softmax_cols_kernel(const char* x, char* y, int64_t outer, int64_t D, int64_t inner, bool log) {
  using A = op_t<T>;
  constexpr int64_t S = sizeof(T);
  const int64_t n = outer * inner, stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < n; t += stride) {
    const int64_t o = t / inner, c = t % inner;
    const char* xc = x + (o * D * inner + c) * S;
    char* yc = y + (o * D * inner + c) * S;
    A m = A(-INFINITY);
    for (int64_t i = 0; i < D; ++i) m = max_of(m, A(IO<T>::load(xc + i * inner * S)));
    if (m == A(-INFINITY)) m = A(0);
    A s = A(0);
    for (int64_t i = 0; i < D; ++i) s += exp(A(IO<T>::load(xc + i * inner * S)) - m);
    const A ls = m + ::log(s), inv = A(1) / s;
    for (int64_t i = 0; i < D; ++i) {
      const A v = IO<T>::load(xc + i * inner * S);
      IO<T>::store(yc + i * inner * S, log ? v - ls : exp(v - m) * inv);
    }
  }
}

// softmax: gi = y * (g - sum(g * y)); log_softmax: gi = g - exp(y) * sum(g).
template <class T>
__global__ void softmax_bwd_rows_kernel(const char* y, const char* g, char* gi, int64_t rows, int64_t D, bool log) {
  using A = op_t<T>;
  constexpr int64_t S = sizeof(T);
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const int64_t base = r * D * S;
    A s = A(0);
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x) {
      const A gv = IO<T>::load(g + base + i * S);
      s += log ? gv : gv * A(IO<T>::load(y + base + i * S));
    }
    s = block_all_reduce<false>(s);
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x) {
      const A gv = IO<T>::load(g + base + i * S), yv = IO<T>::load(y + base + i * S);
      IO<T>::store(gi + base + i * S, log ? gv - exp(yv) * s : yv * (gv - s));
    }
  }
}

template <class T>
__global__ void softmax_bwd_cols_kernel(const char* y, const char* g, char* gi, int64_t outer, int64_t D,
                                        int64_t inner, bool log) {
  using A = op_t<T>;
  constexpr int64_t S = sizeof(T);
  const int64_t n = outer * inner, stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t t = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; t < n; t += stride) {
    const int64_t o = t / inner, c = t % inner, base = (o * D * inner + c) * S;
    A s = A(0);
    for (int64_t i = 0; i < D; ++i) {
      const A gv = IO<T>::load(g + base + i * inner * S);
      s += log ? gv : gv * A(IO<T>::load(y + base + i * inner * S));
    }
    for (int64_t i = 0; i < D; ++i) {
      const int64_t off = base + i * inner * S;
      const A gv = IO<T>::load(g + off), yv = IO<T>::load(y + off);
      IO<T>::store(gi + off, log ? gv - exp(yv) * s : yv * (gv - s));
    }
  }
}

unsigned row_grid(int64_t rows) { return unsigned(rows < 65535 ? rows : 65535); }

}  // namespace

void softmax_kernel(const DimArgs& a) {
  const char* op = a.flag ? "log_softmax" : "softmax";
  EMBER_GPU_DISPATCH(a.in.dtype, op, EMBER_GPU_FLOAT_CASES, [&] {
    using T = scalar_t;
    const Shape3 s(a.in, a.dim);
    if (s.outer * s.D * s.inner == 0) return;
    const int device = current_device();
    cudaStream_t stream = current_stream(device);
    if (s.inner == 1) {
      softmax_rows_kernel<T><<<row_grid(s.outer), kThreads, 0, stream>>>(a.in.data, a.out.data, s.outer, s.D, a.flag);
    } else {
      softmax_cols_kernel<T><<<grid_for(s.outer * s.inner, device), kThreads, 0, stream>>>(
          a.in.data, a.out.data, s.outer, s.D, s.inner, a.flag);
    }
    EMBER_CUDA_LAUNCH_CHECK(op);
  });
}

void softmax_backward_kernel(const DimArgs& a) {
  const char* op = a.flag ? "log_softmax_backward" : "softmax_backward";
  EMBER_GPU_DISPATCH(a.in.dtype, op, EMBER_GPU_FLOAT_CASES, [&] {
    using T = scalar_t;
    const Shape3 s(a.in, a.dim);
    if (s.outer * s.D * s.inner == 0) return;
    const int device = current_device();
    cudaStream_t stream = current_stream(device);
    if (s.inner == 1) {
      softmax_bwd_rows_kernel<T><<<row_grid(s.outer), kThreads, 0, stream>>>(a.in.data, a.grad.data, a.out.data,
                                                                              s.outer, s.D, a.flag);
    } else {
      softmax_bwd_cols_kernel<T><<<grid_for(s.outer * s.inner, device), kThreads, 0, stream>>>(
          a.in.data, a.grad.data, a.out.data, s.outer, s.D, s.inner, a.flag);
    }
    EMBER_CUDA_LAUNCH_CHECK(op);
  });
}

}  // namespace ember::gpu
