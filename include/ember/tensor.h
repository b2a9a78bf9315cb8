#pragma once
#include <memory>
#include <string>

#include "ember/api.h"
#include "ember/device.h"
#include "ember/dtype.h"
#include "ember/error.h"
#include "ember/scalar.h"
#include "ember/shape.h"

namespace ember {

class TensorImpl;  // defined in csrc/core/tensor_impl.h (private)
class Node;        // an autograd graph node (private)

// A cheap, refcounted handle to a strided view of some storage. Copying a Tensor copies the handle.
class EMBER_API Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // ---- metadata
  const Shape& sizes() const;
  const Shape& shape() const { return sizes(); }
  const Strides& strides() const;
  int64_t dim() const;
  int64_t numel() const;
  int64_t size(int64_t dim) const;    // negative dims wrap
  int64_t stride(int64_t dim) const;
  int64_t storage_offset() const;     // in elements
  Dtype dtype() const;
  Device device() const;
  size_t itemsize() const;
  bool is_contiguous() const;
  bool is_floating_point() const { return ember::is_floating_point(dtype()); }
  void* data_ptr() const;  // first element of this view
  template <class T> T* data() const {
    if (DtypeOf<T>::value != dtype()) throw_dtype_mismatch(DtypeOf<T>::value);
    return static_cast<T*>(data_ptr());
  }
  bool shares_storage(const Tensor& other) const;
  // The version counter shared by every view of one storage; in-place ops bump it.
  uint32_t version() const;
  void bump_version() const;

  // ---- autograd
  bool requires_grad() const;
  Tensor& requires_grad_(bool requires_grad = true);  // leaves only
  bool is_leaf() const;
  Tensor grad() const;
  void set_grad(const Tensor& grad) const;
  const std::shared_ptr<Node>& grad_fn() const;
  uint32_t output_nr() const;
  void retain_grad() const;
  bool retains_grad() const;
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false, bool create_graph = false) const;

  // ---- common conveniences (the full op set is in ops.h)
  Tensor detach() const;
  Tensor contiguous() const;
  Tensor clone() const;
  Tensor to(Dtype dtype, bool copy = false) const;
  Tensor to(Device device, bool copy = false) const;
  Scalar item() const;
  std::string describe() const;  // "float32[2, 3] on cpu", for messages

 private:
  [[noreturn]] void throw_dtype_mismatch(Dtype want) const;
  std::shared_ptr<TensorImpl> impl_;
};

EMBER_API std::string node_name(const Node& node);  // "MulBackward0"

}  // namespace ember
