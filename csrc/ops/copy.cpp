// copy_, fill_, clone, contiguous, to(dtype/device), detach.
#include "core/device_hooks.h"
#include "ops/copy_device.h"
#include "ops/op_utils.h"

namespace ember {

// ---- backward nodes
namespace {
struct CopyBackwards : Node {
  Dtype src_dtype;
  Shape src_shape;
  std::string name() const override { return "CopyBackwards"; }
  tensor_list apply(tensor_list&& grads) override {
    // self's old value was overwritten: its gradient is zero (as PyTorch gives); src gets grad summed to its shape.
    Tensor g = grads[0];
    return {should_compute_output(0) ? zeros_like(g) : Tensor(),
            should_compute_output(1) ? sum_to_shape(g, src_shape).to(src_dtype) : Tensor()};
  }
};

struct CloneBackward0 : Node {
  std::string name() const override { return "CloneBackward0"; }
  tensor_list apply(tensor_list&& grads) override { return {grads[0]}; }
};

struct ToCopyBackward0 : Node {
  Dtype src_dtype;
  Device src_device;
  std::string name() const override { return "ToCopyBackward0"; }
  tensor_list apply(tensor_list&& grads) override {
    return {to_device(to_dtype(grads[0], src_dtype), src_device)};
  }
};
}  // namespace

// Bytes of contiguous `src` into contiguous `dst` of the same dtype and numel on another device.
static void copy_across_devices(const Tensor& dst, const Tensor& src, bool non_blocking) {
  DeviceType backend = dst.device().is_cpu() ? src.device().type : dst.device().type;
  const DeviceHooks& h = require_device_hooks(backend, "copy_");
  h.copy_bytes(dst.data_ptr(), dst.device(), src.data_ptr(), src.device(), size_t(src.numel()) * src.itemsize(),
               non_blocking);
}

// Writes src into dst's memory (broadcast, any dtype). No autograd, no version bump.
static void copy_raw(const Tensor& dst, const Tensor& src, bool non_blocking = false) {
  if (dst.numel() == 0) return;
  if (dst.device() != src.device()) {
    // Across devices: bytes straight into dst when it is a contiguous image of src, else through a
    // contiguous staging copy on dst's device, then the same-device (strided, casting) copy.
    if (dst.is_contiguous() && src.is_contiguous() && dst.dtype() == src.dtype() && dst.sizes() == src.sizes())
      return copy_across_devices(dst, src, non_blocking);
    Tensor staged = empty(src.sizes(), TensorOptions(src.dtype()).device(dst.device()));
    copy_across_devices(staged, contiguous(src.detach()), false);
    return copy_raw(dst, staged);
  }
  BroadcastView s(src, dst.sizes());
  ElementwiseArgs args;
  args.out = View(dst);
  args.in[0] = s.view;
  args.nin = 1;
  copy_stub.get(dst.device().type, dst.dtype())(args);
}

Tensor& copy_(Tensor& self, const Tensor& src) { return copy_(self, src, false); }

Tensor& copy_(Tensor& self, const Tensor& src, bool non_blocking) {
  broadcast_shapes(self.sizes(), src.sizes(), "copy_");
  EMBER_CHECK(broadcast_shapes(self.sizes(), src.sizes(), "copy_") == self.sizes(), Runtime,
              "[ember.copy_] output with shape ", shape_str(self.sizes()), " doesn't match the broadcast shape ",
              shape_str(broadcast_shapes(self.sizes(), src.sizes())));
  check_inplace(self, "copy_");
  auto node = make_grad_node<CopyBackwards>(self, src);
  if (self.is_same(src)) return self;
  copy_raw(self, src, non_blocking);
  self.bump_version();
  if (node) {
    node->src_dtype = src.dtype();
    node->src_shape = src.sizes();
    rebase_history(self, node);
  }
  return self;
}

Tensor& fill_(Tensor& self, const Scalar& value) {
  check_inplace(self, "fill_");
  if (self.numel() > 0) {
    FillArgs args{View(self), value};
    fill_stub.get(self.device().type, self.dtype())(args);
  }
  self.bump_version();
  if (requires_grad(self) && autograd::is_grad_enabled()) {
    // The old value no longer matters: the tensor becomes a constant (its history ends here).
    struct FillBackward0 : Node {
      std::string name() const override { return "FillBackward0"; }
      tensor_list apply(tensor_list&&) override { return {Tensor()}; }
    };
    auto node = make_grad_node<FillBackward0>(self);
    rebase_history(self, node);
  }
  return self;
}

Tensor& zero_(Tensor& self) { return fill_(self, 0); }

Tensor clone(const Tensor& t) {
  Tensor out = empty(t.sizes(), TensorOptions(t.dtype()).device(t.device()));
  copy_raw(out, t);
  if (auto node = make_grad_node<CloneBackward0>(t)) set_history(out, node);
  return out;
}

Tensor contiguous(const Tensor& t) { return t.is_contiguous() ? t : clone(t); }

Tensor to_dtype(const Tensor& t, Dtype dtype, bool copy) {
  if (t.dtype() == dtype && !copy) return t;
  Tensor out = empty(t.sizes(), TensorOptions(dtype).device(t.device()));
  copy_raw(out, t);
  if (is_floating_point(dtype))
    if (auto node = make_grad_node<ToCopyBackward0>(t)) {
      node->src_dtype = t.dtype();
      node->src_device = t.device();
      set_history(out, node);
    }
  return out;
}

Tensor to_device(const Tensor& t, Device device, bool copy) { return to_device(t, device, copy, false); }

Tensor to_device(const Tensor& t, Device device, bool copy, bool non_blocking) {
  if (t.device() == device && !copy) return t;
  if (t.device() == device) return clone(t);
  // Across devices: a contiguous copy of t on its own device, then its bytes (ToCopyBackward0 moves
  // the gradient back).
  Tensor src = contiguous(t.detach());
  Tensor out = empty(t.sizes(), TensorOptions(t.dtype()).device(device));
  if (out.numel() > 0) copy_across_devices(out, src, non_blocking);
  if (is_floating_point(t.dtype()))
    if (auto node = make_grad_node<ToCopyBackward0>(t)) {
      node->src_dtype = t.dtype();
      node->src_device = t.device();
      set_history(out, node);
    }
  return out;
}

// pin_memory: a copy of a CPU tensor in page-locked memory from the device backend's host allocator.
Tensor pin_memory(const Tensor& t) {
  EMBER_CHECK(t.device().is_cpu(), Runtime, "[ember.pin_memory] cannot pin '", t.device().str(),
              "' memory: only dense CPU tensors can be pinned");
  const DeviceHooks* h = device_hooks(DeviceType::CUDA);
  EMBER_CHECK(h && h->pinned_allocator, Runtime,
              "[ember.pin_memory] Cannot access accelerator device when none is available.");
  if (is_pinned(t)) return t;
  auto storage = std::make_shared<Storage>();
  storage->allocator = h->pinned_allocator;
  storage->nbytes = size_t(t.numel()) * t.itemsize();
  storage->data = storage->allocator->allocate(storage->nbytes);
  storage->device = Device();
  Tensor out(std::make_shared<TensorImpl>(storage, 0, t.sizes(), contiguous_strides(t.sizes()), t.dtype()));
  if (out.numel() > 0) copy_raw(out, t);
  if (auto node = make_grad_node<CloneBackward0>(t)) set_history(out, node);
  return out;
}

bool is_pinned(const Tensor& t) {
  if (!t.device().is_cpu()) return false;
  const DeviceHooks* h = device_hooks(DeviceType::CUDA);
  return h && h->is_pinned && t.impl()->storage_->data && h->is_pinned(t.impl()->storage_->data);
}

Tensor detach(const Tensor& t) {
  auto impl = std::make_shared<TensorImpl>(t.impl()->storage_, t.storage_offset(), t.sizes(), t.strides(), t.dtype());
  return Tensor(std::move(impl));
}

}  // namespace ember
