// Bindings: the softmax family (ember.softmax / log_softmax, the Tensor methods, and the backward
// ops in ember._C._ops for nn.functional).
#include "python/common.h"

namespace ember::python {

void bind_softmax(py::module_& m, TensorClass& cls) {
  auto softmax_fn = [](const Tensor& x, int64_t dim, std::optional<Dtype> dtype) { return softmax(x, dim, dtype); };
  auto log_softmax_fn = [](const Tensor& x, int64_t dim, std::optional<Dtype> dtype) { return log_softmax(x, dim, dtype); };
  m.def("softmax", softmax_fn, py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none());
  m.def("log_softmax", log_softmax_fn, py::arg("input"), py::arg("dim"), py::arg("dtype") = py::none());
  m.def("_softmax_backward_data",
        [](const Tensor& grad, const Tensor& output, int64_t dim, std::optional<Dtype> input_dtype) {
          Tensor r = softmax_backward(grad, output, dim);
          return input_dtype && *input_dtype != r.dtype() ? to_dtype(r, *input_dtype) : r;
        },
        py::arg("grad_output"), py::arg("output"), py::arg("dim"), py::arg("input_dtype") = py::none());
  m.def("_log_softmax_backward_data",
        [](const Tensor& grad, const Tensor& output, int64_t dim, std::optional<Dtype> input_dtype) {
          Tensor r = log_softmax_backward(grad, output, dim);
          return input_dtype && *input_dtype != r.dtype() ? to_dtype(r, *input_dtype) : r;
        },
        py::arg("grad_output"), py::arg("output"), py::arg("dim"), py::arg("input_dtype") = py::none());
  cls.def("softmax", softmax_fn, py::arg("dim"), py::arg("dtype") = py::none())
      .def("log_softmax", log_softmax_fn, py::arg("dim"), py::arg("dtype") = py::none());
}

}  // namespace ember::python
