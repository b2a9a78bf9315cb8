// Bindings: attention and CTC kernels behind ember.nn.functional (ember._C._nn).
#include "ember/nn/functional.h"
#include "python/common.h"

namespace ember::python {
namespace {

namespace F = ember::nn::functional;

Tensor opt_tensor(py::handle obj) { return obj.is_none() ? Tensor() : obj.cast<Tensor>(); }

}  // namespace

void bind_attention(py::module_& m, TensorClass& /*cls*/) {
  py::module_ nn = m.attr("_nn").cast<py::module_>();
  nn.def("scaled_dot_product_attention",
         [](const Tensor& q, const Tensor& k, const Tensor& v, py::handle mask, double dropout_p, bool is_causal,
            std::optional<double> scale, bool enable_gqa) {
           return F::scaled_dot_product_attention(q, k, v, opt_tensor(mask), dropout_p, is_causal, scale, enable_gqa);
         },
         py::arg("query"), py::arg("key"), py::arg("value"), py::arg("attn_mask") = py::none(),
         py::arg("dropout_p") = 0.0, py::arg("is_causal") = false, py::arg("scale") = py::none(),
         py::arg("enable_gqa") = false,
         "softmax(q @ k^T * scale + mask) @ v as one op; returns the output.");
  nn.def("scaled_dot_product_attention_with_weights",
         [](const Tensor& q, const Tensor& k, const Tensor& v, py::handle mask, double dropout_p, bool is_causal,
            std::optional<double> scale, bool enable_gqa) {
           return F::scaled_dot_product_attention_with_weights(q, k, v, opt_tensor(mask), dropout_p, is_causal, scale,
                                                               enable_gqa);
         },
         py::arg("query"), py::arg("key"), py::arg("value"), py::arg("attn_mask") = py::none(),
         py::arg("dropout_p") = 0.0, py::arg("is_causal") = false, py::arg("scale") = py::none(),
         py::arg("enable_gqa") = false,
         "Like scaled_dot_product_attention; returns (output, attention probabilities after dropout).");
  nn.def("ctc_loss",
         [](const Tensor& log_probs, const Tensor& targets, const std::vector<int64_t>& input_lengths,
            const std::vector<int64_t>& target_lengths, int64_t blank, const std::string& reduction,
            bool zero_infinity) {
           return F::ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity);
         },
         py::arg("log_probs"), py::arg("targets"), py::arg("input_lengths"), py::arg("target_lengths"),
         py::arg("blank") = 0, py::arg("reduction") = "mean", py::arg("zero_infinity") = false,
         "CTC loss over log_probs [T, N, C]; lengths as lists of ints.");
}

}  // namespace ember::python
