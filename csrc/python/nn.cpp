// Bindings: ember._C._nn, the kernels behind ember.nn.functional (conv, pooling, ...).
#include "ember/nn/functional.h"
#include "python/common.h"

namespace ember::python {
namespace {

namespace F = ember::nn::functional;

// int, tuple/list of ints, or None (-> `fallback`).
F::IntList int_list(py::handle obj, F::IntList fallback = {}) {
  if (obj.is_none()) return fallback;
  if (PyLong_Check(obj.ptr())) return {obj.cast<int64_t>()};
  F::IntList out;
  for (py::handle h : obj) out.push_back(h.is_none() ? -1 : h.cast<int64_t>());
  return out;
}

Tensor opt_tensor(py::handle obj) { return obj.is_none() ? Tensor() : obj.cast<Tensor>(); }

}  // namespace

void bind_nn(py::module_& m, TensorClass& cls) {
  py::module_ nn = m.def_submodule("_nn", "kernels behind ember.nn.functional");
  // padding may be an int, a tuple, or 'same' / 'valid'
  auto conv = [](auto fn) {
    return [fn](const Tensor& input, const Tensor& weight, py::handle bias, py::handle stride, py::handle padding,
                py::handle dilation, int64_t groups) {
      std::string mode;
      F::IntList pad = {0};
      if (py::isinstance<py::str>(padding)) mode = padding.cast<std::string>();
      else pad = int_list(padding, {0});
      return fn(input, weight, opt_tensor(bias), int_list(stride, {1}), pad, int_list(dilation, {1}), groups, mode);
    };
  };
  nn.def("conv2d", conv(&F::conv2d), py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(),
         py::arg("stride") = 1, py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1);
  nn.def("conv1d", conv(&F::conv1d), py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(),
         py::arg("stride") = 1, py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1);
  auto conv_t = [](auto fn) {
    return [fn](const Tensor& input, const Tensor& weight, py::handle bias, py::handle stride, py::handle padding,
                py::handle output_padding, int64_t groups, py::handle dilation) {
      return fn(input, weight, opt_tensor(bias), int_list(stride, {1}), int_list(padding, {0}),
                int_list(output_padding, {0}), groups, int_list(dilation, {1}));
    };
  };
  nn.def("conv_transpose2d", conv_t(&F::conv_transpose2d), py::arg("input"), py::arg("weight"),
         py::arg("bias") = py::none(), py::arg("stride") = 1, py::arg("padding") = 0, py::arg("output_padding") = 0,
         py::arg("groups") = 1, py::arg("dilation") = 1);
  nn.def("conv_transpose1d", conv_t(&F::conv_transpose1d), py::arg("input"), py::arg("weight"),
         py::arg("bias") = py::none(), py::arg("stride") = 1, py::arg("padding") = 0, py::arg("output_padding") = 0,
         py::arg("groups") = 1, py::arg("dilation") = 1);

  nn.def("max_pool2d_with_indices", [](const Tensor& x, py::handle k, py::handle stride, py::handle padding,
                                       py::handle dilation, bool ceil_mode) {
    return F::max_pool2d_with_indices(x, int_list(k), int_list(stride), int_list(padding, {0}), int_list(dilation, {1}),
                                      ceil_mode);
  }, py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
     py::arg("dilation") = 1, py::arg("ceil_mode") = false);
  nn.def("avg_pool2d", [](const Tensor& x, py::handle k, py::handle stride, py::handle padding, bool ceil_mode,
                          bool count_include_pad, py::handle divisor) {
    return F::avg_pool2d(x, int_list(k), int_list(stride), int_list(padding, {0}), ceil_mode, count_include_pad,
                         divisor.is_none() ? 0 : divisor.cast<int64_t>());
  }, py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
     py::arg("ceil_mode") = false, py::arg("count_include_pad") = true, py::arg("divisor_override") = py::none());
  nn.def("adaptive_avg_pool2d", [](const Tensor& x, py::handle size) { return F::adaptive_avg_pool2d(x, int_list(size)); },
         py::arg("input"), py::arg("output_size"));
  nn.def("layer_norm", [](const Tensor& x, py::handle shape, py::handle w, py::handle b, double eps) {
    return F::layer_norm(x, int_list(shape), opt_tensor(w), opt_tensor(b), eps);
  }, py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = py::none(), py::arg("bias") = py::none(),
     py::arg("eps") = 1e-5);
  nn.def("batch_norm", [](const Tensor& x, py::handle rm, py::handle rv, py::handle w, py::handle b, bool training,
                          double momentum, double eps) {
    return F::batch_norm(x, opt_tensor(rm), opt_tensor(rv), opt_tensor(w), opt_tensor(b), training, momentum, eps);
  }, py::arg("input"), py::arg("running_mean"), py::arg("running_var"), py::arg("weight") = py::none(),
     py::arg("bias") = py::none(), py::arg("training") = false, py::arg("momentum") = 0.1, py::arg("eps") = 1e-5);
  nn.def("group_norm", [](const Tensor& x, int64_t groups, py::handle w, py::handle b, double eps) {
    return F::group_norm(x, groups, opt_tensor(w), opt_tensor(b), eps);
  }, py::arg("input"), py::arg("num_groups"), py::arg("weight") = py::none(), py::arg("bias") = py::none(),
     py::arg("eps") = 1e-5);
  nn.def("adaptive_max_pool2d", [](const Tensor& x, py::handle size) { return F::adaptive_max_pool2d(x, int_list(size)); },
         py::arg("input"), py::arg("output_size"));
}

}  // namespace ember::python
