// Bindings: reductions, scans, statistics, norms; thread count; the named result tuples.
#include <cmath>
#include <limits>

#include "python/common.h"

namespace ember::python {

py::object return_type(const char* name, const Tensor& a, const Tensor& b) {
  return py::module_::import("ember.return_types").attr(name)(py::make_tuple(a, b));
}

namespace {
std::optional<int64_t> opt_dim(py::handle dim, const char* op) {
  if (dim.is_none()) return std::nullopt;
  if (!PyIndex_Check(dim.ptr()) || PyBool_Check(dim.ptr()))
    throw py::type_error(std::string("[ember.") + op + "] dim must be an int, got " +
                         std::string(py::str(py::type::of(dim).attr("__name__"))));
  return dim.cast<int64_t>();
}

// max/min: (input) -> value; (input, dim, keepdim) -> (values, indices); (input, other) -> maximum.
py::object max_min(const Tensor& x, py::handle dim, bool keepdim, bool is_max) {
  const char* op = is_max ? "max" : "min";
  if (dim.is_none()) return py::cast(is_max ? max(x) : min(x));
  auto d = opt_dim(dim, op);
  auto r = is_max ? max(x, *d, keepdim) : min(x, *d, keepdim);
  return return_type(op, r.first, r.second);
}

py::object max_min_entry(const Tensor& x, py::handle dim, bool keepdim, bool is_max) {
  if (py::isinstance<Tensor>(dim)) {  // (input, other): elementwise maximum / minimum
    const Tensor& other = dim.cast<const Tensor&>();
    return py::cast(is_max ? maximum(x, other) : minimum(x, other));
  }
  return max_min(x, dim, keepdim, is_max);
}

// var/std arguments: (dim=None, unbiased=None, keepdim=False, *, correction=None); a bool in
// the dim slot is the legacy `unbiased`.
struct VarArgs {
  DimList dims;
  std::optional<double> correction;
};
VarArgs var_args(py::handle dim, py::handle unbiased, py::handle correction, const char* op) {
  VarArgs a;
  py::handle ub = unbiased;
  if (PyBool_Check(dim.ptr())) {
    ub = dim;
  } else {
    a.dims = dims_from_py(dim, op);
  }
  if (!correction.is_none()) {
    if (!ub.is_none()) throw py::type_error(std::string("[ember.") + op + "] cannot pass both unbiased and correction");
    a.correction = correction.cast<double>();
  } else if (!ub.is_none()) {
    a.correction = ub.cast<bool>() ? 1.0 : 0.0;
  }
  return a;
}

double norm_p(py::handle p) {
  if (p.is_none()) return 2;
  if (py::isinstance<py::str>(p)) {
    std::string s = p.cast<std::string>();
    if (s == "fro") return 2;
    if (s == "nuc") {
      PyErr_SetString(PyExc_NotImplementedError, "[ember.norm] the nuclear norm is not implemented");
      throw py::error_already_set();
    }
    throw py::value_error("[ember.norm] unknown norm type '" + s + "'");
  }
  return p.cast<double>();
}
}  // namespace

void bind_reduce(py::module_& m, TensorClass& cls) {
  auto sum_fn = [](const Tensor& x, py::object dim, bool keepdim, std::optional<Dtype> dtype) {
    return sum(x, dims_from_py(dim, "sum"), keepdim, dtype);
  };
  auto mean_fn = [](const Tensor& x, py::object dim, bool keepdim, std::optional<Dtype> dtype) {
    return mean(x, dims_from_py(dim, "mean"), keepdim, dtype);
  };
  auto nansum_fn = [](const Tensor& x, py::object dim, bool keepdim, std::optional<Dtype> dtype) {
    return nansum(x, dims_from_py(dim, "nansum"), keepdim, dtype);
  };
  auto nanmean_fn = [](const Tensor& x, py::object dim, bool keepdim, std::optional<Dtype> dtype) {
    return nanmean(x, dims_from_py(dim, "nanmean"), keepdim, dtype);
  };
  auto any_fn = [](const Tensor& x, py::object dim, bool keepdim) { return any(x, dims_from_py(dim, "any"), keepdim); };
  auto all_fn = [](const Tensor& x, py::object dim, bool keepdim) { return all(x, dims_from_py(dim, "all"), keepdim); };
  auto prod_fn = [](const Tensor& x, py::object dim, bool keepdim, std::optional<Dtype> dtype) {
    return prod(x, opt_dim(dim, "prod"), keepdim, dtype);
  };
  auto max_fn = [](const Tensor& x, py::object dim, bool keepdim) { return max_min_entry(x, dim, keepdim, true); };
  auto min_fn = [](const Tensor& x, py::object dim, bool keepdim) { return max_min_entry(x, dim, keepdim, false); };
  auto amax_fn = [](const Tensor& x, py::object dim, bool keepdim) { return amax(x, dims_from_py(dim, "amax"), keepdim); };
  auto amin_fn = [](const Tensor& x, py::object dim, bool keepdim) { return amin(x, dims_from_py(dim, "amin"), keepdim); };
  auto argmax_fn = [](const Tensor& x, py::object dim, bool keepdim) { return argmax(x, opt_dim(dim, "argmax"), keepdim); };
  auto argmin_fn = [](const Tensor& x, py::object dim, bool keepdim) { return argmin(x, opt_dim(dim, "argmin"), keepdim); };
  auto var_fn = [](const Tensor& x, py::object dim, py::object unbiased, bool keepdim, py::object correction) {
    auto a = var_args(dim, unbiased, correction, "var");
    return var(x, a.dims, a.correction, keepdim);
  };
  auto std_fn = [](const Tensor& x, py::object dim, py::object unbiased, bool keepdim, py::object correction) {
    auto a = var_args(dim, unbiased, correction, "std");
    return std(x, a.dims, a.correction, keepdim);
  };
  auto var_mean_fn = [](const Tensor& x, py::object dim, py::object unbiased, bool keepdim, py::object correction) {
    auto a = var_args(dim, unbiased, correction, "var_mean");
    auto r = var_mean(x, a.dims, a.correction, keepdim);
    return py::make_tuple(r.first, r.second);
  };
  auto std_mean_fn = [](const Tensor& x, py::object dim, py::object unbiased, bool keepdim, py::object correction) {
    auto a = var_args(dim, unbiased, correction, "std_mean");
    auto r = std_mean(x, a.dims, a.correction, keepdim);
    return py::make_tuple(r.first, r.second);
  };
  auto norm_fn = [](const Tensor& x, py::object p, py::object dim, bool keepdim, std::optional<Dtype> dtype) {
    return norm(x, norm_p(p), dims_from_py(dim, "norm"), keepdim, dtype);
  };
  auto logsumexp_fn = [](const Tensor& x, py::object dim, bool keepdim) {
    return logsumexp(x, dims_from_py(dim, "logsumexp"), keepdim);
  };
  auto count_nonzero_fn = [](const Tensor& x, py::object dim) { return count_nonzero(x, dims_from_py(dim, "count_nonzero")); };
  auto cumsum_fn = [](const Tensor& x, int64_t dim, std::optional<Dtype> dtype) { return cumsum(x, dim, dtype); };
  auto cumprod_fn = [](const Tensor& x, int64_t dim, std::optional<Dtype> dtype) { return cumprod(x, dim, dtype); };
  auto median_fn = [](const Tensor& x, py::object dim, bool keepdim) -> py::object {
    if (dim.is_none()) return py::cast(median(x));
    auto r = median(x, *opt_dim(dim, "median"), keepdim);
    return return_type("median", r.first, r.second);
  };
  auto mode_fn = [](const Tensor& x, int64_t dim, bool keepdim) {
    auto r = mode(x, dim, keepdim);
    return return_type("mode", r.first, r.second);
  };

  auto none = py::none();
  m.def("sum", sum_fn, py::arg("input"), py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = none);
  m.def("mean", mean_fn, py::arg("input"), py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = none);
  m.def("nansum", nansum_fn, py::arg("input"), py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = none);
  m.def("nanmean", nanmean_fn, py::arg("input"), py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = none);
  m.def("any", any_fn, py::arg("input"), py::arg("dim") = none, py::arg("keepdim") = false);
  m.def("all", all_fn, py::arg("input"), py::arg("dim") = none, py::arg("keepdim") = false);
  m.def("prod", prod_fn, py::arg("input"), py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = none);
  m.def("max", max_fn, py::arg("input"), py::arg("dim") = none, py::arg("keepdim") = false);
  m.def("max", [](const Tensor& x, const Tensor& o) { return maximum(x, o); }, py::arg("input"), py::arg("other"));
  m.def("min", min_fn, py::arg("input"), py::arg("dim") = none, py::arg("keepdim") = false);
  m.def("min", [](const Tensor& x, const Tensor& o) { return minimum(x, o); }, py::arg("input"), py::arg("other"));
  m.def("amax", amax_fn, py::arg("input"), py::arg("dim") = py::tuple(), py::arg("keepdim") = false);
  m.def("amin", amin_fn, py::arg("input"), py::arg("dim") = py::tuple(), py::arg("keepdim") = false);
  m.def("argmax", argmax_fn, py::arg("input"), py::arg("dim") = none, py::arg("keepdim") = false);
  m.def("argmin", argmin_fn, py::arg("input"), py::arg("dim") = none, py::arg("keepdim") = false);
  m.def("var", var_fn, py::arg("input"), py::arg("dim") = none, py::arg("unbiased") = none, py::arg("keepdim") = false,
        py::kw_only(), py::arg("correction") = none);
  m.def("std", std_fn, py::arg("input"), py::arg("dim") = none, py::arg("unbiased") = none, py::arg("keepdim") = false,
        py::kw_only(), py::arg("correction") = none);
  m.def("var_mean", var_mean_fn, py::arg("input"), py::arg("dim") = none, py::arg("unbiased") = none,
        py::arg("keepdim") = false, py::kw_only(), py::arg("correction") = none);
  m.def("std_mean", std_mean_fn, py::arg("input"), py::arg("dim") = none, py::arg("unbiased") = none,
        py::arg("keepdim") = false, py::kw_only(), py::arg("correction") = none);
  m.def("norm", norm_fn, py::arg("input"), py::arg("p") = "fro", py::arg("dim") = none, py::arg("keepdim") = false,
        py::arg("dtype") = none);
  m.def("logsumexp", logsumexp_fn, py::arg("input"), py::arg("dim"), py::arg("keepdim") = false);
  m.def("count_nonzero", count_nonzero_fn, py::arg("input"), py::arg("dim") = none);
  m.def("cumsum", cumsum_fn, py::arg("input"), py::arg("dim"), py::kw_only(), py::arg("dtype") = none);
  m.def("cumprod", cumprod_fn, py::arg("input"), py::arg("dim"), py::kw_only(), py::arg("dtype") = none);
  m.def("median", median_fn, py::arg("input"), py::arg("dim") = none, py::arg("keepdim") = false);
  m.def("mode", mode_fn, py::arg("input"), py::arg("dim") = -1, py::arg("keepdim") = false);
  m.def("set_num_threads", &set_num_threads, py::arg("int"), "Sets the number of threads used for intra-op parallelism.");
  m.def("get_num_threads", &get_num_threads, "Returns the number of threads used for intra-op parallelism.");

  cls.def("sum", sum_fn, py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = none)
      .def("mean", mean_fn, py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = none)
      .def("nansum", nansum_fn, py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = none)
      .def("nanmean", nanmean_fn, py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = none)
      .def("any", any_fn, py::arg("dim") = none, py::arg("keepdim") = false)
      .def("all", all_fn, py::arg("dim") = none, py::arg("keepdim") = false)
      .def("prod", prod_fn, py::arg("dim") = none, py::arg("keepdim") = false, py::kw_only(), py::arg("dtype") = none)
      .def("max", max_fn, py::arg("dim") = none, py::arg("keepdim") = false)
      .def("max", [](const Tensor& x, const Tensor& o) { return maximum(x, o); }, py::arg("other"))
      .def("min", min_fn, py::arg("dim") = none, py::arg("keepdim") = false)
      .def("min", [](const Tensor& x, const Tensor& o) { return minimum(x, o); }, py::arg("other"))
      .def("amax", amax_fn, py::arg("dim") = py::tuple(), py::arg("keepdim") = false)
      .def("amin", amin_fn, py::arg("dim") = py::tuple(), py::arg("keepdim") = false)
      .def("argmax", argmax_fn, py::arg("dim") = none, py::arg("keepdim") = false)
      .def("argmin", argmin_fn, py::arg("dim") = none, py::arg("keepdim") = false)
      .def("var", var_fn, py::arg("dim") = none, py::arg("unbiased") = none, py::arg("keepdim") = false, py::kw_only(),
           py::arg("correction") = none)
      .def("std", std_fn, py::arg("dim") = none, py::arg("unbiased") = none, py::arg("keepdim") = false, py::kw_only(),
           py::arg("correction") = none)
      .def("norm", norm_fn, py::arg("p") = "fro", py::arg("dim") = none, py::arg("keepdim") = false, py::arg("dtype") = none)
      .def("logsumexp", logsumexp_fn, py::arg("dim"), py::arg("keepdim") = false)
      .def("count_nonzero", count_nonzero_fn, py::arg("dim") = none)
      .def("cumsum", cumsum_fn, py::arg("dim"), py::kw_only(), py::arg("dtype") = none)
      .def("cumprod", cumprod_fn, py::arg("dim"), py::kw_only(), py::arg("dtype") = none)
      .def("cumsum_", [](Tensor& x, int64_t dim, std::optional<Dtype> dtype) -> Tensor& {
            return copy_(x, cumsum(x, dim, dtype));
          }, py::arg("dim"), py::kw_only(), py::arg("dtype") = none)
      .def("cumprod_", [](Tensor& x, int64_t dim, std::optional<Dtype> dtype) -> Tensor& {
            // the backward of cumprod saves its input: give it a copy when x is about to be overwritten in a graph
            bool graph = autograd::is_grad_enabled() && x.requires_grad();
            return copy_(x, cumprod(graph ? clone(x) : x, dim, dtype));
          }, py::arg("dim"), py::kw_only(), py::arg("dtype") = none)
      .def("median", median_fn, py::arg("dim") = none, py::arg("keepdim") = false)
      .def("mode", mode_fn, py::arg("dim") = -1, py::arg("keepdim") = false);
  m.def("sum_to_size", [](const Tensor& x, py::args size) { return sum_to_shape(x, shape_from_args(size, "sum_to_size")); });
  cls.def("sum_to_size", [](const Tensor& x, py::args size) { return sum_to_shape(x, shape_from_args(size, "sum_to_size")); });
}

}  // namespace ember::python
