// Normalisation: layer_norm, batch_norm (training and eval, running statistics), group_norm.
// Forward and backward each run one fused kernel; group_norm is layer_norm over groups + affine.
#include "ember/nn/functional.h"
#include "ops/op_utils.h"

namespace ember::nn::functional {
namespace {

Dtype compute_dtype(Dtype d) { return (d == Dtype::Float16 || d == Dtype::BFloat16) ? Dtype::Float32 : d; }

Tensor prep(const Tensor& t, Dtype d) {
  if (!t.defined()) return t;
  Tensor r = t.detach();
  if (r.dtype() != d) r = to_dtype(r, d);
  return contiguous(r);
}

View opt_view(const Tensor& t) { return t.defined() ? View(t) : View(); }

void refuse_double_backward(const char* op) {
  EMBER_CHECK(!autograd::is_grad_enabled(), NotImplemented, "[ember.", op,
              "] double backward (create_graph=True) through this normalisation is not supported yet");
}

struct NativeLayerNormBackward0 : Node {
  SavedTensor input, weight, mean, rstd;
  int64_t rows = 0, d = 0;
  bool has_weight = false, has_bias = false;
  std::string name() const override { return "NativeLayerNormBackward0"; }
  void release_saved() override { input.reset(); weight.reset(); mean.reset(); rstd.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    refuse_double_backward("layer_norm");
    Tensor x = input.unpack(this);
    Dtype dt = compute_dtype(x.dtype());
    Tensor x2 = view(prep(x, dt), {rows, d}), dy = view(prep(grads[0], dt), {rows, d});
    Tensor w = has_weight ? prep(weight.unpack(this), dt) : Tensor();
    Tensor m = mean.unpack(this), r = rstd.unpack(this);
    Tensor gx, gw, gb;
    if (should_compute_output(0)) {
      Tensor dx = empty({rows, d}, TensorOptions(dt).device(x.device()));
      NormArgs a;
      a.x = View(x2);
      a.dy = View(dy);
      a.weight = opt_view(w);
      a.mean = View(m);
      a.rstd = View(r);
      a.dx = View(dx);
      layer_norm_backward_stub.get(x.device().type, dt)(a);
      gx = to_dtype(reshape(dx, x.sizes()), x.dtype());
    }
    Shape wshape = has_weight ? weight.unpack(this).sizes() : Shape{d};
    if (has_weight && should_compute_output(1)) {
      Tensor xhat = mul(sub(x2, unsqueeze(m, 1)), unsqueeze(r, 1));
      gw = to_dtype(reshape(sum(mul(dy, xhat), {0}), wshape), x.dtype());
    }
    if (has_bias && should_compute_output(2)) gb = to_dtype(reshape(sum(dy, {0}), wshape), x.dtype());
    return {gx, gw, gb};
  }
};

}  // namespace

Tensor layer_norm(const Tensor& input, IntList normalized_shape, const Tensor& weight, const Tensor& bias, double eps) {
  const int64_t k = int64_t(normalized_shape.size());
  bool ok = k >= 1 && input.dim() >= k;
  for (int64_t i = 0; ok && i < k; ++i) ok = input.sizes()[input.dim() - k + i] == normalized_shape[i];
  EMBER_CHECK(ok, Runtime, "[ember.layer_norm] Given normalized_shape=", shape_str(normalized_shape),
              ", expected input with shape [*, ", shape_str(normalized_shape).substr(1), ", but got input of size",
              shape_str(input.sizes()));
  for (const Tensor* t : {&weight, &bias})
    if (t->defined())
      EMBER_CHECK(t->sizes() == Shape(normalized_shape), Runtime, "[ember.layer_norm] Expected weight and bias of shape ",
                  shape_str(normalized_shape), ", got ", shape_str(t->sizes()));
  EMBER_CHECK(is_floating_point(input.dtype()), Runtime, "[ember.layer_norm] expected a floating-point input, got ",
              dtype_name(input.dtype()));
  int64_t d = shape_numel(normalized_shape), rows = d ? input.numel() / d : 0;
  Dtype dt = compute_dtype(input.dtype());
  Tensor x2 = view(prep(input, dt), {rows, d});
  Tensor w = prep(weight, dt), b = prep(bias, dt);
  // y is allocated in the input's shape (not a view of a 2-D buffer): an in-place op on the output
  // (ReLU(inplace=True)) must find this op's node as its base history, not an empty one.
  Tensor y_full = empty(input.sizes(), TensorOptions(dt).device(input.device()));
  Tensor y = view(y_full, {rows, d});
  Tensor m = empty({rows}, TensorOptions(dt).device(input.device())), r = empty({rows}, TensorOptions(dt).device(input.device()));
  if (rows && d) {
    NormArgs a;
    a.x = View(x2);
    a.y = View(y);
    a.weight = opt_view(w);
    a.bias = opt_view(b);
    a.mean = View(m);
    a.rstd = View(r);
    a.eps = eps;
    layer_norm_forward_stub.get(input.device().type, dt)(a);
  }
  Tensor out = to_dtype(y_full, input.dtype());
  if (auto node = make_grad_node<NativeLayerNormBackward0>(input, weight, bias)) {
    node->input = SavedTensor(input);
    if (weight.defined()) node->weight = SavedTensor(weight);
    node->mean = SavedTensor(m);
    node->rstd = SavedTensor(r);
    node->rows = rows;
    node->d = d;
    node->has_weight = weight.defined();
    node->has_bias = bias.defined();
    set_history(out, node);
  }
  return out;
}

namespace {
struct NativeBatchNormBackward0 : Node {
  SavedTensor input, weight, mean, rstd;
  bool training = true, has_weight = false, has_bias = false;
  std::string name() const override { return "NativeBatchNormBackward0"; }
  void release_saved() override { input.reset(); weight.reset(); mean.reset(); rstd.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    refuse_double_backward("batch_norm");
    Tensor x = input.unpack(this);
    Dtype dt = compute_dtype(x.dtype());
    int64_t n = x.sizes()[0], c = x.sizes()[1], s = c && n ? x.numel() / (n * c) : 0;
    Tensor x3 = view(prep(x, dt), {n, c, s}), dy = view(prep(grads[0], dt), {n, c, s});
    Tensor w = has_weight ? prep(weight.unpack(this), dt) : Tensor();
    Tensor dx = should_compute_output(0) ? empty({n, c, s}, TensorOptions(dt).device(x.device())) : Tensor();
    Tensor dw = has_weight && should_compute_output(1) ? empty({c}, TensorOptions(dt).device(x.device())) : Tensor();
    Tensor db = has_bias && should_compute_output(2) ? empty({c}, TensorOptions(dt).device(x.device())) : Tensor();
    NormArgs a;
    a.x = View(x3);
    a.dy = View(dy);
    a.weight = opt_view(w);
    a.mean = View(mean.unpack(this));
    a.rstd = View(rstd.unpack(this));
    a.dx = opt_view(dx);
    a.dweight = opt_view(dw);
    a.dbias = opt_view(db);
    a.training = training;
    batch_norm_backward_stub.get(x.device().type, dt)(a);
    auto back = [&](const Tensor& t, const Shape& shape) { return t.defined() ? to_dtype(reshape(t, shape), x.dtype()) : t; };
    return {back(dx, x.sizes()), back(dw, {c}), back(db, {c})};
  }
};
}  // namespace

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  EMBER_CHECK(input.dim() >= 2, Runtime, "[ember.batch_norm] expected 2D or more input (got ", input.dim(), "D input)");
  EMBER_CHECK(is_floating_point(input.dtype()), Runtime, "[ember.batch_norm] expected a floating-point input, got ",
              dtype_name(input.dtype()));
  const int64_t n = input.sizes()[0], c = input.sizes()[1], s = n && c ? input.numel() / (n * c) : 0;
  for (const Tensor* t : {&running_mean, &running_var, &weight, &bias})
    if (t->defined())
      EMBER_CHECK(t->numel() == c, Runtime, "[ember.batch_norm] running_mean should contain ", c,
                  " elements not ", t->numel());
  if (training)
    EMBER_CHECK(n * s > 1, Value, "[ember.batch_norm] Expected more than 1 value per channel when training, got input size ",
                shape_str(input.sizes()));
  else
    EMBER_CHECK(running_mean.defined() && running_var.defined(), Runtime,
                "[ember.batch_norm] running_mean and running_var must be defined in evaluation mode");
  Dtype dt = compute_dtype(input.dtype());
  Tensor x3 = view(prep(input, dt), {n, c, s});
  Tensor y_full = empty(input.sizes(), TensorOptions(dt).device(input.device()));  // not a view: see layer_norm
  Tensor y = view(y_full, {n, c, s});
  Tensor m, r;
  if (training) {
    m = empty({c}, TensorOptions(dt).device(input.device()));
    r = empty({c}, TensorOptions(dt).device(input.device()));
  } else {
    autograd::NoGradGuard g;
    m = prep(running_mean, dt);
    r = prep(rdiv(sqrt(add(running_var, eps)), 1.0), dt);
  }
  NormArgs a;
  a.x = View(x3);
  a.y = View(y);
  Tensor w = prep(weight, dt), b = prep(bias, dt);
  a.weight = opt_view(w);
  a.bias = opt_view(b);
  a.mean = View(m);
  a.rstd = View(r);
  a.eps = eps;
  a.training = training;
  if (y.numel()) batch_norm_forward_stub.get(input.device().type, dt)(a);
  if (training && running_mean.defined() && running_var.defined()) {
    // running = (1 - momentum) * running + momentum * batch (the variance unbiased), in place.
    autograd::NoGradGuard g;
    double count = double(n * s);
    Tensor var = sub(rdiv(mul(r, r), 1.0), eps);
    Tensor unbiased = mul(var, count / std::max(count - 1.0, 1.0));
    Tensor rm = running_mean, rv = running_var;
    mul_(rm, 1.0 - momentum);
    add_(rm, to_dtype(m, rm.dtype()), momentum);
    mul_(rv, 1.0 - momentum);
    add_(rv, to_dtype(unbiased, rv.dtype()), momentum);
  }
  Tensor out = to_dtype(y_full, input.dtype());
  if (auto node = make_grad_node<NativeBatchNormBackward0>(input, weight, bias)) {
    node->input = SavedTensor(input);
    if (weight.defined()) node->weight = SavedTensor(weight);
    node->mean = SavedTensor(m);
    node->rstd = SavedTensor(r);
    node->training = training;
    node->has_weight = weight.defined();
    node->has_bias = bias.defined();
    set_history(out, node);
  }
  return out;
}

Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight, const Tensor& bias, double eps) {
  EMBER_CHECK(input.dim() >= 2, Runtime, "[ember.group_norm] Expected at least 2 dimensions for input tensor but received ",
              input.dim());
  const int64_t n = input.sizes()[0], c = input.sizes()[1];
  EMBER_CHECK(num_groups > 0 && c % num_groups == 0, Runtime, "[ember.group_norm] Expected number of channels in input to be "
              "divisible by num_groups, but got input of shape ", shape_str(input.sizes()), " and num_groups=", num_groups);
  int64_t per = input.numel() / std::max<int64_t>(n * num_groups, 1);
  Tensor normed = reshape(layer_norm(reshape(input, {n, num_groups, per}), {per}, Tensor(), Tensor(), eps), input.sizes());
  Shape affine(input.dim(), 1);
  affine[1] = c;
  if (weight.defined()) normed = mul(normed, reshape(weight, affine));
  if (bias.defined()) normed = add(normed, reshape(bias, affine));
  return normed;
}

}  // namespace ember::nn::functional
