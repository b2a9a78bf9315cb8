// Bindings: unary ops (the unary_ops.def table) as ember.<op>, Tensor.<op>, Tensor.<op>_.
#include "ops/unary_ops.def"
#include "python/common.h"

namespace ember::python {

void bind_unary(py::module_& m, TensorClass& cls) {
#define EMBER_BIND_UNARY(name, ...)                                              \
  m.def(#name, [](const Tensor& x) { return name(x); }, py::arg("input"));     \
  cls.def(#name, [](const Tensor& x) { return name(x); });                     \
  cls.def(#name "_", [](Tensor& x) { return name##_(x); });
  EMBER_UNARY_OPS(EMBER_BIND_UNARY)
#undef EMBER_BIND_UNARY
  m.def("isnan", &isnan, py::arg("input"));
  cls.def("isnan", [](const Tensor& x) { return isnan(x); });
  cls.def("__neg__", [](const Tensor& x) { return neg(x); });
  m.def("negative", [](const Tensor& x) { return neg(x); });
  m.def("threshold_backward", &threshold_backward, py::arg("grad_output"), py::arg("self"), py::arg("threshold"));
}

}  // namespace ember::python
