// Bindings: Tensor.__getitem__ / __setitem__ and the indexing ops.
#include "python/common.h"

namespace ember::python {

// Basic indexing: ints, slices, None, Ellipsis. Returns a view.
Tensor basic_index(const Tensor& self, py::handle key) {
  py::tuple items = py::isinstance<py::tuple>(key) ? py::reinterpret_borrow<py::tuple>(key) : py::make_tuple(key);
  int64_t consumed = 0;  // dims of self that the index uses
  bool has_ellipsis = false;
  for (py::handle it : items) {
    if (it.is_none()) continue;
    if (it.ptr() == Py_Ellipsis) {
      EMBER_CHECK(!has_ellipsis, Index, "[ember.index] an index can only have a single ellipsis ('...')");
      has_ellipsis = true;
      continue;
    }
    ++consumed;
  }
  EMBER_CHECK(consumed <= self.dim(), Index, "[ember.index] too many indices for tensor of dimension ", self.dim());
  Tensor r = self;
  int64_t dim = 0;
  for (py::handle it : items) {
    if (it.is_none()) {
      r = unsqueeze(r, dim++);
    } else if (it.ptr() == Py_Ellipsis) {
      dim += self.dim() - consumed;
    } else if (PySlice_Check(it.ptr())) {
      Py_ssize_t start, stop, step;
      if (PySlice_Unpack(it.ptr(), &start, &stop, &step) < 0) throw py::error_already_set();
      EMBER_CHECK(step > 0, Value, "[ember.index] step must be greater than zero");
      int64_t size = r.sizes()[dim];
      PySlice_AdjustIndices(size, &start, &stop, step);
      r = slice(r, dim, start, std::max<Py_ssize_t>(stop, start), step);
      ++dim;
    } else if (PyIndex_Check(it.ptr()) && !py::isinstance<Tensor>(it)) {
      r = select(r, dim, it.cast<int64_t>());
    } else {
      throw py::type_error("[ember.index] advanced indexing (tensors, lists, bool masks) is not supported yet: got " +
                           std::string(py::str(py::type::of(it).attr("__name__"))));
    }
  }
  return r;
}

void bind_indexing(py::module_& m, TensorClass& cls) {
  cls.def("__getitem__", [](const Tensor& self, py::handle key) { return basic_index(self, key); });
  cls.def("__setitem__", [](Tensor& self, py::handle key, py::handle value) {
    Tensor target = basic_index(self, key);
    if (py::isinstance<Tensor>(value)) {
      copy_(target, value.cast<const Tensor&>());
    } else {
      auto s = scalar_from_py(value);
      if (!s) {
        Tensor t = py::module_::import("ember").attr("tensor")(value, py::arg("dtype") = py::cast(self.dtype())).cast<Tensor>();
        copy_(target, t);
      } else {
        fill_(target, *s);
      }
    }
  });
  m.def("where", [](const Tensor& cond, py::handle a, py::handle b) {
    Tensor ta = tensor_or_wrapped_scalar(a), tb = tensor_or_wrapped_scalar(b);
    if (!ta.defined() || !tb.defined()) throw py::type_error("[ember.where] expected tensors or numbers");
    return where(cond, ta, tb);
  }, py::arg("condition"), py::arg("input"), py::arg("other"));
  cls.def("where", [](const Tensor& self, const Tensor& cond, py::handle b) {
    Tensor tb = tensor_or_wrapped_scalar(b);
    return where(cond, self, tb);
  }, py::arg("condition"), py::arg("other"));
}

}  // namespace ember::python
