#pragma once
// The autograd graph: Node (a backward function), Edge (which input slot of which node a gradient
// flows to), and the helpers every op uses to record history.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor_impl.h"
#include "ember/autograd.h"

namespace ember {

using tensor_list = std::vector<Tensor>;

struct Edge {
  std::shared_ptr<Node> fn;
  uint32_t input_nr = 0;
  bool is_valid() const { return fn != nullptr; }
};

// Shape/dtype/device of one forward output: lets the engine make zeros for a missing gradient
// and check that a backward returned gradients of the right shape.
struct InputMeta {
  Shape shape;
  Dtype dtype;
  Device device;
};

class Node : public std::enable_shared_from_this<Node> {
 public:
  Node();
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // grads[i] is the gradient w.r.t. forward output i (undefined when none flowed there);
  // returns one gradient per next edge (undefined where the input needs none).
  virtual tensor_list apply(tensor_list&& grads) = 0;
  virtual std::string name() const = 0;
  // Drop saved tensors once the graph is freed (retain_graph=false).
  virtual void release_saved() {}

  uint64_t sequence_nr() const { return sequence_nr_; }
  const std::vector<Edge>& next_edges() const { return next_edges_; }
  std::vector<Edge>& mutable_next_edges() { return next_edges_; }
  void set_next_edges(std::vector<Edge> edges) { next_edges_ = std::move(edges); }
  bool should_compute_output(size_t i) const { return i < next_edges_.size() && next_edges_[i].is_valid(); }

  uint32_t add_input_metadata(const Tensor& t);
  const std::vector<InputMeta>& input_metadata() const { return input_meta_; }
  size_t num_inputs() const { return input_meta_.size(); }

  // Hooks on the gradient arriving at input slot `slot` (Tensor.register_hook on non-leaves).
  int add_pre_hook(uint32_t slot, GradHook hook);
  bool remove_pre_hook(int handle);
  std::vector<std::pair<uint32_t, std::pair<int, GradHook>>>& pre_hooks() { return pre_hooks_; }
  // Weak references to tensors that asked retain_grad(): their .grad is set from slot's gradient.
  void add_retained(uint32_t slot, const std::shared_ptr<TensorImpl>& impl) { retained_.push_back({slot, impl}); }
  std::vector<std::pair<uint32_t, std::weak_ptr<TensorImpl>>>& retained() { return retained_; }

 protected:
  std::vector<Edge> next_edges_;
  std::vector<InputMeta> input_meta_;
  std::vector<std::pair<uint32_t, std::pair<int, GradHook>>> pre_hooks_;
  std::vector<std::pair<uint32_t, std::weak_ptr<TensorImpl>>> retained_;
  uint64_t sequence_nr_;
};

int next_hook_handle();

// The sink for a leaf: adds the incoming gradient into leaf.grad.
class AccumulateGrad final : public Node {
 public:
  explicit AccumulateGrad(Tensor variable) : variable(std::move(variable)) {}
  tensor_list apply(tensor_list&& grads) override;
  std::string name() const override { return "AccumulateGrad"; }
  Tensor variable;
};

// ---- helpers used by every op
inline bool requires_grad(const Tensor& t) { return t.defined() && t.impl()->requires_grad(); }
// The edge a gradient for `t` should flow along (grad_fn or the leaf's AccumulateGrad).
Edge gradient_edge(const Tensor& t);
std::shared_ptr<Node> grad_accumulator(const Tensor& leaf);

template <class... Ts> bool any_requires_grad(const Ts&... ts) {
  return autograd::is_grad_enabled() && (requires_grad(ts) || ...);
}

// Make a backward node of type NodeT linked to `inputs` when grad mode is on and any input
// requires grad; nullptr otherwise. Usage:
//   if (auto node = make_grad_node<MulBackward0>(a, b)) { node->other = SavedTensor(b); set_history(out, node); }
template <class NodeT, class... Ts> std::shared_ptr<NodeT> make_grad_node(const Ts&... inputs) {
  if (!any_requires_grad(inputs...)) return nullptr;
  auto node = std::make_shared<NodeT>();
  node->set_next_edges({(requires_grad(inputs) ? gradient_edge(inputs) : Edge{})...});
  return node;
}
// Same, for a variable number of inputs.
template <class NodeT> std::shared_ptr<NodeT> make_grad_node_list(const std::vector<Tensor>& inputs) {
  if (!autograd::is_grad_enabled()) return nullptr;
  bool any = false;
  for (auto& t : inputs) any = any || requires_grad(t);
  if (!any) return nullptr;
  auto node = std::make_shared<NodeT>();
  std::vector<Edge> edges;
  edges.reserve(inputs.size());
  for (auto& t : inputs) edges.push_back(requires_grad(t) ? gradient_edge(t) : Edge{});
  node->set_next_edges(std::move(edges));
  return node;
}

// Make `out` the next output of `node`.
void set_history(Tensor& out, const std::shared_ptr<Node>& node);
void set_history(std::vector<Tensor>& outs, const std::shared_ptr<Node>& node);

// In-place ops: call check_inplace(self, op) before writing (the leaf rules), and after writing
// rebase_history(self, node) to make `self` the output of the op's node (whose first input must be self). When `self` is a view,
// its base's history is rewritten too (CopySlices, autograd/inplace.cpp).
void check_inplace(const Tensor& self, const char* op);
void rebase_history(Tensor& self, const std::shared_ptr<Node>& node);

}  // namespace ember
