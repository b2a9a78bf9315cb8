#include "kernels/cuda/allocator.h"

#include <memory>
#include <mutex>
#include <set>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "kernels/cuda/context.h"

namespace ember::gpu {
namespace {

constexpr size_t kRound = 512;
constexpr size_t kSmallRequest = size_t(1) << 20;      // <= 1 MiB: the small pool
constexpr size_t kSmallSegment = size_t(2) << 20;      // small pool segments
constexpr size_t kLargeSegment = size_t(20) << 20;     // large requests under 10 MiB share these
constexpr size_t kMinLargeAlloc = size_t(10) << 20;
constexpr size_t kLargeRound = size_t(2) << 20;

struct Block {
  int device = 0;
  cudaStream_t stream = nullptr;
  size_t size = 0;
  void* ptr = nullptr;
  bool allocated = false;
  bool small = false;
  Block* prev = nullptr;  // neighbours in the same segment (address order)
  Block* next = nullptr;
};

// Free blocks ordered by (stream, size, address): lower_bound finds the best fit on a stream.
struct BlockLess {
  bool operator()(const Block* a, const Block* b) const {
    auto sa = reinterpret_cast<uintptr_t>(a->stream), sb = reinterpret_cast<uintptr_t>(b->stream);
    return std::tie(sa, a->size, a->ptr) < std::tie(sb, b->size, b->ptr);
  }
};
using Pool = std::set<Block*, BlockLess>;

struct DeviceState {
  Pool small_pool, large_pool;
  DeviceMemoryStats stats;
};

size_t round_size(size_t n) { return n < kRound ? kRound : (n + kRound - 1) / kRound * kRound; }
size_t segment_size(size_t n) {
  if (n <= kSmallRequest) return kSmallSegment;
  if (n < kMinLargeAlloc) return kLargeSegment;
  return (n + kLargeRound - 1) / kLargeRound * kLargeRound;
}

class CudaCachingAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes) override { return allocate_on(current_device(), nbytes); }

  void* allocate_on(int device, size_t nbytes) {
    if (nbytes == 0) return nullptr;
    const size_t size = round_size(nbytes);
    const bool small = size <= kSmallRequest;
    cudaStream_t stream = current_stream(device);
    std::lock_guard<std::mutex> lock(mu_);
    DeviceState& st = state(device);
    Pool& pool = small ? st.small_pool : st.large_pool;
    Block key;
    key.stream = stream;
    key.size = size;
    key.ptr = nullptr;
    Block* block = nullptr;
    auto it = pool.lower_bound(&key);
    if (it != pool.end() && (*it)->stream == stream) {
      block = *it;
      pool.erase(it);
    } else {
      block = new_segment(device, stream, size, small, nbytes);
    }
    // Split off the rest when it is worth keeping (small: any 512-byte rest; large: over 1 MiB).
    const size_t rest = block->size - size;
    if ((small && rest >= kRound) || (!small && rest > kSmallRequest)) {
      Block* r = new Block(*block);
      r->ptr = static_cast<char*>(block->ptr) + size;
      r->size = rest;
      r->prev = block;
      r->next = block->next;
      if (r->next) r->next->prev = r;
      block->next = r;
      block->size = size;
      pool.insert(r);
    }
    block->allocated = true;
    live_[block->ptr] = block;
    st.stats.allocated_bytes += int64_t(block->size);
    if (st.stats.allocated_bytes > st.stats.peak_allocated_bytes) st.stats.peak_allocated_bytes = st.stats.allocated_bytes;
    st.stats.num_allocs++;
    return block->ptr;
  }

  void deallocate(void* ptr, size_t) override {
    if (!ptr) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(ptr);
    if (it == live_.end()) return;  // not ours (cannot happen through Storage)
    Block* block = it->second;
    live_.erase(it);
    DeviceState& st = state(block->device);
    st.stats.allocated_bytes -= int64_t(block->size);
    st.stats.num_frees++;
    block->allocated = false;
    Pool& pool = block->small ? st.small_pool : st.large_pool;
    // Merge with free neighbours of the same segment.
    for (Block* nb : {block->prev, block->next}) {
      if (!nb || nb->allocated) continue;
      pool.erase(nb);
      if (nb == block->prev) {
        block->ptr = nb->ptr;
        block->prev = nb->prev;
        if (block->prev) block->prev->next = block;
      } else {
        block->next = nb->next;
        if (block->next) block->next->prev = block;
      }
      block->size += nb->size;
      delete nb;
    }
    pool.insert(block);
  }

  void empty_cache() override {
    std::lock_guard<std::mutex> lock(mu_);
    release_free_segments();
  }

  DeviceMemoryStats stats(int device) {
    std::lock_guard<std::mutex> lock(mu_);
    return state(device).stats;
  }

  void reset_peak(int device) {
    std::lock_guard<std::mutex> lock(mu_);
    DeviceMemoryStats& s = state(device).stats;
    s.peak_allocated_bytes = s.allocated_bytes;
    s.peak_reserved_bytes = s.reserved_bytes;
  }

 private:
  DeviceState& state(int device) {
    if (device < 0) device = 0;
    if (size_t(device) >= devices_.size()) devices_.resize(size_t(device) + 1);
    if (!devices_[size_t(device)]) devices_[size_t(device)] = std::make_unique<DeviceState>();
    return *devices_[size_t(device)];
  }

  // cudaMalloc a segment (called with mu_ held); on failure frees the cache and retries once.
  Block* new_segment(int device, cudaStream_t stream, size_t size, bool small, size_t requested) {
    DeviceState& st = state(device);
    const size_t seg = segment_size(size);
    void* p = nullptr;
    cudaError_t err;
    {
      DeviceGuard guard(device);
      err = cudaMalloc(&p, seg);
      if (err == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        st.stats.num_alloc_retries++;
        release_free_segments();
        err = cudaMalloc(&p, seg);
      }
    }
    if (err != cudaSuccess) {
      cudaGetLastError();
      if (err == cudaErrorMemoryAllocation) {
        st.stats.num_ooms++;
        size_t free_b = 0, total_b = 0;
        cudaMemGetInfo(&free_b, &total_b);
        EMBER_FAIL(OutOfMemory, "[ember.empty] CUDA out of memory. Tried to allocate ", format_bytes(requested),
                   " (GPU ", device, "; ", format_bytes(total_b), " total capacity; ", format_bytes(free_b),
                   " free; ", format_bytes(size_t(st.stats.allocated_bytes)), " allocated by ember; ",
                   format_bytes(size_t(st.stats.reserved_bytes)), " reserved by ember)");
      }
      throw_cuda_error(err, "empty", "cudaMalloc");
    }
    st.stats.reserved_bytes += int64_t(seg);
    if (st.stats.reserved_bytes > st.stats.peak_reserved_bytes) st.stats.peak_reserved_bytes = st.stats.reserved_bytes;
    st.stats.num_segments++;
    st.stats.num_cuda_mallocs++;
    Block* b = new Block();
    b->device = device;
    b->stream = stream;
    b->size = seg;
    b->ptr = p;
    b->small = small;
    return b;
  }

  // Frees every free block that is a whole segment (called with mu_ held). cudaFree waits for the
  // device, so work still queued on the memory finishes first.
  void release_free_segments() {
    for (size_t d = 0; d < devices_.size(); ++d) {
      if (!devices_[d]) continue;
      DeviceState& st = *devices_[d];
      for (Pool* pool : {&st.small_pool, &st.large_pool}) {
        for (auto it = pool->begin(); it != pool->end();) {
          Block* b = *it;
          if (b->prev || b->next) {
            ++it;
            continue;
          }
          {
            DeviceGuard guard(b->device);
            cudaFree(b->ptr);
          }
          st.stats.reserved_bytes -= int64_t(b->size);
          st.stats.num_segments--;
          st.stats.num_cuda_frees++;
          it = pool->erase(it);
          delete b;
        }
      }
    }
  }

  static std::string format_bytes(size_t n) {
    const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    double v = double(n);
    int u = 0;
    while (v >= 1024 && u < 4) v /= 1024, ++u;
    char buf[64];
    snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.2f %s", v, units[u]);
    return buf;
  }

  std::mutex mu_;
  std::vector<std::unique_ptr<DeviceState>> devices_;
  std::unordered_map<void*, Block*> live_;
};

CudaCachingAllocator& caching_allocator() {
  static auto* a = new CudaCachingAllocator();  // never destroyed: storages may outlive statics
  return *a;
}

class PinnedHostAllocator final : public Allocator {
 public:
  void* allocate(size_t nbytes) override {
    if (nbytes == 0) return nullptr;
    void* p = nullptr;
    EMBER_CUDA_CHECK(cudaHostAlloc(&p, nbytes, cudaHostAllocDefault), "pin_memory");
    return p;
  }
  void deallocate(void* ptr, size_t) override {
    if (ptr) cudaFreeHost(ptr);
  }
};

}  // namespace

Allocator* device_allocator() { return &caching_allocator(); }
void* device_allocate(int device, size_t nbytes) { return caching_allocator().allocate_on(device, nbytes); }
DeviceMemoryStats device_memory_stats(int device) { return caching_allocator().stats(device); }
void reset_peak_device_memory_stats(int device) { caching_allocator().reset_peak(device); }
void empty_device_cache() { caching_allocator().empty_cache(); }

DeviceBuffer::DeviceBuffer(int device, size_t nbytes) : nbytes_(nbytes) {
  ptr_ = caching_allocator().allocate_on(device, nbytes);
}
DeviceBuffer::~DeviceBuffer() { caching_allocator().deallocate(ptr_, nbytes_); }

Allocator* pinned_host_allocator() {
  static auto* a = new PinnedHostAllocator();
  return a;
}

bool is_pinned_host(const void* ptr) {
  cudaPointerAttributes attr;
  if (cudaPointerGetAttributes(&attr, ptr) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return attr.type == cudaMemoryTypeHost;
}

}  // namespace ember::gpu
