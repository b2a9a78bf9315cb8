#pragma once
// A tensor saved for backward, with the version it had when saved (see
// Note [views and version counters] in core/storage.h).
#include "autograd/node.h"

namespace ember {

class SavedTensor {
 public:
  SavedTensor() = default;
  // is_output: the tensor is an output of the node that saves it; store it without its grad_fn
  // (a strong reference would make a cycle) and rebuild the link on unpack.
  explicit SavedTensor(const Tensor& t, bool is_output = false);

  // Throws the in-place modification error when the data changed since it was saved.
  Tensor unpack(const Node* owner = nullptr) const;
  void reset() {
    if (data_.defined()) released_ = true;
    data_ = Tensor();
  }
  bool defined() const { return data_.defined(); }

 private:
  Tensor data_;
  uint32_t version_ = 0;
  bool is_output_ = false;
  bool released_ = false;
  bool requires_grad_ = false;
  uint32_t output_nr_ = 0;
  std::weak_ptr<Node> weak_grad_fn_;
};

}  // namespace ember
