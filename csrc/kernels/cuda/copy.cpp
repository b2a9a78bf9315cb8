// Bytes between host and device memory, and between devices (DeviceHooks::copy_bytes). Copies run
// on the current stream of the device involved; a blocking copy waits for that stream, so the
// data is ready (and host memory may be reused) on return. A non_blocking copy only queues the
// work when the host side is pinned; from or to pageable memory it is blocking, as in PyTorch.
#include "kernels/cuda/allocator.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/kernels.h"

namespace ember::gpu {

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes, bool non_blocking) {
  if (nbytes == 0) return;
  const bool dst_cuda = dst_device.is_cuda(), src_cuda = src_device.is_cuda();
  const int device = dst_cuda ? dst_device.index : src_device.index;
  DeviceGuard guard(device);
  cudaStream_t stream = current_stream(device < 0 ? -1 : device);
  if (dst_cuda && src_cuda) {
    if (dst_device.index == src_device.index || dst_device.index < 0 || src_device.index < 0) {
      EMBER_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToDevice, stream), "to");
    } else {
      // Peer copy, ordered after the source device's work: wait for it first.
      synchronize(src_device.index);
      EMBER_CUDA_CHECK(cudaMemcpyPeerAsync(dst, dst_device.index, src, src_device.index, nbytes, stream), "to");
    }
    return;  // device-to-device: ordered on the stream, never needs a host wait
  }
  const cudaMemcpyKind kind = dst_cuda ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost;
  const void* host = dst_cuda ? src : dst;
  EMBER_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, kind, stream), "to");
  if (!(non_blocking && is_pinned_host(host))) EMBER_CUDA_CHECK(cudaStreamSynchronize(stream), "to");
}

}  // namespace ember::gpu
