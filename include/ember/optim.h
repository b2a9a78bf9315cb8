#pragma once
// Fused optimizer steps: each call updates every tensor of a parameter group in one parallel pass
// (torch's single-tensor arithmetic). Tensors are updated in place; grads are read only. Lists of
// optional state (max_exp_avg_sqs, grad_avgs, momentum_buffers) are empty when the option is off.
// state_steps: 0-dim float tensors, incremented by the call.
#include <vector>

#include "ember/tensor.h"

namespace ember::optim {

using TensorList = std::vector<Tensor>;

// momentum_buffers: one entry per param, undefined where none exists yet (it is created from the
// gradient, as torch does). Returns the buffers (empty when momentum == 0).
EMBER_API TensorList sgd_(const TensorList& params, const TensorList& grads, TensorList momentum_buffers, double lr,
                          double momentum, double dampening, double weight_decay, bool nesterov, bool maximize);

// decoupled_weight_decay: AdamW.
EMBER_API void adam_(const TensorList& params, const TensorList& grads, const TensorList& exp_avgs,
                     const TensorList& exp_avg_sqs, const TensorList& max_exp_avg_sqs, const TensorList& state_steps,
                     double lr, double beta1, double beta2, double weight_decay, double eps, bool amsgrad,
                     bool maximize, bool decoupled_weight_decay);

EMBER_API void rmsprop_(const TensorList& params, const TensorList& grads, const TensorList& square_avgs,
                        const TensorList& grad_avgs, const TensorList& momentum_buffers,
                        const TensorList& state_steps, double lr, double alpha, double eps, double weight_decay,
                        double momentum, bool centered, bool maximize);

EMBER_API void adagrad_(const TensorList& params, const TensorList& grads, const TensorList& state_sums,
                        const TensorList& state_steps, double lr, double lr_decay, double weight_decay, double eps,
                        bool maximize);

}  // namespace ember::optim
