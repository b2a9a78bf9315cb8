#include "core/allocator.h"

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/check.h"

namespace ember {
namespace {

constexpr size_t kAlignment = 64;
constexpr size_t kMaxCachedBlock = size_t(1) << 30;  // bigger blocks go straight back to the system
size_t cache_limit_bytes() {
  static size_t limit = [] {
    const char* env = std::getenv("EMBER_CPU_CACHE_LIMIT_MB");
    return env ? size_t(std::atoll(env)) << 20 : size_t(4) << 30;
  }();
  return limit;
}

// Size classes: 64-byte granularity up to 1 KiB, then four classes per power of two.
size_t round_size(size_t n) {
  if (n <= 1024) return (n + 63) & ~size_t(63);
  size_t p = size_t(1) << (63 - __builtin_clzll(n));  // highest power of two <= n
  size_t step = p / 4;
  return (n + step - 1) / step * step;
}

class CpuCachingAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes) override {
    if (nbytes == 0) return nullptr;
    size_t size = round_size(nbytes);
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        stats_.cached_bytes -= int64_t(size);
        stats_.num_cache_hits++;
        note_alloc(size);
        return p;
      }
    }
    void* p = std::aligned_alloc(kAlignment, size);
    if (!p) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        stats_.num_alloc_retries++;
      }
      cpu_empty_cache();
      p = std::aligned_alloc(kAlignment, size);
    }
    EMBER_CHECK(p != nullptr, OutOfMemory, "[ember.empty] CPU out of memory: tried to allocate ", nbytes, " bytes");
    std::lock_guard<std::mutex> lock(mu_);
    stats_.num_allocs++;
    note_alloc(size);
    return p;
  }

  void deallocate(void* ptr, size_t nbytes) override {
    if (!ptr) return;
    size_t size = round_size(nbytes);
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.allocated_bytes -= int64_t(size);
      if (size <= kMaxCachedBlock && size_t(stats_.cached_bytes) + size <= cache_limit_bytes()) {
        free_[size].push_back(ptr);
        stats_.cached_bytes += int64_t(size);
        if (stats_.cached_bytes > stats_.peak_cached_bytes) stats_.peak_cached_bytes = stats_.cached_bytes;
        return;
      }
      stats_.num_frees++;
    }
    std::free(ptr);
  }

  void empty_cache() override {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& kv : free_)
      for (void* p : kv.second) {
        std::free(p);
        stats_.num_frees++;
      }
    free_.clear();
    stats_.cached_bytes = 0;
  }

  void reset_peak() {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.peak_allocated_bytes = stats_.allocated_bytes;
    stats_.peak_cached_bytes = stats_.cached_bytes;
  }

  MemoryStats stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

 private:
  void note_alloc(size_t size) {
    stats_.allocated_bytes += int64_t(size);
    if (stats_.allocated_bytes > stats_.peak_allocated_bytes) stats_.peak_allocated_bytes = stats_.allocated_bytes;
  }
  std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  MemoryStats stats_;
};

CpuCachingAllocator& cpu_allocator() {
  static CpuCachingAllocator* a = new CpuCachingAllocator();  // never destroyed: storages may outlive statics
  return *a;
}

Allocator* g_allocators[kNumDeviceTypes] = {nullptr, nullptr};

}  // namespace

Allocator* get_allocator(DeviceType type) {
  if (type == DeviceType::CPU && !g_allocators[0]) g_allocators[0] = &cpu_allocator();
  Allocator* a = g_allocators[int(type)];
  EMBER_CHECK(a != nullptr, Runtime, "[ember.empty] no allocator for device type ", device_type_name(type),
              " (ember was built without it)");
  return a;
}

void set_allocator(DeviceType type, Allocator* allocator) { g_allocators[int(type)] = allocator; }
MemoryStats cpu_memory_stats() { return cpu_allocator().stats(); }
void cpu_empty_cache() { cpu_allocator().empty_cache(); }
void cpu_reset_peak_memory_stats() { cpu_allocator().reset_peak(); }

}  // namespace ember
