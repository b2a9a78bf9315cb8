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

// GEMM arguments for C[b] = alpha * A[b] @ B[b] + beta * C[b] over 3-D operands of any strides.
inline GemmArgs gemm_args_3d(const Tensor& a, const Tensor& b, const Tensor& c, double alpha, double beta) {
  GemmArgs g;
  g.dtype = c.dtype();
  g.batch = c.sizes()[0];
  g.m = c.sizes()[1];
  g.n = c.sizes()[2];
  g.k = a.sizes()[2];
  g.a = static_cast<const char*>(a.data_ptr());
  g.a_batch_stride = a.strides()[0];
  g.a_row_stride = a.strides()[1];
  g.a_col_stride = a.strides()[2];
  g.b = static_cast<const char*>(b.data_ptr());
  g.b_batch_stride = b.strides()[0];
  g.b_row_stride = b.strides()[1];
  g.b_col_stride = b.strides()[2];
  g.c = static_cast<char*>(c.data_ptr());
  g.c_batch_stride = c.strides()[0];
  g.c_row_stride = c.strides()[1];
  g.c_col_stride = c.strides()[2];
  g.alpha = alpha;
  g.beta = beta;
  return g;
}

}  // namespace ember
