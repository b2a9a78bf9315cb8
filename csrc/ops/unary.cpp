// Unary ops. The table in unary_ops.def expands into forward entries, in-place forms and backward
// nodes; hand-written ops follow below the expansion.
#include "ops/op_utils.h"

namespace ember {
namespace {

enum class UnaryKind { Float, Same };
enum class Saves { None, Self, Result };

Dtype unary_dtype(UnaryKind kind, const Tensor& x, const char* op) {
  if (kind == UnaryKind::Float) return is_floating_point(x.dtype()) ? x.dtype() : get_default_dtype();
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
