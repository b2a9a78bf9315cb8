// Bindings: Tensor.__getitem__ / __setitem__ and the indexing ops.
//
// Indexing follows PyTorch: ints, slices, None, Ellipsis and bools apply as views (select, slice,
// unsqueeze) from left to right; tensors, lists and NumPy arrays are advanced indices, collected
// and applied at the end by the `index` / `index_put_` ops (copies, NumPy placement rules).
// Decisions where PyTorch 2.13 is irregular: __setitem__ casts a tensor value to the target's
// dtype for advanced keys too (PyTorch raises there unless the key is a one-element index), and
// lists / NumPy arrays are accepted as values (PyTorch raises TypeError).
#include <pybind11/numpy.h>

#include "python/common.h"

namespace ember::python {

Tensor tensor_from_data(py::handle data, std::optional<Dtype> dtype, std::optional<Device> device, bool requires_grad);

namespace {

[[noreturn]] void invalid_index(py::handle item) {
  throw py::index_error(
      "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got " +
      std::string(py::str(py::type::of(item).attr("__name__"))) + ")");
}

// A Python int (or __index__ object) as int64; ValueError on overflow, as PyTorch.
int64_t index_int(py::handle item) {
  py::object i = py::reinterpret_steal<py::object>(PyNumber_Index(item.ptr()));
  if (!i) throw py::error_already_set();
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
  if (overflow) throw py::value_error("Overflow when unpacking long long");
  return int64_t(v);
}

// NumPy's legacy rule (PyTorch keeps it): a short non-tuple sequence holding a sequence, slice,
// Ellipsis, None or tensor is treated as a tuple of indices.
bool sequence_as_tuple(py::handle key) {
  if (py::isinstance<py::tuple>(key)) return true;
  if (py::isinstance<Tensor>(key) || py::isinstance<py::array>(key) || py::isinstance<py::str>(key)) return false;
  if (!PySequence_Check(key.ptr())) return false;
  Py_ssize_t n = PySequence_Size(key.ptr());
  if (n < 0) {
    PyErr_Clear();
    return false;
  }
  if (n >= 32) return false;
  for (Py_ssize_t i = 0; i < n; ++i) {
    py::object it = py::reinterpret_steal<py::object>(PySequence_GetItem(key.ptr(), i));
    if (!it) {
      PyErr_Clear();
      return false;
    }
    if (py::isinstance<Tensor>(it) || PySequence_Check(it.ptr()) || PySlice_Check(it.ptr()) || it.is_none() ||
        it.ptr() == Py_Ellipsis)
      return true;
  }
  return false;
}

// A list / NumPy array / tensor used as an index, as a tensor (empty lists index as int64).
Tensor index_tensor(py::handle item, const Tensor& self) {
  if (py::isinstance<Tensor>(item)) return item.cast<Tensor>();
  Tensor t = tensor_from_data(item, std::nullopt, self.device(), false);
  if (t.numel() == 0 && t.is_floating_point()) t = to_dtype(t, Dtype::Int64);
  return t;
}

bool is_mask(const Tensor& t) { return t.dtype() == Dtype::Bool || t.dtype() == Dtype::UInt8; }

// The result of applying the basic part of an index: the view, and the advanced indices aligned
// with its dims (one entry per dim; a k-dim mask is one entry covering k dims).
struct Sliced {
  Tensor view;
  std::vector<Tensor> indices;
  bool advanced = false;
};

Sliced apply_slicing(const Tensor& self, py::handle key) {
  py::tuple items = sequence_as_tuple(key) ? py::tuple(py::reinterpret_borrow<py::object>(key)) : py::make_tuple(key);
  // First pass: classify, convert tensors, count the dims the index specifies.
  enum Kind { kNone, kEllipsis, kInt, kSlice, kBool, kTensor };
  std::vector<Kind> kinds;
  std::vector<Tensor> tensors;
  std::vector<int64_t> ints;
  int64_t specified = 0;
  for (py::handle it : items) {
    Tensor t;
    int64_t iv = 0;
    Kind k;
    if (it.is_none()) {
      k = kNone;
    } else if (it.ptr() == Py_Ellipsis) {
      k = kEllipsis;  // PyTorch accepts several; each skips the unspecified dims
    } else if (PyBool_Check(it.ptr())) {
      k = kBool;
      iv = it.ptr() == Py_True;
    } else if (PySlice_Check(it.ptr())) {
      k = kSlice;
      ++specified;
    } else if (py::isinstance<Tensor>(it) || py::isinstance<py::array>(it) ||
               (PySequence_Check(it.ptr()) && !py::isinstance<py::str>(it))) {
      t = index_tensor(it, self);
      if (t.dim() == 0 && is_mask(t)) {
        k = kBool;
        iv = t.item().to_bool();
      } else {
        k = kTensor;
        EMBER_CHECK(is_mask(t) || t.dtype() == Dtype::Int64 || t.dtype() == Dtype::Int32, Index,
                    "tensors used as indices must be long, int, byte or bool tensors");
        specified += is_mask(t) ? t.dim() : 1;
      }
    } else if (PyIndex_Check(it.ptr())) {
      k = kInt;
      iv = index_int(it);
      ++specified;
    } else if (py::isinstance<py::str>(it)) {
      throw py::type_error("new(): invalid data type 'str'");
    } else {
      invalid_index(it);
    }
    kinds.push_back(k);
    tensors.push_back(t);
    ints.push_back(iv);
  }
  EMBER_CHECK(specified <= self.dim(), Index, "too many indices for tensor of dimension ", self.dim());
  // Second pass: views left to right; advanced indices recorded against the current dim.
  Sliced s;
  s.view = self;
  int64_t dim = 0, covered = 0;
  auto record = [&](const Tensor& t, int64_t width) {
    for (; covered < dim; ++covered) s.indices.push_back(Tensor());
    s.indices.push_back(t);
    covered += width;
    dim += width;
    s.advanced = true;
  };
  size_t i = 0;
  for (py::handle it : items) {
    switch (kinds[i]) {
      case kNone: s.view = unsqueeze(s.view, dim++); break;
      case kEllipsis: dim += self.dim() - specified; break;
      case kInt: s.view = select(s.view, dim, ints[i]); break;
      case kSlice: {
        Py_ssize_t start, stop, step;
        if (PySlice_Unpack(it.ptr(), &start, &stop, &step) < 0) throw py::error_already_set();
        EMBER_CHECK(step > 0, Value, "step must be greater than zero");
        int64_t size = s.view.sizes()[dim];
        PySlice_AdjustIndices(size, &start, &stop, step);
        s.view = slice(s.view, dim, start, std::max<Py_ssize_t>(stop, start), step);
        ++dim;
        break;
      }
      case kBool: {
        s.view = unsqueeze(s.view, dim);
        Tensor t = ints[i] ? zeros({1}, TensorOptions(Dtype::Int64)) : empty({0}, TensorOptions(Dtype::Int64));
        record(to_device(t, self.device()), 1);
        break;
      }
      case kTensor: record(tensors[i], is_mask(tensors[i]) ? tensors[i].dim() : 1); break;
    }
    ++i;
  }
  return s;
}

Tensor getitem(const Tensor& self, py::handle key) {
  // Fast path: a single int.
  if (PyLong_CheckExact(key.ptr())) return select(self, 0, index_int(key));
  Sliced s = apply_slicing(self, key);
  if (s.advanced) return index(s.view, s.indices);
  if (s.view.is_same(self)) return expand(self, self.sizes());  // x[...], x[()]: an alias
  return s.view;
}

// Leading size-1 dims of a value are dropped before it broadcasts into the target (PyTorch's rule).
Tensor strip_leading_ones(Tensor v) {
  int64_t lead = 0;
  while (lead < v.dim() && v.sizes()[lead] == 1) ++lead;
  if (lead == 0) return v;
  return reshape(v, Shape(v.sizes().begin() + lead, v.sizes().end()));
}

void setitem(Tensor& self, py::handle key, py::handle value) {
  Tensor v;
  std::optional<Scalar> scalar;
  if (py::isinstance<Tensor>(value)) v = value.cast<Tensor>();
  else if (!(scalar = scalar_from_py(value))) v = tensor_from_data(value, self.dtype(), self.device(), false);
  Sliced s = apply_slicing(self, key);
  if (!s.advanced) {
    Tensor target = s.view;
    if (scalar) fill_(target, *scalar);
    else copy_(target, strip_leading_ones(v));
    return;
  }
  if (scalar) v = scalar_tensor(*scalar, TensorOptions(self.dtype()).device(self.device()));
  v = strip_leading_ones(to_dtype(v, self.dtype()));
  if (v.device() != self.device()) v = to_device(v, self.device());
  index_put_(s.view, s.indices, v, false);
}

// (tensor | None, ...) -> index list for index / index_put_.
std::vector<Tensor> index_list(py::handle indices, const Tensor& self) {
  std::vector<Tensor> out;
  py::sequence seq = py::reinterpret_borrow<py::sequence>(indices);
  for (py::handle h : seq) out.push_back(h.is_none() ? Tensor() : index_tensor(h, self));
  return out;
}

std::string reduce_arg(py::handle r) { return r.is_none() ? std::string() : r.cast<std::string>(); }

Tensor value_arg(py::handle v, const char* op) {
  if (py::isinstance<Tensor>(v)) return v.cast<Tensor>();
  auto s = scalar_from_py(v);
  if (!s) throw py::type_error(std::string("[ember.") + op + "] expected value to be a Tensor or a number");
  return scalar_tensor(*s);
}

// scatter(dim, index, src) / scatter(dim, index, value): `src` may be a number (PyTorch's overload).
Tensor& scatter_dispatch(Tensor& self, int64_t dim, const Tensor& index, py::handle src, py::handle value,
                         py::handle reduce) {
  py::handle v = !src.is_none() ? src : value;
  if (v.is_none()) throw py::type_error("[ember.scatter] expected src or value");
  if (py::isinstance<Tensor>(v)) return scatter_(self, dim, index, v.cast<Tensor>(), reduce_arg(reduce));
  auto s = scalar_from_py(v);
  if (!s) throw py::type_error("[ember.scatter] expected src to be a Tensor or value to be a number");
  return scatter_(self, dim, index, *s, reduce_arg(reduce));
}

}  // namespace

void bind_indexing(py::module_& m, TensorClass& cls) {
  cls.def("__getitem__", &getitem);
  cls.def("__setitem__", &setitem);

  // ---- where
  m.def("where", [](const Tensor& cond, py::handle a, py::handle b) -> py::object {
    if (a.is_none() && b.is_none()) return py::tuple(py::cast(where(cond)));
    Tensor ta = tensor_or_wrapped_scalar(a), tb = tensor_or_wrapped_scalar(b);
    if (!ta.defined() || !tb.defined()) throw py::type_error("[ember.where] expected tensors or numbers");
    return py::cast(where(cond, ta, tb));
  }, py::arg("condition"), py::arg("input") = py::none(), py::arg("other") = py::none());
  cls.def("where", [](const Tensor& self, const Tensor& cond, py::handle b) {
    Tensor tb = tensor_or_wrapped_scalar(b);
    if (!tb.defined()) throw py::type_error("[ember.where] expected other to be a tensor or a number");
    return where(cond, self, tb);
  }, py::arg("condition"), py::arg("other"));

  // ---- advanced indexing as functions
  auto index_put_fn = [](Tensor& self, py::handle indices, const Tensor& values, bool accumulate) -> Tensor& {
    return index_put_(self, index_list(indices, self), values, accumulate);
  };
  auto index_put_out = [](const Tensor& self, py::handle indices, const Tensor& values, bool accumulate) {
    return index_put(self, index_list(indices, self), values, accumulate);
  };
  cls.def("index_put_", index_put_fn, py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);
  cls.def("index_put", index_put_out, py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);
  m.def("index_put_", index_put_fn, py::arg("input"), py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);
  m.def("index_put", index_put_out, py::arg("input"), py::arg("indices"), py::arg("values"), py::arg("accumulate") = false);

  // ---- along one dim
  m.def("index_select", &index_select, py::arg("input"), py::arg("dim"), py::arg("index"));
  cls.def("index_select", &index_select, py::arg("dim"), py::arg("index"));
  auto gather_fn = [](const Tensor& self, int64_t dim, const Tensor& index, bool) { return gather(self, dim, index); };
  m.def("gather", gather_fn, py::arg("input"), py::arg("dim"), py::arg("index"), py::kw_only(), py::arg("sparse_grad") = false);
  cls.def("gather", gather_fn, py::arg("dim"), py::arg("index"), py::kw_only(), py::arg("sparse_grad") = false);

  auto scatter_out = [](const Tensor& self, int64_t dim, const Tensor& index, py::handle src, py::handle value,
                        py::handle reduce) {
    Tensor out = clone(self);
    return scatter_dispatch(out, dim, index, src, value, reduce);
  };
  auto scatter_in = [](Tensor& self, int64_t dim, const Tensor& index, py::handle src, py::handle value,
                       py::handle reduce) -> Tensor& { return scatter_dispatch(self, dim, index, src, value, reduce); };
  m.def("scatter", scatter_out, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("src") = py::none(),
        py::arg("value") = py::none(), py::kw_only(), py::arg("reduce") = py::none());
  cls.def("scatter", scatter_out, py::arg("dim"), py::arg("index"), py::arg("src") = py::none(),
          py::arg("value") = py::none(), py::kw_only(), py::arg("reduce") = py::none());
  cls.def("scatter_", scatter_in, py::arg("dim"), py::arg("index"), py::arg("src") = py::none(),
          py::arg("value") = py::none(), py::kw_only(), py::arg("reduce") = py::none());
  m.def("scatter_add", &scatter_add, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("src"));
  cls.def("scatter_add", &scatter_add, py::arg("dim"), py::arg("index"), py::arg("src"));
  cls.def("scatter_add_", &scatter_add_, py::arg("dim"), py::arg("index"), py::arg("src"));
  m.def("scatter_reduce", &scatter_reduce, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("src"),
        py::arg("reduce"), py::kw_only(), py::arg("include_self") = true);
  cls.def("scatter_reduce", &scatter_reduce, py::arg("dim"), py::arg("index"), py::arg("src"), py::arg("reduce"),
          py::kw_only(), py::arg("include_self") = true);
  cls.def("scatter_reduce_", &scatter_reduce_, py::arg("dim"), py::arg("index"), py::arg("src"), py::arg("reduce"),
          py::kw_only(), py::arg("include_self") = true);

  m.def("index_add", &index_add, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("source"), py::kw_only(),
        py::arg("alpha") = 1);
  cls.def("index_add", &index_add, py::arg("dim"), py::arg("index"), py::arg("source"), py::kw_only(), py::arg("alpha") = 1);
  cls.def("index_add_", &index_add_, py::arg("dim"), py::arg("index"), py::arg("source"), py::kw_only(), py::arg("alpha") = 1);
  m.def("index_copy", &index_copy, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("source"));
  cls.def("index_copy", &index_copy, py::arg("dim"), py::arg("index"), py::arg("source"));
  cls.def("index_copy_", &index_copy_, py::arg("dim"), py::arg("index"), py::arg("source"));
  auto index_fill_out = [](const Tensor& self, int64_t dim, const Tensor& index, py::handle value) {
    Tensor out = clone(self);
    return index_fill_(out, dim, index, value_arg(value, "index_fill"));
  };
  auto index_fill_in = [](Tensor& self, int64_t dim, const Tensor& index, py::handle value) -> Tensor& {
    if (!py::isinstance<Tensor>(value)) {
      auto s = scalar_from_py(value);
      if (s) return index_fill_(self, dim, index, *s);
    }
    return index_fill_(self, dim, index, value_arg(value, "index_fill_"));
  };
  m.def("index_fill", index_fill_out, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("value"));
  cls.def("index_fill", index_fill_out, py::arg("dim"), py::arg("index"), py::arg("value"));
  cls.def("index_fill_", index_fill_in, py::arg("dim"), py::arg("index"), py::arg("value"));
  m.def("take_along_dim", &take_along_dim, py::arg("input"), py::arg("indices"), py::arg("dim") = py::none());
  cls.def("take_along_dim", &take_along_dim, py::arg("indices"), py::arg("dim") = py::none());

  // ---- masks
  auto masked_fill_in = [](Tensor& self, const Tensor& mask, py::handle value) -> Tensor& {
    if (!py::isinstance<Tensor>(value)) {
      auto s = scalar_from_py(value);
      if (s) return masked_fill_(self, mask, *s);
    }
    return masked_fill_(self, mask, value_arg(value, "masked_fill_"));
  };
  auto masked_fill_out = [](const Tensor& self, const Tensor& mask, py::handle value) {
    if (!py::isinstance<Tensor>(value)) {
      auto s = scalar_from_py(value);
      if (s) return masked_fill(self, mask, *s);
    }
    return masked_fill(self, mask, value_arg(value, "masked_fill"));
  };
  m.def("masked_fill", masked_fill_out, py::arg("input"), py::arg("mask"), py::arg("value"));
  cls.def("masked_fill", masked_fill_out, py::arg("mask"), py::arg("value"));
  cls.def("masked_fill_", masked_fill_in, py::arg("mask"), py::arg("value"));
  m.def("masked_select", &masked_select, py::arg("input"), py::arg("mask"));
  cls.def("masked_select", &masked_select, py::arg("mask"));
  m.def("masked_scatter", &masked_scatter, py::arg("input"), py::arg("mask"), py::arg("source"));
  cls.def("masked_scatter", &masked_scatter, py::arg("mask"), py::arg("source"));
  cls.def("masked_scatter_", &masked_scatter_, py::arg("mask"), py::arg("source"));

  // ---- flat positions
  m.def("take", &take, py::arg("input"), py::arg("index"));
  cls.def("take", &take, py::arg("index"));
  m.def("put", &put, py::arg("input"), py::arg("index"), py::arg("source"), py::arg("accumulate") = false);
  cls.def("put", &put, py::arg("index"), py::arg("source"), py::arg("accumulate") = false);
  cls.def("put_", &put_, py::arg("index"), py::arg("source"), py::arg("accumulate") = false);

  // ---- nonzero
  auto nonzero_fn = [](const Tensor& self, bool as_tuple) -> py::object {
    if (as_tuple) return py::tuple(py::cast(nonzero_tuple(self)));
    return py::cast(nonzero(self));
  };
  m.def("nonzero", nonzero_fn, py::arg("input"), py::kw_only(), py::arg("as_tuple") = false);
  cls.def("nonzero", nonzero_fn, py::kw_only(), py::arg("as_tuple") = false);
  m.def("argwhere", &argwhere, py::arg("input"));
  cls.def("argwhere", &argwhere);

  // ember.nn.functional.one_hot wraps this.
  m.def("one_hot", &one_hot, py::arg("input"), py::arg("num_classes") = -1);
}

}  // namespace ember::python
