// Bindings: reductions.
#include "python/common.h"

namespace ember::python {

void bind_reduce(py::module_& m, TensorClass& cls) {
  auto sum_fn = [](const Tensor& x, py::object dim, bool keepdim, std::optional<Dtype> dtype) {
    return sum(x, dims_from_py(dim, "sum"), keepdim, dtype);
  };
  auto mean_fn = [](const Tensor& x, py::object dim, bool keepdim, std::optional<Dtype> dtype) {
    return mean(x, dims_from_py(dim, "mean"), keepdim, dtype);
  };
  auto any_fn = [](const Tensor& x, py::object dim, bool keepdim) { return any(x, dims_from_py(dim, "any"), keepdim); };
  auto all_fn = [](const Tensor& x, py::object dim, bool keepdim) { return all(x, dims_from_py(dim, "all"), keepdim); };
  m.def("sum", sum_fn, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
        py::arg("dtype") = py::none());
  m.def("mean", mean_fn, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(),
        py::arg("dtype") = py::none());
  m.def("any", any_fn, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false);
  m.def("all", all_fn, py::arg("input"), py::arg("dim") = py::none(), py::arg("keepdim") = false);
  cls.def("sum", sum_fn, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none())
      .def("mean", mean_fn, py::arg("dim") = py::none(), py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = py::none())
      .def("any", any_fn, py::arg("dim") = py::none(), py::arg("keepdim") = false)
      .def("all", all_fn, py::arg("dim") = py::none(), py::arg("keepdim") = false);
  m.def("sum_to_size", [](const Tensor& x, py::args size) { return sum_to_shape(x, shape_from_args(size, "sum_to_size")); });
  cls.def("sum_to_size", [](const Tensor& x, py::args size) { return sum_to_shape(x, shape_from_args(size, "sum_to_size")); });
}

}  // namespace ember::python
