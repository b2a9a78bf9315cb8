#pragma once
// The CUDA backend's host-side context: error checks, devices, the current stream, and small dtype
// helpers. The backend lives in its own module (ember._cuda) and links none of the core's
// out-of-line functions (dtype_name, itemsize, ...): it reaches the core only through the backend
// API (dispatch/backend.h), so everything it needs here is header-only or defined in this folder.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/check.h"
#include "ember/dtype.h"

namespace ember::gpu {

// Throws ember::Error naming the op and the CUDA error (OutOfMemory for cudaErrorMemoryAllocation).
[[noreturn]] void throw_cuda_error(cudaError_t err, const char* op, const char* what);

#define EMBER_CUDA_CHECK(expr, op)                                                 \
  do {                                                                             \
    cudaError_t ember_err_ = (expr);                                               \
    if (ember_err_ != cudaSuccess) ::ember::gpu::throw_cuda_error(ember_err_, op, #expr); \
  } while (0)

// After a kernel launch: reports a bad launch (configuration, missing image for this GPU) by op name.
#define EMBER_CUDA_LAUNCH_CHECK(op) EMBER_CUDA_CHECK(cudaGetLastError(), op)

int device_count();     // 0 when there is no driver or no device (never throws)
int current_device();
void set_device(int index);
void synchronize(int index);  // index < 0: the current device
int sm_count(int index);      // multiprocessors of a device (cached)

// The current stream of a device for this thread (nullptr: the legacy default stream).
cudaStream_t current_stream(int device = -1);
void set_current_stream(int device, cudaStream_t stream);

// Switches the current device for a scope.
class DeviceGuard {
 public:
  explicit DeviceGuard(int index);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int prev_ = -1;
};

// Header-only dtype helpers (the core's itemsize/dtype_name are not linked into this module).
inline size_t elem_size(Dtype d) {
  switch (d) {
    case Dtype::Bool: case Dtype::UInt8: case Dtype::Int8: return 1;
    case Dtype::Int16: case Dtype::Float16: case Dtype::BFloat16: return 2;
    case Dtype::Int32: case Dtype::Float32: return 4;
    case Dtype::Int64: case Dtype::Float64: return 8;
  }
  return 1;
}
inline const char* dtype_str(Dtype d) {
  switch (d) {
#define EMBER_GPU_DTYPE_NAME(T, name, pyname) case Dtype::name: return #pyname;
    EMBER_FORALL_DTYPES(EMBER_GPU_DTYPE_NAME)
#undef EMBER_GPU_DTYPE_NAME
  }
  return "?";
}

[[noreturn]] inline void fail_dtype(const char* op, Dtype d) {
  EMBER_FAIL(NotImplemented, "[ember.", op, "] not implemented for cuda and dtype ", dtype_str(d));
}

}  // namespace ember::gpu
