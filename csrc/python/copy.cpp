// Bindings: copy_, fill_, zero_, clone, contiguous.
#include "ops/copy_device.h"
#include "python/common.h"

namespace ember::python {

void bind_copy(py::module_& m, TensorClass& cls) {
  cls.def("copy_", [](Tensor& self, const Tensor& src, bool non_blocking) -> Tensor& { return copy_(self, src, non_blocking); },
          py::arg("src"),
          py::arg("non_blocking") = false)
      .def("fill_", [](Tensor& self, py::handle v) -> Tensor& {
            if (py::isinstance<Tensor>(v)) {
              const Tensor& t = v.cast<const Tensor&>();
              EMBER_CHECK(t.dim() == 0, Runtime, "[ember.fill_] fill_ only supports 0-dimension value tensor but got tensor with ",
                          t.dim(), " dimensions.");
              return copy_(self, t);
            }
            auto s = scalar_from_py(v);
            if (!s) throw py::type_error("[ember.fill_] expected a number");
            return fill_(self, *s);
          }, py::arg("value"))
      .def("zero_", [](Tensor& self) -> Tensor& { return zero_(self); })
      .def("clone", [](const Tensor& t, py::object) { return clone(t); }, py::kw_only(), py::arg("memory_format") = py::none())
      .def("contiguous", [](const Tensor& t, py::object) { return contiguous(t); }, py::arg("memory_format") = py::none());
  m.def("detach", [](const Tensor& t) { return t.detach(); }, py::arg("input"));
  m.def("detach_", [](py::object t) { return t.attr("detach_")(); }, py::arg("input"));
  m.def("clone", [](const Tensor& t, py::object) { return clone(t); }, py::arg("input"), py::kw_only(),
        py::arg("memory_format") = py::none());
}

}  // namespace ember::python
