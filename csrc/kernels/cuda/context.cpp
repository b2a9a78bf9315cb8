#include "kernels/cuda/context.h"

#include <mutex>
#include <vector>

namespace ember::gpu {

void throw_cuda_error(cudaError_t err, const char* op, const char* what) {
  cudaGetLastError();  // clear a sticky launch error so the next call starts clean
  if (err == cudaErrorMemoryAllocation)
    EMBER_FAIL(OutOfMemory, "[ember.", op, "] CUDA out of memory (", cudaGetErrorString(err), " in ", what, ")");
  EMBER_FAIL(Runtime, "[ember.", op, "] CUDA error: ", cudaGetErrorString(err), " (", cudaGetErrorName(err), " in ",
             what, ")");
}

int device_count() {
  static int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      cudaGetLastError();
      return 0;
    }
    return n;
  }();
  return count;
}

int current_device() {
  int d = 0;
  EMBER_CUDA_CHECK(cudaGetDevice(&d), "cuda.current_device");
  return d;
}

void set_device(int index) {
  EMBER_CHECK(index >= 0 && index < device_count(), Runtime, "[ember.cuda.set_device] CUDA error: invalid device ordinal ",
              index, " (", device_count(), " devices)");
  EMBER_CUDA_CHECK(cudaSetDevice(index), "cuda.set_device");
}

void synchronize(int index) {
  if (index < 0) {
    EMBER_CUDA_CHECK(cudaDeviceSynchronize(), "cuda.synchronize");
    return;
  }
  DeviceGuard g(index);
  EMBER_CUDA_CHECK(cudaDeviceSynchronize(), "cuda.synchronize");
}

int sm_count(int index) {
  static std::mutex mu;
  static std::vector<int> counts;
  std::lock_guard<std::mutex> lock(mu);
  if (counts.empty()) counts.assign(size_t(device_count()), 0);
  if (index < 0 || size_t(index) >= counts.size()) return 80;
  if (counts[size_t(index)] == 0) {
    int n = 0;
    EMBER_CUDA_CHECK(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, index), "cuda");
    counts[size_t(index)] = n > 0 ? n : 80;
  }
  return counts[size_t(index)];
}

namespace {
constexpr int kMaxDevices = 64;
thread_local cudaStream_t t_streams[kMaxDevices] = {};
}  // namespace

cudaStream_t current_stream(int device) {
  if (device < 0) device = current_device();
  return device < kMaxDevices ? t_streams[device] : nullptr;
}

void set_current_stream(int device, cudaStream_t stream) {
  if (device < 0) device = current_device();
  EMBER_CHECK(device < kMaxDevices, Runtime, "[ember.cuda.set_stream] device index ", device, " out of range");
  t_streams[device] = stream;
}

DeviceGuard::DeviceGuard(int index) {
  int cur = 0;
  EMBER_CUDA_CHECK(cudaGetDevice(&cur), "cuda");
  if (index >= 0 && index != cur) {
    EMBER_CUDA_CHECK(cudaSetDevice(index), "cuda");
    prev_ = cur;
  }
}

DeviceGuard::~DeviceGuard() {
  if (prev_ >= 0) cudaSetDevice(prev_);
}

}  // namespace ember::gpu
