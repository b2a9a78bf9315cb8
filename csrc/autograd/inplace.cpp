// In-place ops and autograd: the leaf rules, and CopySlices for in-place writes through a view.
#include "autograd/node.h"
#include "core/check.h"
#include "ember/ops.h"

namespace ember {
namespace {

struct Geometry {
  Shape sizes;
  Strides strides;
  int64_t offset;
  explicit Geometry(const TensorImpl& t) : sizes(t.sizes_), strides(t.strides_), offset(t.offset_) {}
};

// as_strided over `t`'s storage, with `offset` relative to `origin`'s storage offset.
Tensor raw_view(const Tensor& t, const Geometry& g, int64_t origin) {
  return Tensor(std::make_shared<TensorImpl>(t.impl()->storage_, t.storage_offset() + g.offset - origin, g.sizes,
                                             g.strides, t.dtype()));
}

// Gradient for a base whose view was written in place: the in-place op's backward runs on the
// slice of the incoming gradient; the slice of the result then holds the gradient for the old view.
struct CopySlices final : Node {
  Geometry base, view;
  Dtype dtype;
  Device device;
  std::shared_ptr<Node> fn;
  CopySlices(const TensorImpl& b, const TensorImpl& v, std::shared_ptr<Node> f)
      : base(b), view(v), dtype(b.dtype_), device(b.device()), fn(std::move(f)) {}
  std::string name() const override { return "CopySlices"; }
  void release_saved() override { fn->release_saved(); }
  tensor_list apply(tensor_list&& grads) override {
    tensor_list out(next_edges_.size());
    Tensor result = empty_strided(base.sizes, base.strides, TensorOptions(dtype).device(device));
    {
      autograd::NoGradGuard g;
      copy_(result, grads[0]);
    }
    Tensor slice = raw_view(result, view, base.offset);
    tensor_list res = fn->apply({clone(slice)});
    {
      autograd::NoGradGuard g;
      if (!res.empty() && res[0].defined()) copy_(slice, res[0]);
      else zero_(slice);
    }
    out[0] = result;
    for (size_t i = 1; i < res.size() && i < out.size(); ++i) out[i] = res[i];
    return out;
  }
};

// The refreshed history of a view after its base was rewritten: scatter the view's gradient into
// zeros shaped like the base.
struct AsStridedBackward0 final : Node {
  Geometry base, view;
  Dtype dtype;
  Device device;
  AsStridedBackward0(const TensorImpl& b, const TensorImpl& v) : base(b), view(v), dtype(b.dtype_), device(b.device()) {}
  std::string name() const override { return "AsStridedBackward0"; }
  tensor_list apply(tensor_list&& grads) override {
    Tensor result = empty_strided(base.sizes, base.strides, TensorOptions(dtype).device(device));
    autograd::NoGradGuard g;
    zero_(result);
    Tensor slice = raw_view(result, view, base.offset);
    copy_(slice, grads[0]);  // views written in place do not overlap themselves (slices, selects)
    return {result};
  }
};

}  // namespace

void check_inplace(const Tensor& self, const char* op) {
  if (!autograd::is_grad_enabled()) return;
  AutogradMeta* meta = self.impl()->autograd_if();
  EMBER_CHECK(!(meta && meta->requires_grad && !meta->grad_fn), Runtime, "[ember.", op,
              "] a leaf Variable that requires grad is being used in an in-place operation.");
  const auto& base = self.impl()->view_base_;
  if (base && base->autograd_if()) {
    AutogradMeta* bm = base->autograd_if();
    EMBER_CHECK(!(bm->requires_grad && !bm->grad_fn), Runtime, "[ember.", op,
                "] a view of a leaf Variable that requires grad is being used in an in-place operation.");
  }
}

void rebase_history(Tensor& self, const std::shared_ptr<Node>& node) {
  if (!node) return;
  const auto& base_impl = self.impl()->view_base_;
  if (!base_impl) {
    bool retained = self.retains_grad();
    set_history(self, node);
    if (retained) node->add_retained(self.output_nr(), self.impl_ptr());
    return;
  }
  Tensor base(base_impl);
  node->add_input_metadata(self);
  auto copy_slices = std::make_shared<CopySlices>(*base_impl, *self.impl(), node);
  std::vector<Edge> edges = node->next_edges();
  edges[0] = requires_grad(base) ? gradient_edge(base) : Edge{};
  copy_slices->set_next_edges(std::move(edges));
  set_history(base, copy_slices);
  auto view_node = std::make_shared<AsStridedBackward0>(*base_impl, *self.impl());
  view_node->set_next_edges({gradient_edge(base)});
  set_history(self, view_node);
}

}  // namespace ember
