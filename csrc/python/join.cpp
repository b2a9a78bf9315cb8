// Bindings: copying shape ops (cat, stack, flip, roll, repeat, tile, repeat_interleave, tril/triu)
// and pad (ember._C._ops.pad; ember.nn.functional wraps it).
#include "python/common.h"

namespace ember::python {
namespace {

std::vector<Tensor> tensor_list_arg(py::handle seq, const char* op) {
  if (py::isinstance<Tensor>(seq) || !py::isinstance<py::sequence>(seq))
    throw py::type_error(std::string("[ember.") + op + "] " + op + "(): argument 'tensors' must be tuple of Tensors, not " +
                         std::string(py::str(py::type::of(seq).attr("__name__"))));
  std::vector<Tensor> out;
  for (py::handle h : seq) {
    if (!py::isinstance<Tensor>(h))
      throw py::type_error(std::string("[ember.") + op + "] expected Tensor as element " + std::to_string(out.size()) +
                           " in argument 0, but got " + std::string(py::str(py::type::of(h).attr("__name__"))));
    out.push_back(h.cast<Tensor>());
  }
  return out;
}

// Dims given as f(0, 1) or f((0, 1)).
std::vector<int64_t> dims_from_args(const py::args& args, const char* op) {
  if (args.size() == 1) return dims_from_py(args[0], op);
  return shape_from_sequence(args, op);
}

Tensor roll_fn(const Tensor& x, py::handle shifts, py::handle dims) {
  return roll(x, dims_from_py(shifts, "roll"), dims_from_py(dims, "roll"));
}

Tensor repeat_interleave_fn(const Tensor& x, py::handle repeats, std::optional<int64_t> dim, py::handle output_size) {
  Tensor out;
  if (py::isinstance<Tensor>(repeats)) out = repeat_interleave(x, repeats.cast<Tensor>(), dim);
  else out = repeat_interleave(x, repeats.cast<int64_t>(), dim);
  if (!output_size.is_none()) {
    int64_t want = output_size.cast<int64_t>();
    int64_t got = dim ? out.size(*dim) : out.numel();
    EMBER_CHECK(want == got, Runtime, "[ember.repeat_interleave] allocated size does not match required size");
  }
  return out;
}

Tensor pad_fn(const Tensor& x, py::handle pads, const std::string& mode, py::object value) {
  std::optional<double> v;
  if (!value.is_none()) v = value.cast<double>();
  return pad(x, shape_from_sequence(pads, "pad"), mode, v);
}

}  // namespace

void bind_join(py::module_& m, TensorClass& cls) {
  auto cat_fn = [](py::handle ts, int64_t dim) { return cat(tensor_list_arg(ts, "cat"), dim); };
  m.def("cat", cat_fn, py::arg("tensors"), py::arg("dim") = 0);
  m.def("concat", cat_fn, py::arg("tensors"), py::arg("dim") = 0);
  m.def("concatenate", [](py::handle ts, int64_t axis) { return cat(tensor_list_arg(ts, "concatenate"), axis); },
        py::arg("tensors"), py::arg("axis") = 0);
  m.def("stack", [](py::handle ts, int64_t dim) { return stack(tensor_list_arg(ts, "stack"), dim); }, py::arg("tensors"),
        py::arg("dim") = 0);
  m.def("hstack", [](py::handle ts) { return hstack(tensor_list_arg(ts, "hstack")); }, py::arg("tensors"));
  m.def("vstack", [](py::handle ts) { return vstack(tensor_list_arg(ts, "vstack")); }, py::arg("tensors"));
  m.def("row_stack", [](py::handle ts) { return vstack(tensor_list_arg(ts, "row_stack")); }, py::arg("tensors"));
  m.def("dstack", [](py::handle ts) { return dstack(tensor_list_arg(ts, "dstack")); }, py::arg("tensors"));
  m.def("column_stack", [](py::handle ts) {
    std::vector<Tensor> cols;
    for (auto& t : tensor_list_arg(ts, "column_stack")) cols.push_back(t.dim() <= 1 ? reshape(t, {t.numel(), 1}) : t);
    return hstack(cols);
  }, py::arg("tensors"));
  m.def("atleast_1d", &atleast_1d, py::arg("input"));
  m.def("atleast_2d", &atleast_2d, py::arg("input"));
  m.def("atleast_3d", &atleast_3d, py::arg("input"));
  m.def("flip", [](const Tensor& x, py::handle dims) { return flip(x, dims_from_py(dims, "flip")); }, py::arg("input"),
        py::arg("dims"));
  m.def("fliplr", &fliplr, py::arg("input"));
  m.def("flipud", &flipud, py::arg("input"));
  m.def("rot90", [](const Tensor& x, int64_t k, py::handle dims) { return rot90(x, k, dims_from_py(dims, "rot90")); },
        py::arg("input"), py::arg("k") = 1, py::arg("dims") = py::make_tuple(0, 1));
  m.def("narrow_copy", &narrow_copy, py::arg("input"), py::arg("dim"), py::arg("start"), py::arg("length"));
  m.def("roll", &roll_fn, py::arg("input"), py::arg("shifts"), py::arg("dims") = py::none());
  m.def("tile", [](const Tensor& x, py::handle dims) { return tile(x, shape_from_sequence(dims, "tile")); },
        py::arg("input"), py::arg("dims"));
  m.def("repeat_interleave", [](py::handle a, py::object repeats, std::optional<int64_t> dim, py::handle output_size) {
        const Tensor& x = a.cast<const Tensor&>();
        if (repeats.is_none()) return repeat_interleave(x);
        return repeat_interleave_fn(x, repeats, dim, output_size);
      }, py::arg("input"), py::arg("repeats") = py::none(), py::arg("dim") = py::none(), py::kw_only(),
      py::arg("output_size") = py::none());
  m.def("tril", &tril, py::arg("input"), py::arg("diagonal") = 0);
  m.def("triu", &triu, py::arg("input"), py::arg("diagonal") = 0);
  m.def("pad", &pad_fn, py::arg("input"), py::arg("pad"), py::arg("mode") = "constant", py::arg("value") = py::none());

  cls.def("flip", [](const Tensor& x, py::args dims, py::kwargs kw) {
        if (kw.contains("dims")) return flip(x, dims_from_py(kw["dims"], "flip"));
        return flip(x, dims_from_args(dims, "flip"));
      })
      .def("fliplr", &fliplr)
      .def("flipud", &flipud)
      .def("rot90", [](const Tensor& x, int64_t k, py::handle dims) { return rot90(x, k, dims_from_py(dims, "rot90")); },
           py::arg("k") = 1, py::arg("dims") = py::make_tuple(0, 1))
      .def("narrow_copy", &narrow_copy, py::arg("dim"), py::arg("start"), py::arg("length"))
      .def("roll", &roll_fn, py::arg("shifts"), py::arg("dims") = py::none())
      .def("repeat", [](const Tensor& x, py::args sizes) { return repeat(x, shape_from_args(sizes, "repeat")); })
      .def("repeat", [](const Tensor& x, py::handle r) { return repeat(x, shape_from_sequence(r, "repeat")); },
           py::arg("repeats"))  // keyword form: repeat(repeats=...)
      .def("tile", [](const Tensor& x, py::args dims, py::kwargs kw) {
        if (kw.contains("dims")) return tile(x, shape_from_sequence(kw["dims"], "tile"));
        return tile(x, shape_from_args(dims, "tile"));
      })
      .def("repeat_interleave", &repeat_interleave_fn, py::arg("repeats"), py::arg("dim") = py::none(), py::kw_only(),
           py::arg("output_size") = py::none())
      .def("tril", &tril, py::arg("diagonal") = 0)
      .def("triu", &triu, py::arg("diagonal") = 0)
      .def("tril_", [](Tensor& x, int64_t k) -> Tensor& { return copy_(x, tril(x, k)); }, py::arg("diagonal") = 0)
      .def("triu_", [](Tensor& x, int64_t k) -> Tensor& { return copy_(x, triu(x, k)); }, py::arg("diagonal") = 0);
}

}  // namespace ember::python
