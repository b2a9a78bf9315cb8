#pragma once
// Device memory for ember._cuda: a caching allocator in the manner of PyTorch's
// CUDACachingAllocator, trimmed. Requests round up to 512 bytes and come from two pools: small
// (<= 1 MiB, carved from 2 MiB segments) and large (segments of 20 MiB for requests under 10 MiB,
// else the size rounded to 2 MiB). A free block is split when the rest is worth keeping and merged
// with free neighbours of its segment when freed. Blocks are reused only on the stream they were
// allocated on (work on one stream runs in order, so a block freed there may be handed out again
// at once). When cudaMalloc fails, the cached segments that are entirely free are released and the
// call is retried once; a second failure raises ember.cuda.OutOfMemoryError.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "core/allocator.h"

namespace ember::gpu {

struct DeviceMemoryStats {
  int64_t allocated_bytes = 0, peak_allocated_bytes = 0;  // blocks handed out
  int64_t reserved_bytes = 0, peak_reserved_bytes = 0;    // segments held from cudaMalloc
  int64_t num_allocs = 0, num_frees = 0;                  // blocks handed out / returned
  int64_t num_segments = 0, num_cuda_mallocs = 0, num_cuda_frees = 0, num_alloc_retries = 0, num_ooms = 0;
};

Allocator* device_allocator();  // deallocate() returns blocks of any device
void* device_allocate(int device, size_t nbytes);  // on `device` (>= 0), the current stream
DeviceMemoryStats device_memory_stats(int device);
void reset_peak_device_memory_stats(int device);
void empty_device_cache();  // releases every cached segment that holds no live block

// Scratch memory for a kernel (reduction partials, staging): freed back to the cache on scope exit.
class DeviceBuffer {
 public:
  DeviceBuffer(int device, size_t nbytes);
  ~DeviceBuffer();
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* get() const { return ptr_; }

 private:
  void* ptr_ = nullptr;
  size_t nbytes_ = 0;
};

// Page-locked host memory for pin_memory() (not cached: cudaFreeHost waits for copies in flight).
Allocator* pinned_host_allocator();
bool is_pinned_host(const void* ptr);

}  // namespace ember::gpu
