// Bindings: unary ops (the unary_ops.def table) as ember.<op>, Tensor.<op>, Tensor.<op>_, plus
// predicates, clamp/clip and the activations with parameters.
#include <cstring>

#include "ops/unary_ops.def"
#include "python/common.h"

namespace ember::python {
namespace {

// Table ops that PyTorch has only in nn.functional (no Tensor method; `inplace=` argument).
bool nn_only(const char* name) {
  for (const char* n : {"silu", "mish", "softsign", "logsigmoid", "hardswish", "hardsigmoid"})
    if (!std::strcmp(n, name)) return true;
  return false;
}

// A clamp bound: None, a number, or a tensor.
struct Bound {
  std::optional<Scalar> scalar;
  Tensor tensor;
};
Bound bound_from_py(py::handle obj) {
  Bound b;
  if (obj.is_none()) return b;
  if (py::isinstance<Tensor>(obj)) {
    b.tensor = obj.cast<Tensor>();
    return b;
  }
  b.scalar = scalar_from_py(obj);
  if (!b.scalar) throw py::type_error("[ember.clamp] expected min/max to be a number, a Tensor or None");
  return b;
}

Tensor clamp_py(const Tensor& x, py::handle min, py::handle max) {
  Bound lo = bound_from_py(min), hi = bound_from_py(max);
  if (lo.tensor.defined() || hi.tensor.defined()) {
    Tensor l = lo.tensor.defined() ? lo.tensor : lo.scalar ? scalar_tensor(*lo.scalar, {}, true) : Tensor();
    Tensor h = hi.tensor.defined() ? hi.tensor : hi.scalar ? scalar_tensor(*hi.scalar, {}, true) : Tensor();
    return clamp(x, l, h);
  }
  return clamp(x, lo.scalar, hi.scalar);
}

Tensor& clamp_py_(Tensor& x, py::handle min, py::handle max) {
  Bound lo = bound_from_py(min), hi = bound_from_py(max);
  if (lo.tensor.defined() || hi.tensor.defined()) {
    Tensor l = lo.tensor.defined() ? lo.tensor : lo.scalar ? scalar_tensor(*lo.scalar, {}, true) : Tensor();
    Tensor h = hi.tensor.defined() ? hi.tensor : hi.scalar ? scalar_tensor(*hi.scalar, {}, true) : Tensor();
    return clamp_(x, l, h);
  }
  return clamp_(x, lo.scalar, hi.scalar);
}

}  // namespace

void bind_unary(py::module_& m, TensorClass& cls) {
#define EMBER_BIND_UNARY(name, ...)                                                              \
  if (nn_only(#name)) {                                                                         \
    m.def(#name, [](Tensor& x, bool inplace) { return inplace ? name##_(x) : name(x); }, py::arg("input"), \
          py::arg("inplace") = false);                                                          \
  } else {                                                                                      \
    m.def(#name, [](const Tensor& x) { return name(x); }, py::arg("input"));                    \
    m.def(#name "_", [](Tensor& x) -> Tensor& { return name##_(x); }, py::arg("input"));                   \
    cls.def(#name, [](const Tensor& x) { return name(x); });                                    \
    cls.def(#name "_", [](Tensor& x) -> Tensor& { return name##_(x); });                                   \
  }
  // round gets its own binding below (decimals=)
#define EMBER_BIND_UNARY_SKIP_ROUND(name, ...) \
  if (std::strcmp(#name, "round") != 0) { EMBER_BIND_UNARY(name) }
  EMBER_UNARY_OPS(EMBER_BIND_UNARY_SKIP_ROUND)
#undef EMBER_BIND_UNARY_SKIP_ROUND
#undef EMBER_BIND_UNARY
  // selu also takes inplace= (nn.functional's signature)
  m.def("selu", [](Tensor& x, bool inplace) { return inplace ? selu_(x) : selu(x); }, py::arg("input"),
        py::arg("inplace") = false);

  auto round_fn = [](const Tensor& x, int64_t decimals) { return round(x, decimals); };
  auto round_fn_ = [](Tensor& x, int64_t decimals) -> Tensor& { return round_(x, decimals); };
  m.def("round", round_fn, py::arg("input"), py::kw_only(), py::arg("decimals") = 0);
  m.def("round_", round_fn_, py::arg("input"), py::kw_only(), py::arg("decimals") = 0);
  cls.def("round", round_fn, py::kw_only(), py::arg("decimals") = 0);
  cls.def("round_", round_fn_, py::kw_only(), py::arg("decimals") = 0);

  // aliases
  for (auto [alias, target] : {std::pair{"absolute", "abs"}, {"arcsin", "asin"}, {"arccos", "acos"}, {"arctan", "atan"},
                               {"arcsinh", "asinh"}, {"arccosh", "acosh"}, {"arctanh", "atanh"}, {"fix", "trunc"},
                               {"negative", "neg"}}) {
    m.attr(alias) = m.attr(target);
    cls.attr(alias) = cls.attr(target);
    m.attr((std::string(alias) + "_").c_str()) = m.attr((std::string(target) + "_").c_str());
    cls.attr((std::string(alias) + "_").c_str()) = cls.attr((std::string(target) + "_").c_str());
  }
  m.attr("special_expit") = m.attr("sigmoid");

  m.def("isnan", &isnan, py::arg("input"));
  cls.def("isnan", [](const Tensor& x) { return isnan(x); });
#define EMBER_BIND_PREDICATE(name)                            \
  m.def(#name, [](const Tensor& x) { return name(x); }, py::arg("input")); \
  cls.def(#name, [](const Tensor& x) { return name(x); });
  EMBER_BIND_PREDICATE(isinf)
  EMBER_BIND_PREDICATE(isfinite)
  EMBER_BIND_PREDICATE(isposinf)
  EMBER_BIND_PREDICATE(isneginf)
  EMBER_BIND_PREDICATE(logical_not)
  EMBER_BIND_PREDICATE(bitwise_not)
#undef EMBER_BIND_PREDICATE
  cls.def("logical_not_", [](Tensor& x) -> Tensor& { return logical_not_(x); });
  cls.def("bitwise_not_", [](Tensor& x) -> Tensor& { return bitwise_not_(x); });
  cls.def("__invert__", [](const Tensor& x) { return bitwise_not(x); });
  cls.def("__neg__", [](const Tensor& x) { return neg(x); });
  cls.def("__abs__", [](const Tensor& x) { return abs(x); });
  m.def("threshold_backward", &threshold_backward, py::arg("grad_output"), py::arg("self"), py::arg("threshold"));

  // clamp / clip
  for (const char* name : {"clamp", "clip"}) {
    m.def(name, &clamp_py, py::arg("input"), py::arg("min") = py::none(), py::arg("max") = py::none());
    cls.def(name, &clamp_py, py::arg("min") = py::none(), py::arg("max") = py::none());
    cls.def((std::string(name) + "_").c_str(), &clamp_py_, py::arg("min") = py::none(), py::arg("max") = py::none());
    m.def((std::string(name) + "_").c_str(), &clamp_py_, py::arg("input"), py::arg("min") = py::none(),
          py::arg("max") = py::none());
  }
  auto clamp_min = [](const Tensor& x, py::handle v) { return clamp_py(x, v, py::none()); };
  auto clamp_max = [](const Tensor& x, py::handle v) { return clamp_py(x, py::none(), v); };
  m.def("clamp_min", clamp_min, py::arg("input"), py::arg("min"));
  m.def("clamp_max", clamp_max, py::arg("input"), py::arg("max"));
  cls.def("clamp_min", clamp_min, py::arg("min"));
  cls.def("clamp_max", clamp_max, py::arg("max"));
  cls.def("clamp_min_", [](Tensor& x, py::handle v) -> Tensor& { return clamp_py_(x, v, py::none()); }, py::arg("min"));
  cls.def("clamp_max_", [](Tensor& x, py::handle v) -> Tensor& { return clamp_py_(x, py::none(), v); }, py::arg("max"));

  // activations with parameters (nn.functional signatures)
  m.def("hardtanh", [](Tensor& x, const Scalar& lo, const Scalar& hi, bool inplace) {
    return inplace ? hardtanh_(x, lo, hi) : hardtanh(x, lo, hi);
  }, py::arg("input"), py::arg("min_val") = -1.0, py::arg("max_val") = 1.0, py::arg("inplace") = false);
  m.def("hardtanh_", [](Tensor& x, const Scalar& lo, const Scalar& hi) -> Tensor& { return hardtanh_(x, lo, hi); },
        py::arg("input"), py::arg("min_val") = -1.0, py::arg("max_val") = 1.0);
  m.def("relu6", [](Tensor& x, bool inplace) { return inplace ? relu6_(x) : relu6(x); }, py::arg("input"),
        py::arg("inplace") = false);
  m.def("leaky_relu", [](Tensor& x, double slope, bool inplace) { return inplace ? leaky_relu_(x, slope) : leaky_relu(x, slope); },
        py::arg("input"), py::arg("negative_slope") = 0.01, py::arg("inplace") = false);
  m.def("leaky_relu_", [](Tensor& x, double slope) -> Tensor& { return leaky_relu_(x, slope); }, py::arg("input"),
        py::arg("negative_slope") = 0.01);
  m.def("elu", [](Tensor& x, double alpha, bool inplace) { return inplace ? elu_(x, alpha) : elu(x, alpha); },
        py::arg("input"), py::arg("alpha") = 1.0, py::arg("inplace") = false);
  m.def("elu_", [](Tensor& x, double alpha) -> Tensor& { return elu_(x, alpha); }, py::arg("input"), py::arg("alpha") = 1.0);
  m.def("celu", [](Tensor& x, double alpha, bool inplace) {
    if (!inplace) return celu(x, alpha);
    Tensor r = celu(x, alpha);
    return copy_(x, r);
  }, py::arg("input"), py::arg("alpha") = 1.0, py::arg("inplace") = false);
  m.def("softplus", [](const Tensor& x, double beta, double th) { return softplus(x, beta, th); }, py::arg("input"),
        py::arg("beta") = 1.0, py::arg("threshold") = 20.0);
  m.def("gelu", [](const Tensor& x, const std::string& approximate) { return gelu(x, approximate); }, py::arg("input"),
        py::kw_only(), py::arg("approximate") = "none");
  m.def("threshold", [](Tensor& x, double th, double value, bool inplace) {
    return inplace ? threshold_(x, th, value) : threshold(x, th, value);
  }, py::arg("input"), py::arg("threshold"), py::arg("value"), py::arg("inplace") = false);
  m.def("threshold_", [](Tensor& x, double th, double value) -> Tensor& { return threshold_(x, th, value); }, py::arg("input"),
        py::arg("threshold"), py::arg("value"));
}

}  // namespace ember::python
