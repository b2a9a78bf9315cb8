// Bindings: views and shape ops.
#include "core/tensor_impl.h"
#include "python/common.h"

namespace ember::python {
namespace {

py::tuple as_tuple(const std::vector<Tensor>& ts) {
  py::tuple out(ts.size());
  for (size_t i = 0; i < ts.size(); ++i) out[i] = py::cast(ts[i]);
  return out;
}

py::tuple split_fn(const Tensor& x, py::handle size, int64_t dim) {
  if (PyIndex_Check(size.ptr())) return as_tuple(split(x, size.cast<int64_t>(), dim));
  return as_tuple(split_with_sizes(x, shape_from_sequence(size, "split"), dim));
}

py::tuple tensor_split_fn(const Tensor& x, py::handle arg, int64_t dim) {
  if (py::isinstance<Tensor>(arg)) {
    const Tensor& t = arg.cast<const Tensor&>();
    EMBER_CHECK(is_integral(t.dtype(), false), Runtime, "[ember.tensor_split] tensor_split expected ",
                "tensor_indices_or_sections to have an integral dtype, but got ", dtype_name(t.dtype()));
    EMBER_CHECK(t.dim() <= 1, Runtime, "[ember.tensor_split] tensor_split expected tensor_indices_or_sections to be a ",
                "zero-dimensional or one-dimensional tensor, but got a tensor with ", t.dim(), " dims");
    if (t.dim() == 0) return as_tuple(tensor_split(x, t.item().to_int(), dim));
    Tensor c = contiguous(to_dtype(t, Dtype::Int64));
    const int64_t* p = c.data<int64_t>();
    return as_tuple(tensor_split(x, std::vector<int64_t>(p, p + c.numel()), dim));
  }
  if (PyIndex_Check(arg.ptr())) return as_tuple(tensor_split(x, arg.cast<int64_t>(), dim));
  return as_tuple(tensor_split(x, shape_from_sequence(arg, "tensor_split"), dim));
}

Tensor movedim_fn(const Tensor& x, py::handle src, py::handle dst) {
  return movedim(x, dims_from_py(src, "movedim"), dims_from_py(dst, "movedim"));
}

Tensor unflatten_fn(const Tensor& x, int64_t dim, py::handle sizes) {
  return unflatten(x, dim, shape_from_sequence(sizes, "unflatten"));
}

Tensor adjoint_fn(const Tensor& x) { return matrix_transpose(x, "mH"); }


// In-place view ops (t_, transpose_, squeeze_, unsqueeze_, as_strided_): `self` takes the geometry of
// `v`, a view of self made by the out-of-place op, and with it v's history when v has one (torch's rule:
// a leaf that requires grad cannot change in place while grad mode is on).
template <class F> Tensor& inplace_view(Tensor& self, const char* op, F make_view) {
  EMBER_CHECK(!(autograd::is_grad_enabled() && self.is_leaf() && self.requires_grad()), Runtime, "[ember.", op,
              "] a leaf Variable that requires grad is being used in an in-place operation.");
  Tensor v = make_view(self);
  TensorImpl* d = self.impl();
  d->offset_ = v.impl()->offset_;
  d->sizes_ = v.impl()->sizes_;
  d->strides_ = v.impl()->strides_;
  d->refresh();
  if (v.grad_fn()) {
    auto& meta = d->autograd();
    meta.grad_fn = v.grad_fn();
    meta.output_nr = v.output_nr();
  }
  return self;
}
}  // namespace

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
      .def("view", [](const Tensor& x, py::handle size) { return view(x, shape_from_sequence(size, "view")); },
           py::arg("size"))  // keyword form: view(size=...)
      .def("view", [](const Tensor& x, Dtype d) {  // keyword form: view(dtype=...)
            EMBER_CHECK(itemsize(d) == x.itemsize(), Runtime, "[ember.view] viewing as a dtype of another size is not supported");
            return Tensor(std::make_shared<TensorImpl>(x.impl()->storage_, x.storage_offset(), x.sizes(), x.strides(), d));
          }, py::arg("dtype"))
      .def("view_as", [](const Tensor& x, const Tensor& o) { return view(x, o.sizes()); }, py::arg("other"))
      .def("reshape", [](const Tensor& x, py::args shape) { return reshape(x, shape_from_args(shape, "reshape")); })
      .def("reshape", [](const Tensor& x, py::handle shape) { return reshape(x, shape_from_sequence(shape, "reshape")); },
           py::arg("shape"))
      .def("reshape_as", [](const Tensor& x, const Tensor& o) { return reshape(x, o.sizes()); }, py::arg("other"))
      .def("expand", [](const Tensor& x, py::args shape) { return expand(x, shape_from_args(shape, "expand")); })
      .def("expand", [](const Tensor& x, py::handle size, bool) { return expand(x, shape_from_sequence(size, "expand")); },
           py::arg("size"), py::arg("implicit") = false)
      .def("expand_as", [](const Tensor& x, const Tensor& o) { return expand(x, o.sizes()); }, py::arg("other"))
      .def("permute", [](const Tensor& x, py::args dims) { return permute(x, shape_from_args(dims, "permute")); })
      .def("permute", [](const Tensor& x, py::handle dims) { return permute(x, shape_from_sequence(dims, "permute")); },
           py::arg("dims"))
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
  // in-place view ops
  auto as_strided_fn = [](Tensor& x, py::handle size, py::handle stride, std::optional<int64_t> offset) -> Tensor& {
    Shape sz = shape_from_sequence(size, "as_strided_"), st = shape_from_sequence(stride, "as_strided_");
    return inplace_view(x, "as_strided_", [&](const Tensor& s) { return as_strided(s, sz, st, offset ? *offset : -1); });
  };
  cls.def("t_", [](Tensor& x) -> Tensor& { return inplace_view(x, "t_", [](const Tensor& s) { return t(s); }); })
      .def("transpose_", [](Tensor& x, int64_t d0, int64_t d1) -> Tensor& {
            return inplace_view(x, "transpose_", [&](const Tensor& s) { return transpose(s, d0, d1); });
          }, py::arg("dim0"), py::arg("dim1"))
      .def("swapaxes_", [](Tensor& x, int64_t d0, int64_t d1) -> Tensor& {
            return inplace_view(x, "swapaxes_", [&](const Tensor& s) { return transpose(s, d0, d1); });
          }, py::arg("axis0"), py::arg("axis1"))
      .def("swapdims_", [](Tensor& x, int64_t d0, int64_t d1) -> Tensor& {
            return inplace_view(x, "swapdims_", [&](const Tensor& s) { return transpose(s, d0, d1); });
          }, py::arg("dim0"), py::arg("dim1"))
      .def("squeeze_", [](Tensor& x, py::object dim) -> Tensor& {
            auto dims = dims_from_py(dim, "squeeze_");
            return inplace_view(x, "squeeze_", [&](const Tensor& s) { return squeeze(s, dims); });
          }, py::arg("dim") = py::none())
      .def("unsqueeze_", [](Tensor& x, int64_t dim) -> Tensor& {
            return inplace_view(x, "unsqueeze_", [&](const Tensor& s) { return unsqueeze(s, dim); });
          }, py::arg("dim"))
      .def("as_strided_", as_strided_fn, py::arg("size"), py::arg("stride"), py::arg("storage_offset") = py::none());
  m.def("as_strided_", as_strided_fn, py::arg("input"), py::arg("size"), py::arg("stride"),
        py::arg("storage_offset") = py::none());

  cls.def("unflatten", &unflatten_fn, py::arg("dim"), py::arg("sizes"))
      .def("unbind", [](const Tensor& x, int64_t dim) { return as_tuple(unbind(x, dim)); }, py::arg("dim") = 0)
      .def("split", &split_fn, py::arg("split_size"), py::arg("dim") = 0)
      .def("split_with_sizes", [](const Tensor& x, py::handle s, int64_t dim) {
            return as_tuple(split_with_sizes(x, shape_from_sequence(s, "split_with_sizes"), dim));
          }, py::arg("split_sizes"), py::arg("dim") = 0)
      .def("chunk", [](const Tensor& x, int64_t c, int64_t dim) { return as_tuple(chunk(x, c, dim)); }, py::arg("chunks"),
           py::arg("dim") = 0)
      .def("tensor_split", &tensor_split_fn, py::arg("indices_or_sections"), py::arg("dim") = 0)
      .def("diagonal", &diagonal, py::arg("offset") = 0, py::arg("dim1") = 0, py::arg("dim2") = 1)
      .def("unfold", &unfold, py::arg("dimension"), py::arg("size"), py::arg("step"))
      .def("movedim", &movedim_fn, py::arg("source"), py::arg("destination"))
      .def("moveaxis", &movedim_fn, py::arg("source"), py::arg("destination"))
      .def("t", &t)
      .def("ravel", [](const Tensor& x) { return reshape(x, {-1}); })
      .def("adjoint", &adjoint_fn)
      .def_property_readonly("T", [](const Tensor& x) {
        if (x.dim() != 2 &&
            PyErr_WarnEx(PyExc_UserWarning, "The use of `x.T` on tensors of dimension other than 2 to reverse their shape "
                         "is deprecated and it will throw an error in a future release. Consider `x.mT` to transpose "
                         "batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions "
                         "of a tensor.", 1) < 0)
          throw py::error_already_set();
        return reverse_dims(x);
      })
      .def_property_readonly("mT", [](const Tensor& x) { return matrix_transpose(x, "mT"); })
      .def_property_readonly("mH", [](const Tensor& x) { return matrix_transpose(x, "mH"); })
      .def_property_readonly("H", [](const Tensor& x) {
        EMBER_CHECK(x.dim() == 2 || x.dim() == 0, Runtime, "[ember.H] tensor.H is only supported on matrices (2-D tensors). ",
                    "Got ", x.dim(), "-D tensor.");
        return reverse_dims(x);
      });

  m.def("unflatten", &unflatten_fn, py::arg("input"), py::arg("dim"), py::arg("sizes"));
  m.def("unbind", [](const Tensor& x, int64_t dim) { return as_tuple(unbind(x, dim)); }, py::arg("input"),
        py::arg("dim") = 0);
  m.def("split", &split_fn, py::arg("tensor"), py::arg("split_size_or_sections"), py::arg("dim") = 0);
  m.def("chunk", [](const Tensor& x, int64_t c, int64_t dim) { return as_tuple(chunk(x, c, dim)); }, py::arg("input"),
        py::arg("chunks"), py::arg("dim") = 0);
  m.def("tensor_split", &tensor_split_fn, py::arg("input"), py::arg("indices_or_sections"), py::arg("dim") = 0);
  m.def("diagonal", &diagonal, py::arg("input"), py::arg("offset") = 0, py::arg("dim1") = 0, py::arg("dim2") = 1);
  m.def("movedim", &movedim_fn, py::arg("input"), py::arg("source"), py::arg("destination"));
  m.def("moveaxis", &movedim_fn, py::arg("input"), py::arg("source"), py::arg("destination"));
  m.def("t", &t, py::arg("input"));
  m.def("ravel", [](const Tensor& x) { return reshape(x, {-1}); }, py::arg("input"));
  m.def("adjoint", &adjoint_fn, py::arg("input"));
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
