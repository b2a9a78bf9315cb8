// ember._C: the Tensor class, the ops and autograd, bound from the C++ core.
#include "python/common.h"

#include <cstring>

namespace ember::python {
void bind_cuda(py::module_& m, TensorClass& cls);  // python/cuda.cpp: backend API capsule, pin_memory
namespace {
void translate_errors(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const Error& e) {
    switch (e.kind()) {
      case ErrorKind::Value: PyErr_SetString(PyExc_ValueError, e.what()); return;
      case ErrorKind::Type: PyErr_SetString(PyExc_TypeError, e.what()); return;
      case ErrorKind::Index: PyErr_SetString(PyExc_IndexError, e.what()); return;
      case ErrorKind::NotImplemented: PyErr_SetString(PyExc_NotImplementedError, e.what()); return;
      case ErrorKind::OutOfMemory: {
        static py::object oom = py::module_::import("ember._errors").attr("OutOfMemoryError");
        PyErr_SetString(oom.ptr(), e.what());
        return;
      }
      default:
        if (std::strstr(e.what(), "not compiled with CUDA")) {  // torch raises AssertionError here
          static PyObject* cls = py::object(py::module_::import("ember.cuda").attr("_CudaNotCompiled")).release().ptr();
          PyErr_SetString(cls, e.what());
          return;
        }
        PyErr_SetString(PyExc_RuntimeError, e.what());
        return;
    }
  } catch (const std::bad_alloc& e) {
    static py::object oom = py::module_::import("ember._errors").attr("OutOfMemoryError");
    PyErr_SetString(oom.ptr(), "[ember] out of memory (std::bad_alloc)");
  }
}
}  // namespace
}  // namespace ember::python

PYBIND11_MODULE(_C, m) {
  using namespace ember::python;
  m.doc() = "ember's C++ core";
  py::register_exception_translator(&translate_errors);
  bind_types(m);
  TensorClass cls(m, "Tensor", py::dynamic_attr());
  py::module_ ops = m.def_submodule("_ops", "ops exported into the ember namespace");
  bind_tensor(m, cls);
  bind_convert(ops, cls);
  bind_factory(ops, cls);
  bind_copy(ops, cls);
  bind_binary(ops, cls);
  bind_unary(ops, cls);
  bind_reduce(ops, cls);
  bind_shape(ops, cls);
  bind_join(ops, cls);
  bind_indexing(ops, cls);
  bind_linalg(ops, cls);
  bind_random(ops, cls);
  bind_dlpack(ops, cls);
  bind_softmax(ops, cls);
  bind_sort(ops, cls);
  bind_nn(m, cls);
  bind_attention(m, cls);
  bind_rnn(m, cls);
  bind_spatial(m, cls);
  bind_fused(m);
  bind_autograd(m, cls);
  bind_serialize(m, cls);
  bind_cuda(m, cls);
}
