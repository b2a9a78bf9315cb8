#pragma once
// Engine entry points beyond the public ember/autograd.h, and the base of nodes whose backward
// is defined outside the core (the Python ember.autograd.Function bridge).
#include <vector>

#include "autograd/node.h"

namespace ember::autograd {

// A node defined by user code. When materialize_grads is false the engine hands it undefined
// gradients for outputs that received none, instead of zeros.
class CustomFunctionNode : public Node {
 public:
  bool materialize_grads = true;
};

// backward(..., inputs=): accumulate into .grad of `inputs` only (leaves or non-leaves); nodes
// on no path to them are not run. `inputs` must be non-empty and require grad.
void backward_to(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs, bool retain_graph,
                 bool create_graph, const std::vector<Tensor>& inputs);

}  // namespace ember::autograd
