// The backward engine: count dependencies from the roots, run nodes whose dependencies are met
// (highest sequence number first, like PyTorch), sum gradients per (node, input slot), free saved
// tensors unless retain_graph, and capture gradients for autograd.grad.
#include <cmath>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "autograd/engine.h"
#include "core/check.h"
#include "ember/ops.h"

namespace ember::autograd {
namespace {

struct Capture {
  uint32_t slot;
  size_t index;
};

struct CompareSeq {
  bool operator()(Node* a, Node* b) const { return a->sequence_nr() < b->sequence_nr(); }
};

bool has_nan(const Tensor& t) {
  if (!t.is_floating_point() || t.numel() == 0) return false;
  NoGradGuard guard;
  return any(isnan(t)).item().to_bool();
}

void accumulate(Tensor& slot, Tensor&& g) {
  if (!slot.defined()) slot = std::move(g);
  else slot = add(slot, g);
}

class GraphTask {
 public:
  GraphTask(bool keep_graph, bool capture_mode) : keep_graph_(keep_graph), capture_mode_(capture_mode) {}

  // The nodes are kept alive: an unused leaf's accumulator exists only through this edge, and a
  // freed address could be reused by a node made during the run.
  void add_capture(const Edge& e, size_t index) {
    captures_[e.fn.get()].push_back({e.input_nr, index});
    keep_alive_.push_back(e.fn);
  }
  // backward(inputs=): this leaf's AccumulateGrad runs; every other one is skipped.
  void add_accumulate_target(const Edge& e) {
    captures_[e.fn.get()];
    accumulate_targets_.insert(e.fn.get());
    keep_alive_.push_back(e.fn);
  }

  std::vector<Tensor> run(const std::vector<Edge>& roots, std::vector<Tensor>& root_grads, size_t num_captures) {
    captured_.assign(num_captures, Tensor());
    count_dependencies(roots);
    if (capture_mode_) compute_needed(roots);
    for (size_t i = 0; i < roots.size(); ++i) {
      auto& buf = buffer(roots[i].fn.get());
      accumulate(buf[roots[i].input_nr], std::move(root_grads[i]));
      keep_alive_.push_back(roots[i].fn);
    }
    std::priority_queue<Node*, std::vector<Node*>, CompareSeq> ready;
    std::unordered_set<Node*> pushed;
    for (auto& r : roots)
      if (deps_[r.fn.get()] == 0 && pushed.insert(r.fn.get()).second) ready.push(r.fn.get());

    while (!ready.empty()) {
      Node* node = ready.top();
      ready.pop();
      tensor_list inputs = std::move(buffer(node));
      buffers_.erase(node);
      run_slot_hooks(node, inputs);
      tensor_list outputs;
      bool skip = capture_mode_ && (!needed_.count(node) ||
                                    (dynamic_cast<AccumulateGrad*>(node) && !accumulate_targets_.count(node)));
      bool any_defined = false;
      for (auto& g : inputs) any_defined = any_defined || g.defined();
      if (!skip && any_defined) {
        fill_missing(node, inputs);
        outputs = node->apply(std::move(inputs));
        check_outputs(node, outputs);
      }
      if (!keep_graph_ && !skip) node->release_saved();
      const auto& edges = node->next_edges();
      for (size_t i = 0; i < edges.size(); ++i) {
        const Edge& e = edges[i];
        if (!e.is_valid()) continue;
        if (i < outputs.size() && outputs[i].defined()) accumulate(buffer(e.fn.get())[e.input_nr], std::move(outputs[i]));
        if (--deps_[e.fn.get()] == 0) ready.push(e.fn.get());
      }
    }
    return std::move(captured_);
  }

 private:
  tensor_list& buffer(Node* node) {
    auto& b = buffers_[node];
    if (b.size() < node->num_inputs()) b.resize(node->num_inputs());
    return b;
  }

  void count_dependencies(const std::vector<Edge>& roots) {
    std::vector<Node*> stack;
    std::unordered_set<Node*> seen;
    for (auto& r : roots)
      if (seen.insert(r.fn.get()).second) stack.push_back(r.fn.get());
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      deps_.emplace(n, 0);
      for (auto& e : n->next_edges()) {
        if (!e.is_valid()) continue;
        deps_[e.fn.get()]++;
        if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
      }
    }
  }

  // autograd.grad runs only the nodes on a path to a captured input.
  void compute_needed(const std::vector<Edge>& roots) {
    std::unordered_map<Node*, int> state;  // 1: visiting, 2: done
    std::vector<std::pair<Node*, size_t>> stack;
    for (auto& r : roots) {
      if (state[r.fn.get()]) continue;
      stack.push_back({r.fn.get(), 0});
      state[r.fn.get()] = 1;
      while (!stack.empty()) {
        auto& [n, i] = stack.back();
        if (i < n->next_edges().size()) {
          Node* child = n->next_edges()[i++].fn.get();
          if (child && !state[child]) {
            state[child] = 1;
            stack.push_back({child, 0});
          }
          continue;
        }
        bool need = captures_.count(n) > 0;
        for (auto& e : n->next_edges()) need = need || (e.fn && needed_.count(e.fn.get()));
        if (need) needed_.insert(n);
        state[n] = 2;
        stack.pop_back();
      }
    }
  }

  void run_slot_hooks(Node* node, tensor_list& inputs) {
    for (auto& [slot, hook] : node->pre_hooks()) {
      if (slot >= inputs.size() || !inputs[slot].defined()) continue;
      Tensor replaced = hook.second(inputs[slot]);
      if (replaced.defined()) inputs[slot] = replaced;
    }
    for (auto& [slot, weak] : node->retained()) {
      auto impl = weak.lock();
      if (!impl || slot >= inputs.size() || !inputs[slot].defined()) continue;
      auto& meta = impl->autograd();
      Tensor g = inputs[slot];
      if (!is_grad_enabled()) g = g.detach();
      meta.grad = meta.grad.defined() ? add(meta.grad, g) : g.clone();
    }
    auto it = captures_.find(node);
    if (it != captures_.end())
      for (auto& c : it->second)
        if (c.slot < inputs.size()) captured_[c.index] = inputs[c.slot];
  }

  void fill_missing(Node* node, tensor_list& inputs) {
    if (auto* custom = dynamic_cast<CustomFunctionNode*>(node); custom && !custom->materialize_grads) return;
    const auto& meta = node->input_metadata();
    for (size_t i = 0; i < inputs.size() && i < meta.size(); ++i)
      if (!inputs[i].defined()) inputs[i] = zeros(meta[i].shape, TensorOptions().dtype(meta[i].dtype).device(meta[i].device));
  }

  void check_outputs(Node* node, tensor_list& outputs) {
    const auto& edges = node->next_edges();
    EMBER_CHECK(outputs.size() == edges.size() || outputs.empty(), Runtime, "[ember.autograd] function ",
                node->name(), " returned ", outputs.size(), " gradients, expected ", edges.size());
    for (size_t i = 0; i < outputs.size(); ++i) {
      Tensor& g = outputs[i];
      if (!g.defined() || !edges[i].is_valid()) continue;
      const InputMeta& m = edges[i].fn->input_metadata()[edges[i].input_nr];
      if (g.sizes() != m.shape) {
        // Allow a gradient that sums to the expected shape (e.g. from broadcasting custom functions).
        EMBER_CHECK(shape_numel(m.shape) == g.numel() || m.shape.size() < g.sizes().size(), Runtime,
                    "[ember.autograd] function ", node->name(), " returned an invalid gradient at index ", i,
                    " - got ", shape_str(g.sizes()), " but expected shape compatible with ", shape_str(m.shape));
        g = g.numel() == shape_numel(m.shape) ? reshape(g, m.shape) : sum_to_shape(g, m.shape);
      }
      if (g.dtype() != m.dtype) g = g.to(m.dtype);
      if (is_anomaly_enabled() && has_nan(g))
        EMBER_FAIL(Runtime, "[ember.autograd] Function '", node->name(), "' returned nan values in its ", i,
                   "th output.");
    }
  }

  bool keep_graph_;
  bool capture_mode_;
  std::unordered_map<Node*, int> deps_;
  std::unordered_map<Node*, tensor_list> buffers_;
  std::unordered_map<Node*, std::vector<Capture>> captures_;
  std::unordered_set<Node*> needed_;
  std::unordered_set<Node*> accumulate_targets_;
  std::vector<Tensor> captured_;
  std::vector<std::shared_ptr<Node>> keep_alive_;
};

std::vector<Tensor> make_root_grads(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
                                    std::vector<Edge>& roots) {
  EMBER_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(), Runtime,
              "[ember.autograd] got ", grad_outputs.size(), " grad_outputs for ", outputs.size(), " outputs");
  std::vector<Tensor> grads;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    EMBER_CHECK(requires_grad(out), Runtime, "[ember.autograd] element ", i,
                " of tensors does not require grad and does not have a grad_fn");
    Tensor g = grad_outputs.empty() ? Tensor() : grad_outputs[i];
    if (!g.defined()) {
      EMBER_CHECK(out.numel() == 1, Runtime,
                  "[ember.autograd] grad can be implicitly created only for scalar outputs, got an output of shape ",
                  shape_str(out.sizes()));
      g = ones_like(out);
    } else {
      EMBER_CHECK(g.sizes() == out.sizes(), Runtime, "[ember.autograd] Mismatch in shape: grad_output[", i,
                  "] has a shape of ", shape_str(g.sizes()), " and output[", i, "] has a shape of ",
                  shape_str(out.sizes()), ".");
    }
    roots.push_back(gradient_edge(out));
    grads.push_back(g);
  }
  return grads;
}

}  // namespace

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs, bool retain_graph,
              bool create_graph) {
  std::vector<Edge> roots;
  auto grads = make_root_grads(outputs, grad_outputs, roots);
  GradModeGuard mode(create_graph);
  GraphTask task(retain_graph || create_graph, false);
  task.run(roots, grads, 0);
}

void backward_to(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs, bool retain_graph,
                 bool create_graph, const std::vector<Tensor>& inputs) {
  EMBER_CHECK(!inputs.empty(), Runtime, "[ember.autograd.backward] 'inputs' argument to backward() cannot be empty.");
  std::vector<Edge> roots;
  auto grads = make_root_grads(outputs, grad_outputs, roots);
  GradModeGuard mode(create_graph);
  GraphTask task(retain_graph || create_graph, true);
  std::vector<size_t> non_leaf;  // inputs whose gradient is captured, then added into their .grad
  for (size_t i = 0; i < inputs.size(); ++i) {
    EMBER_CHECK(inputs[i].defined() && requires_grad(inputs[i]), Runtime,
                "[ember.autograd.backward] One of the differentiated Tensors (input ", i, ") does not require grad");
    if (inputs[i].is_leaf()) {
      task.add_accumulate_target(gradient_edge(inputs[i]));
    } else {
      task.add_capture(gradient_edge(inputs[i]), i);
      non_leaf.push_back(i);
    }
  }
  auto captured = task.run(roots, grads, inputs.size());
  for (size_t i : non_leaf) {
    Tensor g = captured[i];
    if (!g.defined()) continue;
    AutogradMeta& meta = inputs[i].impl()->autograd();
    if (!create_graph) g = g.detach();
    meta.grad = meta.grad.defined() ? add(meta.grad, g) : (create_graph ? g : g.clone());
  }
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, bool retain_graph, bool create_graph,
                         bool allow_unused) {
  std::vector<Edge> roots;
  auto grads = make_root_grads(outputs, grad_outputs, roots);
  GradModeGuard mode(create_graph);
  GraphTask task(retain_graph || create_graph, true);
  for (size_t i = 0; i < inputs.size(); ++i) {
    EMBER_CHECK(requires_grad(inputs[i]), Runtime, "[ember.autograd.grad] One of the differentiated Tensors (input ",
                i, ") does not require grad");
    task.add_capture(gradient_edge(inputs[i]), i);
  }
  auto result = task.run(roots, grads, inputs.size());
  for (size_t i = 0; i < result.size(); ++i) {
    EMBER_CHECK(result[i].defined() || allow_unused, Runtime, "[ember.autograd.grad] One of the differentiated Tensors (input ",
                i, ") appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.");
    if (result[i].defined() && !create_graph) result[i] = result[i].detach();
  }
  return result;
}

}  // namespace ember::autograd
