// Bindings: factories (zeros, ones, full, empty, *_like, arange, linspace, logspace, eye) and
// the Tensor.new_* methods.
#include "python/common.h"

namespace ember::python {
namespace {

TensorOptions options_from(std::optional<Dtype> dtype, py::object device, bool requires_grad) {
  TensorOptions o;
  o = o.dtype(dtype);
  if (!device.is_none()) o = o.device(device_from_py(device));
  return o.requires_grad(requires_grad);
}

TensorOptions like_options(const Tensor& t, std::optional<Dtype> dtype, py::object device, bool requires_grad) {
  TensorOptions o = options_from(dtype ? dtype : std::optional<Dtype>(t.dtype()), py::none(), requires_grad);
  return o.device(device.is_none() ? t.device() : device_from_py(device));
}

#define EMBER_FACTORY_KWARGS                                                                    \
  py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),              \
      py::arg("requires_grad") = false, py::arg("layout") = py::none(), py::arg("pin_memory") = false, \
      py::arg("out") = py::none()

}  // namespace

void bind_factory(py::module_& m, TensorClass& cls) {
  m.def("zeros", [](py::args size, std::optional<Dtype> dtype, py::object device, bool rg, py::object, bool, py::object) {
    return zeros(shape_from_args(size, "zeros"), options_from(dtype, device, rg));
  }, EMBER_FACTORY_KWARGS);
  m.def("zeros", [](py::handle size, std::optional<Dtype> dtype, py::object device, bool rg, py::object, bool, py::object) {
    return zeros(shape_from_sequence(size, "zeros"), options_from(dtype, device, rg));
  }, py::arg("size"), EMBER_FACTORY_KWARGS);  // keyword form: zeros(size=...)
  m.def("ones", [](py::args size, std::optional<Dtype> dtype, py::object device, bool rg, py::object, bool, py::object) {
    return ones(shape_from_args(size, "ones"), options_from(dtype, device, rg));
  }, EMBER_FACTORY_KWARGS);
  m.def("ones", [](py::handle size, std::optional<Dtype> dtype, py::object device, bool rg, py::object, bool, py::object) {
    return ones(shape_from_sequence(size, "ones"), options_from(dtype, device, rg));
  }, py::arg("size"), EMBER_FACTORY_KWARGS);  // keyword form: ones(size=...)
  m.def("empty", [](py::args size, std::optional<Dtype> dtype, py::object device, bool rg, py::object, bool, py::object) {
    return empty(shape_from_args(size, "empty"), options_from(dtype, device, rg));
  }, EMBER_FACTORY_KWARGS);
  m.def("empty", [](py::handle size, std::optional<Dtype> dtype, py::object device, bool rg, py::object, bool, py::object) {
    return empty(shape_from_sequence(size, "empty"), options_from(dtype, device, rg));
  }, py::arg("size"), EMBER_FACTORY_KWARGS);  // keyword form: empty(size=...)
  m.def("full", [](py::handle size, const Scalar& value, std::optional<Dtype> dtype, py::object device, bool rg, py::object, bool, py::object) {
    return full(shape_from_sequence(size, "full"), value, options_from(dtype, device, rg));
  }, py::arg("size"), py::arg("fill_value"), EMBER_FACTORY_KWARGS);
  m.def("empty_strided", [](py::handle size, py::handle stride, std::optional<Dtype> dtype, py::object device, bool rg, py::object, bool, py::object) {
    return empty_strided(shape_from_sequence(size, "empty_strided"), shape_from_sequence(stride, "empty_strided"),
                         options_from(dtype, device, rg));
  }, py::arg("size"), py::arg("stride"), EMBER_FACTORY_KWARGS);
  m.def("zeros_like", [](const Tensor& t, std::optional<Dtype> dtype, py::object device, bool rg, py::object, py::object) {
    return zeros_like(t, like_options(t, dtype, device, rg));
  }, py::arg("input"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
     py::arg("requires_grad") = false, py::arg("layout") = py::none(), py::arg("memory_format") = py::none());
  m.def("ones_like", [](const Tensor& t, std::optional<Dtype> dtype, py::object device, bool rg, py::object, py::object) {
    return ones_like(t, like_options(t, dtype, device, rg));
  }, py::arg("input"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
     py::arg("requires_grad") = false, py::arg("layout") = py::none(), py::arg("memory_format") = py::none());
  m.def("empty_like", [](const Tensor& t, std::optional<Dtype> dtype, py::object device, bool rg, py::object, py::object) {
    return empty_like(t, like_options(t, dtype, device, rg));
  }, py::arg("input"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
     py::arg("requires_grad") = false, py::arg("layout") = py::none(), py::arg("memory_format") = py::none());
  m.def("full_like", [](const Tensor& t, const Scalar& v, std::optional<Dtype> dtype, py::object device, bool rg, py::object, py::object) {
    return full_like(t, v, like_options(t, dtype, device, rg));
  }, py::arg("input"), py::arg("fill_value"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
     py::arg("requires_grad") = false, py::arg("layout") = py::none(), py::arg("memory_format") = py::none());
  m.def("arange", [](const Scalar& a, std::optional<Scalar> b, const Scalar& step, std::optional<Dtype> dtype,
                     py::object device, bool rg, py::object, bool, py::object) {
    TensorOptions o = options_from(dtype, device, rg);
    return b ? arange(a, *b, step, o) : arange(Scalar(int64_t(0)), a, step, o);
  }, py::arg("start"), py::arg("end") = py::none(), py::arg("step") = 1, EMBER_FACTORY_KWARGS);
  m.def("linspace", [](double start, double end, int64_t steps, std::optional<Dtype> dtype, py::object device, bool rg,
                       py::object, bool, py::object) {
    return linspace(start, end, steps, options_from(dtype, device, rg));
  }, py::arg("start"), py::arg("end"), py::arg("steps"), EMBER_FACTORY_KWARGS);
  m.def("logspace", [](double start, double end, int64_t steps, double base, std::optional<Dtype> dtype, py::object device,
                       bool rg, py::object, bool, py::object) {
    return logspace(start, end, steps, base, options_from(dtype, device, rg));
  }, py::arg("start"), py::arg("end"), py::arg("steps"), py::arg("base") = 10.0, EMBER_FACTORY_KWARGS);
  m.def("eye", [](int64_t n, std::optional<int64_t> mcols, std::optional<Dtype> dtype, py::object device, bool rg,
                  py::object, bool, py::object) {
    return eye(n, mcols ? *mcols : -1, options_from(dtype, device, rg));
  }, py::arg("n"), py::arg("m") = py::none(), EMBER_FACTORY_KWARGS);
  m.def("scalar_tensor", [](const Scalar& s, std::optional<Dtype> dtype, py::object device, bool rg, py::object, bool, py::object) {
    return scalar_tensor(s, options_from(dtype ? dtype : std::optional<Dtype>(get_default_dtype()), device, rg));
  }, py::arg("s"), EMBER_FACTORY_KWARGS);
  m.def("get_default_dtype", &get_default_dtype);
  m.def("set_default_dtype", &set_default_dtype, py::arg("d"));

  // Tensor.new_*: the source's dtype and device unless given.
  auto new_kwargs = [](const Tensor& t, std::optional<Dtype> dtype, py::object device, bool rg) {
    return like_options(t, dtype, device, rg);
  };
  cls.def("new_zeros", [new_kwargs](const Tensor& t, py::args size, std::optional<Dtype> dtype, py::object device, bool rg) {
        return zeros(shape_from_args(size, "new_zeros"), new_kwargs(t, dtype, device, rg));
      }, py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(), py::arg("requires_grad") = false)
      .def("new_ones", [new_kwargs](const Tensor& t, py::args size, std::optional<Dtype> dtype, py::object device, bool rg) {
        return ones(shape_from_args(size, "new_ones"), new_kwargs(t, dtype, device, rg));
      }, py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(), py::arg("requires_grad") = false)
      .def("new_empty", [new_kwargs](const Tensor& t, py::args size, std::optional<Dtype> dtype, py::object device, bool rg) {
        return empty(shape_from_args(size, "new_empty"), new_kwargs(t, dtype, device, rg));
      }, py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(), py::arg("requires_grad") = false)
      .def("new_full", [new_kwargs](const Tensor& t, py::handle size, const Scalar& v, std::optional<Dtype> dtype, py::object device, bool rg) {
        return full(shape_from_sequence(size, "new_full"), v, new_kwargs(t, dtype, device, rg));
      }, py::arg("size"), py::arg("fill_value"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
         py::arg("requires_grad") = false);
}

}  // namespace ember::python
