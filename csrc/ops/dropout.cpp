// dropout: one fused kernel draws the Philox mask and scales (training only), saving the mask as
// bool for the backward. A seed gives the same mask for any thread count.
#include "ember/nn/functional.h"
#include "ember/random.h"
#include "ops/op_utils.h"

namespace ember {
namespace {

constexpr uint64_t kElemsPerBatch = 256, kBlocksPerBatch = 64;  // matches the kernel's batching

struct NativeDropoutBackward0 : Node {
  SavedTensor mask;
  double scale = 0;
  std::string name() const override { return "NativeDropoutBackward0"; }
  void release_saved() override { mask.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    Tensor m = mask.unpack(this);
    Tensor g = grads[0];
    if (autograd::is_grad_enabled() && requires_grad(g)) return {mul(g, mul(to_dtype(m, g.dtype()), scale))};
    Tensor gc = g.contiguous();
    Tensor out = empty(gc.sizes(), TensorOptions(gc.dtype()).device(gc.device()));
    if (out.numel() == 0) return {out};
    DropoutArgs a;
    a.in = View(gc);
    a.out = View(out);
    a.mask = View(m);
    a.scale = scale;
    dropout_backward_stub.get(gc.device().type, gc.dtype())(a);
    return {out};
  }
};

void check_p(double p) {
  EMBER_CHECK(p >= 0.0 && p <= 1.0, Value, "dropout probability has to be between 0 and 1, but got ", p);
}

// Writes the dropped-out `x` (contiguous) into `out` (contiguous, may be x) and returns the mask.
Tensor run_dropout(const Tensor& x, Tensor& out, double p, double scale) {
  Tensor mask = empty(x.sizes(), TensorOptions(Dtype::Bool).device(x.device()));
  uint64_t n = uint64_t(x.numel());
  if (n == 0) return mask;
  Generator g = default_generator(x.device());
  auto [seed, offset] = g.reserve((n + kElemsPerBatch - 1) / kElemsPerBatch * kBlocksPerBatch);
  DropoutArgs a;
  a.in = View(x);
  a.out = View(out);
  a.mask = View(mask);
  a.seed = seed;
  a.offset = offset;
  a.p = p;
  a.scale = scale;
  dropout_forward_stub.get(x.device().type, x.dtype())(a);
  return mask;
}

double keep_scale(double p) { return p >= 1.0 ? 0.0 : 1.0 / (1.0 - p); }

}  // namespace

namespace nn::functional {

Tensor dropout(const Tensor& input, double p, bool training) {
  check_p(p);
  if (!training || p == 0.0) return input;
  EMBER_CHECK(is_floating_point(input.dtype()), Runtime, "[ember.dropout] expected a floating point input, got ",
              dtype_name(input.dtype()));
  Tensor x = input.detach().contiguous();
  Tensor out = empty(x.sizes(), TensorOptions(x.dtype()).device(x.device()));
  double scale = keep_scale(p);
  Tensor mask = run_dropout(x, out, p, scale);
  if (auto node = make_grad_node<NativeDropoutBackward0>(input)) {
    node->mask = SavedTensor(mask);
    node->scale = scale;
    set_history(out, node);
  }
  return out;
}

Tensor& dropout_(Tensor& input, double p, bool training) {
  check_p(p);
  if (!training || p == 0.0) return input;
  EMBER_CHECK(is_floating_point(input.dtype()), Runtime, "[ember.dropout_] expected a floating point input, got ",
              dtype_name(input.dtype()));
  check_inplace(input, "dropout_");
  auto node = make_grad_node<NativeDropoutBackward0>(input);
  double scale = keep_scale(p);
  Tensor x = input.detach();
  Tensor mask;
  if (x.is_contiguous()) {
    mask = run_dropout(x, x, p, scale);
  } else {
    Tensor xc = x.contiguous();
    mask = run_dropout(xc, xc, p, scale);
    autograd::NoGradGuard guard;
    copy_(x, xc);
  }
  input.bump_version();
  if (node) {
    node->mask = SavedTensor(mask);
    node->scale = scale;
    rebase_history(input, node);
  }
  return input;
}

}  // namespace nn::functional
}  // namespace ember
