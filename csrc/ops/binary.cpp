// Binary arithmetic with broadcasting and PyTorch's type promotion: add, sub, mul, div (+ in-place).
// Each op's backward node sits right below its forward.
#include <functional>

#include "ops/binary_impl.h"
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

Dtype result_type_list(std::initializer_list<Tensor> ts) {
  ResultTypeState s;
  for (const Tensor& t : ts)
    if (t.defined()) s.add(t);
  return s.result();
}

// out = f(a, b) with broadcasting in `compute` dtype (the promoted type unless given).
// `out`, when given, must already have the broadcast shape and the compute dtype (in-place ops).
static Tensor binary_forward(const DispatchStub<ElementwiseFn>& stub, const char* op, const Tensor& a,
                             const Tensor& b, Dtype compute, double s0 = 0, const Tensor* out_opt = nullptr) {
  return binary_op_out(stub, op, a, b, compute, compute, s0, out_opt);
}

Tensor binary_op_out(const DispatchStub<ElementwiseFn>& stub, const char* op, const Tensor& a, const Tensor& b,
                     Dtype compute, Dtype out_dtype, double s0, const Tensor* out_opt) {
  check_same_device(op, a, b);
  Device device = a.dim() == 0 && a.device().is_cpu() ? b.device() : a.device();
  Shape shape = broadcast_shapes(a.sizes(), b.sizes(), op);
  Tensor ac = cast_for_kernel(a, compute, device), bc = cast_for_kernel(b, compute, device);
  Tensor out = out_opt ? *out_opt : empty(shape, TensorOptions(out_dtype).device(device));
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
  check_can_cast("div_", dt, a.dtype());
  binary_inplace(a, b, rounding_mode.empty() ? div_stub : rounding_mode == "trunc" ? div_trunc_stub : div_floor_stub,
                 "div_", dt);
  a.bump_version();
  if (rounding_mode.empty()) rebase_history(a, node);
  return a;
}

}  // namespace ember

// ---- the generic binary op (remainder, pow, atan2, maximum, ..., comparisons): dtype rule,
// kernel call, and a backward node that runs the op's gradient formula.
namespace ember {
namespace {
Dtype binary_dtype(BinKind kind, const Tensor& a, const Tensor& b, const char* op) {
  Dtype dt = result_type(a, b);
  switch (kind) {
    case BinKind::Float:
      if (!is_floating_point(dt)) dt = get_default_dtype();
      break;
    case BinKind::Numeric:
      EMBER_CHECK(dt != Dtype::Bool, Runtime, "[ember.", op, "] not implemented for dtype bool");
      break;
    case BinKind::Bits:
      EMBER_CHECK(!is_floating_point(dt), Runtime, "[ember.", op, "] not implemented for dtype ", dtype_name(dt),
                  " (expected integer or bool tensors)");
      break;
    case BinKind::Shift:
      EMBER_CHECK(!is_floating_point(dt) && dt != Dtype::Bool, Runtime, "[ember.", op, "] not implemented for dtype ",
                  dtype_name(dt), " (expected integer tensors)");
      break;
    default: break;
  }
  return dt;
}

struct BinaryBackward final : Node {
  const char* node_name = "";
  BinaryGradFn fn = nullptr;
  SavedTensor self, other, result;
  Shape a_shape, b_shape;
  std::string name() const override { return node_name; }
  void release_saved() override {
    self.reset();
    other.reset();
    result.reset();
  }
  tensor_list apply(tensor_list&& grads) override {
    auto [ga, gb] = fn(grads[0], self.unpack(this), other.unpack(this), result.unpack(this), should_compute_output(0),
                      should_compute_output(1));
    return {should_compute_output(0) && ga.defined() ? sum_to_shape(ga, a_shape) : Tensor(),
            should_compute_output(1) && gb.defined() ? sum_to_shape(gb, b_shape) : Tensor()};
  }
};
}  // namespace

Tensor binary_generic(const BinarySpec& spec, const Tensor& a, const Tensor& b) {
  Dtype dt = binary_dtype(spec.kind, a, b, spec.name);
  Dtype out_dt = spec.kind == BinKind::Compare ? Dtype::Bool : dt;
  Tensor out = binary_op_out(*spec.stub, spec.name, a, b, dt, out_dt);
  if (spec.grad && is_floating_point(out_dt)) {
    if (auto node = make_grad_node<BinaryBackward>(a, b)) {
      node->node_name = spec.node_name;
      node->fn = spec.grad;
      node->self = SavedTensor(a);
      node->other = SavedTensor(b);
      node->a_shape = a.sizes();
      node->b_shape = b.sizes();
      set_history(out, node);
      if (spec.save_result) node->result = SavedTensor(out, true);
    }
  }
  return out;
}

Tensor& binary_generic_(const BinarySpec& spec, Tensor& a, const Tensor& b) {
  std::string op = std::string(spec.name) + "_";
  check_inplace(a, op.c_str());
  Dtype dt = binary_dtype(spec.kind, a, b, op.c_str());
  Dtype out_dt = spec.kind == BinKind::Compare ? Dtype::Bool : dt;
  Shape shape = broadcast_shapes(a.sizes(), b.sizes(), op.c_str());
  EMBER_CHECK(shape == a.sizes(), Runtime, "[ember.", op, "] output with shape ", shape_str(a.sizes()),
              " doesn't match the broadcast shape ", shape_str(shape));
  if (spec.kind != BinKind::Compare) check_can_cast(op.c_str(), out_dt, a.dtype());
  std::shared_ptr<BinaryBackward> node;
  if (spec.grad && is_floating_point(a.dtype())) node = make_grad_node<BinaryBackward>(a, b);
  if (node) {
    node->node_name = spec.node_name;
    node->fn = spec.grad;
    node->self = SavedTensor(a.clone().detach());
    node->other = SavedTensor(b);
    node->a_shape = a.sizes();
    node->b_shape = b.sizes();
  }
  {
    autograd::NoGradGuard no_grad;
    if (out_dt == a.dtype() && dt == a.dtype()) {
      binary_op_out(*spec.stub, op.c_str(), a, b, dt, out_dt, 0, &a);
    } else {
      Tensor r = binary_op_out(*spec.stub, op.c_str(), a, b, dt, out_dt);
      ElementwiseArgs args;
      args.out = View(a);
      args.in[0] = View(r);
      args.nin = 1;
      if (a.numel()) copy_stub.get(a.device().type, a.dtype())(args);
    }
  }
  a.bump_version();
  if (node) {
    rebase_history(a, node);
    if (spec.save_result) node->result = SavedTensor(a, true);
  }
  return a;
}

// ---- arithmetic ops on the generic path, each with its gradient formula
namespace {
Tensor as(const Tensor& mask, const Tensor& like) { return to_dtype(mask, like.dtype()); }

std::pair<Tensor, Tensor> remainder_grad(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor&, bool na, bool nb) {
  return {g, neg(mul(g, div(a, b, "floor")))};
}
std::pair<Tensor, Tensor> fmod_grad(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor&, bool na, bool nb) {
  return {g, neg(mul(g, div(a, b, "trunc")))};
}
std::pair<Tensor, Tensor> pow_grad(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor& r, bool na, bool nb) {
  Tensor ga, gb;
  if (na) ga = mul(g, where(eq(b, 0.0), zero_of(g), mul(b, pow(a, sub(b, 1)))));
  if (nb) gb = mul(g, where(logical_and(eq(a, 0.0), ge(b, 0.0)), zero_of(g), mul(r, log(a))));
  return {ga, gb};
}
std::pair<Tensor, Tensor> atan2_grad(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor&, bool na, bool nb) {
  Tensor d = add(mul(a, a), mul(b, b));
  return {mul(g, div(b, d)), mul(g, div(neg(a), d))};
}
std::pair<Tensor, Tensor> hypot_grad(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor& r, bool na, bool nb) {
  return {mul(g, div(a, r)), mul(g, div(b, r))};
}
template <bool Max> std::pair<Tensor, Tensor> minmax_grad(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor&, bool na, bool nb) {
  Tensor half = mul(as(eq(a, b), g), 0.5);
  Tensor wa = add(as(Max ? gt(a, b) : lt(a, b), g), half), wb = add(as(Max ? lt(a, b) : gt(a, b), g), half);
  return {mul(g, wa), mul(g, wb)};
}
template <bool Max> std::pair<Tensor, Tensor> fminmax_grad(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor&, bool na, bool nb) {
  Tensor take_a = logical_or(Max ? ge(a, b) : le(a, b), isnan(b));
  return {where(take_a, g, zero_of(g)), where(take_a, zero_of(g), g)};
}
std::pair<Tensor, Tensor> copysign_grad(const Tensor& g, const Tensor& a, const Tensor&, const Tensor& r, bool na, bool nb) {
  return {mul(g, where(eq(a, 0.0), zero_of(g), div(r, a))), zeros_like(g)};
}

// d/dx = log(y) where x != 0 (0 where x == 0, as PyTorch), d/dy = x / y.
std::pair<Tensor, Tensor> xlogy_grad(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor&, bool na, bool nb) {
  Tensor ga, gb;
  if (na) ga = mul(g, xlogy(ne(a, 0.0), b));
  if (nb) gb = mul(g, div(a, b));
  return {ga, gb};
}

const BinarySpec kRemainder{"remainder", &remainder_stub, BinKind::Numeric, "RemainderBackward0", remainder_grad};
const BinarySpec kFmod{"fmod", &fmod_stub, BinKind::Numeric, "FmodBackward0", fmod_grad};
const BinarySpec kPow{"pow", &pow_stub, BinKind::Numeric, "PowBackward1", pow_grad, true};
const BinarySpec kPowScalar{"pow", &pow_stub, BinKind::Numeric, "PowBackward0", pow_grad, true};
const BinarySpec kAtan2{"atan2", &atan2_stub, BinKind::Float, "Atan2Backward0", atan2_grad};
const BinarySpec kHypot{"hypot", &hypot_stub, BinKind::Float, "HypotBackward0", hypot_grad, true};
const BinarySpec kMaximum{"maximum", &maximum_stub, BinKind::MinMax, "MaximumBackward0", minmax_grad<true>};
const BinarySpec kMinimum{"minimum", &minimum_stub, BinKind::MinMax, "MinimumBackward0", minmax_grad<false>};
const BinarySpec kFmax{"fmax", &fmax_stub, BinKind::Numeric, "FmaxBackward0", fminmax_grad<true>};
const BinarySpec kFmin{"fmin", &fmin_stub, BinKind::Numeric, "FminBackward0", fminmax_grad<false>};
const BinarySpec kCopysign{"copysign", &copysign_stub, BinKind::Float, "CopysignBackward0", copysign_grad, true};
const BinarySpec kXlogy{"xlogy", &xlogy_stub, BinKind::Float, "XlogyBackward0", xlogy_grad};
}  // namespace

#define EMBER_BINARY_GENERIC(name, spec)                                                          \
  Tensor name(const Tensor& a, const Tensor& b) { return binary_generic(spec, a, b); }           \
  Tensor name(const Tensor& a, const Scalar& b) { return binary_generic(spec, a, wrap_scalar(b)); } \
  Tensor& name##_(Tensor& a, const Tensor& b) { return binary_generic_(spec, a, b); }
EMBER_BINARY_GENERIC(remainder, kRemainder)
EMBER_BINARY_GENERIC(fmod, kFmod)
EMBER_BINARY_GENERIC(atan2, kAtan2)
EMBER_BINARY_GENERIC(hypot, kHypot)
EMBER_BINARY_GENERIC(maximum, kMaximum)
EMBER_BINARY_GENERIC(minimum, kMinimum)
EMBER_BINARY_GENERIC(fmax, kFmax)
EMBER_BINARY_GENERIC(fmin, kFmin)
EMBER_BINARY_GENERIC(copysign, kCopysign)
EMBER_BINARY_GENERIC(xlogy, kXlogy)
#undef EMBER_BINARY_GENERIC

Tensor floor_divide(const Tensor& a, const Tensor& b) { return div(a, b, "floor"); }
Tensor floor_divide(const Tensor& a, const Scalar& b) { return div(a, b, "floor"); }
Tensor& floor_divide_(Tensor& a, const Tensor& b) { return div_(a, b, "floor"); }

// pow: an integer tensor to a negative integer scalar power is an error, as in PyTorch.
Tensor pow(const Tensor& a, const Tensor& b) { return binary_generic(kPow, a, b); }
Tensor pow(const Tensor& a, const Scalar& b) {
  EMBER_CHECK(!(is_integral(a.dtype(), true) && b.is_integral() && b.to_int() < 0), Runtime,
              "[ember.pow] Integers to negative integer powers are not allowed.");
  if (a.dtype() == Dtype::Bool && b.is_bool()) return b.to_bool() ? a.clone() : ones_like(a);  // as PyTorch
  return binary_generic(kPowScalar, a, wrap_scalar(b));
}
Tensor& pow_(Tensor& a, const Tensor& b) { return binary_generic_(kPow, a, b); }
Tensor pow(const Scalar& base, const Tensor& exponent) {
  static const BinarySpec spec{"pow", &pow_stub, BinKind::Numeric, "PowBackward2", pow_grad, true};
  return binary_generic(spec, wrap_scalar(base), exponent);
}

// ---- lerp: start + weight * (end - start); start, end (and a tensor weight) share one float dtype.
namespace {
struct LerpBackward final : Node {
  std::string node_name;
  SavedTensor start, end, weight;
  double scalar_weight = 0;
  Shape s_shape, e_shape, w_shape;
  std::string name() const override { return node_name; }
  void release_saved() override {
    start.reset();
    end.reset();
    weight.reset();
  }
  tensor_list apply(tensor_list&& grads) override {
    const Tensor& g = grads[0];
    Tensor w = weight.unpack(this);
    tensor_list r(w.defined() ? 3 : 2);
    if (should_compute_output(0)) r[0] = sum_to_shape(w.defined() ? mul(g, rsub(w, 1.0)) : mul(g, 1.0 - scalar_weight), s_shape);
    if (should_compute_output(1)) r[1] = sum_to_shape(w.defined() ? mul(g, w) : mul(g, scalar_weight), e_shape);
    if (w.defined() && should_compute_output(2))
      r[2] = sum_to_shape(mul(g, sub(end.unpack(this), start.unpack(this))), w_shape);
    return r;
  }
};

Tensor lerp_impl(const Tensor& s, const Tensor& e, const Tensor& w, double scalar_w, Tensor* inplace) {
  const char* op = inplace ? "lerp_" : "lerp";
  EMBER_CHECK(s.dtype() == e.dtype(), Runtime, "[ember.", op, "] expected dtype ", dtype_name(s.dtype()),
              " for `end` but got dtype ", dtype_name(e.dtype()));
  EMBER_CHECK(!w.defined() || w.dtype() == s.dtype(), Runtime, "[ember.", op, "] expected dtype ", dtype_name(s.dtype()),
              " for `weight` but got dtype ", dtype_name(w.dtype()));
  EMBER_CHECK(is_floating_point(s.dtype()), Runtime, "[ember.", op, "] not implemented for dtype ", dtype_name(s.dtype()));
  Tensor wt = w.defined() ? w : scalar_tensor(scalar_w, TensorOptions(s.dtype()).device(s.device()));
  Shape shape = broadcast_shapes(broadcast_shapes(s.sizes(), e.sizes(), op), wt.sizes(), op);
  if (inplace)
    EMBER_CHECK(shape == s.sizes(), Runtime, "[ember.lerp_] output with shape ", shape_str(s.sizes()),
                " doesn't match the broadcast shape ", shape_str(shape));
  std::shared_ptr<LerpBackward> node =
      w.defined() ? make_grad_node<LerpBackward>(s, e, w) : make_grad_node<LerpBackward>(s, e);
  if (node) {
    node->node_name = w.defined() ? "LerpBackward1" : "LerpBackward0";
    node->scalar_weight = scalar_w;
    if (w.defined()) {
      node->weight = SavedTensor(w);
      node->start = SavedTensor(inplace ? s.clone().detach() : s);
      node->end = SavedTensor(e);
    }
    node->s_shape = s.sizes();
    node->e_shape = e.sizes();
    node->w_shape = wt.sizes();
  }
  Tensor out = inplace ? *inplace : empty(shape, TensorOptions(s.dtype()).device(s.device()));
  if (out.numel()) {
    Tensor ec = cast_for_kernel(e, s.dtype(), s.device()), wc = cast_for_kernel(wt, s.dtype(), s.device());
    BroadcastView vs(s, shape), ve(ec, shape), vw(wc, shape);
    ElementwiseArgs args;
    args.out = View(out);
    args.in[0] = vs.view;
    args.in[1] = ve.view;
    args.in[2] = vw.view;
    args.nin = 3;
    lerp_stub.get(s.device().type, s.dtype())(args);
  }
  if (inplace) {
    inplace->bump_version();
    rebase_history(*inplace, node);
  } else if (node) {
    set_history(out, node);
  }
  return out;
}
}  // namespace

Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight) { return lerp_impl(start, end, weight, 0, nullptr); }
Tensor lerp(const Tensor& start, const Tensor& end, const Scalar& weight) {
  return lerp_impl(start, end, Tensor(), weight.to_double(), nullptr);
}
Tensor& lerp_(Tensor& start, const Tensor& end, const Tensor& weight) {
  check_inplace(start, "lerp_");
  lerp_impl(start, end, weight, 0, &start);
  return start;
}
Tensor& lerp_(Tensor& start, const Tensor& end, const Scalar& weight) {
  check_inplace(start, "lerp_");
  lerp_impl(start, end, Tensor(), weight.to_double(), &start);
  return start;
}

}  // namespace ember
