// Class-index losses: nll_loss and a fused cross_entropy (log_softmax + nll in one pass per row,
// backward softmax - onehot in one pass), with class weights, ignore_index, label smoothing and
// N-d inputs (N, C, d1, ...), as torch defines them. The backward nodes run the fused kernels, or,
// when a graph is being built through them (double backward), the same formula in ember ops.
#include <string>

#include "ember/nn/functional.h"
#include "ops/op_utils.h"

namespace ember {
namespace {

// torch's scalar type names, used in its loss error messages
const char* torch_type_name(Dtype d) {
  switch (d) {
    case Dtype::Float32: return "Float";
    case Dtype::Float64: return "Double";
    case Dtype::Float16: return "Half";
    case Dtype::BFloat16: return "BFloat16";
    case Dtype::Int64: return "Long";
    case Dtype::Int32: return "Int";
    case Dtype::Int16: return "Short";
    case Dtype::Int8: return "Char";
    case Dtype::UInt8: return "Byte";
    case Dtype::Bool: return "Bool";
    default: return dtype_name(d);
  }
}

int reduction_code(const std::string& r) {
  if (r == "none") return 0;
  if (r == "mean") return 1;
  if (r == "sum") return 2;
  EMBER_FAIL(Value, r, " is not a valid value for reduction");
}

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// The checked, contiguous [N, C, S] / [N, S] operands of a class-index loss.
struct LossInputs {
  Tensor x, t, w;  // input (contiguous), int64 target (contiguous), weight (contiguous or undefined)
  int64_t N = 1, C = 1, S = 1;
  Shape none_shape;  // the shape of the unreduced loss
};

LossInputs prepare(const char* op, const Tensor& input, const Tensor& target, const Tensor& weight) {
  EMBER_CHECK(input.dim() >= 1, Value, "Expected 1 or more dimensions (got ", input.dim(), ")");
  EMBER_CHECK(is_floating_point(input.dtype()), Runtime, "[ember.", op, "] expected a floating point input, got ",
              dtype_name(input.dtype()));
  EMBER_CHECK(target.dtype() == Dtype::Int64 || target.dtype() == Dtype::UInt8, Runtime,
              "expected target dtype to be Long or Byte, but got ", torch_type_name(target.dtype()));
  check_same_device(op, input, target);
  LossInputs in;
  const Shape& xs = input.sizes();
  if (input.dim() == 1) {
    EMBER_CHECK(target.dim() == 0, Runtime, "0D or 1D target tensor expected, multi-target not supported");
    in.C = xs[0];
  } else {
    in.N = xs[0];
    in.C = xs[1];
    if (input.dim() == 2)
      EMBER_CHECK(target.dim() == 1, Runtime, "0D or 1D target tensor expected, multi-target not supported");
    EMBER_CHECK(target.dim() >= 1 && target.sizes()[0] == in.N, Value, "Expected input batch_size (", in.N,
                ") to match target batch_size (", target.dim() ? target.sizes()[0] : 0, ").");
    Shape want = {in.N};
    for (int64_t d = 2; d < input.dim(); ++d) {
      want.push_back(xs[d]);
      in.S *= xs[d];
    }
    EMBER_CHECK(target.sizes() == want, Runtime, "Expected target size ", shape_str(want), ", got ",
                shape_str(target.sizes()));
    in.none_shape = want;
  }
  if (weight.defined()) {
    EMBER_CHECK(weight.dim() == 1 && weight.numel() == in.C, Runtime, "weight tensor should be defined either for all ",
                in.C, " classes or no classes but got weight tensor of shape: ", shape_str(weight.sizes()));
    EMBER_CHECK(weight.dtype() == input.dtype(), Runtime, "expected scalar type ", torch_type_name(input.dtype()),
                " but found ", torch_type_name(weight.dtype()));
    check_same_device(op, input, weight);
    in.w = weight.detach().contiguous();
  }
  in.x = input.detach().contiguous();
  in.t = (target.dtype() == Dtype::Int64 ? target.detach() : to_dtype(target.detach(), Dtype::Int64)).contiguous();
  return in;
}

Dtype acc_dtype(Dtype d) { return d == Dtype::Float64 ? Dtype::Float64 : Dtype::Float32; }

View opt_view(const Tensor& t) { return t.defined() ? View(t) : View(); }

void throw_bad_target(const LossInputs& in, int64_t pos) {
  int64_t t = reinterpret_cast<const int64_t*>(in.t.data_ptr())[pos];
  EMBER_FAIL(Index, "Target ", t, " is out of bounds.");
}

// Forward through `stub`; returns (loss, total_weight, lse).
std::tuple<Tensor, Tensor, Tensor> run_loss(const DispatchStub<LossFn>& stub, const LossInputs& in, int reduction,
                                            int64_t ignore_index, double smoothing, bool want_lse) {
  TensorOptions opts = TensorOptions(in.x.dtype()).device(in.x.device());
  TensorOptions acc = TensorOptions(acc_dtype(in.x.dtype())).device(in.x.device());
  Tensor out = reduction == 0 ? empty(in.none_shape, opts) : empty({}, opts);
  Tensor total = empty({}, acc);
  Tensor lse = want_lse ? empty({in.N * in.S}, acc) : Tensor();
  LossArgs a;
  a.input = View(in.x);
  a.target = View(in.t);
  a.weight = opt_view(in.w);
  a.out = View(out);
  a.total_weight = View(total);
  a.lse = opt_view(lse);
  a.N = in.N;
  a.C = in.C;
  a.S = in.S;
  a.ignore_index = ignore_index;
  a.reduction = reduction;
  a.label_smoothing = smoothing;
  int64_t bad = INT64_MAX;
  a.bad_pos = &bad;
  stub.get(in.x.device().type, in.x.dtype())(a);
  if (bad != INT64_MAX) throw_bad_target(in, bad);
  return {out, total, lse};
}

Tensor run_loss_backward(const DispatchStub<LossFn>& stub, const LossInputs& in, const Tensor& grad, const Tensor& total,
                         const Tensor& lse, int reduction, int64_t ignore_index, double smoothing) {
  Tensor g = cast_for_kernel(grad, in.x.dtype(), in.x.device()).contiguous();
  Tensor gi = empty(in.x.sizes(), TensorOptions(in.x.dtype()).device(in.x.device()));
  LossArgs a;
  a.input = View(in.x);
  a.target = View(in.t);
  a.weight = opt_view(in.w);
  a.total_weight = View(total);
  a.lse = opt_view(lse);
  a.grad_out = View(g);
  a.grad_input = View(gi);
  a.N = in.N;
  a.C = in.C;
  a.S = in.S;
  a.ignore_index = ignore_index;
  a.reduction = reduction;
  a.label_smoothing = smoothing;
  stub.get(in.x.device().type, in.x.dtype())(a);
  return gi;
}

// Differentiable backward: grad = g * (softmax(x) * A - B) on [N, C, S] (softmax term only for
// cross_entropy), with A = (1 - eps) w[t] + eps sum(w) / C and B = (1 - eps) w[t] onehot + eps / C w
// on non-ignored rows (0 elsewhere). Used only when building a graph through the backward.
Tensor loss_backward_ops(const LossInputs& in, const Tensor& x, const Tensor& grad, const Tensor& total,
                         int reduction, int64_t ignore_index, double eps, bool softmax_term) {
  Dtype dt = in.x.dtype();
  TensorOptions opts = TensorOptions(dt).device(in.x.device());
  Tensor t = reshape(in.t, {in.N, in.S});
  Tensor valid = ne(t, Scalar(ignore_index));
  Tensor safe_t = where(valid, t, zeros_like(t));
  Tensor validf = to_dtype(valid, dt);
  Tensor w_t = in.w.defined() ? reshape(index_select(in.w, 0, reshape(safe_t, {-1})), {in.N, in.S}) : ones_like(validf);
  w_t = mul(w_t, validf);
  Tensor onehot = to_dtype(eq(unsqueeze(safe_t, 1), reshape(arange(0, in.C, 1, TensorOptions(Dtype::Int64).device(in.x.device())), {1, in.C, 1})), dt);
  Tensor B = mul(unsqueeze(w_t, 1), onehot);
  if (eps != 0) B = mul(B, 1 - eps);
  Tensor gs;
  if (reduction == 0) gs = reshape(grad, {in.N, 1, in.S});
  else gs = reduction == 1 ? div(grad, to_dtype(total, dt)) : grad;
  if (!softmax_term) return reshape(mul(gs, neg(B)), x.sizes());
  Tensor wrow = in.w.defined() ? reshape(in.w, {1, in.C, 1}) : ones({1, in.C, 1}, opts);
  double W = in.w.defined() ? sum(in.w).item().to_double() : double(in.C);
  Tensor A = mul(w_t, 1 - eps);
  if (eps != 0) {
    A = add(A, mul(validf, eps * W / double(in.C)));
    B = add(B, mul(mul(wrow, unsqueeze(validf, 1)), eps / double(in.C)));
  }
  Tensor p = softmax(reshape(x, {in.N, in.C, in.S}), 1);
  return reshape(mul(gs, sub(mul(p, unsqueeze(A, 1)), B)), x.sizes());
}

struct LossBackward : Node {
  SavedTensor input, target, weight, total, lse;
  int64_t N = 1, C = 1, S = 1;
  int reduction = 1;
  int64_t ignore_index = -100;
  double smoothing = 0;
  bool fused_softmax = false;  // cross_entropy (input = logits) vs nll_loss
  std::string name() const override { return "NllLossBackward0"; }
  void release_saved() override {
    input.reset();
    target.reset();
    weight.reset();
    total.reset();
    lse.reset();
  }
  tensor_list apply(tensor_list&& grads) override {
    Tensor x = input.unpack(this);
    LossInputs in;
    in.x = x.detach().contiguous();
    in.t = target.unpack(this);
    in.w = weight.unpack(this);
    in.N = N;
    in.C = C;
    in.S = S;
    Tensor tw = total.unpack(this);
    bool build_graph = autograd::is_grad_enabled() && (requires_grad(grads[0]) || (fused_softmax && requires_grad(x)));
    if (build_graph) return {loss_backward_ops(in, x, grads[0], tw, reduction, ignore_index, smoothing, fused_softmax)};
    const auto& stub = fused_softmax ? cross_entropy_backward_stub : nll_loss_backward_stub;
    Tensor gi = run_loss_backward(stub, in, grads[0], tw, lse.unpack(this), reduction, ignore_index, smoothing);
    return {reshape(gi, x.sizes())};
  }
};

Tensor loss_impl(const char* op, bool fused_softmax, const Tensor& input, const Tensor& target, const Tensor& weight,
                 const std::string& reduction, int64_t ignore_index, double smoothing) {
  int red = reduction_code(reduction);
  LossInputs in = prepare(op, input, target, weight);
  const auto& stub = fused_softmax ? cross_entropy_forward_stub : nll_loss_forward_stub;
  auto [out, total, lse] = run_loss(stub, in, red, ignore_index, smoothing, fused_softmax);
  if (auto node = make_grad_node<LossBackward>(input)) {
    node->input = SavedTensor(input);
    node->target = SavedTensor(in.t);
    if (in.w.defined()) node->weight = SavedTensor(in.w);
    node->total = SavedTensor(total);
    if (lse.defined()) node->lse = SavedTensor(lse);
    node->N = in.N;
    node->C = in.C;
    node->S = in.S;
    node->reduction = red;
    node->ignore_index = ignore_index;
    node->smoothing = smoothing;
    node->fused_softmax = fused_softmax;
    set_history(out, node);
  }
  return out;
}

}  // namespace

namespace nn::functional {

Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, const std::string& reduction,
                int64_t ignore_index) {
  return loss_impl("nll_loss", false, input, target, weight, reduction, ignore_index, 0.0);
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, const std::string& reduction,
                     int64_t ignore_index, double label_smoothing) {
  EMBER_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0, Value,
              "label_smoothing must be between 0.0 and 1.0. Got: ", label_smoothing);
  return loss_impl("cross_entropy", true, input, target, weight, reduction, ignore_index, label_smoothing);
}

}  // namespace nn::functional
}  // namespace ember
