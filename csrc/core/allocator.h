#pragma once
#include <cstddef>
#include <cstdint>

#include "ember/device.h"

namespace ember {

// One allocator per device type. CPU: 64-byte aligned blocks, freed blocks cached by size class
// so a training loop stops paying page faults after its first step.
class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* allocate(size_t nbytes) = 0;  // throws ErrorKind::OutOfMemory
  virtual void deallocate(void* ptr, size_t nbytes) = 0;
  virtual void empty_cache() {}
};

struct MemoryStats {
  int64_t allocated_bytes = 0;      // live, as requested rounded to the size class
  int64_t peak_allocated_bytes = 0;
  int64_t cached_bytes = 0;         // freed, kept for reuse
  int64_t num_allocs = 0;           // calls that reached the system allocator
  int64_t num_frees = 0;            // blocks handed back to the system
  int64_t num_cache_hits = 0;       // allocations served from the cache
  int64_t num_alloc_retries = 0;    // system allocations that failed once and were retried after emptying the cache
  int64_t peak_cached_bytes = 0;
};

Allocator* get_allocator(DeviceType type);
void set_allocator(DeviceType type, Allocator* allocator);
MemoryStats cpu_memory_stats();
void cpu_empty_cache();
void cpu_reset_peak_memory_stats();  // peaks := current values

}  // namespace ember
