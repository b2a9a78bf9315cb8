#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "core/storage.h"
#include "ember/tensor.h"

namespace ember {

// A gradient hook: returns a replacement gradient, or an undefined Tensor to keep it.
using GradHook = std::function<Tensor(const Tensor&)>;

struct AutogradMeta {
  Tensor grad;
  std::shared_ptr<Node> grad_fn;           // set on non-leaves
  std::weak_ptr<Node> grad_accumulator;    // leaves: the AccumulateGrad node, created on demand
  uint32_t output_nr = 0;                  // which output of grad_fn this tensor is
  bool requires_grad = false;              // leaves only; non-leaves require grad through grad_fn
  bool retains_grad = false;
  std::vector<std::pair<int, GradHook>> leaf_hooks;  // (handle id, hook) for leaves
};

class TensorImpl {
 public:
  TensorImpl(std::shared_ptr<Storage> storage, int64_t offset, Shape sizes, Strides strides, Dtype dtype)
      : storage_(std::move(storage)), offset_(offset), sizes_(std::move(sizes)), strides_(std::move(strides)),
        dtype_(dtype) {
    refresh();
  }

  // Recompute numel and contiguity after sizes/strides change.
  void refresh() {
    numel_ = 1;
    for (int64_t s : sizes_) numel_ *= s;
    is_contiguous_ = true;
    int64_t expected = 1;
    for (int64_t d = int64_t(sizes_.size()) - 1; d >= 0; --d) {
      if (sizes_[d] == 1) continue;
      if (strides_[d] != expected) { is_contiguous_ = false; break; }
      expected *= sizes_[d];
    }
  }

  char* data() const { return static_cast<char*>(storage_->data) + offset_ * int64_t(itemsize(dtype_)); }
  Device device() const { return storage_->device; }
  AutogradMeta& autograd() {
    if (!autograd_) autograd_ = std::make_unique<AutogradMeta>();
    return *autograd_;
  }
  AutogradMeta* autograd_if() const { return autograd_.get(); }
  bool requires_grad() const { return autograd_ && (autograd_->requires_grad || autograd_->grad_fn); }

  std::shared_ptr<Storage> storage_;
  int64_t offset_;
  Shape sizes_;
  Strides strides_;
  Dtype dtype_;
  int64_t numel_ = 1;
  bool is_contiguous_ = true;
  // A 0-dim tensor made from a Python number: it takes part in type promotion as a scalar does.
  bool wrapped_number_ = false;
  // Views: the tensor whose storage this one views (never itself a view). Autograd uses it to
  // route an in-place op on a view into its base's history (CopySlices, ops/shape.cpp).
  std::shared_ptr<TensorImpl> view_base_;
  std::unique_ptr<AutogradMeta> autograd_;
};

}  // namespace ember
