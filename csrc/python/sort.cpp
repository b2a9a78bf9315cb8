// Bindings: the sort family (sort, argsort, msort, topk, kthvalue, unique).
#include "python/common.h"

namespace ember::python {

void bind_sort(py::module_& m, TensorClass& cls) {
  auto sort_fn = [](const Tensor& x, int64_t dim, bool descending, py::object stable) {
    auto r = sort(x, dim, descending, !stable.is_none() && stable.cast<bool>());
    return return_type("sort", r.first, r.second);
  };
  auto argsort_fn = [](const Tensor& x, int64_t dim, bool descending, bool stable) {
    return argsort(x, dim, descending, stable);
  };
  auto topk_fn = [](const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted) {
    auto r = topk(x, k, dim, largest, sorted);
    return return_type("topk", r.first, r.second);
  };
  auto kthvalue_fn = [](const Tensor& x, int64_t k, int64_t dim, bool keepdim) {
    auto r = kthvalue(x, k, dim, keepdim);
    return return_type("kthvalue", r.first, r.second);
  };
  auto unique_fn = [](const Tensor& x, bool sorted, bool return_inverse, bool return_counts,
                      py::object dim) -> py::object {
    if (!dim.is_none()) {
      PyErr_SetString(PyExc_NotImplementedError, "[ember.unique] unique with dim is not implemented");
      throw py::error_already_set();
    }
    auto r = unique(x, sorted, return_inverse, return_counts);
    if (r.size() == 1) return py::cast(r[0]);
    py::tuple t(r.size());
    for (size_t i = 0; i < r.size(); ++i) t[i] = py::cast(r[i]);
    return t;
  };
  m.def("sort", sort_fn, py::arg("input"), py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(),
        py::arg("stable") = py::none());
  m.def("argsort", argsort_fn, py::arg("input"), py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(),
        py::arg("stable") = false);
  m.def("msort", [](const Tensor& x) { return msort(x); }, py::arg("input"));
  m.def("topk", topk_fn, py::arg("input"), py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true,
        py::arg("sorted") = true);
  m.def("kthvalue", kthvalue_fn, py::arg("input"), py::arg("k"), py::arg("dim") = -1, py::arg("keepdim") = false);
  m.def("unique", unique_fn, py::arg("input"), py::arg("sorted") = true, py::arg("return_inverse") = false,
        py::arg("return_counts") = false, py::arg("dim") = py::none());
  cls.def("sort", sort_fn, py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(), py::arg("stable") = py::none())
      .def("argsort", argsort_fn, py::arg("dim") = -1, py::arg("descending") = false, py::kw_only(), py::arg("stable") = false)
      .def("msort", [](const Tensor& x) { return msort(x); })
      .def("topk", topk_fn, py::arg("k"), py::arg("dim") = -1, py::arg("largest") = true, py::arg("sorted") = true)
      .def("kthvalue", kthvalue_fn, py::arg("k"), py::arg("dim") = -1, py::arg("keepdim") = false)
      .def("unique", unique_fn, py::arg("sorted") = true, py::arg("return_inverse") = false,
           py::arg("return_counts") = false, py::arg("dim") = py::none());
}

}  // namespace ember::python
