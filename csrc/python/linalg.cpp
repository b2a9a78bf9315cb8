// Bindings: matrix products.
#include "python/common.h"

namespace ember::python {

void bind_linalg(py::module_& m, TensorClass& cls) {
  m.def("matmul", &matmul, py::arg("input"), py::arg("other"));
  m.def("mm", &mm, py::arg("input"), py::arg("mat2"));
  m.def("bmm", &bmm, py::arg("input"), py::arg("mat2"));
  cls.def("matmul", &matmul, py::arg("other"))
      .def("mm", &mm, py::arg("mat2"))
      .def("bmm", &bmm, py::arg("mat2"))
      .def("__matmul__", &matmul)
      .def("__rmatmul__", [](const Tensor& a, const Tensor& b) { return matmul(b, a); });
}

}  // namespace ember::python
