#include "autograd/node.h"

#include <atomic>

#include "autograd/saved.h"
#include "core/check.h"
#include "ember/ops.h"

namespace ember {
namespace {
std::atomic<uint64_t> g_sequence_nr{0};
std::atomic<int> g_hook_handle{0};
}  // namespace

Node::Node() : sequence_nr_(g_sequence_nr++) {}
int next_hook_handle() { return ++g_hook_handle; }

uint32_t Node::add_input_metadata(const Tensor& t) {
  input_meta_.push_back({t.sizes(), t.dtype(), t.device()});
  return uint32_t(input_meta_.size() - 1);
}

int Node::add_pre_hook(uint32_t slot, GradHook hook) {
  int h = next_hook_handle();
  pre_hooks_.push_back({slot, {h, std::move(hook)}});
  return h;
}

bool Node::remove_pre_hook(int handle) {
  for (auto it = pre_hooks_.begin(); it != pre_hooks_.end(); ++it)
    if (it->second.first == handle) {
      pre_hooks_.erase(it);
      return true;
    }
  return false;
}

std::string node_name(const Node& node) { return node.name(); }

std::shared_ptr<Node> grad_accumulator(const Tensor& leaf) {
  auto& meta = leaf.impl()->autograd();
  if (auto acc = meta.grad_accumulator.lock()) return acc;
  auto acc = std::make_shared<AccumulateGrad>(leaf);
  acc->add_input_metadata(leaf);
  meta.grad_accumulator = acc;
  return acc;
}

Edge gradient_edge(const Tensor& t) {
  AutogradMeta* meta = t.impl()->autograd_if();
  if (meta && meta->grad_fn) return Edge{meta->grad_fn, meta->output_nr};
  return Edge{grad_accumulator(t), 0};
}

void set_history(Tensor& out, const std::shared_ptr<Node>& node) {
  auto& meta = out.impl()->autograd();
  meta.grad_fn = node;
  meta.output_nr = node->add_input_metadata(out);
  meta.requires_grad = false;
}

void set_history(std::vector<Tensor>& outs, const std::shared_ptr<Node>& node) {
  for (auto& t : outs) set_history(t, node);
}


tensor_list AccumulateGrad::apply(tensor_list&& grads) {
  Tensor g = std::move(grads[0]);
  if (!g.defined()) return {};
  AutogradMeta& meta = variable.impl()->autograd();
  for (auto& h : meta.leaf_hooks) {
    Tensor replaced = h.second(g);
    if (replaced.defined()) g = replaced;
  }
  bool create_graph = autograd::is_grad_enabled();  // the engine enables grad mode for create_graph
  if (!meta.grad.defined()) {
    if (create_graph) {
      meta.grad = g;
    } else {
      // Take the buffer when nobody else holds it; copy otherwise (it may alias a user tensor).
      bool sole_owner = g.impl_ptr().use_count() == 1 && g.impl()->storage_.use_count() == 1;
      meta.grad = (sole_owner && g.is_contiguous() && !g.requires_grad()) ? g : g.detach().clone();
    }
  } else if (create_graph) {
    meta.grad = add(meta.grad, g);
  } else {
    autograd::NoGradGuard no_grad;
    meta.grad = meta.grad.requires_grad() ? add(meta.grad.detach(), g) : add_(meta.grad, g);
  }
  return {};
}

// ---- SavedTensor

SavedTensor::SavedTensor(const Tensor& t, bool is_output) : is_output_(is_output) {
  if (!t.defined()) return;
  version_ = t.version();
  requires_grad_ = t.requires_grad();
  if (is_output && t.grad_fn()) {
    weak_grad_fn_ = t.grad_fn();
    output_nr_ = t.output_nr();
    data_ = t.detach();
  } else {
    data_ = t;
    is_output_ = false;
  }
}

Tensor SavedTensor::unpack(const Node* owner) const {
  if (!data_.defined()) {
    EMBER_CHECK(!released_, Runtime,
                "[ember.autograd] Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the graph are freed "
                "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
                "through the graph a second time or if you need to access saved tensors after calling backward.");
    return Tensor();
  }
  if (data_.version() != version_) {
    std::string producer;
    if (is_output_) {
      auto fn = weak_grad_fn_.lock();
      producer = ", which is output " + std::to_string(output_nr_) + " of " + (fn ? fn->name() : std::string("?"));
    } else if (data_.grad_fn()) {
      producer = ", which is output " + std::to_string(data_.output_nr()) + " of " + data_.grad_fn()->name();
    }
    EMBER_FAIL(Runtime,
               "one of the variables needed for gradient computation has been modified by an inplace operation: [",
               dtype_name(data_.dtype()), " ", shape_str(data_.sizes()), "]", producer, ", is at version ",
               data_.version(), "; expected version ", version_,
               " instead. Hint: the backward of ", owner ? owner->name() : std::string("an op"),
               " needs it unchanged; avoid modifying it in place, or clone() it first.");
  }
  if (!is_output_) return data_;
  auto fn = weak_grad_fn_.lock();
  if (!fn) return data_;
  // Rebuild the link to the producing node so double backward works.
  Tensor t(std::make_shared<TensorImpl>(data_.impl()->storage_, data_.impl()->offset_, data_.sizes(),
                                        data_.strides(), data_.dtype()));
  auto& meta = t.impl()->autograd();
  meta.grad_fn = fn;
  meta.output_nr = output_nr_;
  return t;
}

}  // namespace ember
