// CTC loss (connectionist temporal classification): the forward alpha recursion and the backward
// via beta run in the ctc kernels (log space); the reductions are ember ops on the per-sample loss.
#include <algorithm>
#include <limits>

#include "ember/nn/functional.h"
#include "ops/op_utils.h"

namespace ember {
namespace {

struct CtcLossBackward0 : Node {
  SavedTensor log_probs, nll, log_alpha;
  Tensor targets;  // int64 contiguous, not user-visible
  std::vector<int64_t> offsets, input_lengths, target_lengths;
  int64_t blank = 0;
  bool zero_infinity = false;
  std::string name() const override { return "CtcLossBackward0"; }
  void release_saved() override {
    log_probs.reset();
    nll.reset();
    log_alpha.reset();
  }
  tensor_list apply(tensor_list&& grads) override {
    Tensor lp = log_probs.unpack(this), nl = nll.unpack(this), la = log_alpha.unpack(this);
    Tensor g = grads[0].defined() ? grads[0] : zeros(nl.sizes(), TensorOptions(nl.dtype()));
    g = cast_for_kernel(g, lp.dtype(), lp.device());
    Tensor out = empty(lp.sizes(), TensorOptions(lp.dtype()).device(lp.device()));
    if (out.numel() > 0) {
      CtcArgs a;
      a.log_probs = View(lp);
      a.neg_log_likelihood = View(nl);
      a.log_alpha = View(la);
      a.grad_out = View(g);
      a.grad = View(out);
      a.targets = targets.data<int64_t>();
      a.target_offsets = offsets.data();
      a.input_lengths = input_lengths.data();
      a.target_lengths = target_lengths.data();
      a.blank = blank;
      a.zero_infinity = zero_infinity;
      ctc_loss_backward_stub.get(lp.device().type, lp.dtype())(a);
    }
    return {out};
  }
};

}  // namespace

namespace nn::functional {

Tensor ctc_loss_per_sample(const Tensor& log_probs, const Tensor& targets, const IntList& input_lengths,
                           const IntList& target_lengths, int64_t blank, bool zero_infinity) {
  const char* op = "ctc_loss";
  EMBER_CHECK(log_probs.dim() == 3, Runtime, "[ember.", op, "] expected log_probs to be a 3-D tensor [T, N, C], got ",
              shape_str(log_probs.sizes()));
  EMBER_CHECK(log_probs.dtype() == Dtype::Float32 || log_probs.dtype() == Dtype::Float64, Runtime, "[ember.", op,
              "] \"ctc_loss_cpu\" not implemented for '", dtype_name(log_probs.dtype()), "'");
  EMBER_CHECK(is_integral(targets.dtype(), false), Runtime, "[ember.", op,
              "] expected targets to have an integer dtype, got ", dtype_name(targets.dtype()));
  const int64_t T = log_probs.sizes()[0], N = log_probs.sizes()[1], C = log_probs.sizes()[2];
  EMBER_CHECK(blank >= 0 && blank < C, Runtime, "[ember.", op, "] blank must be in label range, got blank ", blank,
              " for ", C, " classes");
  EMBER_CHECK(int64_t(input_lengths.size()) == N, Runtime, "[ember.", op,
              "] input_lengths must be of size batch_size, got ", input_lengths.size(), " for batch size ", N);
  EMBER_CHECK(int64_t(target_lengths.size()) == N, Runtime, "[ember.", op,
              "] target_lengths must be of size batch_size, got ", target_lengths.size(), " for batch size ", N);
  int64_t max_tl = 0, total_tl = 0;
  for (int64_t n = 0; n < N; ++n) {
    EMBER_CHECK(input_lengths[n] >= 0 && input_lengths[n] <= T, Runtime, "[ember.", op,
                "] Expected input_lengths to have value at most ", T, ", but got value ", input_lengths[n],
                " (while checking arguments for ctc_loss_cpu)");
    EMBER_CHECK(target_lengths[n] >= 0, Runtime, "[ember.", op, "] expected target_lengths to be non-negative, got ",
                target_lengths[n]);
    max_tl = std::max(max_tl, target_lengths[n]);
    total_tl += target_lengths[n];
  }
  Tensor tg;
  std::vector<int64_t> offsets(size_t(N), 0);
  {
    autograd::NoGradGuard guard;
    tg = contiguous(to_device(to_dtype(targets.detach(), Dtype::Int64), Device()));
  }
  if (targets.dim() == 1) {
    EMBER_CHECK(tg.numel() >= total_tl, Runtime, "[ember.", op, "] expected targets to hold sum(target_lengths) = ",
                total_tl, " labels, got ", tg.numel());
    int64_t off = 0;
    for (int64_t n = 0; n < N; ++n) {
      offsets[n] = off;
      off += target_lengths[n];
    }
  } else {
    EMBER_CHECK(targets.dim() == 2 && targets.sizes()[0] == N, Runtime, "[ember.", op,
                "] expected targets of shape [N, S] with N = ", N, " or a 1-D tensor, got ", shape_str(targets.sizes()));
    const int64_t smax = targets.sizes()[1];
    EMBER_CHECK(smax >= max_tl, Runtime, "[ember.", op, "] Expected tensor to have size at least ", max_tl,
                " at dimension 1, but got size ", smax, " for argument #2 'targets' (while checking arguments for ctc_loss_cpu)");
    for (int64_t n = 0; n < N; ++n) offsets[n] = n * smax;
  }
  const int64_t* y = tg.data<int64_t>();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = 0; i < target_lengths[n]; ++i) {
      int64_t c = y[offsets[n] + i];
      EMBER_CHECK(c >= 0 && c < C, Runtime, "[ember.", op, "] target label ", c, " of sample ", n,
                  " is out of range for ", C, " classes");
    }

  TensorOptions opts = TensorOptions(log_probs.dtype()).device(log_probs.device());
  Tensor lp = log_probs.detach();
  Tensor nll = empty({N}, opts);
  Tensor log_alpha = empty({N, T, 2 * max_tl + 1}, opts);
  if (N > 0) {
    CtcArgs a;
    a.log_probs = View(lp);
    a.neg_log_likelihood = View(nll);
    a.log_alpha = View(log_alpha);
    a.targets = y;
    a.target_offsets = offsets.data();
    a.input_lengths = input_lengths.data();
    a.target_lengths = target_lengths.data();
    a.blank = blank;
    ctc_loss_forward_stub.get(lp.device().type, lp.dtype())(a);
  }
  if (auto node = make_grad_node<CtcLossBackward0>(log_probs)) {
    node->log_probs = SavedTensor(lp);
    node->log_alpha = SavedTensor(log_alpha);
    node->targets = tg;
    node->offsets = offsets;
    node->input_lengths = input_lengths;
    node->target_lengths = target_lengths;
    node->blank = blank;
    node->zero_infinity = zero_infinity;
    set_history(nll, node);
    node->nll = SavedTensor(nll, true);
  }
  return nll;
}

Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const IntList& input_lengths,
                const IntList& target_lengths, int64_t blank, const std::string& reduction, bool zero_infinity) {
  EMBER_CHECK(reduction == "none" || reduction == "mean" || reduction == "sum", Value, "[ember.ctc_loss] ", reduction,
              " is not a valid value for reduction");
  Tensor res = ctc_loss_per_sample(log_probs, targets, input_lengths, target_lengths, blank, zero_infinity);
  if (zero_infinity) {
    Tensor inf = isinf(res.detach());
    res = where(inf, zeros({}, TensorOptions(res.dtype()).device(res.device())), res);
  }
  if (reduction == "mean") {
    std::vector<double> tl(target_lengths.begin(), target_lengths.end());
    Tensor lens = empty({int64_t(tl.size())}, TensorOptions(Dtype::Float64));
    for (size_t i = 0; i < tl.size(); ++i) lens.data<double>()[i] = std::max(1.0, tl[i]);
    return mean(div(res, to_device(to_dtype(lens, res.dtype()), res.device())));
  }
  if (reduction == "sum") return sum(res);
  return res;
}

}  // namespace nn::functional
}  // namespace ember
