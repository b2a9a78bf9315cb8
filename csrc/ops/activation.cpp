// clamp / clip and the activations with parameters (hardtanh, relu6, leaky_relu, elu, celu,
// softplus, gelu, threshold). The parameter-free activations are rows of unary_ops.def.
#include <cmath>
#include <functional>
#include <limits>

#include "ops/binary_impl.h"

namespace ember {
namespace {

// grad_input = fn(grad, self); fn captures the op's parameters.
struct ParamUnaryBackward final : Node {
  std::string node_name;
  SavedTensor self;
  std::function<Tensor(const Tensor&, const Tensor&)> fn;
  std::string name() const override { return node_name; }
  void release_saved() override { self.reset(); }
  tensor_list apply(tensor_list&& grads) override { return {fn(grads[0], self.unpack(this))}; }
};
using GradFn = std::function<Tensor(const Tensor&, const Tensor&)>;

void run_param(const DispatchStub<ElementwiseFn>& stub, const Tensor& out, const Tensor& in, double s0, double s1) {
  if (out.numel() == 0) return;
  ElementwiseArgs args;
  args.out = View(out);
  args.in[0] = View(in);
  args.nin = 1;
  args.s0 = s0;
  args.s1 = s1;
  stub.get(out.device().type, out.dtype())(args);
}

Tensor param_unary(const DispatchStub<ElementwiseFn>& stub, const char* node_name, const Tensor& x, Dtype dt, double s0,
                   double s1, GradFn fn) {
  Tensor in = cast_for_kernel(x, dt, x.device());
  Tensor out = empty(x.sizes(), TensorOptions(dt).device(x.device()));
  run_param(stub, out, in, s0, s1);
  if (is_floating_point(dt)) {
    if (auto node = make_grad_node<ParamUnaryBackward>(x)) {
      node->node_name = node_name;
      node->self = SavedTensor(x);
      node->fn = std::move(fn);
      set_history(out, node);
    }
  }
  return out;
}

Tensor& param_unary_(const DispatchStub<ElementwiseFn>& stub, const char* op, const char* node_name, Tensor& x, Dtype dt,
                     double s0, double s1, GradFn fn) {
  check_can_cast(op, dt, x.dtype());
  check_inplace(x, op);
  std::shared_ptr<ParamUnaryBackward> node;
  if (is_floating_point(x.dtype())) node = make_grad_node<ParamUnaryBackward>(x);
  if (node) {
    node->node_name = node_name;
    node->self = SavedTensor(x.clone().detach());
    node->fn = std::move(fn);
  }
  if (dt == x.dtype()) {
    run_param(stub, x, x, s0, s1);
    x.bump_version();
  } else {
    Tensor r = empty(x.sizes(), TensorOptions(dt).device(x.device()));
    run_param(stub, r, cast_for_kernel(x, dt, x.device()), s0, s1);
    autograd::NoGradGuard no_grad;
    copy_(x, r);
  }
  rebase_history(x, node);
  return x;
}

void check_float(const Tensor& x, const char* op) {
  EMBER_CHECK(is_floating_point(x.dtype()), Runtime, "[ember.", op, "] not implemented for dtype ", dtype_name(x.dtype()),
              " (expected a floating point tensor)");
}

Tensor masked(const Tensor& mask, const Tensor& grad) { return where(mask, grad, zero_of(grad)); }

constexpr double kInf = std::numeric_limits<double>::infinity();

// clamp with scalar bounds: dtype by promotion with the bounds as Python numbers.
Dtype clamp_dtype(const Tensor& x, const std::optional<Scalar>& lo, const std::optional<Scalar>& hi, const char* op) {
  EMBER_CHECK(lo || hi, Runtime, "[ember.", op, "] At least one of 'min' or 'max' must not be None");
  Dtype dt = result_type_list({x, lo ? wrap_scalar(*lo) : Tensor(), hi ? wrap_scalar(*hi) : Tensor()});
  EMBER_CHECK(dt != Dtype::Bool, Runtime, "[ember.", op, "] not implemented for dtype bool");
  return dt;
}

GradFn clamp_grad(std::optional<double> lo, std::optional<double> hi) {
  return [lo, hi](const Tensor& g, const Tensor& x) {
    Tensor mask;
    if (lo) mask = ge(x, *lo);
    if (hi) mask = mask.defined() ? logical_and(mask, le(x, *hi)) : le(x, *hi);
    return masked(mask, g);
  };
}

}  // namespace

// ---- clamp / clip
Tensor clamp(const Tensor& x, const std::optional<Scalar>& min, const std::optional<Scalar>& max) {
  Dtype dt = clamp_dtype(x, min, max, "clamp");
  std::optional<double> lo, hi;
  if (min) lo = min->to_double();
  if (max) hi = max->to_double();
  return param_unary(clamp_stub, "ClampBackward1", x, dt, lo ? *lo : -kInf, hi ? *hi : kInf, clamp_grad(lo, hi));
}

Tensor& clamp_(Tensor& x, const std::optional<Scalar>& min, const std::optional<Scalar>& max) {
  Dtype dt = clamp_dtype(x, min, max, "clamp_");
  std::optional<double> lo, hi;
  if (min) lo = min->to_double();
  if (max) hi = max->to_double();
  return param_unary_(clamp_stub, "clamp_", "ClampBackward1", x, dt, lo ? *lo : -kInf, hi ? *hi : kInf,
                      clamp_grad(lo, hi));
}

// Tensor bounds: minimum(maximum(x, min), max), so min > max gives max as in PyTorch.
Tensor clamp(const Tensor& x, const Tensor& min, const Tensor& max) {
  EMBER_CHECK(min.defined() || max.defined(), Runtime, "[ember.clamp] At least one of 'min' or 'max' must not be None");
  Tensor r = x;
  if (min.defined()) r = maximum(r, min);
  if (max.defined()) r = minimum(r, max);
  return r;
}

Tensor& clamp_(Tensor& x, const Tensor& min, const Tensor& max) {
  EMBER_CHECK(min.defined() || max.defined(), Runtime, "[ember.clamp_] At least one of 'min' or 'max' must not be None");
  if (min.defined()) maximum_(x, min);
  if (max.defined()) minimum_(x, max);
  return x;
}

// ---- hardtanh / relu6: gradient passes strictly inside (min_val, max_val).
namespace {
GradFn hardtanh_grad(double lo, double hi) {
  return [lo, hi](const Tensor& g, const Tensor& x) { return masked(logical_and(gt(x, lo), lt(x, hi)), g); };
}
Dtype hardtanh_dtype(const Tensor& x, const char* op) {
  EMBER_CHECK(x.dtype() != Dtype::Bool, Runtime, "[ember.", op, "] not implemented for dtype bool");
  return x.dtype();
}
}  // namespace

Tensor hardtanh(const Tensor& x, const Scalar& min_val, const Scalar& max_val) {
  double lo = min_val.to_double(), hi = max_val.to_double();
  return param_unary(clamp_stub, "HardtanhBackward0", x, hardtanh_dtype(x, "hardtanh"), lo, hi, hardtanh_grad(lo, hi));
}
Tensor& hardtanh_(Tensor& x, const Scalar& min_val, const Scalar& max_val) {
  double lo = min_val.to_double(), hi = max_val.to_double();
  return param_unary_(clamp_stub, "hardtanh_", "HardtanhBackward0", x, hardtanh_dtype(x, "hardtanh_"), lo, hi,
                      hardtanh_grad(lo, hi));
}
Tensor relu6(const Tensor& x) { return hardtanh(x, 0, 6); }
Tensor& relu6_(Tensor& x) { return hardtanh_(x, 0, 6); }

// ---- leaky_relu
namespace {
GradFn leaky_relu_grad(double slope) {
  return [slope](const Tensor& g, const Tensor& x) { return where(gt(x, 0.0), g, mul(g, slope)); };
}
}  // namespace

Tensor leaky_relu(const Tensor& x, double slope) {
  check_float(x, "leaky_relu");
  return param_unary(leaky_relu_stub, "LeakyReluBackward0", x, x.dtype(), slope, 0, leaky_relu_grad(slope));
}
Tensor& leaky_relu_(Tensor& x, double slope) {
  check_float(x, "leaky_relu_");
  return param_unary_(leaky_relu_stub, "leaky_relu_", "LeakyReluBackward1", x, x.dtype(), slope, 0, leaky_relu_grad(slope));
}

// ---- elu / celu: scale * (x > 0 ? x : alpha * (exp(x / input_scale) - 1))
namespace {
GradFn elu_grad(double alpha) {
  return [alpha](const Tensor& g, const Tensor& x) { return where(gt(x, 0.0), g, mul(g, mul(exp(x), alpha))); };
}
}  // namespace

Tensor elu(const Tensor& x, double alpha) {
  check_float(x, "elu");
  return param_unary(elu_stub, "EluBackward0", x, x.dtype(), alpha, 1.0, elu_grad(alpha));
}
Tensor& elu_(Tensor& x, double alpha) {
  check_float(x, "elu_");
  return param_unary_(elu_stub, "elu_", "EluBackward1", x, x.dtype(), alpha, 1.0, elu_grad(alpha));
}
// celu(x, alpha) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).
Tensor celu(const Tensor& x, double alpha) {
  check_float(x, "celu");
  EMBER_CHECK(alpha != 0, Runtime, "[ember.celu] ZeroDivisionError: alpha must not be 0");
  return mul(elu(div(x, alpha), 1.0), alpha);
}

// ---- softplus: log(1 + exp(beta x)) / beta, linear above threshold.
Tensor softplus(const Tensor& x, double beta, double threshold) {
  check_float(x, "softplus");
  return param_unary(softplus_stub, "SoftplusBackward0", x, x.dtype(), beta, threshold,
                     [beta, threshold](const Tensor& g, const Tensor& x) {
                       Tensor bx = mul(x, beta);
                       return where(gt(bx, threshold), g, mul(g, sigmoid(bx)));
                     });
}

// ---- gelu
namespace {
Tensor gelu_grad_exact(const Tensor& g, const Tensor& x) {
  constexpr double kInvSqrt2 = 0.7071067811865476, kInvSqrt2Pi = 0.3989422804014327;
  Tensor cdf = mul(add(erf(mul(x, kInvSqrt2)), 1.0), 0.5);
  Tensor pdf = mul(exp(mul(mul(x, x), -0.5)), kInvSqrt2Pi);
  return mul(g, add(cdf, mul(x, pdf)));
}
Tensor gelu_grad_tanh(const Tensor& g, const Tensor& x) {
  constexpr double kBeta = 0.7978845608028654, kKappa = 0.044715;
  Tensor x2 = mul(x, x);
  Tensor inner = mul(add(x, mul(mul(x2, x), kKappa)), kBeta);
  Tensor t = tanh(inner);
  Tensor left = mul(x, 0.5), right = add(t, 1.0);
  Tensor dleft = mul(right, 0.5);
  Tensor dright = mul(mul(left, rsub(mul(t, t), 1.0)), mul(add(mul(x2, 3 * kKappa), 1.0), kBeta));
  return mul(g, add(dleft, dright));
}
}  // namespace

Tensor gelu(const Tensor& x, const std::string& approximate) {
  EMBER_CHECK(approximate == "none" || approximate == "tanh", Runtime,
              "[ember.gelu] approximate argument must be either none or tanh, got '", approximate, "'");
  check_float(x, "gelu");
  bool use_tanh = approximate == "tanh";
  return param_unary(gelu_stub, "GeluBackward0", x, x.dtype(), use_tanh ? 1.0 : 0.0, 0,
                     use_tanh ? GradFn(gelu_grad_tanh) : GradFn(gelu_grad_exact));
}

// ---- threshold: x > threshold ? x : value
Tensor threshold(const Tensor& x, double th, double value) {
  EMBER_CHECK(x.dtype() != Dtype::Bool, Runtime, "[ember.threshold] not implemented for dtype bool");
  return param_unary(threshold_stub, "ThresholdBackward0", x, x.dtype(), th, value,
                     [th](const Tensor& g, const Tensor& x) { return threshold_backward(g, x, th); });
}
Tensor& threshold_(Tensor& x, double th, double value) {
  EMBER_CHECK(x.dtype() != Dtype::Bool, Runtime, "[ember.threshold_] not implemented for dtype bool");
  return param_unary_(threshold_stub, "threshold_", "ThresholdBackward1", x, x.dtype(), th, value,
                      [th](const Tensor& g, const Tensor& x) { return threshold_backward(g, x, th); });
}

}  // namespace ember
