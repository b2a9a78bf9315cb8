#include "core/tensor_impl.h"

#include "autograd/node.h"
#include "core/check.h"
#include "ember/autograd.h"
#include "ember/ops.h"

namespace ember {

const Shape& Tensor::sizes() const { return impl_->sizes_; }
const Strides& Tensor::strides() const { return impl_->strides_; }
int64_t Tensor::dim() const { return int64_t(impl_->sizes_.size()); }
int64_t Tensor::numel() const { return impl_->numel_; }
int64_t Tensor::size(int64_t d) const { return impl_->sizes_[wrap_dim(d, dim(), "size")]; }
int64_t Tensor::stride(int64_t d) const { return impl_->strides_[wrap_dim(d, dim(), "stride")]; }
int64_t Tensor::storage_offset() const { return impl_->offset_; }
Dtype Tensor::dtype() const { return impl_->dtype_; }
Device Tensor::device() const { return impl_->device(); }
size_t Tensor::itemsize() const { return ember::itemsize(impl_->dtype_); }
bool Tensor::is_contiguous() const { return impl_->is_contiguous_; }
void* Tensor::data_ptr() const { return impl_->data(); }
bool Tensor::shares_storage(const Tensor& o) const { return impl_->storage_ == o.impl_->storage_; }
uint32_t Tensor::version() const { return impl_->storage_->version.load(std::memory_order_relaxed); }
void Tensor::bump_version() const { impl_->storage_->version.fetch_add(1, std::memory_order_relaxed); }

void Tensor::throw_dtype_mismatch(Dtype want) const {
  EMBER_FAIL(Type, "[ember.data] expected a tensor of dtype ", dtype_name(want), ", got ", dtype_name(dtype()));
}

bool Tensor::requires_grad() const { return impl_->requires_grad(); }

Tensor& Tensor::requires_grad_(bool requires_grad) {
  AutogradMeta* meta = impl_->autograd_if();
  if (meta && meta->grad_fn) {
    EMBER_CHECK(requires_grad, Runtime,
                "[ember.requires_grad_] you can only change requires_grad flags of leaf variables. If you want to "
                "use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = "
                "var.detach().");
    return *this;
  }
  EMBER_CHECK(!requires_grad || is_floating_point(), Runtime,
              "[ember.requires_grad_] only Tensors of floating point dtype can require gradients, got ",
              dtype_name(dtype()));
  if (requires_grad || meta) impl_->autograd().requires_grad = requires_grad;
  return *this;
}

bool Tensor::is_leaf() const {
  AutogradMeta* meta = impl_->autograd_if();
  return !meta || !meta->grad_fn;
}

Tensor Tensor::grad() const {
  AutogradMeta* meta = impl_->autograd_if();
  return meta ? meta->grad : Tensor();
}

void Tensor::set_grad(const Tensor& grad) const {
  if (grad.defined()) {
    EMBER_CHECK(grad.sizes() == sizes(), Runtime, "[ember.grad] assigned grad has data of a different size: ",
                shape_str(grad.sizes()), " vs ", shape_str(sizes()));
    EMBER_CHECK(grad.dtype() == dtype(), Runtime, "[ember.grad] assigned grad has data of a different type: ",
                dtype_name(grad.dtype()), " vs ", dtype_name(dtype()));
    EMBER_CHECK(grad.device() == device(), Runtime, "[ember.grad] assigned grad has data located on a different device");
  }
  impl_->autograd().grad = grad;
}

const std::shared_ptr<Node>& Tensor::grad_fn() const {
  static const std::shared_ptr<Node> none;
  AutogradMeta* meta = impl_->autograd_if();
  return meta ? meta->grad_fn : none;
}

uint32_t Tensor::output_nr() const {
  AutogradMeta* meta = impl_->autograd_if();
  return meta ? meta->output_nr : 0;
}

void Tensor::retain_grad() const {
  EMBER_CHECK(requires_grad(), Runtime, "[ember.retain_grad] can't retain_grad on Tensor that has requires_grad=False");
  if (is_leaf() || retains_grad()) return;
  impl_->autograd().retains_grad = true;
  grad_fn()->add_retained(output_nr(), impl_);
}

bool Tensor::retains_grad() const {
  AutogradMeta* meta = impl_->autograd_if();
  return meta && meta->retains_grad;
}

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
  autograd::backward({*this}, gradient.defined() ? std::vector<Tensor>{gradient} : std::vector<Tensor>{},
                     retain_graph, create_graph);
}

Tensor Tensor::detach() const { return ember::detach(*this); }
Tensor Tensor::contiguous() const { return ember::contiguous(*this); }
Tensor Tensor::clone() const { return ember::clone(*this); }
Tensor Tensor::to(Dtype d, bool copy) const { return to_dtype(*this, d, copy); }
Tensor Tensor::to(Device d, bool copy) const { return to_device(*this, d, copy); }

Scalar Tensor::item() const {
  EMBER_CHECK(numel() == 1, Runtime, "[ember.item] a Tensor with ", numel(),
              " elements cannot be converted to Scalar");
  Tensor t = device().is_cpu() ? *this : to(Device(DeviceType::CPU));
  const void* p = t.data_ptr();
  switch (dtype()) {
    case Dtype::Bool: return Scalar(*static_cast<const bool*>(p));
    case Dtype::UInt8: return Scalar(int64_t(*static_cast<const uint8_t*>(p)));
    case Dtype::Int8: return Scalar(int64_t(*static_cast<const int8_t*>(p)));
    case Dtype::Int16: return Scalar(int64_t(*static_cast<const int16_t*>(p)));
    case Dtype::Int32: return Scalar(int64_t(*static_cast<const int32_t*>(p)));
    case Dtype::Int64: return Scalar(int64_t(*static_cast<const int64_t*>(p)));
    case Dtype::Float16: return Scalar(double(float(*static_cast<const Half*>(p))));
    case Dtype::BFloat16: return Scalar(double(float(*static_cast<const BFloat16*>(p))));
    case Dtype::Float32: return Scalar(double(*static_cast<const float*>(p)));
    case Dtype::Float64: return Scalar(*static_cast<const double*>(p));
  }
  return Scalar();
}

std::string Tensor::describe() const {
  if (!defined()) return "undefined tensor";
  return std::string(dtype_name(dtype())) + shape_str(sizes()) + " on " + device().str();
}

}  // namespace ember
