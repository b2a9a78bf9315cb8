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

void bind_binary_more(py::module_& m, TensorClass& cls);

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
      .def("add_", [](Tensor& a, py::handle b, const Scalar& alpha) -> Tensor& { return add_(a, other_arg(b, "add_"), alpha); },
           py::arg("other"), py::kw_only(), py::arg("alpha") = 1)
      .def("sub_", [](Tensor& a, py::handle b, const Scalar& alpha) -> Tensor& { return sub_(a, other_arg(b, "sub_"), alpha); },
           py::arg("other"), py::kw_only(), py::arg("alpha") = 1)
      .def("mul_", [](Tensor& a, py::handle b) -> Tensor& { return mul_(a, other_arg(b, "mul_")); }, py::arg("other"))
      .def("div_", [](Tensor& a, py::handle b, py::object mode) -> Tensor& { return div_(a, other_arg(b, "div_"), rounding(mode)); },
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
      .def("__iadd__", [](Tensor& a, py::handle b) -> Tensor& { return add_(a, other_arg(b, "add_")); })
      .def("__isub__", [](Tensor& a, py::handle b) -> Tensor& { return sub_(a, other_arg(b, "sub_")); })
      .def("__imul__", [](Tensor& a, py::handle b) -> Tensor& { return mul_(a, other_arg(b, "mul_")); })
      .def("__itruediv__", [](Tensor& a, py::handle b) -> Tensor& { return div_(a, other_arg(b, "div_")); });

  bind_binary_more(m, cls);
}

// remainder, pow, comparisons, logical/bitwise ops, lerp, isclose and their operators.
void bind_binary_more(py::module_& m, TensorClass& cls) {
#define EMBER_BIND_BINARY(pyname, fn)                                                                    \
  m.def(pyname, [](const Tensor& a, py::handle b) { return fn(a, other_arg(b, pyname)); }, py::arg("input"), \
        py::arg("other"));                                                                               \
  cls.def(pyname, [](const Tensor& a, py::handle b) { return fn(a, other_arg(b, pyname)); }, py::arg("other")); \
  cls.def(pyname "_", [](Tensor& a, py::handle b) -> Tensor& { return fn##_(a, other_arg(b, pyname "_")); }, py::arg("other"));
  EMBER_BIND_BINARY("remainder", remainder)
  EMBER_BIND_BINARY("fmod", fmod)
  EMBER_BIND_BINARY("floor_divide", floor_divide)
  EMBER_BIND_BINARY("atan2", atan2)
  EMBER_BIND_BINARY("arctan2", atan2)
  EMBER_BIND_BINARY("hypot", hypot)
  EMBER_BIND_BINARY("maximum", maximum)
  EMBER_BIND_BINARY("minimum", minimum)
  EMBER_BIND_BINARY("fmax", fmax)
  EMBER_BIND_BINARY("fmin", fmin)
  EMBER_BIND_BINARY("copysign", copysign)
  EMBER_BIND_BINARY("bitwise_and", bitwise_and)
  EMBER_BIND_BINARY("bitwise_or", bitwise_or)
  EMBER_BIND_BINARY("bitwise_xor", bitwise_xor)
  EMBER_BIND_BINARY("bitwise_left_shift", bitwise_left_shift)
  EMBER_BIND_BINARY("bitwise_right_shift", bitwise_right_shift)
  EMBER_BIND_BINARY("eq", eq)
  EMBER_BIND_BINARY("ne", ne)
  EMBER_BIND_BINARY("not_equal", ne)
  EMBER_BIND_BINARY("lt", lt)
  EMBER_BIND_BINARY("less", lt)
  EMBER_BIND_BINARY("le", le)
  EMBER_BIND_BINARY("less_equal", le)
  EMBER_BIND_BINARY("gt", gt)
  EMBER_BIND_BINARY("greater", gt)
  EMBER_BIND_BINARY("ge", ge)
  EMBER_BIND_BINARY("greater_equal", ge)
  EMBER_BIND_BINARY("logical_and", logical_and)
  EMBER_BIND_BINARY("logical_or", logical_or)
  EMBER_BIND_BINARY("logical_xor", logical_xor)
  cls.def("xlogy", [](const Tensor& a, py::handle b) { return xlogy(a, other_arg(b, "xlogy")); }, py::arg("other"));
  cls.def("xlogy_", [](Tensor& a, py::handle b) -> Tensor& { return xlogy_(a, other_arg(b, "xlogy_")); }, py::arg("other"));
#undef EMBER_BIND_BINARY
  // xlogy(input, other): either side may be a number (not both), as torch.xlogy
  m.def("xlogy", [](py::handle a, py::handle b) {
    if (!py::isinstance<Tensor>(a) && !py::isinstance<Tensor>(b))
      throw py::type_error("[ember.xlogy] expected input or other to be a Tensor, got two numbers");
    return xlogy(other_arg(a, "xlogy"), other_arg(b, "xlogy"));
  }, py::arg("input"), py::arg("other"));

  // pow: tensor ** tensor, tensor ** number (integer negative powers raise), number ** tensor
  auto pow_fn = [](py::handle a, py::handle b) -> Tensor {
    if (!py::isinstance<Tensor>(a)) {
      auto s = scalar_from_py(a);
      if (!s) throw py::type_error("[ember.pow] expected input to be a Tensor or a number");
      return pow(*s, other_arg(b, "pow"));
    }
    Tensor t = a.cast<Tensor>();
    if (py::isinstance<Tensor>(b)) return pow(t, b.cast<Tensor>());
    auto s = scalar_from_py(b);
    if (!s) throw py::type_error("[ember.pow] expected exponent to be a Tensor or a number");
    return pow(t, *s);
  };
  m.def("pow", pow_fn, py::arg("input"), py::arg("exponent"));
  m.def("float_power", [](const Tensor& a, py::handle b) { return pow(to_dtype(a, Dtype::Float64), other_arg(b, "float_power")); },
        py::arg("input"), py::arg("exponent"));
  cls.def("pow", [pow_fn](py::handle a, py::handle b) { return pow_fn(a, b); }, py::arg("exponent"));
  auto ipow = [](Tensor& a, py::handle b) -> Tensor& {
    Tensor e = other_arg(b, "pow_");
    if (!py::isinstance<Tensor>(b) && is_integral(a.dtype(), true)) {
      auto s = scalar_from_py(b);
      if (s && s->is_integral() && s->to_int() < 0)
        throw std::runtime_error("[ember.pow_] Integers to negative integer powers are not allowed.");
    }
    return pow_(a, e);
  };
  cls.def("pow_", ipow, py::arg("exponent"));
  cls.def("__pow__", [pow_fn](py::handle a, py::handle b) -> py::object {
    if (!tensor_or_wrapped_scalar(b).defined()) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
    return py::cast(pow_fn(a, b));
  });
  cls.def("__rpow__", [pow_fn](py::handle a, py::handle b) -> py::object {
    if (!tensor_or_wrapped_scalar(b).defined()) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
    return py::cast(pow_fn(b, a));
  });
  cls.def("__ipow__", ipow);

  // lerp
  auto lerp_fn = [](const Tensor& s, const Tensor& e, py::handle w) {
    if (py::isinstance<Tensor>(w)) return lerp(s, e, w.cast<Tensor>());
    auto v = scalar_from_py(w);
    if (!v) throw py::type_error("[ember.lerp] expected weight to be a Tensor or a number");
    return lerp(s, e, *v);
  };
  m.def("lerp", lerp_fn, py::arg("input"), py::arg("end"), py::arg("weight"));
  cls.def("lerp", lerp_fn, py::arg("end"), py::arg("weight"));
  cls.def("lerp_", [](Tensor& s, const Tensor& e, py::handle w) -> Tensor& {
    if (py::isinstance<Tensor>(w)) return lerp_(s, e, w.cast<Tensor>());
    auto v = scalar_from_py(w);
    if (!v) throw py::type_error("[ember.lerp_] expected weight to be a Tensor or a number");
    return lerp_(s, e, *v);
  }, py::arg("end"), py::arg("weight"));

  // isclose / allclose / equal
  auto isclose_fn = [](const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
    return isclose(a, b, rtol, atol, equal_nan);
  };
  auto allclose_fn = [](const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
    return allclose(a, b, rtol, atol, equal_nan);
  };
  m.def("isclose", isclose_fn, py::arg("input"), py::arg("other"), py::arg("rtol") = 1e-5, py::arg("atol") = 1e-8,
        py::arg("equal_nan") = false);
  m.def("allclose", allclose_fn, py::arg("input"), py::arg("other"), py::arg("rtol") = 1e-5, py::arg("atol") = 1e-8,
        py::arg("equal_nan") = false);
  cls.def("isclose", isclose_fn, py::arg("other"), py::arg("rtol") = 1e-5, py::arg("atol") = 1e-8, py::arg("equal_nan") = false);
  cls.def("allclose", allclose_fn, py::arg("other"), py::arg("rtol") = 1e-5, py::arg("atol") = 1e-8, py::arg("equal_nan") = false);
  m.def("equal", [](const Tensor& a, const Tensor& b) { return equal(a, b); }, py::arg("input"), py::arg("other"));
  cls.def("equal", [](const Tensor& a, const Tensor& b) { return equal(a, b); }, py::arg("other"));

  // operators (NotImplemented for other types, so Python can try the reflection)
#define EMBER_BIND_OP(dunder, expr)                                                                  \
  cls.def(dunder, [](const Tensor& a, py::handle b) {                                               \
    return op_or_not_implemented(a, b, [](const Tensor& x, const Tensor& y) { return expr; });      \
  });
  EMBER_BIND_OP("__mod__", remainder(x, y))
  EMBER_BIND_OP("__rmod__", remainder(y, x))
  EMBER_BIND_OP("__eq__", eq(x, y))
  EMBER_BIND_OP("__ne__", ne(x, y))
  EMBER_BIND_OP("__lt__", lt(x, y))
  EMBER_BIND_OP("__le__", le(x, y))
  EMBER_BIND_OP("__gt__", gt(x, y))
  EMBER_BIND_OP("__ge__", ge(x, y))
  EMBER_BIND_OP("__and__", bitwise_and(x, y))
  EMBER_BIND_OP("__rand__", bitwise_and(y, x))
  EMBER_BIND_OP("__or__", bitwise_or(x, y))
  EMBER_BIND_OP("__ror__", bitwise_or(y, x))
  EMBER_BIND_OP("__xor__", bitwise_xor(x, y))
  EMBER_BIND_OP("__rxor__", bitwise_xor(y, x))
  EMBER_BIND_OP("__lshift__", bitwise_left_shift(x, y))
  EMBER_BIND_OP("__rlshift__", bitwise_left_shift(y, x))
  EMBER_BIND_OP("__rshift__", bitwise_right_shift(x, y))
  EMBER_BIND_OP("__rrshift__", bitwise_right_shift(y, x))
#undef EMBER_BIND_OP
  cls.def("__imod__", [](Tensor& a, py::handle b) -> Tensor& { return remainder_(a, other_arg(b, "remainder_")); });
  cls.def("__ifloordiv__", [](Tensor& a, py::handle b) -> Tensor& { return div_(a, other_arg(b, "floor_divide_"), "floor"); });
  cls.def("__iand__", [](Tensor& a, py::handle b) -> Tensor& { return bitwise_and_(a, other_arg(b, "bitwise_and_")); });
  cls.def("__ior__", [](Tensor& a, py::handle b) -> Tensor& { return bitwise_or_(a, other_arg(b, "bitwise_or_")); });
  cls.def("__ixor__", [](Tensor& a, py::handle b) -> Tensor& { return bitwise_xor_(a, other_arg(b, "bitwise_xor_")); });
  cls.def("__ilshift__", [](Tensor& a, py::handle b) -> Tensor& { return bitwise_left_shift_(a, other_arg(b, "bitwise_left_shift_")); });
  cls.def("__irshift__", [](Tensor& a, py::handle b) -> Tensor& { return bitwise_right_shift_(a, other_arg(b, "bitwise_right_shift_")); });
}

}  // namespace ember::python
