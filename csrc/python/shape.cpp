// Bindings: views and shape ops.
#include "core/tensor_impl.h"
#include "python/common.h"

namespace ember::python {

void bind_shape(py::module_& m, TensorClass& cls) {
  cls.def("view", [](const Tensor& x, py::args shape) {
        if (shape.size() == 1) {
          if (auto d = dtype_from_py(shape[0])) {
            EMBER_CHECK(itemsize(*d) == x.itemsize(), Runtime, "[ember.view] viewing as a dtype of another size is not supported");
            return Tensor(std::make_shared<TensorImpl>(x.impl()->storage_, x.storage_offset(), x.sizes(), x.strides(), *d));
          }
        }
        return view(x, shape_from_args(shape, "view"));
      })
      .def("view_as", [](const Tensor& x, const Tensor& o) { return view(x, o.sizes()); })
      .def("reshape", [](const Tensor& x, py::args shape) { return reshape(x, shape_from_args(shape, "reshape")); })
      .def("reshape_as", [](const Tensor& x, const Tensor& o) { return reshape(x, o.sizes()); })
      .def("expand", [](const Tensor& x, py::args shape) { return expand(x, shape_from_args(shape, "expand")); })
      .def("expand_as", [](const Tensor& x, const Tensor& o) { return expand(x, o.sizes()); })
      .def("permute", [](const Tensor& x, py::args dims) { return permute(x, shape_from_args(dims, "permute")); })
      .def("transpose", &transpose, py::arg("dim0"), py::arg("dim1"))
      .def("swapaxes", &transpose, py::arg("axis0"), py::arg("axis1"))
      .def("swapdims", &transpose, py::arg("dim0"), py::arg("dim1"))
      .def("squeeze", [](const Tensor& x, py::object dim) { return squeeze(x, dims_from_py(dim, "squeeze")); },
           py::arg("dim") = py::none())
      .def("unsqueeze", &unsqueeze, py::arg("dim"))
      .def("select", &select, py::arg("dim"), py::arg("index"))
      .def("narrow", &narrow, py::arg("dim"), py::arg("start"), py::arg("length"))
      .def("flatten", &flatten, py::arg("start_dim") = 0, py::arg("end_dim") = -1)
      .def("as_strided", [](const Tensor& x, py::handle size, py::handle stride, std::optional<int64_t> offset) {
            return as_strided(x, shape_from_sequence(size, "as_strided"), shape_from_sequence(stride, "as_strided"),
                              offset ? *offset : -1);
          }, py::arg("size"), py::arg("stride"), py::arg("storage_offset") = py::none());

  m.def("reshape", [](const Tensor& x, py::handle shape) { return reshape(x, shape_from_sequence(shape, "reshape")); },
        py::arg("input"), py::arg("shape"));
  m.def("permute", [](const Tensor& x, py::handle dims) { return permute(x, shape_from_sequence(dims, "permute")); },
        py::arg("input"), py::arg("dims"));
  m.def("transpose", &transpose, py::arg("input"), py::arg("dim0"), py::arg("dim1"));
  m.def("swapaxes", &transpose);
  m.def("swapdims", &transpose);
  m.def("squeeze", [](const Tensor& x, py::object dim) { return squeeze(x, dims_from_py(dim, "squeeze")); },
        py::arg("input"), py::arg("dim") = py::none());
  m.def("unsqueeze", &unsqueeze, py::arg("input"), py::arg("dim"));
  m.def("select", &select, py::arg("input"), py::arg("dim"), py::arg("index"));
  m.def("narrow", &narrow, py::arg("input"), py::arg("dim"), py::arg("start"), py::arg("length"));
  m.def("flatten", &flatten, py::arg("input"), py::arg("start_dim") = 0, py::arg("end_dim") = -1);
  m.def("as_strided", [](const Tensor& x, py::handle size, py::handle stride, std::optional<int64_t> offset) {
        return as_strided(x, shape_from_sequence(size, "as_strided"), shape_from_sequence(stride, "as_strided"),
                          offset ? *offset : -1);
      }, py::arg("input"), py::arg("size"), py::arg("stride"), py::arg("storage_offset") = py::none());
  m.def("broadcast_shapes", [](py::args shapes) {
    Shape out;
    for (py::handle s : shapes)
      out = broadcast_shapes(out, PyIndex_Check(s.ptr()) ? Shape{s.cast<int64_t>()} : shape_from_sequence(s, "broadcast_shapes"),
                             "broadcast_shapes");
    return size_object(out);
  });
}

}  // namespace ember::python
