#pragma once
// Device services the core needs from a backend that lives outside it (ember._cuda): device
// queries, copies between host and device memory, pinned host memory. A backend registers one
// DeviceHooks per device type (see dispatch/backend.h); the core asks for them only when a
// tensor is not on the CPU, so the CPU path never pays for them.
#include <cstddef>
#include <memory>

#include "core/allocator.h"
#include "ember/device.h"

namespace ember {

struct DeviceHooks {
  int (*device_count)() = nullptr;
  int (*current_device)() = nullptr;
  void (*synchronize)(int device) = nullptr;  // device < 0: the current one
  // Copies nbytes from src to dst; either side may be host memory (device type CPU). non_blocking:
  // queued on the current stream and may still run when this returns (pinned host memory);
  // otherwise the copy is complete on return.
  void (*copy_bytes)(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes,
                     bool non_blocking) = nullptr;
  void* (*allocate)(int device, size_t nbytes) = nullptr;  // device memory on `device` (>= 0)
  Allocator* allocator = nullptr;              // frees what `allocate` returned (deallocate)
  Allocator* pinned_allocator = nullptr;       // page-locked host memory for pin_memory()
  bool (*is_pinned)(const void* ptr) = nullptr;
};

void set_device_hooks(DeviceType type, const DeviceHooks* hooks);
// The registered hooks, or nullptr. Tries the backend loader once per call when none are registered.
const DeviceHooks* device_hooks(DeviceType type);
// The hooks, or throws torch's "Torch not compiled with CUDA enabled" (for `op`).
const DeviceHooks& require_device_hooks(DeviceType type, const char* op);
// Storage on a non-CPU device through its backend; index -1 becomes the current device.
struct Storage;
std::shared_ptr<Storage> allocate_device_storage(size_t nbytes, Device device);
// Set by the Python bindings: imports the backend's module (ember._cuda) on first use.
void set_backend_loader(void (*loader)(DeviceType));

}  // namespace ember
