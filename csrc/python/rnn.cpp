// Bindings: ember._C._nn.rnn_layer, the C++ time loop behind nn.RNN / LSTM / GRU and the cells.
#include "ember/nn/rnn.h"
#include "python/common.h"

namespace ember::python {

void bind_rnn(py::module_& m, TensorClass&) {
  py::module_ nn = m.attr("_nn").cast<py::module_>();
  nn.def(
      "rnn_layer",
      [](const Tensor& input, py::handle hx, py::handle cx, const std::vector<Tensor>& weights, const std::string& mode,
         bool has_biases, bool bidirectional, py::handle batch_sizes) {
        std::vector<int64_t> bs;
        if (!batch_sizes.is_none()) {
          if (py::isinstance<Tensor>(batch_sizes)) {
            Tensor t = batch_sizes.cast<Tensor>();
            EMBER_CHECK(t.dim() == 1, Runtime, "[ember.rnn] batch_sizes must be 1-D, got ", t.dim(), "-D");
            Tensor t64 = to_dtype(t.detach(), Dtype::Int64).contiguous();
            const int64_t* p = static_cast<const int64_t*>(t64.data_ptr());
            bs.assign(p, p + t64.numel());
          } else {
            bs = batch_sizes.cast<std::vector<int64_t>>();
          }
          EMBER_CHECK(!bs.empty(), Runtime, "[ember.rnn] batch_sizes must not be empty");
        }
        Tensor h = hx.is_none() ? Tensor() : hx.cast<Tensor>();
        Tensor c = cx.is_none() ? Tensor() : cx.cast<Tensor>();
        auto [out, hy, cy] = nn::functional::rnn_layer(input, h, c, weights, mode, has_biases, bidirectional, bs);
        return py::make_tuple(out, hy, cy.defined() ? py::cast(cy) : py::none());
      },
      py::arg("input"), py::arg("hx"), py::arg("cx"), py::arg("weights"), py::arg("mode"), py::arg("has_biases"),
      py::arg("bidirectional"), py::arg("batch_sizes") = py::none(),
      "One RNN/LSTM/GRU layer (both directions when bidirectional): returns (output, h_n, c_n or None).");
}

}  // namespace ember::python
