// Convolution: conv1d/conv2d and their transposes. Forward and both backward passes run on the
// conv kernels (im2col + the shared GEMM on the CPU); conv1d and the transposes reuse conv2d's.
#include "ember/nn/functional.h"
#include "ops/op_utils.h"

namespace ember::nn::functional {
namespace {

struct Params {
  int64_t stride[2], pad_before[2], pad_total[2], dilation[2], output_padding[2], groups;
};

int64_t pick(const IntList& v, size_t i, const char* what, const char* op) {
  EMBER_CHECK(v.size() == 1 || v.size() == 2, Runtime, "[ember.", op, "] expected ", what,
              " to be a single integer or a pair, got ", v.size(), " values");
  return v.size() == 1 ? v[0] : v[i];
}

Params make_params(IntList stride, IntList padding, IntList dilation, IntList output_padding, int64_t groups,
                   const char* op) {
  Params p{};
  for (size_t i = 0; i < 2; ++i) {
    p.stride[i] = pick(stride, i, "stride", op);
    p.pad_before[i] = p.pad_total[i] = pick(padding, i, "padding", op);
    p.pad_total[i] *= 2;
    p.dilation[i] = pick(dilation, i, "dilation", op);
    p.output_padding[i] = pick(output_padding, i, "output_padding", op);
    EMBER_CHECK(p.stride[i] > 0, Runtime, "[ember.", op, "] non-positive stride is not supported");
    EMBER_CHECK(p.pad_before[i] >= 0, Runtime, "[ember.", op, "] negative padding is not supported");
    EMBER_CHECK(p.dilation[i] > 0, Runtime, "[ember.", op, "] dilation should be greater than zero");
  }
  EMBER_CHECK(groups > 0, Runtime, "[ember.", op, "] non-positive groups is not supported");
  p.groups = groups;
  return p;
}

ConvArgs conv_args(const Tensor& input, const Tensor& weight, const Tensor& output, const Params& p) {
  ConvArgs a;
  a.input = View(input);
  a.weight = View(weight);
  a.output = View(output);
  for (int i = 0; i < 2; ++i) {
    a.stride[i] = p.stride[i];
    a.pad_before[i] = p.pad_before[i];
    a.dilation[i] = p.dilation[i];
  }
  a.groups = p.groups;
  return a;
}

void check_common(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias) {
  check_same_device(op, input, weight);
  EMBER_CHECK(input.dtype() == weight.dtype(), Runtime, "[ember.", op, "] Input type (", dtype_name(input.dtype()),
              ") and weight type (", dtype_name(weight.dtype()), ") should be the same");
  EMBER_CHECK(is_floating_point(input.dtype()), Runtime, "[ember.", op, "] expected a floating-point input, got ",
              dtype_name(input.dtype()));
  if (bias.defined()) {
    EMBER_CHECK(bias.dtype() == input.dtype(), Runtime, "[ember.", op, "] Input type (", dtype_name(input.dtype()),
                ") and bias type (", dtype_name(bias.dtype()), ") should be the same");
    EMBER_CHECK(bias.dim() == 1 && bias.numel() == weight.sizes()[0] * 1, Runtime, "[ember.", op,
                "] expected bias of shape [", weight.sizes()[0], "], got ", shape_str(bias.sizes()));
  }
}

// 16-bit floats run through float32 kernels.
Dtype kernel_dtype(Dtype d) { return (d == Dtype::Float16 || d == Dtype::BFloat16) ? Dtype::Float32 : d; }

Tensor add_bias(Tensor out, const Tensor& bias) {
  if (!bias.defined()) return out;
  autograd::NoGradGuard g;
  return add_(out, view(bias, {1, bias.numel(), 1, 1}));
}

// out[N, C_out, oh, ow] = conv(x, w) without bias; x, w contiguous in the kernel dtype.
Tensor conv_forward_raw(const Tensor& x, const Tensor& w, const Params& p, int64_t oh, int64_t ow) {
  Tensor out = empty({x.sizes()[0], w.sizes()[0], oh, ow}, TensorOptions(x.dtype()).device(x.device()));
  if (out.numel() == 0) return out;
  if (x.sizes()[1] == 0 || w.numel() == 0) return zero_(out);
  conv2d_forward_stub.get(x.device().type, x.dtype())(conv_args(x, w, out, p));
  return out;
}

Tensor conv_input_grad_raw(const Tensor& gy, const Tensor& w, const Shape& x_shape, const Params& p) {
  Tensor gx = empty(x_shape, TensorOptions(gy.dtype()).device(gy.device()));
  if (gx.numel() == 0) return gx;
  conv2d_backward_input_stub.get(gy.device().type, gy.dtype())(conv_args(gx, w, gy, p));
  return gx;
}

Tensor conv_weight_grad_raw(const Tensor& x, const Tensor& gy, const Shape& w_shape, const Params& p) {
  Tensor gw = empty(w_shape, TensorOptions(x.dtype()).device(x.device()));
  if (gw.numel() == 0) return gw;
  conv2d_backward_weight_stub.get(x.device().type, x.dtype())(conv_args(x, gw, gy, p));
  return gw;
}

Tensor prepare(const Tensor& t) {
  Tensor r = t.detach();
  if (kernel_dtype(r.dtype()) != r.dtype()) r = to_dtype(r, kernel_dtype(r.dtype()));
  return contiguous(r);
}

void refuse_double_backward(const char* op) {
  EMBER_CHECK(!autograd::is_grad_enabled(), NotImplemented, "[ember.", op,
              "] double backward (create_graph=True) through a convolution is not supported yet");
}

struct ConvolutionBackward0 : Node {
  SavedTensor input, weight;
  Params p{};
  bool has_bias = false, transposed = false;
  std::string name() const override { return "ConvolutionBackward0"; }
  void release_saved() override { input.reset(); weight.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    refuse_double_backward("conv2d");
    Tensor x = input.unpack(this), w = weight.unpack(this);
    Dtype dt = x.dtype();
    Tensor gy = prepare(grads[0]), xk = prepare(x), wk = prepare(w);
    Tensor gx, gw, gb;
    if (!transposed) {
      if (should_compute_output(0)) gx = conv_input_grad_raw(gy, wk, xk.sizes(), p);
      if (should_compute_output(1)) gw = conv_weight_grad_raw(xk, gy, wk.sizes(), p);
    } else {  // y = conv^T(x, w): gx = conv(gy, w); gw = weight-grad with input gy, grad_output x
      if (should_compute_output(0)) gx = conv_forward_raw(gy, wk, p, xk.sizes()[2], xk.sizes()[3]);
      if (should_compute_output(1)) gw = conv_weight_grad_raw(gy, xk, wk.sizes(), p);
    }
    if (has_bias && should_compute_output(2)) gb = sum(grads[0], {0, 2, 3});
    if (gx.defined() && gx.dtype() != dt) gx = to_dtype(gx, dt);
    if (gw.defined() && gw.dtype() != dt) gw = to_dtype(gw, dt);
    return {gx, gw, gb};
  }
};

int64_t conv_out_size(int64_t in, int64_t k, const Params& p, int i) {
  return (in + p.pad_total[i] - p.dilation[i] * (k - 1) - 1) / p.stride[i] + 1;
}

}  // namespace

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntList stride, IntList padding,
              IntList dilation, int64_t groups, const std::string& padding_mode) {
  const char* op = "conv2d";
  EMBER_CHECK(input.dim() == 3 || input.dim() == 4, Runtime, "[ember.conv2d] Expected 3D (unbatched) or 4D (batched) "
              "input to conv2d, but got input of size: ", shape_str(input.sizes()));
  if (input.dim() == 3)
    return squeeze(conv2d(unsqueeze(input, 0), weight, bias, stride, padding, dilation, groups, padding_mode), {0});
  EMBER_CHECK(weight.dim() == 4, Runtime, "[ember.conv2d] expected a 4-D weight [out_channels, in_channels/groups, kH, kW], got ",
              shape_str(weight.sizes()));
  check_common(op, input, weight, bias);
  Params p = make_params(stride, padding_mode.empty() ? padding : IntList{0}, dilation, {0}, groups, op);
  const int64_t c_in = input.sizes()[1], c_out = weight.sizes()[0];
  EMBER_CHECK(c_in == weight.sizes()[1] * groups, Runtime, "[ember.conv2d] Given groups=", groups, ", weight of size ",
              shape_str(weight.sizes()), ", expected input", shape_str(input.sizes()), " to have ",
              weight.sizes()[1] * groups, " channels, but got ", c_in, " channels instead");
  EMBER_CHECK(c_out % groups == 0, Runtime, "[ember.conv2d] Given groups=", groups, ", expected weight to be divisible by ",
              groups, " at dimension 0, but got weight of size ", shape_str(weight.sizes()), " instead");
  if (padding_mode == "same") {
    for (int i = 0; i < 2; ++i) {
      EMBER_CHECK(p.stride[i] == 1, Runtime, "[ember.conv2d] padding='same' is not supported for strided convolutions");
      p.pad_total[i] = p.dilation[i] * (weight.sizes()[2 + i] - 1);
      p.pad_before[i] = p.pad_total[i] / 2;
    }
  } else {
    EMBER_CHECK(padding_mode.empty() || padding_mode == "valid", Value, "[ember.conv2d] Invalid padding string '",
                padding_mode, "', should be one of {'valid', 'same'}");
  }
  int64_t oh = conv_out_size(input.sizes()[2], weight.sizes()[2], p, 0);
  int64_t ow = conv_out_size(input.sizes()[3], weight.sizes()[3], p, 1);
  EMBER_CHECK(oh > 0 && ow > 0, Runtime, "[ember.conv2d] Calculated padded input size per channel: (",
              input.sizes()[2] + p.pad_total[0], " x ", input.sizes()[3] + p.pad_total[1], "). Kernel size: (",
              p.dilation[0] * (weight.sizes()[2] - 1) + 1, " x ", p.dilation[1] * (weight.sizes()[3] - 1) + 1,
              "). Kernel size can't be greater than actual input size");
  Tensor out = conv_forward_raw(prepare(input), prepare(weight), p, oh, ow);
  if (out.dtype() != input.dtype()) out = to_dtype(out, input.dtype());
  out = add_bias(out, bias.defined() ? bias.detach() : bias);
  if (auto node = make_grad_node<ConvolutionBackward0>(input, weight, bias)) {
    node->input = SavedTensor(input);
    node->weight = SavedTensor(weight);
    node->p = p;
    node->has_bias = bias.defined();
    set_history(out, node);
  }
  return out;
}

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntList stride, IntList padding,
              IntList dilation, int64_t groups, const std::string& padding_mode) {
  EMBER_CHECK(input.dim() == 2 || input.dim() == 3, Runtime, "[ember.conv1d] Expected 2D (unbatched) or 3D (batched) "
              "input to conv1d, but got input of size: ", shape_str(input.sizes()));
  EMBER_CHECK(weight.dim() == 3, Runtime, "[ember.conv1d] expected a 3-D weight, got ", shape_str(weight.sizes()));
  auto one = [](const IntList& v, int64_t fill) {
    EMBER_CHECK(v.size() == 1, Runtime, "[ember.conv1d] expected a single integer per argument, got ", v.size());
    return IntList{fill, v[0]};
  };
  Tensor out = conv2d(unsqueeze(input, -2), unsqueeze(weight, -2), bias, one(stride, 1), one(padding, 0),
                      one(dilation, 1), groups, padding_mode);
  return squeeze(out, {-2});
}

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntList stride,
                        IntList padding, IntList output_padding, int64_t groups, IntList dilation) {
  const char* op = "conv_transpose2d";
  EMBER_CHECK(input.dim() == 3 || input.dim() == 4, Runtime, "[ember.conv_transpose2d] Expected 3D (unbatched) or 4D "
              "(batched) input, but got input of size: ", shape_str(input.sizes()));
  if (input.dim() == 3)
    return squeeze(conv_transpose2d(unsqueeze(input, 0), weight, bias, stride, padding, output_padding, groups, dilation), {0});
  EMBER_CHECK(weight.dim() == 4, Runtime, "[ember.conv_transpose2d] expected a 4-D weight, got ", shape_str(weight.sizes()));
  check_common(op, input, weight, Tensor());
  Params p = make_params(stride, padding, dilation, output_padding, groups, op);
  EMBER_CHECK(input.sizes()[1] == weight.sizes()[0], Runtime, "[ember.conv_transpose2d] Given transposed=1, weight of size ",
              shape_str(weight.sizes()), ", expected input", shape_str(input.sizes()), " to have ", weight.sizes()[0],
              " channels, but got ", input.sizes()[1], " channels instead");
  const int64_t c_out = weight.sizes()[1] * groups;
  if (bias.defined())
    EMBER_CHECK(bias.dim() == 1 && bias.numel() == c_out, Runtime, "[ember.conv_transpose2d] expected bias of shape [",
                c_out, "], got ", shape_str(bias.sizes()));
  Shape out_shape = {input.sizes()[0], c_out, 0, 0};
  for (int i = 0; i < 2; ++i) {
    EMBER_CHECK(p.output_padding[i] < p.stride[i] || p.output_padding[i] < p.dilation[i], Runtime,
                "[ember.conv_transpose2d] output padding must be smaller than either stride or dilation");
    out_shape[2 + i] = (input.sizes()[2 + i] - 1) * p.stride[i] - p.pad_total[i] +
                       p.dilation[i] * (weight.sizes()[2 + i] - 1) + p.output_padding[i] + 1;
    EMBER_CHECK(out_shape[2 + i] > 0, Runtime, "[ember.conv_transpose2d] the output size would be ",
                shape_str(out_shape), ", which is too small");
  }
  Tensor xk = prepare(input), wk = prepare(weight);
  Shape ks = out_shape;
  Tensor out = conv_input_grad_raw(xk, wk, ks, p);
  if (out.dtype() != input.dtype()) out = to_dtype(out, input.dtype());
  out = add_bias(out, bias.defined() ? bias.detach() : bias);
  if (auto node = make_grad_node<ConvolutionBackward0>(input, weight, bias)) {
    node->input = SavedTensor(input);
    node->weight = SavedTensor(weight);
    node->p = p;
    node->has_bias = bias.defined();
    node->transposed = true;
    set_history(out, node);
  }
  return out;
}

Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntList stride,
                        IntList padding, IntList output_padding, int64_t groups, IntList dilation) {
  EMBER_CHECK(input.dim() == 2 || input.dim() == 3, Runtime, "[ember.conv_transpose1d] Expected 2D or 3D input, got ",
              shape_str(input.sizes()));
  EMBER_CHECK(weight.dim() == 3, Runtime, "[ember.conv_transpose1d] expected a 3-D weight, got ", shape_str(weight.sizes()));
  auto one = [](const IntList& v, int64_t fill) {
    EMBER_CHECK(v.size() == 1, Runtime, "[ember.conv_transpose1d] expected a single integer per argument, got ", v.size());
    return IntList{fill, v[0]};
  };
  Tensor out = conv_transpose2d(unsqueeze(input, -2), unsqueeze(weight, -2), bias, one(stride, 1), one(padding, 0),
                                one(output_padding, 0), groups, one(dilation, 1));
  return squeeze(out, {-2});
}

}  // namespace ember::nn::functional
