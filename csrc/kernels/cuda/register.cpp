// Registers the CUDA backend with the core: kernels into the CUDA column of the kernel table,
// the caching allocator, and the device hooks (copies, pinned memory), all through the backend
// API the core hands over (dispatch/backend.h). Stubs without a CUDA kernel stay empty; the
// table then raises NotImplementedError naming the op and "cuda".
#include "dispatch/backend.h"
#include "kernels/cuda/allocator.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/kernels.h"

namespace ember::gpu {
namespace {

int hook_device_count() { return device_count(); }
int hook_current_device() { return current_device(); }
void hook_synchronize(int device) { synchronize(device); }
void* hook_allocate(int device, size_t nbytes) { return device_allocate(device, nbytes); }
bool hook_is_pinned(const void* ptr) { return is_pinned_host(ptr); }

}  // namespace

void register_backend(const BackendApi& api) {
  constexpr DeviceType CUDA = DeviceType::CUDA;
  const auto& s = api.stubs;
  // ---- copy
  s.copy->set(CUDA, &copy_kernel);
  s.fill->set(CUDA, &fill_kernel);
  // ---- elementwise: binary, hand-written unary, the unary table
#define EMBER_GPU_SET(name) s.name->set(CUDA, &name##_kernel);
  EMBER_GPU_ELEMENTWISE(EMBER_GPU_SET)
#undef EMBER_GPU_SET
#define EMBER_GPU_SET_UNARY(name, ...) s.name->set(CUDA, &name##_kernel);
  EMBER_UNARY_OPS(EMBER_GPU_SET_UNARY)
#undef EMBER_GPU_SET_UNARY
  // ---- reductions
  s.sum->set(CUDA, &sum_kernel);
  s.prod->set(CUDA, &prod_kernel);
  s.max->set(CUDA, &max_kernel);
  s.min->set(CUDA, &min_kernel);
  s.any->set(CUDA, &any_kernel);
  s.all->set(CUDA, &all_kernel);
  s.softmax->set(CUDA, &softmax_kernel);
  s.softmax_backward->set(CUDA, &softmax_backward_kernel);
  // ---- linalg
  s.gemm->set(CUDA, &gemm_kernel);

  // ---- memory and device services
  static DeviceHooks hooks;
  hooks.device_count = &hook_device_count;
  hooks.current_device = &hook_current_device;
  hooks.synchronize = &hook_synchronize;
  hooks.copy_bytes = &copy_bytes;
  hooks.allocate = &hook_allocate;
  hooks.allocator = device_allocator();
  hooks.pinned_allocator = pinned_host_allocator();
  hooks.is_pinned = &hook_is_pinned;
  api.set_allocator(CUDA, device_allocator());
  api.set_device_hooks(CUDA, &hooks);
}

}  // namespace ember::gpu
