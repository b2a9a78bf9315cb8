// Bindings: matrix products, linear, einsum and the thread-count controls.
#include "ops/op_utils.h"
#include "python/common.h"

namespace ember::python {

namespace {
// einsum(eq, a, b, ...) or einsum(eq, [a, b, ...]).
Tensor einsum_py(const std::string& eq, const py::args& args) {
  std::vector<Tensor> ops;
  if (args.size() == 1 && !py::isinstance<Tensor>(args[0])) {
    for (auto h : args[0]) ops.push_back(h.cast<Tensor>());
  } else {
    for (auto h : args) ops.push_back(h.cast<Tensor>());
  }
  return einsum(eq, ops);
}

// einsum(op1, sublist1, op2, sublist2, ..., [sublist_out]): subscripts as ints 0-51 (0-25 -> A-Z,
// 26-51 -> a-z, torch's mapping) and Ellipsis, rewritten to the equation form.
Tensor einsum_sublist(const py::args& args) {
  auto letters = [](py::handle sub) {
    std::string out;
    for (py::handle h : sub) {
      if (h.is(py::ellipsis())) { out += "..."; continue; }
      int64_t i = h.cast<int64_t>();
      EMBER_CHECK(i >= 0 && i < 52, Value, "[ember.einsum] subscript in subscript list is not within the valid range [0, 52), got ", i);
      out += char(i < 26 ? 'A' + i : 'a' + (i - 26));
    }
    return out;
  };
  EMBER_CHECK(args.size() >= 2, Type, "[ember.einsum] expected an equation string or operand, sublist pairs");
  std::vector<Tensor> ops;
  std::string eq;
  size_t i = 0;
  for (; i + 1 < args.size(); i += 2) {
    ops.push_back(args[i].cast<Tensor>());
    eq += (i ? "," : "") + letters(args[i + 1]);
  }
  if (i < args.size()) eq += "->" + letters(args[i]);
  return einsum(eq, ops);
}

// dims: an int, or a pair of dim lists.
Tensor tensordot_py(const Tensor& a, const Tensor& b, py::object dims) {
  if (py::isinstance<py::int_>(dims)) return tensordot(a, b, dims.cast<int64_t>());
  if (py::isinstance<Tensor>(dims)) {
    Tensor d = dims.cast<Tensor>();
    EMBER_CHECK(d.dim() == 0, Type, "[ember.tensordot] tensor dims must be a 0-D integer tensor");
    return tensordot(a, b, d.item().to_int());
  }
  auto seq = dims.cast<py::sequence>();
  EMBER_CHECK(seq.size() == 2, Runtime, "[ember.tensordot] dims must be an int or a pair of dim lists");
  return tensordot(a, b, dims_from_py(seq[0], "tensordot"), dims_from_py(seq[1], "tensordot"));
}

// Test hook: c = alpha * a @ b + beta * c straight through the GEMM kernel, for 3-D operands
// of any strides (transposed or broadcast C/A/B layouts no op produces).
void gemm_into(Tensor& c, const Tensor& a, const Tensor& b, double alpha, double beta) {
  EMBER_CHECK(a.dim() == 3 && b.dim() == 3 && c.dim() == 3, Runtime, "[ember._gemm_into] expected 3-D operands");
  EMBER_CHECK(a.dtype() == c.dtype() && b.dtype() == c.dtype(), Runtime, "[ember._gemm_into] expected one dtype");
  EMBER_CHECK(a.sizes()[0] == c.sizes()[0] && b.sizes()[0] == c.sizes()[0] && a.sizes()[1] == c.sizes()[1] &&
                  b.sizes()[2] == c.sizes()[2] && a.sizes()[2] == b.sizes()[1],
              Runtime, "[ember._gemm_into] shape mismatch");
  gemm_stub.get(c.device().type, c.dtype())(gemm_args_3d(a, b, c, alpha, beta));
  c.bump_version();
}
}  // namespace

void bind_linalg(py::module_& m, TensorClass& cls) {
  m.def("matmul", &matmul, py::arg("input"), py::arg("other"));
  m.def("mm", &mm, py::arg("input"), py::arg("mat2"));
  m.def("bmm", &bmm, py::arg("input"), py::arg("mat2"));
  m.def("addmm", &addmm, py::arg("input"), py::arg("mat1"), py::arg("mat2"), py::kw_only(), py::arg("beta") = 1,
        py::arg("alpha") = 1);
  m.def("baddbmm", &baddbmm, py::arg("input"), py::arg("batch1"), py::arg("batch2"), py::kw_only(),
        py::arg("beta") = 1, py::arg("alpha") = 1);
  m.def("addbmm", &addbmm, py::arg("input"), py::arg("batch1"), py::arg("batch2"), py::kw_only(),
        py::arg("beta") = 1, py::arg("alpha") = 1);
  m.def("addmv", &addmv, py::arg("input"), py::arg("mat"), py::arg("vec"), py::kw_only(), py::arg("beta") = 1,
        py::arg("alpha") = 1);
  m.def("mv", &mv, py::arg("input"), py::arg("vec"));
  m.def("dot", &dot, py::arg("input"), py::arg("tensor"));
  m.def("vdot", &vdot, py::arg("input"), py::arg("other"));
  m.def("outer", &outer, py::arg("input"), py::arg("vec2"));
  m.def("ger", &outer, py::arg("input"), py::arg("vec2"));
  m.def("inner", &inner, py::arg("input"), py::arg("other"));
  m.def("kron", &kron, py::arg("input"), py::arg("other"));
  m.def("tensordot", &tensordot_py, py::arg("a"), py::arg("b"), py::arg("dims") = 2);
  m.def("matrix_power", &matrix_power, py::arg("input"), py::arg("n"));
  m.def("trace", &trace, py::arg("input"));
  m.def("einsum", &einsum_py, py::arg("equation"));
  m.def("einsum", &einsum_sublist);  // sublist form
  m.def("linear", &linear, py::arg("input"), py::arg("weight"), py::arg("bias") = py::none());
  m.def("_gemm_into", &gemm_into, py::arg("c"), py::arg("a"), py::arg("b"), py::arg("alpha") = 1.0,
        py::arg("beta") = 0.0);
  cls.def("matmul", &matmul, py::arg("other"))
      .def("mm", &mm, py::arg("mat2"))
      .def("bmm", &bmm, py::arg("mat2"))
      .def("addmm", &addmm, py::arg("mat1"), py::arg("mat2"), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1)
      .def("baddbmm", &baddbmm, py::arg("batch1"), py::arg("batch2"), py::kw_only(), py::arg("beta") = 1,
           py::arg("alpha") = 1)
      .def("addbmm", &addbmm, py::arg("batch1"), py::arg("batch2"), py::kw_only(), py::arg("beta") = 1,
           py::arg("alpha") = 1)
      .def("addmv", &addmv, py::arg("mat"), py::arg("vec"), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1)
      .def("addmm_", [](Tensor& x, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha) -> Tensor& {
            return copy_(x, addmm(x, a, b, beta, alpha));
          }, py::arg("mat1"), py::arg("mat2"), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1)
      .def("baddbmm_", [](Tensor& x, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha) -> Tensor& {
            return copy_(x, baddbmm(x, a, b, beta, alpha));
          }, py::arg("batch1"), py::arg("batch2"), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1)
      .def("addbmm_", [](Tensor& x, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha) -> Tensor& {
            return copy_(x, addbmm(x, a, b, beta, alpha));
          }, py::arg("batch1"), py::arg("batch2"), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1)
      .def("addmv_", [](Tensor& x, const Tensor& a, const Tensor& b, const Scalar& beta, const Scalar& alpha) -> Tensor& {
            return copy_(x, addmv(x, a, b, beta, alpha));
          }, py::arg("mat"), py::arg("vec"), py::kw_only(), py::arg("beta") = 1, py::arg("alpha") = 1)
      .def("mv", &mv, py::arg("vec"))
      .def("dot", &dot, py::arg("tensor"))
      .def("vdot", &vdot, py::arg("other"))
      .def("outer", &outer, py::arg("vec2"))
      .def("ger", &outer, py::arg("vec2"))
      .def("inner", &inner, py::arg("other"))
      .def("kron", &kron, py::arg("other"))
      .def("matrix_power", &matrix_power, py::arg("n"))
      .def("trace", &trace)
      .def("__matmul__", &matmul)
      .def("__rmatmul__", [](const Tensor& a, const Tensor& b) { return matmul(b, a); });
}

}  // namespace ember::python
