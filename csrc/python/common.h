#pragma once
// Shared by the binding files: type casters (Dtype, Scalar), shape/dtype/device argument parsing,
// and the Tensor class handle each family file adds its methods to.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "core/check.h"
#include "autograd/node.h"
#include "core/tensor_impl.h"
#include "ember/ember.h"

namespace py = pybind11;

namespace ember::python {

using TensorClass = py::class_<Tensor>;

// ember.dtype objects: one Python singleton per Dtype.
struct PyDtype {
  Dtype dtype;
};
py::object dtype_object(Dtype d);
std::optional<Dtype> dtype_from_py(py::handle obj);  // nullopt if obj is not a dtype-like

// Parse `*size` arguments: f(2, 3), f((2, 3)), f([2, 3]), f(ember.Size([2, 3])).
Shape shape_from_args(const py::args& args, const char* op);
Shape shape_from_sequence(py::handle seq, const char* op);
// A dims argument: int, sequence of ints, or None (empty list).
std::vector<int64_t> dims_from_py(py::handle obj, const char* op);

// Python number -> Scalar (bool, int, float, NumPy scalars, 1-element tensors); nullopt otherwise.
std::optional<Scalar> scalar_from_py(py::handle obj);
py::object scalar_to_py(const Scalar& s);

// `other` argument of binary ops: a Tensor, or a number wrapped as a 0-dim tensor for promotion.
// Returns an undefined Tensor when `other` is neither (operators then return NotImplemented).
Tensor tensor_or_wrapped_scalar(py::handle other);

py::object size_object(const Shape& shape);  // ember.Size
// A graph node as Python sees it (Tensor.grad_fn, next_functions): an instance of a per-name subclass
// of ember._C.Node, so type(t.grad_fn).__name__ is torch's 'AddBackward0' (python/autograd.cpp).
py::object node_object(const std::shared_ptr<Node>& fn);
Device device_from_py(py::handle obj);       // ember.device, "cpu", "cuda:0", int

// The family binding functions; module.cpp calls each once.
void bind_types(py::module_& m);
void bind_tensor(py::module_& m, TensorClass& cls);
void bind_convert(py::module_& m, TensorClass& cls);
void bind_factory(py::module_& m, TensorClass& cls);
void bind_copy(py::module_& m, TensorClass& cls);
void bind_binary(py::module_& m, TensorClass& cls);
void bind_unary(py::module_& m, TensorClass& cls);
void bind_reduce(py::module_& m, TensorClass& cls);
// ember.return_types.<name>((a, b)): a tuple with .values/.indices (defined in python/reduce.cpp).
py::object return_type(const char* name, const Tensor& a, const Tensor& b);
void bind_shape(py::module_& m, TensorClass& cls);
void bind_join(py::module_& m, TensorClass& cls);
void bind_indexing(py::module_& m, TensorClass& cls);
void bind_linalg(py::module_& m, TensorClass& cls);
void bind_random(py::module_& m, TensorClass& cls);
void bind_dlpack(py::module_& m, TensorClass& cls);
void bind_autograd(py::module_& m, TensorClass& cls);
void bind_softmax(py::module_& m, TensorClass& cls);
void bind_sort(py::module_& m, TensorClass& cls);
void bind_nn(py::module_& m, TensorClass& cls);  // ember._C._nn: nn.functional kernels
void bind_serialize(py::module_& m, TensorClass& cls);  // checkpoint helpers, safetensors
void bind_attention(py::module_& m, TensorClass& cls);  // attention + ctc, into ember._C._nn
void bind_rnn(py::module_& m, TensorClass& cls);  // ember._C._nn.rnn_layer (after bind_nn)
void bind_spatial(py::module_& m, TensorClass& cls);  // ember._C._nn: upsample, grid_sampler, im2col
void bind_fused(py::module_& m);  // losses/embedding/dropout into _nn, ember._C._optim, ember._C._cpu

}  // namespace ember::python

// ---- casters
namespace pybind11::detail {

template <> struct type_caster<ember::Dtype> {
  PYBIND11_TYPE_CASTER(ember::Dtype, const_name("ember.dtype"));
  bool load(handle src, bool) {
    auto d = ember::python::dtype_from_py(src);
    if (!d) return false;
    value = *d;
    return true;
  }
  static handle cast(ember::Dtype d, return_value_policy, handle) { return ember::python::dtype_object(d).release(); }
};

template <> struct type_caster<ember::Scalar> {
  PYBIND11_TYPE_CASTER(ember::Scalar, const_name("Number"));
  bool load(handle src, bool) {
    auto s = ember::python::scalar_from_py(src);
    if (!s) return false;
    value = *s;
    return true;
  }
  static handle cast(const ember::Scalar& s, return_value_policy, handle) {
    return ember::python::scalar_to_py(s).release();
  }
};

template <> struct type_caster<ember::Device> {
  PYBIND11_TYPE_CASTER(ember::Device, const_name("ember.device"));
  bool load(handle src, bool);
  static handle cast(const ember::Device& d, return_value_policy, handle);
};

}  // namespace pybind11::detail
