// Bindings: the spatial resampling kernels in ember._C._nn (upsample, grid_sampler, im2col/col2im).
#include "ember/nn/functional.h"
#include "python/common.h"

namespace ember::python {
namespace {

namespace F = ember::nn::functional;

F::IntList ints(py::handle obj) {
  if (PyLong_Check(obj.ptr())) return {obj.cast<int64_t>()};
  F::IntList out;
  for (py::handle h : obj) out.push_back(h.cast<int64_t>());
  return out;
}

// None, or a sequence of floats/None (None -> 0: "not given").
std::vector<double> scales(py::handle obj) {
  std::vector<double> out;
  if (obj.is_none()) return out;
  for (py::handle h : obj) out.push_back(h.is_none() ? 0.0 : h.cast<double>());
  return out;
}

}  // namespace

void bind_spatial(py::module_& m, TensorClass&) {
  py::module_ nn = m.attr("_nn").cast<py::module_>();
  nn.def("upsample", [](const Tensor& x, py::handle size, const std::string& mode, bool align, py::handle sc) {
    return F::upsample(x, ints(size), mode, align, scales(sc));
  }, py::arg("input"), py::arg("output_size"), py::arg("mode"), py::arg("align_corners") = false,
     py::arg("scale_factors") = py::none(), "Resample `input` to `output_size` (interpolate's kernel).");
  nn.def("upsample_backward", [](const Tensor& g, py::handle in_size, const std::string& mode, bool align,
                                 py::handle sc) {
    return F::upsample_backward(g, ints(in_size), mode, align, scales(sc));
  }, py::arg("grad_output"), py::arg("input_size"), py::arg("mode"), py::arg("align_corners") = false,
     py::arg("scale_factors") = py::none(), "The adjoint of upsample.");
  nn.def("grid_sampler", [](const Tensor& x, const Tensor& grid, int64_t mode, int64_t padding, bool align) {
    return F::grid_sampler(x, grid, mode, padding, align);
  }, py::arg("input"), py::arg("grid"), py::arg("interpolation_mode"), py::arg("padding_mode"),
     py::arg("align_corners"), "grid_sample's kernel (2-D).");
  nn.def("im2col", [](const Tensor& x, py::handle k, py::handle d, py::handle p, py::handle s) {
    return F::im2col(x, ints(k), ints(d), ints(p), ints(s));
  }, py::arg("input"), py::arg("kernel_size"), py::arg("dilation"), py::arg("padding"), py::arg("stride"),
     "unfold's kernel: sliding blocks to columns.");
  nn.def("col2im", [](const Tensor& x, py::handle o, py::handle k, py::handle d, py::handle p, py::handle s) {
    return F::col2im(x, ints(o), ints(k), ints(d), ints(p), ints(s));
  }, py::arg("input"), py::arg("output_size"), py::arg("kernel_size"), py::arg("dilation"), py::arg("padding"),
     py::arg("stride"), "fold's kernel: columns summed back into an image.");
}

}  // namespace ember::python
