#pragma once
// Recurrent networks (csrc/ops/rnn.cpp): one layer of RNN_TANH / RNN_RELU / LSTM / GRU, both
// directions in one call, over a dense or packed sequence. nn.RNN/LSTM/GRU stack these per layer.
#include <string>
#include <tuple>
#include <vector>

#include "ember/tensor.h"

namespace ember::nn::functional {

// input: (T, B, input_size) time-major, or packed (N, input_size) when batch_sizes (the rows
// active at each step, non-increasing) is given. hx: (D, B, Hout) or undefined (zeros);
// cx (LSTM): (D, B, hidden) or undefined. weights, per direction (D = 2 when bidirectional):
// w_ih (G*hidden, input_size), w_hh (G*hidden, Hout), then b_ih, b_hh (G*hidden) when has_biases,
// then w_hr (proj_size, hidden) for an LSTM with projections (Hout = proj_size, else hidden).
// mode: "RNN_TANH", "RNN_RELU", "LSTM" or "GRU" (PyTorch's gate orders and formulas).
// Returns (output (T, B, D*Hout) or (N, D*Hout), h_n (D, B, Hout), c_n (D, B, hidden) or undefined).
// Differentiable w.r.t. input, hx, cx and every weight (first order).
EMBER_API std::tuple<Tensor, Tensor, Tensor> rnn_layer(const Tensor& input, const Tensor& hx, const Tensor& cx,
                                                      const std::vector<Tensor>& weights, const std::string& mode,
                                                      bool has_biases, bool bidirectional,
                                                      const std::vector<int64_t>& batch_sizes = {});

}  // namespace ember::nn::functional
