// Fused optimizer steps (include/ember/optim.h): checks, then one kernel call per dtype over all
// tensors of the group. Non-contiguous tensors are updated through contiguous copies.
#include "ember/optim.h"

#include <map>

#include "ops/op_utils.h"

namespace ember::optim {
namespace {

// A tensor the kernel writes: contiguous `work`, copied back into `orig` when they differ.
struct Writable {
  Tensor orig, work;
  explicit Writable(const Tensor& t) : orig(t.detach()), work(t.is_contiguous() ? t.detach() : t.detach().contiguous()) {}
  char* data() const { return static_cast<char*>(work.data_ptr()); }
  void finish() {
    if (!work.shares_storage(orig)) {
      autograd::NoGradGuard guard;
      copy_(orig, work);
    }
    orig.bump_version();
  }
};

void check_list(const char* op, const TensorList& params, const TensorList& l, const char* what) {
  EMBER_CHECK(l.size() == params.size(), Runtime, "[ember.", op, "] expected ", params.size(), " ", what, ", got ",
              l.size());
  for (size_t i = 0; i < l.size(); ++i) {
    if (!l[i].defined()) continue;
    EMBER_CHECK(l[i].sizes() == params[i].sizes(), Runtime, "[ember.", op, "] ", what, " ", i,
                " has a different shape from its parameter");
    EMBER_CHECK(l[i].dtype() == params[i].dtype() && l[i].device() == params[i].device(), Runtime, "[ember.", op,
                "] ", what, " ", i, " has another dtype or device than its parameter");
  }
}

double next_step(const Tensor& step) {
  EMBER_CHECK(step.numel() == 1 && step.device().is_cpu() &&
                  (step.dtype() == Dtype::Float32 || step.dtype() == Dtype::Float64),
              Runtime, "[ember.optim] state_steps must be one-element CPU float tensors");
  double s;
  if (step.dtype() == Dtype::Float32) s = double(++*static_cast<float*>(step.data_ptr()));
  else s = ++*static_cast<double*>(step.data_ptr());
  step.bump_version();
  return s;
}

// Runs `stub` once per dtype. bufs: the state lists the kernel writes (buf0..buf2), each empty or
// one per param. steps: empty or one per param (incremented here).
void run(const char* op, const DispatchStub<OptimFn>& stub, OptimArgs base, const TensorList& params,
         const TensorList& grads, std::vector<const TensorList*> bufs, const TensorList& steps,
         const std::vector<uint8_t>& init = {}) {
  check_list(op, params, grads, "grads");
  for (auto* b : bufs)
    if (!b->empty()) check_list(op, params, *b, "state tensors");
  if (!steps.empty()) EMBER_CHECK(steps.size() == params.size(), Runtime, "[ember.", op, "] expected one step per param");
  std::map<int, std::vector<size_t>> by_dtype;
  for (size_t i = 0; i < params.size(); ++i) {
    EMBER_CHECK(is_floating_point(params[i].dtype()), Runtime, "[ember.", op, "] expected floating point params, got ",
                dtype_name(params[i].dtype()));
    EMBER_CHECK(grads[i].defined(), Runtime, "[ember.", op, "] param ", i, " has no gradient");
    by_dtype[int(params[i].dtype())].push_back(i);
  }
  for (auto& [dt, idx] : by_dtype) {
    OptimArgs a = base;
    a.dtype = Dtype(dt);
    std::vector<Writable> w;
    std::vector<Tensor> keep;  // contiguous grads
    w.reserve(idx.size() * 4);
    std::vector<char*>* outs[3] = {&a.buf0, &a.buf1, &a.buf2};
    for (size_t i : idx) {
      w.emplace_back(params[i]);
      a.param.push_back(w.back().data());
      keep.push_back(grads[i].detach().contiguous());
      a.grad.push_back(static_cast<char*>(keep.back().data_ptr()));
      a.numel.push_back(params[i].numel());
      for (size_t k = 0; k < bufs.size(); ++k) {
        const TensorList& l = *bufs[k];
        if (l.empty() || !l[i].defined()) {
          outs[k]->push_back(nullptr);
          continue;
        }
        w.emplace_back(l[i]);
        outs[k]->push_back(w.back().data());
      }
      a.step.push_back(steps.empty() ? 0.0 : next_step(steps[i]));
      a.init.push_back(init.empty() ? 0 : init[i]);
    }
    stub.get(params[idx[0]].device().type, a.dtype)(a);
    for (auto& x : w) x.finish();
  }
}

}  // namespace

TensorList sgd_(const TensorList& params, const TensorList& grads, TensorList momentum_buffers, double lr,
                double momentum, double dampening, double weight_decay, bool nesterov, bool maximize) {
  OptimArgs a;
  a.lr = lr;
  a.momentum = momentum;
  a.dampening = dampening;
  a.weight_decay = weight_decay;
  a.nesterov = nesterov;
  a.maximize = maximize;
  std::vector<uint8_t> init(params.size(), 0);
  if (momentum != 0) {
    if (momentum_buffers.empty()) momentum_buffers.resize(params.size());
    EMBER_CHECK(momentum_buffers.size() == params.size(), Runtime, "[ember.sgd_] expected one momentum buffer per param");
    for (size_t i = 0; i < params.size(); ++i)
      if (!momentum_buffers[i].defined()) {
        momentum_buffers[i] = empty(params[i].sizes(), TensorOptions(params[i].dtype()).device(params[i].device()));
        init[i] = 1;
      }
  } else {
    momentum_buffers.clear();
  }
  run("sgd_", sgd_update_stub, a, params, grads, {&momentum_buffers}, {}, init);
  return momentum_buffers;
}

void adam_(const TensorList& params, const TensorList& grads, const TensorList& exp_avgs, const TensorList& exp_avg_sqs,
           const TensorList& max_exp_avg_sqs, const TensorList& state_steps, double lr, double beta1, double beta2,
           double weight_decay, double eps, bool amsgrad, bool maximize, bool decoupled_weight_decay) {
  EMBER_CHECK(exp_avgs.size() == params.size() && exp_avg_sqs.size() == params.size() &&
                  (!amsgrad || max_exp_avg_sqs.size() == params.size()),
              Runtime, "[ember.adam_] expected one exp_avg, exp_avg_sq (and max_exp_avg_sq with amsgrad) per param");
  for (size_t i = 0; i < params.size(); ++i)
    EMBER_CHECK(exp_avgs[i].defined() && exp_avg_sqs[i].defined() && (!amsgrad || max_exp_avg_sqs[i].defined()),
                Runtime, "[ember.adam_] missing state for param ", i);
  OptimArgs a;
  a.lr = lr;
  a.beta1 = beta1;
  a.beta2 = beta2;
  a.weight_decay = weight_decay;
  a.eps = eps;
  a.amsgrad = amsgrad;
  a.maximize = maximize;
  a.decoupled = decoupled_weight_decay;
  TensorList none;
  run("adam_", adam_update_stub, a, params, grads, {&exp_avgs, &exp_avg_sqs, amsgrad ? &max_exp_avg_sqs : &none},
      state_steps);
}

void rmsprop_(const TensorList& params, const TensorList& grads, const TensorList& square_avgs,
              const TensorList& grad_avgs, const TensorList& momentum_buffers, const TensorList& state_steps,
              double lr, double alpha, double eps, double weight_decay, double momentum, bool centered,
              bool maximize) {
  EMBER_CHECK(square_avgs.size() == params.size() && (!centered || grad_avgs.size() == params.size()) &&
                  (momentum <= 0 || momentum_buffers.size() == params.size()),
              Runtime, "[ember.rmsprop_] expected one square_avg (and grad_avg, momentum_buffer when used) per param");
  OptimArgs a;
  a.lr = lr;
  a.alpha = alpha;
  a.eps = eps;
  a.weight_decay = weight_decay;
  a.momentum = momentum;
  a.centered = centered;
  a.maximize = maximize;
  TensorList none;
  run("rmsprop_", rmsprop_update_stub, a, params, grads,
      {&square_avgs, centered ? &grad_avgs : &none, momentum > 0 ? &momentum_buffers : &none}, state_steps);
}

void adagrad_(const TensorList& params, const TensorList& grads, const TensorList& state_sums,
              const TensorList& state_steps, double lr, double lr_decay, double weight_decay, double eps,
              bool maximize) {
  EMBER_CHECK(state_sums.size() == params.size(), Runtime, "[ember.adagrad_] expected one state_sum per param");
  OptimArgs a;
  a.lr = lr;
  a.lr_decay = lr_decay;
  a.weight_decay = weight_decay;
  a.eps = eps;
  a.maximize = maximize;
  run("adagrad_", adagrad_update_stub, a, params, grads, {&state_sums}, state_steps);
}

}  // namespace ember::optim
