// Bindings: binary arithmetic as ember.<op>, Tensor.<op>, Tensor.<op>_ and the operators.
#include "python/common.h"

namespace ember::python {
namespace {

Tensor other_arg(py::handle other, const char* op) {
  Tensor t = tensor_or_wrapped_scalar(other);
  if (!t.defined())
    throw py::type_error(std::string("[ember.") + op + "] expected other to be a Tensor or a number, got " +
                         std::string(py::str(py::type::of(other).attr("__name__"))));
  return t;
}

std::string rounding(py::object mode) { return mode.is_none() ? std::string() : mode.cast<std::string>(); }

// An operator: NotImplemented when `other` is not a tensor or number (lets Python try the reflection).
template <class F> py::object op_or_not_implemented(const Tensor& self, py::handle other, F f) {
  Tensor o = tensor_or_wrapped_scalar(other);
  if (!o.defined()) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
  return py::cast(f(self, o));
}

}  // namespace

void bind_binary(py::module_& m, TensorClass& cls) {
  auto add_fn = [](const Tensor& a, py::handle b, const Scalar& alpha) { return add(a, other_arg(b, "add"), alpha); };
  auto sub_fn = [](const Tensor& a, py::handle b, const Scalar& alpha) { return sub(a, other_arg(b, "sub"), alpha); };
  auto mul_fn = [](const Tensor& a, py::handle b) { return mul(a, other_arg(b, "mul")); };
  auto div_fn = [](const Tensor& a, py::handle b, py::object mode) { return div(a, other_arg(b, "div"), rounding(mode)); };

  m.def("add", add_fn, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  m.def("sub", sub_fn, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  m.def("subtract", sub_fn, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  m.def("mul", mul_fn, py::arg("input"), py::arg("other"));
  m.def("multiply", mul_fn, py::arg("input"), py::arg("other"));
  m.def("div", div_fn, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());
  m.def("divide", div_fn, py::arg("input"), py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());
  m.def("true_divide", [](const Tensor& a, py::handle b) { return div(a, other_arg(b, "true_divide")); });
  m.def("rsub", [](const Tensor& a, py::handle b, const Scalar& alpha) { return sub(other_arg(b, "rsub"), a, alpha); },
        py::arg("input"), py::arg("other"), py::kw_only(), py::arg("alpha") = 1);
  m.def("result_type", [](py::handle a, py::handle b) {
    return result_type(other_arg(a, "result_type"), other_arg(b, "result_type"));
  });
  m.def("promote_types", [](Dtype a, Dtype b) { return promote_types(a, b); });

  cls.def("add", add_fn, py::arg("other"), py::kw_only(), py::arg("alpha") = 1)
      .def("sub", sub_fn, py::arg("other"), py::kw_only(), py::arg("alpha") = 1)
      .def("subtract", sub_fn, py::arg("other"), py::kw_only(), py::arg("alpha") = 1)
      .def("mul", mul_fn, py::arg("other"))
      .def("multiply", mul_fn, py::arg("other"))
      .def("div", div_fn, py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none())
      .def("divide", div_fn, py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none())
      .def("true_divide", [](const Tensor& a, py::handle b) { return div(a, other_arg(b, "true_divide")); })
      .def("add_", [](Tensor& a, py::handle b, const Scalar& alpha) { return add_(a, other_arg(b, "add_"), alpha); },
           py::arg("other"), py::kw_only(), py::arg("alpha") = 1)
      .def("sub_", [](Tensor& a, py::handle b, const Scalar& alpha) { return sub_(a, other_arg(b, "sub_"), alpha); },
           py::arg("other"), py::kw_only(), py::arg("alpha") = 1)
      .def("mul_", [](Tensor& a, py::handle b) { return mul_(a, other_arg(b, "mul_")); }, py::arg("other"))
      .def("div_", [](Tensor& a, py::handle b, py::object mode) { return div_(a, other_arg(b, "div_"), rounding(mode)); },
           py::arg("other"), py::kw_only(), py::arg("rounding_mode") = py::none());

  // operators
  cls.def("__add__", [](const Tensor& a, py::handle b) { return op_or_not_implemented(a, b, [](auto& x, auto& y) { return add(x, y); }); })
      .def("__radd__", [](const Tensor& a, py::handle b) { return op_or_not_implemented(a, b, [](auto& x, auto& y) { return add(y, x); }); })
      .def("__sub__", [](const Tensor& a, py::handle b) { return op_or_not_implemented(a, b, [](auto& x, auto& y) { return sub(x, y); }); })
      .def("__rsub__", [](const Tensor& a, py::handle b) { return op_or_not_implemented(a, b, [](auto& x, auto& y) { return sub(y, x); }); })
      .def("__mul__", [](const Tensor& a, py::handle b) { return op_or_not_implemented(a, b, [](auto& x, auto& y) { return mul(x, y); }); })
      .def("__rmul__", [](const Tensor& a, py::handle b) { return op_or_not_implemented(a, b, [](auto& x, auto& y) { return mul(y, x); }); })
      .def("__truediv__", [](const Tensor& a, py::handle b) { return op_or_not_implemented(a, b, [](auto& x, auto& y) { return div(x, y); }); })
      .def("__rtruediv__", [](const Tensor& a, py::handle b) { return op_or_not_implemented(a, b, [](auto& x, auto& y) { return div(y, x); }); })
      .def("__floordiv__", [](const Tensor& a, py::handle b) { return op_or_not_implemented(a, b, [](auto& x, auto& y) { return div(x, y, "floor"); }); })
      .def("__rfloordiv__", [](const Tensor& a, py::handle b) { return op_or_not_implemented(a, b, [](auto& x, auto& y) { return div(y, x, "floor"); }); })
      .def("__iadd__", [](Tensor& a, py::handle b) { return add_(a, other_arg(b, "add_")); })
      .def("__isub__", [](Tensor& a, py::handle b) { return sub_(a, other_arg(b, "sub_")); })
      .def("__imul__", [](Tensor& a, py::handle b) { return mul_(a, other_arg(b, "mul_")); })
      .def("__itruediv__", [](Tensor& a, py::handle b) { return div_(a, other_arg(b, "div_")); });
}

}  // namespace ember::python
