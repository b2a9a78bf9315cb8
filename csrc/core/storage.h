#pragma once
#include <atomic>
#include <functional>
#include <memory>

#include "core/allocator.h"
#include "ember/device.h"

namespace ember {

// Refcounted bytes on one device. Every view of a storage shares its version counter.
// Note [views and version counters]: in-place ops bump `version`; autograd records it when it saves
// a tensor and refuses to run a backward that would read data modified after the save.
struct Storage {
  void* data = nullptr;
  size_t nbytes = 0;
  Device device;
  Allocator* allocator = nullptr;            // owns `data` when set
  std::function<void(void*)> external_free;  // or this does (NumPy / DLPack memory)
  std::atomic<uint32_t> version{0};

  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage() {
    if (allocator) allocator->deallocate(data, nbytes);
    else if (external_free) external_free(data);
  }

  static std::shared_ptr<Storage> allocate(size_t nbytes, Device device) {
    auto s = std::make_shared<Storage>();
    s->allocator = get_allocator(device.type);
    s->data = s->allocator->allocate(nbytes);
    s->nbytes = nbytes;
    s->device = device;
    return s;
  }
  static std::shared_ptr<Storage> wrap(void* data, size_t nbytes, Device device, std::function<void(void*)> free_fn) {
    auto s = std::make_shared<Storage>();
    s->data = data;
    s->nbytes = nbytes;
    s->device = device;
    s->external_free = std::move(free_fn);
    return s;
  }
};

}  // namespace ember
