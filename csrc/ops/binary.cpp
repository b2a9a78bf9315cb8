// Binary arithmetic with broadcasting and PyTorch's type promotion: add, sub, mul, div (+ in-place).
// Each op's backward node sits right below its forward.
#include "ops/op_utils.h"

namespace ember {

// ---- type promotion (PyTorch's result_type): dimensioned tensors outrank 0-dim tensors, which
// outrank Python numbers, unless the lower-ranked operand is of a higher category
// (bool < integer < floating).
namespace {
enum Category { kBool, kInt, kFloat };
Category category(Dtype d) { return d == Dtype::Bool ? kBool : is_floating_point(d) ? kFloat : kInt; }

struct ResultTypeState {
  std::optional<Dtype> dim, zero, wrapped;
  void add(const Tensor& t) {
    auto& slot = t.impl()->wrapped_number_ ? wrapped : t.dim() == 0 ? zero : dim;
    Dtype d = t.dtype();
    if (t.impl()->wrapped_number_ && is_floating_point(d)) d = get_default_dtype();
    slot = slot ? promote_types(*slot, d) : d;
  }
  static std::optional<Dtype> combine(std::optional<Dtype> higher, std::optional<Dtype> lower) {
    if (!higher) return lower;
    if (!lower) return higher;
    if (category(*lower) > category(*higher)) return promote_types(*higher, *lower);
    return higher;
  }
  Dtype result() const { return *combine(dim, combine(zero, wrapped)); }
};
}  // namespace

Dtype result_type(const Tensor& a, const Tensor& b) {
  ResultTypeState s;
  s.add(a);
  s.add(b);
  return s.result();
}

Dtype result_type(const Tensor& a, const Scalar& b) { return result_type(a, wrap_scalar(b)); }

// out = f(a, b) with broadcasting in `compute` dtype (the promoted type unless given).
// `out`, when given, must already have the broadcast shape and the compute dtype (in-place ops).
static Tensor binary_forward(const DispatchStub<ElementwiseFn>& stub, const char* op, const Tensor& a,
                             const Tensor& b, Dtype compute, double s0 = 0, const Tensor* out_opt = nullptr) {
  check_same_device(op, a, b);
  Device device = a.dim() == 0 && a.device().is_cpu() ? b.device() : a.device();
  Shape shape = broadcast_shapes(a.sizes(), b.sizes(), op);
  Tensor ac = cast_for_kernel(a, compute, device), bc = cast_for_kernel(b, compute, device);
  Tensor out = out_opt ? *out_opt : empty(shape, TensorOptions(compute).device(device));
  if (out.numel() == 0) return out;
  BroadcastView va(ac, shape), vb(bc, shape);
  ElementwiseArgs args;
  args.out = View(out);
  args.in[0] = va.view;
  args.in[1] = vb.view;
  args.nin = 2;
  args.s0 = s0;
  stub.get(device.type, compute)(args);
  return out;
}

// In-place a <- f(a, b): straight into a's memory when the promoted type is a's dtype, through a
// temporary otherwise.
static void binary_inplace(Tensor& a, const Tensor& b, const DispatchStub<ElementwiseFn>& stub, const char* op,
                           Dtype compute, double s0 = 0) {
  Shape shape = broadcast_shapes(a.sizes(), b.sizes(), op);
  EMBER_CHECK(shape == a.sizes(), Runtime, "[ember.", op, "] output with shape ", shape_str(a.sizes()),
              " doesn't match the broadcast shape ", shape_str(shape));
  check_can_cast(op, result_type(a, b), a.dtype());
  autograd::NoGradGuard no_grad;
  if (compute == a.dtype()) {
    binary_forward(stub, op, a, b, compute, s0, &a);
  } else {
    Tensor r = binary_forward(stub, op, a, b, compute, s0);
    ElementwiseArgs args;
    args.out = View(a);
    args.in[0] = View(r);
    args.nin = 1;
    copy_stub.get(a.device().type, a.dtype())(args);
  }
}

// ---- add / sub
namespace {
struct AddBackward0 : Node {
  Shape a_shape, b_shape;
  double alpha = 1;
  std::string op = "AddBackward0";
  std::string name() const override { return op; }
  tensor_list apply(tensor_list&& grads) override {
    const Tensor& g = grads[0];
    Tensor ga, gb;
    if (should_compute_output(0)) ga = sum_to_shape(g, a_shape);
    if (should_compute_output(1)) gb = sum_to_shape(alpha == 1 ? g : mul(g, alpha), b_shape);
    return {ga, gb};
  }
};
}  // namespace

static Tensor add_sub(const Tensor& a, const Tensor& b, const Scalar& alpha, bool subtract) {
  const char* op = subtract ? "sub" : "add";
  Dtype dt = result_type(a, b);
  if (subtract) {
    EMBER_CHECK(!(a.dtype() == Dtype::Bool && b.dtype() == Dtype::Bool), Runtime,
                "[ember.sub] Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                "`logical_xor()` operator instead.");
    EMBER_CHECK(a.dtype() != Dtype::Bool && b.dtype() != Dtype::Bool, Runtime,
                "[ember.sub] Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                "to invert a mask, use the `~` or `logical_not()` operator instead.");
  }
  EMBER_CHECK(!(alpha.is_floating_point() && !is_floating_point(dt)), Runtime, "[ember.", op,
              "] For integral input tensors, argument alpha must not be a floating point number.");
  Tensor out = binary_forward(subtract ? sub_stub : add_stub, op, a, b, dt, alpha.to_double());
  if (auto node = make_grad_node<AddBackward0>(a, b)) {
    node->a_shape = a.sizes();
    node->b_shape = b.sizes();
    node->alpha = subtract ? -alpha.to_double() : alpha.to_double();
    node->op = subtract ? "SubBackward0" : "AddBackward0";
    set_history(out, node);
  }
  return out;
}

Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha) { return add_sub(a, b, alpha, false); }
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha) { return add_sub(a, b, alpha, true); }
Tensor add(const Tensor& a, const Scalar& b, const Scalar& alpha) { return add_sub(a, wrap_scalar(b), alpha, false); }
Tensor sub(const Tensor& a, const Scalar& b, const Scalar& alpha) { return add_sub(a, wrap_scalar(b), alpha, true); }
Tensor rsub(const Tensor& a, const Scalar& b, const Scalar& alpha) { return add_sub(wrap_scalar(b), a, alpha, true); }

static Tensor& add_sub_(Tensor& a, const Tensor& b, const Scalar& alpha, bool subtract) {
  const char* op = subtract ? "sub_" : "add_";
  check_inplace(a, op);
  auto node = make_grad_node<AddBackward0>(a, b);
  binary_inplace(a, b, subtract ? sub_stub : add_stub, op, result_type(a, b), alpha.to_double());
  a.bump_version();
  if (node) {
    node->a_shape = a.sizes();
    node->b_shape = b.sizes();
    node->alpha = subtract ? -alpha.to_double() : alpha.to_double();
    node->op = subtract ? "SubBackward0" : "AddBackward0";
    rebase_history(a, node);
  }
  return a;
}

Tensor& add_(Tensor& a, const Tensor& b, const Scalar& alpha) { return add_sub_(a, b, alpha, false); }
Tensor& add_(Tensor& a, const Scalar& b, const Scalar& alpha) { return add_sub_(a, wrap_scalar(b), alpha, false); }
Tensor& sub_(Tensor& a, const Tensor& b, const Scalar& alpha) { return add_sub_(a, b, alpha, true); }

// ---- mul
namespace {
struct MulBackward0 : Node {
  SavedTensor self, other;
  Shape a_shape, b_shape;
  std::string name() const override { return "MulBackward0"; }
  void release_saved() override { self.reset(); other.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    const Tensor& g = grads[0];
    Tensor ga, gb;
    if (should_compute_output(0)) ga = sum_to_shape(mul(g, other.unpack(this)), a_shape);
    if (should_compute_output(1)) gb = sum_to_shape(mul(g, self.unpack(this)), b_shape);
    return {ga, gb};
  }
};
}  // namespace

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(mul_stub, "mul", a, b, result_type(a, b));
  if (auto node = make_grad_node<MulBackward0>(a, b)) {
    if (node->should_compute_output(0)) node->other = SavedTensor(b);
    if (node->should_compute_output(1)) node->self = SavedTensor(a);
    node->a_shape = a.sizes();
    node->b_shape = b.sizes();
    set_history(out, node);
  }
  return out;
}
Tensor mul(const Tensor& a, const Scalar& b) { return mul(a, wrap_scalar(b)); }

static Tensor& mul_impl_(Tensor& a, const Tensor& b) {
  check_inplace(a, "mul_");
  auto node = make_grad_node<MulBackward0>(a, b);
  if (node) {
    if (node->should_compute_output(0)) node->other = SavedTensor(b);
    if (node->should_compute_output(1)) node->self = SavedTensor(a.clone().detach());  // the value before the write
    node->a_shape = a.sizes();
    node->b_shape = b.sizes();
  }
  binary_inplace(a, b, mul_stub, "mul_", result_type(a, b));
  a.bump_version();
  rebase_history(a, node);
  return a;
}
Tensor& mul_(Tensor& a, const Tensor& b) { return mul_impl_(a, b); }
Tensor& mul_(Tensor& a, const Scalar& b) { return mul_impl_(a, wrap_scalar(b)); }

// ---- div
namespace {
struct DivBackward0 : Node {
  SavedTensor self, other;
  Shape a_shape, b_shape;
  std::string name() const override { return "DivBackward0"; }
  void release_saved() override { self.reset(); other.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    const Tensor& g = grads[0];
    Tensor ga, gb;
    Tensor b = other.unpack(this);
    if (should_compute_output(0)) ga = sum_to_shape(div(g, b), a_shape);
    if (should_compute_output(1)) gb = sum_to_shape(neg(div(mul(g, self.unpack(this)), mul(b, b))), b_shape);
    return {ga, gb};
  }
};
// floor/trunc division is piecewise constant: zero gradient.
struct DivRoundBackward : Node {
  std::string name() const override { return "DivBackward1"; }
  Shape a_shape, b_shape;
  Dtype dtype;
  tensor_list apply(tensor_list&& grads) override {
    return {should_compute_output(0) ? zeros(a_shape, TensorOptions(dtype).device(grads[0].device())) : Tensor(),
            should_compute_output(1) ? zeros(b_shape, TensorOptions(dtype).device(grads[0].device())) : Tensor()};
  }
};
}  // namespace

Tensor div(const Tensor& a, const Tensor& b, const std::string& rounding_mode) {
  Dtype dt = result_type(a, b);
  if (rounding_mode.empty()) {
    if (!is_floating_point(dt)) dt = get_default_dtype();  // true division of integers gives floats
    Tensor out = binary_forward(div_stub, "div", a, b, dt);
    if (auto node = make_grad_node<DivBackward0>(a, b)) {
      node->other = SavedTensor(b);
      if (node->should_compute_output(1)) node->self = SavedTensor(a);
      node->a_shape = a.sizes();
      node->b_shape = b.sizes();
      set_history(out, node);
    }
    return out;
  }
  EMBER_CHECK(rounding_mode == "trunc" || rounding_mode == "floor", Value,
              "[ember.div] expected rounding_mode to be one of None, 'trunc', or 'floor' but found '", rounding_mode, "'");
  EMBER_CHECK(dt != Dtype::Bool, Runtime, "[ember.div] rounding division is not implemented for bool tensors");
  Tensor out = binary_forward(rounding_mode == "trunc" ? div_trunc_stub : div_floor_stub, "div", a, b, dt);
  if (auto node = make_grad_node<DivRoundBackward>(a, b)) {
    node->a_shape = a.sizes();
    node->b_shape = b.sizes();
    node->dtype = dt;
    set_history(out, node);
  }
  return out;
}
Tensor div(const Tensor& a, const Scalar& b, const std::string& rounding_mode) {
  return div(a, wrap_scalar(b), rounding_mode);
}
Tensor rdiv(const Tensor& a, const Scalar& b) { return div(wrap_scalar(b), a); }

Tensor& div_(Tensor& a, const Tensor& b, const std::string& rounding_mode) {
  check_inplace(a, "div_");
  auto node = make_grad_node<DivBackward0>(a, b);
  if (node) {
    node->other = SavedTensor(b);
    if (node->should_compute_output(1)) node->self = SavedTensor(a.clone().detach());
    node->a_shape = a.sizes();
    node->b_shape = b.sizes();
  }
  Dtype dt = result_type(a, b);
  if (rounding_mode.empty() && !is_floating_point(dt)) dt = get_default_dtype();
  EMBER_CHECK(rounding_mode.empty() || rounding_mode == "trunc" || rounding_mode == "floor", Value,
              "[ember.div_] expected rounding_mode to be one of None, 'trunc', or 'floor' but found '", rounding_mode, "'");
  binary_inplace(a, b, rounding_mode.empty() ? div_stub : rounding_mode == "trunc" ? div_trunc_stub : div_floor_stub,
                 "div_", dt);
  a.bump_version();
  if (rounding_mode.empty()) rebase_history(a, node);
  return a;
}

}  // namespace ember
