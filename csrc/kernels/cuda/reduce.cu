// Reductions on the GPU: sum (and sum of squares), prod, max/min (with the arg position), any/all.
// `out` has in's ndim with stride 0 on the reduced dims (ReduceArgs). The host splits the dims into
// kept and reduced ones (merging dims that are contiguous in memory); the device reduces each
// output with a block of threads: per-thread accumulators, then a warp-shuffle tree and one more
// across the warps. Few outputs over long rows split each row over several blocks and combine
// the partial results in a second pass; short rows get one thread per output. The combination
// order is fixed by the launch shape, so results are deterministic run to run.
#include <limits>

#include "kernels/cuda/allocator.h"
#include "kernels/cuda/iter.cuh"
#include "kernels/cuda/kernels.h"

namespace ember::gpu {
namespace {

struct Plan {
  int nk = 0, nr = 0;                  // kept / reduced dims, innermost first
  int64_t outputs = 1, len = 1;        // kept positions, reduced positions
  int64_t ksize[kMaxDims], kin[kMaxDims], kout[kMaxDims], kidx[kMaxDims];  // byte strides
  int64_t rsize[kMaxDims], rin[kMaxDims];
  const char* in = nullptr;
  char* out = nullptr;
  char* index = nullptr;
};

// Appends dim (size, strides...) innermost-first, merging with the previous one when contiguous.
void push_dim(int& n, int64_t* size, int64_t* const* strides, int nstrides, int64_t s, const int64_t* st) {
  if (n > 0) {
    bool can = true;
    for (int k = 0; k < nstrides && can; ++k) can = st[k] == strides[k][n - 1] * size[n - 1];
    if (can) {
      size[n - 1] *= s;
      return;
    }
  }
  size[n] = s;
  for (int k = 0; k < nstrides; ++k) strides[k][n] = st[k];
  ++n;
}

Plan make_plan(const ReduceArgs& a, const char* op) {
  Plan p;
  EMBER_CHECK(a.in.ndim <= kMaxDims, Runtime, "[ember.", op, "] tensors with more than ", kMaxDims,
              " dims are not supported by CUDA reductions, got ", a.in.ndim);
  const int64_t isz = int64_t(elem_size(a.in.dtype)), osz = int64_t(elem_size(a.out.dtype));
  p.in = a.in.data;
  p.out = a.out.data;
  p.index = a.index.data;
  for (int64_t d = a.in.ndim - 1; d >= 0; --d) {
    const int64_t s = a.in.sizes[d];
    if (s == 1) continue;
    if (a.out.strides[d] == 0) {
      int64_t st[1] = {a.in.strides[d] * isz};
      int64_t* arr[1] = {p.rin};
      push_dim(p.nr, p.rsize, arr, 1, s, st);
      p.len *= s;
    } else {
      int64_t st[3] = {a.in.strides[d] * isz, a.out.strides[d] * osz, p.index ? a.index.strides[d] * 8 : 0};
      int64_t* arr[3] = {p.kin, p.kout, p.kidx};
      push_dim(p.nk, p.ksize, arr, 3, s, st);
      p.outputs *= s;
    }
  }
  return p;
}

__device__ __forceinline__ void kept_offsets(const Plan& p, int64_t o, int64_t& in, int64_t& out, int64_t& idx) {
  in = out = idx = 0;
  for (int d = 0; d < p.nk; ++d) {
    const int64_t i = o % p.ksize[d];
    o /= p.ksize[d];
    in += i * p.kin[d];
    out += i * p.kout[d];
    idx += i * p.kidx[d];
  }
}

__device__ __forceinline__ int64_t reduced_offset(const Plan& p, int64_t r) {
  if (p.nr == 1) return r * p.rin[0];
  int64_t off = 0;
  for (int d = 0; d < p.nr; ++d) {
    off += (r % p.rsize[d]) * p.rin[d];
    r /= p.rsize[d];
  }
  return off;
}

// ---- warp shuffles for the accumulator types
__device__ __forceinline__ float shfl_down(float v, int o) { return __shfl_down_sync(0xffffffffu, v, o); }
__device__ __forceinline__ double shfl_down(double v, int o) { return __shfl_down_sync(0xffffffffu, v, o); }
__device__ __forceinline__ int shfl_down(int v, int o) { return __shfl_down_sync(0xffffffffu, v, o); }
__device__ __forceinline__ int64_t shfl_down(int64_t v, int o) {
  return int64_t(__shfl_down_sync(0xffffffffu, (long long)v, o));
}
__device__ __forceinline__ bool shfl_down(bool v, int o) { return __shfl_down_sync(0xffffffffu, int(v), o) != 0; }
__device__ __forceinline__ uint8_t shfl_down(uint8_t v, int o) { return uint8_t(__shfl_down_sync(0xffffffffu, int(v), o)); }
__device__ __forceinline__ int8_t shfl_down(int8_t v, int o) { return int8_t(__shfl_down_sync(0xffffffffu, int(v), o)); }
__device__ __forceinline__ int16_t shfl_down(int16_t v, int o) { return int16_t(__shfl_down_sync(0xffffffffu, int(v), o)); }

template <class V> struct ArgAcc {
  V v;
  int64_t i;  // -1: empty
};
template <class V> __device__ __forceinline__ ArgAcc<V> shfl_down(ArgAcc<V> a, int o) {
  return ArgAcc<V>{shfl_down(a.v, o), shfl_down(a.i, o)};
}

// ---- the reduction ops: acc type, identity, one element, combine, write
template <class T, bool kSquare> struct SumOps {
  using acc_t = std::conditional_t<std::is_integral_v<T>, int64_t, op_t<T>>;
  static __device__ acc_t identity() { return acc_t(0); }
  static __device__ acc_t step(acc_t a, const char* p, int64_t) {
    const acc_t v = acc_t(IO<T>::load(p));
    return kSquare ? a + v * v : a + v;
  }
  static __device__ acc_t combine(acc_t a, acc_t b) { return a + b; }
  static __device__ void write(char* out, char*, acc_t a) { IO<T>::store(out, convert<T>(a)); }
};

template <class T> struct ProdOps {
  using acc_t = std::conditional_t<std::is_integral_v<T>, int64_t, op_t<T>>;
  static __device__ acc_t identity() { return acc_t(1); }
  static __device__ acc_t step(acc_t a, const char* p, int64_t) { return a * acc_t(IO<T>::load(p)); }
  static __device__ acc_t combine(acc_t a, acc_t b) { return a * b; }
  static __device__ void write(char* out, char*, acc_t a) { IO<T>::store(out, convert<T>(a)); }
};

// Max/min with the first position of the extreme; NaN wins (the first NaN), as in PyTorch.
template <class T, bool kMax> struct ExtremeOps {
  using V = op_t<T>;
  using acc_t = ArgAcc<V>;
  static __device__ acc_t identity() { return acc_t{V(0), -1}; }
  static __device__ bool is_nan(V v) {
    if constexpr (std::is_floating_point_v<V>) return v != v;
    else return false;
  }
  static __device__ acc_t combine(acc_t a, acc_t b) {
    if (a.i < 0) return b;
    if (b.i < 0) return a;
    const bool an = is_nan(a.v), bn = is_nan(b.v);
    if (an || bn) {
      if (an && bn) return a.i <= b.i ? a : b;
      return an ? a : b;
    }
    if (kMax ? b.v > a.v : b.v < a.v) return b;
    if (b.v == a.v && b.i < a.i) return b;
    return a;
  }
  static __device__ acc_t step(acc_t a, const char* p, int64_t pos) { return combine(a, acc_t{IO<T>::load(p), pos}); }
  static __device__ void write(char* out, char* index, acc_t a) {
    IO<T>::store(out, a.v);
    if (index) *reinterpret_cast<int64_t*>(index) = a.i < 0 ? 0 : a.i;
  }
};

template <class T, bool kAny> struct AnyAllOps {
  using acc_t = int;
  static __device__ acc_t identity() { return kAny ? 0 : 1; }
  static __device__ acc_t step(acc_t a, const char* p, int64_t) {
    const int v = IO<T>::load(p) != op_t<T>(0);
    return kAny ? (a | v) : (a & v);
  }
  static __device__ acc_t combine(acc_t a, acc_t b) { return kAny ? (a | b) : (a & b); }
  static __device__ void write(char* out, char*, acc_t a) { *reinterpret_cast<bool*>(out) = a != 0; }
};

template <class Ops> __device__ typename Ops::acc_t warp_reduce(typename Ops::acc_t v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = Ops::combine(v, shfl_down(v, o));
  return v;
}

// Valid in thread 0. Every thread of the block must call it.
template <class Ops> __device__ typename Ops::acc_t block_reduce(typename Ops::acc_t v) {
  using acc_t = typename Ops::acc_t;
  __shared__ acc_t shared[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = (blockDim.x + 31) >> 5;
  v = warp_reduce<Ops>(v);
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  v = threadIdx.x < nwarps ? shared[lane] : Ops::identity();
  if (warp == 0) v = warp_reduce<Ops>(v);
  __syncthreads();  // `shared` is reused by the next output
  return v;
}

// Block per (output, split): splits > 1 writes partial accumulators, else the result.
template <class Ops>
__global__ void reduce_block_kernel(Plan p, int64_t splits, typename Ops::acc_t* partial) {
  using acc_t = typename Ops::acc_t;
  const int64_t chunk = (p.len + splits - 1) / splits;
  const int64_t split = blockIdx.y;
  const int64_t begin = split * chunk, end = begin + chunk < p.len ? begin + chunk : p.len;
  for (int64_t o = blockIdx.x; o < p.outputs; o += gridDim.x) {
    int64_t in_off, out_off, idx_off;
    kept_offsets(p, o, in_off, out_off, idx_off);
    acc_t acc = Ops::identity();
    for (int64_t r = begin + threadIdx.x; r < end; r += blockDim.x)
      acc = Ops::step(acc, p.in + in_off + reduced_offset(p, r), r);
    acc = block_reduce<Ops>(acc);
    if (threadIdx.x == 0) {
      if (splits > 1) partial[o * splits + split] = acc;
      else Ops::write(p.out + out_off, p.index ? p.index + idx_off : nullptr, acc);
    }
  }
}

template <class Ops>
__global__ void reduce_partials_kernel(Plan p, int64_t splits, const typename Ops::acc_t* partial) {
  using acc_t = typename Ops::acc_t;
  for (int64_t o = blockIdx.x; o < p.outputs; o += gridDim.x) {
    acc_t acc = Ops::identity();
    for (int64_t s = threadIdx.x; s < splits; s += blockDim.x) acc = Ops::combine(acc, partial[o * splits + s]);
    acc = block_reduce<Ops>(acc);
    if (threadIdx.x == 0) {
      int64_t in_off, out_off, idx_off;
      kept_offsets(p, o, in_off, out_off, idx_off);
      Ops::write(p.out + out_off, p.index ? p.index + idx_off : nullptr, acc);
    }
  }
}

// Thread per output, for short rows.
template <class Ops> __global__ void reduce_thread_kernel(Plan p) {
  using acc_t = typename Ops::acc_t;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t o = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; o < p.outputs; o += stride) {
    int64_t in_off, out_off, idx_off;
    kept_offsets(p, o, in_off, out_off, idx_off);
    acc_t acc = Ops::identity();
    for (int64_t r = 0; r < p.len; ++r) acc = Ops::step(acc, p.in + in_off + reduced_offset(p, r), r);
    Ops::write(p.out + out_off, p.index ? p.index + idx_off : nullptr, acc);
  }
}

template <class Ops> void run(const ReduceArgs& a, const char* op) {
  using acc_t = typename Ops::acc_t;
  Plan p = make_plan(a, op);
  if (p.outputs == 0) return;
  const int device = current_device();
  cudaStream_t stream = current_stream(device);
  const int64_t target_blocks = int64_t(sm_count(device)) * 4;
  if (p.len <= 32 && p.outputs >= 1024) {
    reduce_thread_kernel<Ops><<<grid_for(p.outputs, device), kThreads, 0, stream>>>(p);
    EMBER_CUDA_LAUNCH_CHECK(op);
    return;
  }
  const unsigned grid_x = unsigned(p.outputs < 65535 ? p.outputs : 65535);
  // Split long rows over more blocks when the outputs alone do not fill the device.
  int64_t splits = 1;
  if (p.outputs < target_blocks && p.len >= 8192) {
    splits = target_blocks / p.outputs;
    const int64_t max_splits = p.len / 4096;
    if (splits > max_splits) splits = max_splits;
    if (splits > 1024) splits = 1024;
    if (splits < 1) splits = 1;
  }
  if (splits == 1) {
    reduce_block_kernel<Ops><<<dim3(grid_x, 1), kThreads, 0, stream>>>(p, 1, nullptr);
    EMBER_CUDA_LAUNCH_CHECK(op);
    return;
  }
  DeviceBuffer partial(device, size_t(p.outputs * splits) * sizeof(acc_t));
  auto* buf = static_cast<acc_t*>(partial.get());
  reduce_block_kernel<Ops><<<dim3(grid_x, unsigned(splits)), kThreads, 0, stream>>>(p, splits, buf);
  EMBER_CUDA_LAUNCH_CHECK(op);
  reduce_partials_kernel<Ops><<<grid_x, kThreads, 0, stream>>>(p, splits, buf);
  EMBER_CUDA_LAUNCH_CHECK(op);
}

}  // namespace

// The output dtype is the accumulation dtype chosen by the op (in is cast to it); param == 2: squares.
void sum_kernel(const ReduceArgs& a) {
  EMBER_GPU_DISPATCH(a.out.dtype, "sum", EMBER_GPU_ALL_CASES, [&] {
    if (a.param == 2) run<SumOps<scalar_t, true>>(a, "sum");
    else run<SumOps<scalar_t, false>>(a, "sum");
  });
}
void prod_kernel(const ReduceArgs& a) {
  EMBER_GPU_DISPATCH(a.out.dtype, "prod", EMBER_GPU_ALL_CASES, [&] { run<ProdOps<scalar_t>>(a, "prod"); });
}
void max_kernel(const ReduceArgs& a) {
  EMBER_GPU_DISPATCH(a.in.dtype, "max", EMBER_GPU_ALL_CASES, [&] { run<ExtremeOps<scalar_t, true>>(a, "max"); });
}
void min_kernel(const ReduceArgs& a) {
  EMBER_GPU_DISPATCH(a.in.dtype, "min", EMBER_GPU_ALL_CASES, [&] { run<ExtremeOps<scalar_t, false>>(a, "min"); });
}
void any_kernel(const ReduceArgs& a) {
  EMBER_GPU_DISPATCH(a.in.dtype, "any", EMBER_GPU_ALL_CASES, [&] { run<AnyAllOps<scalar_t, true>>(a, "any"); });
}
void all_kernel(const ReduceArgs& a) {
  EMBER_GPU_DISPATCH(a.in.dtype, "all", EMBER_GPU_ALL_CASES, [&] { run<AnyAllOps<scalar_t, false>>(a, "all"); });
}

}  // namespace ember::gpu
