// Unary ops. The table in unary_ops.def expands into forward entries, in-place forms and backward
// nodes; hand-written ops follow below the expansion.
#include <cstring>

#include "ops/op_utils.h"

namespace ember {
namespace {

enum class UnaryKind { Float, Same, FloatOnly };
enum class Saves { None, Self, Result };

Dtype unary_dtype(UnaryKind kind, const Tensor& x, const char* op) {
  if (kind == UnaryKind::Float) return is_floating_point(x.dtype()) ? x.dtype() : get_default_dtype();
  if (kind == UnaryKind::FloatOnly) {
    EMBER_CHECK(is_floating_point(x.dtype()), Runtime, "[ember.", op, "] not implemented for dtype ",
                dtype_name(x.dtype()), " (expected a floating point tensor)");
    return x.dtype();
  }
  EMBER_CHECK(x.dtype() != Dtype::Bool, Runtime, "[ember.", op, "] not implemented for dtype bool");
  return x.dtype();
}

void run_unary(const DispatchStub<ElementwiseFn>& stub, const Tensor& out, const Tensor& in) {
  if (out.numel() == 0) return;
  ElementwiseArgs args;
  args.out = View(out);
  args.in[0] = View(in);
  args.nin = 1;
  stub.get(out.device().type, out.dtype())(args);
}

template <class NodeT>
Tensor unary_forward(const DispatchStub<ElementwiseFn>& stub, const char* op, UnaryKind kind, Saves saves,
                     const Tensor& x) {
  // bool inputs, as PyTorch: sign keeps bool, square gives int64
  if (x.dtype() == Dtype::Bool && kind == UnaryKind::Same) {
    if (!std::strcmp(op, "sign")) return x.clone();
    if (!std::strcmp(op, "square")) return unary_forward<NodeT>(stub, op, kind, saves, to_dtype(x, Dtype::Int64));
  }
  Dtype dt = unary_dtype(kind, x, op);
  Tensor in = cast_for_kernel(x, dt, x.device());
  Tensor out = empty(x.sizes(), TensorOptions(dt).device(x.device()));
  run_unary(stub, out, in);
  if (auto node = make_grad_node<NodeT>(x)) {
    if (saves == Saves::Self) node->saved_self = SavedTensor(x);
    set_history(out, node);
    if (saves == Saves::Result) node->saved_result = SavedTensor(out, true);
  }
  return out;
}

template <class NodeT>
Tensor& unary_inplace(const DispatchStub<ElementwiseFn>& stub, const char* op, UnaryKind kind, Saves saves, Tensor& x) {
  Dtype dt = unary_dtype(kind, x, op);
  check_can_cast(op, dt, x.dtype());
  check_inplace(x, op);
  auto node = make_grad_node<NodeT>(x);
  if (node && saves == Saves::Self) node->saved_self = SavedTensor(x.clone().detach());
  run_unary(stub, x, x);
  x.bump_version();
  rebase_history(x, node);
  if (node && saves == Saves::Result) node->saved_result = SavedTensor(x, true);
  return x;
}

// Constants and multi-step derivatives used by the table.
constexpr double kLn2 = 0.6931471805599453;
constexpr double kLn10 = 2.302585092994046;
constexpr double k2OverSqrtPi = 1.1283791670955126;
constexpr double kSqrtPiOver2 = 0.8862269254527580;
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

Tensor zero_scalar(const Tensor& t) { return scalar_tensor(0, TensorOptions(t.dtype()).device(t.device())); }

Tensor silu_grad(const Tensor& grad, const Tensor& x) {
  Tensor s = sigmoid(x);
  return mul(grad, mul(s, add(mul(x, rsub(s, 1.0)), 1.0)));
}
Tensor mish_grad(const Tensor& grad, const Tensor& x) {
  Tensor t = tanh(log1p(exp(x)));
  return mul(grad, add(t, mul(mul(x, sigmoid(x)), rsub(mul(t, t), 1.0))));
}
Tensor selu_grad(const Tensor& grad, const Tensor& x) {
  return where(gt(x, 0.0), mul(grad, kSeluScale), mul(grad, mul(exp(x), kSeluScale * kSeluAlpha)));
}
Tensor hardswish_grad(const Tensor& grad, const Tensor& x) {
  return where(lt(x, -3.0), zero_scalar(grad), where(le(x, 3.0), mul(grad, add(div(x, 3.0), 0.5)), grad));
}
Tensor hardsigmoid_grad(const Tensor& grad, const Tensor& x) {
  return where(logical_and(gt(x, -3.0), lt(x, 3.0)), div(grad, 6.0), zero_scalar(grad));
}

}  // namespace

// ---- the table
#define EMBER_UNARY_OP_IMPL(name_, F, kind, saves, ...)                                                   \
  namespace {                                                                                           \
  struct F##Backward0 final : Node {                                                                    \
    SavedTensor saved_self, saved_result;                                                               \
    std::string name() const override { return #F "Backward0"; }                                        \
    void release_saved() override {                                                                     \
      saved_self.reset();                                                                               \
      saved_result.reset();                                                                             \
    }                                                                                                   \
    tensor_list apply(tensor_list&& grads) override {                                                   \
      const Tensor& grad = grads[0];                                                                    \
      [[maybe_unused]] Tensor self = saved_self.unpack(this), result = saved_result.unpack(this);       \
      return {__VA_ARGS__};                                                                             \
    }                                                                                                   \
  };                                                                                                    \
  }                                                                                                     \
  Tensor name_(const Tensor& x) {                                                                       \
    return unary_forward<F##Backward0>(name_##_stub, #name_, UnaryKind::kind, Saves::saves, x);         \
  }                                                                                                     \
  Tensor& name_##_(Tensor& x) {                                                                         \
    return unary_inplace<F##Backward0>(name_##_stub, #name_ "_", UnaryKind::kind, Saves::saves, x);     \
  }
EMBER_UNARY_OPS(EMBER_UNARY_OP_IMPL)
#undef EMBER_UNARY_OP_IMPL

// ---- hand-written

Tensor isnan(const Tensor& x) {
  Tensor out = empty(x.sizes(), TensorOptions(Dtype::Bool).device(x.device()));
  run_unary(isnan_stub, out, x);
  return out;
}

// Predicates: bool out, any input dtype.
#define EMBER_PREDICATE(name)                                                  \
  Tensor name(const Tensor& x) {                                               \
    Tensor out = empty(x.sizes(), TensorOptions(Dtype::Bool).device(x.device())); \
    run_unary(name##_stub, out, x);                                            \
    return out;                                                                \
  }
EMBER_PREDICATE(isinf)
EMBER_PREDICATE(isfinite)
EMBER_PREDICATE(isposinf)
EMBER_PREDICATE(isneginf)
EMBER_PREDICATE(logical_not)
#undef EMBER_PREDICATE

Tensor& logical_not_(Tensor& x) {
  check_inplace(x, "logical_not_");
  Tensor r = logical_not(x);
  {
    autograd::NoGradGuard no_grad;
    copy_(x, r);
  }
  return x;
}

Tensor bitwise_not(const Tensor& x) {
  EMBER_CHECK(!is_floating_point(x.dtype()), Runtime, "[ember.bitwise_not] not implemented for dtype ",
              dtype_name(x.dtype()), " (expected integer or bool tensors)");
  Tensor out = empty(x.sizes(), TensorOptions(x.dtype()).device(x.device()));
  run_unary(bitwise_not_stub, out, x);
  return out;
}

Tensor& bitwise_not_(Tensor& x) {
  EMBER_CHECK(!is_floating_point(x.dtype()), Runtime, "[ember.bitwise_not_] not implemented for dtype ",
              dtype_name(x.dtype()), " (expected integer or bool tensors)");
  check_inplace(x, "bitwise_not_");
  run_unary(bitwise_not_stub, x, x);
  x.bump_version();
  return x;
}

// round(x, decimals): zero gradient, like round().
namespace {
struct RoundBackward1 final : Node {
  std::string name() const override { return "RoundBackward1"; }
  tensor_list apply(tensor_list&& grads) override { return {zeros_like(grads[0])}; }
};
}  // namespace

Tensor round(const Tensor& x, int64_t decimals) {
  if (decimals == 0) return round(x);
  EMBER_CHECK(is_floating_point(x.dtype()), Runtime, "[ember.round] decimals is only implemented for floating point tensors, got ",
              dtype_name(x.dtype()));
  Tensor out = empty(x.sizes(), TensorOptions(x.dtype()).device(x.device()));
  if (out.numel()) {
    ElementwiseArgs args;
    args.out = View(out);
    args.in[0] = View(x);
    args.nin = 1;
    args.s0 = double(decimals);
    round_decimals_stub.get(x.device().type, x.dtype())(args);
  }
  if (auto node = make_grad_node<RoundBackward1>(x)) set_history(out, node);
  return out;
}

Tensor& round_(Tensor& x, int64_t decimals) {
  if (decimals == 0) return round_(x);
  check_inplace(x, "round_");
  Tensor r = round(x.detach(), decimals);
  auto node = make_grad_node<RoundBackward1>(x);
  {
    autograd::NoGradGuard no_grad;
    copy_(x, r);
  }
  rebase_history(x, node);
  return x;
}

namespace {
struct ThresholdBackwardBackward0 final : Node {
  SavedTensor self;
  double threshold = 0;
  std::string name() const override { return "ThresholdBackwardBackward0"; }
  void release_saved() override { self.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    // Linear in grad: d/dgrad is the same mask; the mask itself has zero derivative.
    return {threshold_backward(grads[0], self.unpack(this), threshold), Tensor()};
  }
};
}  // namespace

Tensor threshold_backward(const Tensor& grad, const Tensor& self, double threshold) {
  check_same_device("threshold_backward", grad, self);
  Shape shape = broadcast_shapes(grad.sizes(), self.sizes(), "threshold_backward");
  Tensor s = cast_for_kernel(self, grad.dtype(), grad.device());
  Tensor out = empty(shape, TensorOptions(grad.dtype()).device(grad.device()));
  if (out.numel()) {
    BroadcastView vg(grad, shape), vs(s, shape);
    ElementwiseArgs args;
    args.out = View(out);
    args.in[0] = vg.view;
    args.in[1] = vs.view;
    args.nin = 2;
    args.s0 = threshold;
    threshold_backward_stub.get(out.device().type, out.dtype())(args);
  }
  if (auto node = make_grad_node<ThresholdBackwardBackward0>(grad, self)) {
    node->self = SavedTensor(self);
    node->threshold = threshold;
    set_history(out, node);
  }
  return out;
}

}  // namespace ember
