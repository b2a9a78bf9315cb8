#pragma once
#include <vector>

#include "ember/api.h"
#include "ember/tensor.h"

namespace ember::autograd {

// Grad mode is thread-local, as in PyTorch.
EMBER_API bool is_grad_enabled();
EMBER_API void set_grad_enabled(bool enabled);
EMBER_API bool is_inference_mode_enabled();
EMBER_API void set_inference_mode(bool enabled);
EMBER_API bool is_anomaly_enabled();
EMBER_API void set_anomaly_enabled(bool enabled);

class EMBER_API GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled) : prev_(is_grad_enabled()) { set_grad_enabled(enabled); }
  ~GradModeGuard() { set_grad_enabled(prev_); }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool prev_;
};
struct NoGradGuard : GradModeGuard {
  NoGradGuard() : GradModeGuard(false) {}
};
struct EnableGradGuard : GradModeGuard {
  EnableGradGuard() : GradModeGuard(true) {}
};

// Accumulate d(sum(outputs * grad_outputs))/d(leaf) into every leaf's .grad.
EMBER_API void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs = {},
                        bool retain_graph = false, bool create_graph = false);

// Return d(sum(outputs * grad_outputs))/d(inputs) without touching .grad.
EMBER_API std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                                   const std::vector<Tensor>& grad_outputs = {}, bool retain_graph = false,
                                   bool create_graph = false, bool allow_unused = false);

}  // namespace ember::autograd
