#pragma once
// Helpers shared by the op families (private).
#include <initializer_list>
#include <string>

#include "autograd/node.h"
#include "autograd/saved.h"
#include "core/check.h"
#include "core/tensor_impl.h"
#include "dispatch/kernels.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember {

// A new tensor header over `t`'s storage (no autograd; the op records history itself).
inline Tensor make_alias(const Tensor& t, Shape sizes, Strides strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>(t.impl()->storage_, offset, std::move(sizes), std::move(strides), t.dtype());
  impl->view_base_ = t.impl()->view_base_ ? t.impl()->view_base_ : t.impl_ptr();
  return Tensor(std::move(impl));
}

// A kernel View of `t` broadcast to `shape` (stride 0 on broadcast dims); owns its strides.
struct BroadcastView {
  Shape sizes;
  Strides strides;
  View view;
  BroadcastView(const Tensor& t, const Shape& shape) : sizes(shape), strides(shape.size(), 0) {
    int64_t off = int64_t(shape.size()) - t.dim();
    for (int64_t d = 0; d < t.dim(); ++d)
      strides[off + d] = t.sizes()[d] == 1 && shape[off + d] != 1 ? 0 : t.strides()[d];
    view.data = t.impl()->data();
    view.dtype = t.dtype();
    view.ndim = int64_t(shape.size());
    view.sizes = sizes.data();
    view.strides = strides.data();
  }
  BroadcastView(const BroadcastView&) = delete;
};

inline void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  if (a.device() == b.device()) return;
  // A 0-dim CPU tensor (a Python number) may join a tensor on any device, as in PyTorch.
  if (b.dim() == 0 && b.device().is_cpu()) return;
  if (a.dim() == 0 && a.device().is_cpu()) return;
  EMBER_FAIL(Runtime, "[ember.", op, "] Expected all tensors to be on the same device, but found at least two devices, ",
             a.device().str(), " and ", b.device().str(), "!");
}

// A Python number as a 0-dim tensor that ranks below real tensors in type promotion.
inline Tensor wrap_scalar(const Scalar& s) { return scalar_tensor(s, TensorOptions(), /*wrapped=*/true); }

// `t` in dtype `d` on `device` (no copy when it already is).
inline Tensor cast_for_kernel(const Tensor& t, Dtype d, Device device) {
  Tensor r = t.dtype() == d ? t : to_dtype(t.detach(), d);
  if (r.device() != device) r = to_device(r.detach(), device);
  return r;
}

// Throw if floating results would be written into an integer tensor (in-place ops).
inline void check_can_cast(const char* op, Dtype from, Dtype to) {
  bool ok = !(is_floating_point(from) && !is_floating_point(to)) && !(from != Dtype::Bool && to == Dtype::Bool);
  EMBER_CHECK(ok, Runtime, "[ember.", op, "] result type ", dtype_name(from), " can't be cast to the desired output type ",
              dtype_name(to));
}

}  // namespace ember
