// copy_, fill_, clone, contiguous, to(dtype/device), detach.
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

// Writes src into dst's memory (broadcast, any dtype). No autograd, no version bump.
static void copy_raw(const Tensor& dst, const Tensor& src) {
  EMBER_CHECK(dst.device() == src.device(), NotImplemented, "[ember.copy_] cross-device copy ", src.device().str(),
              " -> ", dst.device().str(), " needs the CUDA backend");
  if (dst.numel() == 0) return;
  BroadcastView s(src, dst.sizes());
  ElementwiseArgs args;
  args.out = View(dst);
  args.in[0] = s.view;
  args.nin = 1;
  copy_stub.get(dst.device().type, dst.dtype())(args);
}

Tensor& copy_(Tensor& self, const Tensor& src) {
  broadcast_shapes(self.sizes(), src.sizes(), "copy_");
  EMBER_CHECK(broadcast_shapes(self.sizes(), src.sizes(), "copy_") == self.sizes(), Runtime,
              "[ember.copy_] output with shape ", shape_str(self.sizes()), " doesn't match the broadcast shape ",
              shape_str(broadcast_shapes(self.sizes(), src.sizes())));
  check_inplace(self, "copy_");
  auto node = make_grad_node<CopyBackwards>(self, src);
  if (self.is_same(src)) return self;
  copy_raw(self, src);
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

Tensor to_device(const Tensor& t, Device device, bool copy) {
  if (t.device() == device && !copy) return t;
  if (t.device() == device) return clone(t);
  EMBER_FAIL(Runtime, "[ember.to] Torch not compiled with CUDA enabled: cannot move a tensor from ",
             t.device().str(), " to ", device.str(), " (this ember build has no CUDA backend)");
}

Tensor detach(const Tensor& t) {
  auto impl = std::make_shared<TensorImpl>(t.impl()->storage_, t.storage_offset(), t.sizes(), t.strides(), t.dtype());
  return Tensor(std::move(impl));
}

}  // namespace ember
