// Pooling: max (with indices) and average over 2-D windows; adaptive forms; 1-D forms live in
// Python (ember.nn.functional) as views over these.
#include "ember/nn/functional.h"
#include "ops/op_utils.h"

namespace ember::nn::functional {
namespace {

struct PoolParams {
  int64_t kernel[2], stride[2], padding[2], dilation[2];
  bool ceil_mode = false;
};

int64_t pick(const IntList& v, size_t i, const char* what, const char* op) {
  EMBER_CHECK(v.size() == 1 || v.size() == 2, Runtime, "[ember.", op, "] ", what,
              " must either be a single int, or a tuple of two ints, got ", v.size(), " values");
  return v.size() == 1 ? v[0] : v[i];
}

PoolParams make_params(const IntList& kernel, const IntList& stride, const IntList& padding, const IntList& dilation,
                       bool ceil_mode, const char* op) {
  PoolParams p;
  for (size_t i = 0; i < 2; ++i) {
    p.kernel[i] = pick(kernel, i, "kernel_size", op);
    p.stride[i] = stride.empty() ? p.kernel[i] : pick(stride, i, "stride", op);
    p.padding[i] = pick(padding, i, "padding", op);
    p.dilation[i] = pick(dilation, i, "dilation", op);
    EMBER_CHECK(p.kernel[i] > 0, Runtime, "[ember.", op, "] kernel_size must be greater than zero, but got ", p.kernel[i]);
    EMBER_CHECK(p.stride[i] > 0, Runtime, "[ember.", op, "] stride must be greater than zero, but got ", p.stride[i]);
    EMBER_CHECK(p.dilation[i] > 0, Runtime, "[ember.", op, "] dilation must be greater than zero, but got ", p.dilation[i]);
    EMBER_CHECK(p.padding[i] >= 0 && p.padding[i] <= p.kernel[i] / 2, Runtime, "[ember.", op,
                "] pad should be at most half of effective kernel size, but got pad=", p.padding[i], ", kernel_size=",
                p.kernel[i], " and dilation=", p.dilation[i]);
  }
  p.ceil_mode = ceil_mode;
  return p;
}

// PyTorch's pooling output size, including the ceil_mode rule that the last window must start
// inside the input or left padding.
int64_t out_size(int64_t in, const PoolParams& p, int i) {
  int64_t eff = p.dilation[i] * (p.kernel[i] - 1) + 1;
  int64_t num = in + 2 * p.padding[i] - eff + (p.ceil_mode ? p.stride[i] - 1 : 0);
  int64_t out = num / p.stride[i] + 1;
  if (p.ceil_mode && (out - 1) * p.stride[i] >= in + p.padding[i]) --out;
  return out;
}

PoolArgs pool_args(const Tensor& in, const Tensor& out, const Tensor& idx, const PoolParams& p) {
  PoolArgs a;
  a.input = View(in);
  a.output = View(out);
  if (idx.defined()) a.indices = View(idx);
  for (int i = 0; i < 2; ++i) {
    a.kernel[i] = p.kernel[i];
    a.stride[i] = p.stride[i];
    a.padding[i] = p.padding[i];
    a.dilation[i] = p.dilation[i];
  }
  return a;
}

// [N, C, H, W] or [C, H, W] -> contiguous planes [N*C, H, W].
Tensor as_planes(const Tensor& x, const char* op) {
  EMBER_CHECK(x.dim() == 3 || x.dim() == 4, Runtime, "[ember.", op, "] Expected 3D or 4D (batch mode) tensor for input, got ",
              shape_str(x.sizes()));
  for (int64_t d = x.dim() - 2; d < x.dim(); ++d)
    EMBER_CHECK(x.sizes()[d] > 0, Runtime, "[ember.", op, "] Expected input's non-batch dimensions to have positive length, "
                "but input has a shape of ", shape_str(x.sizes()));
  Tensor c = contiguous(x.detach());
  return reshape(c, {-1, x.sizes()[x.dim() - 2], x.sizes()[x.dim() - 1]});
}

Shape with_spatial(const Tensor& x, int64_t oh, int64_t ow) {
  Shape s = x.sizes();
  s[s.size() - 2] = oh;
  s[s.size() - 1] = ow;
  return s;
}

struct MaxPool2DWithIndicesBackward0 : Node {
  SavedTensor indices;
  Shape in_shape;
  PoolParams p;
  std::string name() const override { return "MaxPool2DWithIndicesBackward0"; }
  void release_saved() override { indices.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    Tensor idx = indices.unpack(this);
    Tensor gy = contiguous(grads[0].detach());
    Tensor gx = empty(in_shape, TensorOptions(gy.dtype()).device(gy.device()));
    int64_t h = in_shape[in_shape.size() - 2], w = in_shape.back();
    Tensor gx_planes = view(gx, {-1, h, w});
    Tensor gy_planes = view(gy, {-1, gy.sizes()[gy.dim() - 2], gy.sizes().back()});
    max_pool2d_backward_stub.get(gy.device().type, gy.dtype())(pool_args(gx_planes, gy_planes, idx, p));
    return {gx};
  }
};

struct AvgPool2DBackward0 : Node {
  Shape in_shape;
  PoolParams p;
  bool count_include_pad = true;
  int64_t divisor = 0;
  std::string name() const override { return "AvgPool2DBackward0"; }
  tensor_list apply(tensor_list&& grads) override {
    Tensor gy = contiguous(grads[0].detach());
    Tensor gx = empty(in_shape, TensorOptions(gy.dtype()).device(gy.device()));
    int64_t h = in_shape[in_shape.size() - 2], w = in_shape.back();
    Tensor keep_in = view(gx, {-1, h, w}), keep_out = view(gy, {-1, gy.sizes()[gy.dim() - 2], gy.sizes().back()});
    PoolArgs a = pool_args(keep_in, keep_out, Tensor(), p);
    a.count_include_pad = count_include_pad;
    a.divisor = divisor;
    avg_pool2d_backward_stub.get(gy.device().type, gy.dtype())(a);
    return {gx};
  }
};

}  // namespace

std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, IntList kernel_size, IntList stride,
                                                   IntList padding, IntList dilation, bool ceil_mode) {
  const char* op = "max_pool2d";
  PoolParams p = make_params(kernel_size, stride, padding, dilation, ceil_mode, op);
  Tensor planes = as_planes(input, op);
  int64_t oh = out_size(planes.sizes()[1], p, 0), ow = out_size(planes.sizes()[2], p, 1);
  EMBER_CHECK(oh > 0 && ow > 0, Runtime, "[ember.max_pool2d] Given input size: (", shape_str(input.sizes()),
              "). Calculated output size: (", oh, "x", ow, "). Output size is too small");
  Tensor out = empty({planes.sizes()[0], oh, ow}, TensorOptions(input.dtype()).device(input.device()));
  Tensor idx = empty({planes.sizes()[0], oh, ow}, TensorOptions(Dtype::Int64).device(input.device()));
  max_pool2d_forward_stub.get(input.device().type, input.dtype())(pool_args(planes, out, idx, p));
  Tensor result = reshape(out, with_spatial(input, oh, ow));
  Tensor indices = reshape(idx, with_spatial(input, oh, ow));
  if (auto node = make_grad_node<MaxPool2DWithIndicesBackward0>(input)) {
    node->indices = SavedTensor(idx);
    node->in_shape = input.sizes();
    node->p = p;
    set_history(result, node);
  }
  return {result, indices};
}

Tensor max_pool2d(const Tensor& input, IntList kernel_size, IntList stride, IntList padding, IntList dilation,
                  bool ceil_mode) {
  return std::get<0>(max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode));
}

Tensor avg_pool2d(const Tensor& input, IntList kernel_size, IntList stride, IntList padding, bool ceil_mode,
                  bool count_include_pad, int64_t divisor_override) {
  const char* op = "avg_pool2d";
  PoolParams p = make_params(kernel_size, stride, padding, {1}, ceil_mode, op);
  EMBER_CHECK(divisor_override >= 0, Runtime, "[ember.avg_pool2d] divisor must be not zero");
  Tensor planes = as_planes(input, op);
  int64_t oh = out_size(planes.sizes()[1], p, 0), ow = out_size(planes.sizes()[2], p, 1);
  EMBER_CHECK(oh > 0 && ow > 0, Runtime, "[ember.avg_pool2d] Given input size: (", shape_str(input.sizes()),
              "). Calculated output size: (", oh, "x", ow, "). Output size is too small");
  Tensor out = empty({planes.sizes()[0], oh, ow}, TensorOptions(input.dtype()).device(input.device()));
  PoolArgs a = pool_args(planes, out, Tensor(), p);
  a.count_include_pad = count_include_pad;
  a.divisor = divisor_override;
  avg_pool2d_forward_stub.get(input.device().type, input.dtype())(a);
  Tensor result = reshape(out, with_spatial(input, oh, ow));
  if (auto node = make_grad_node<AvgPool2DBackward0>(input)) {
    node->in_shape = input.sizes();
    node->p = p;
    node->count_include_pad = count_include_pad;
    node->divisor = divisor_override;
    set_history(result, node);
  }
  return result;
}

namespace {
// Adaptive window i of n over a length-`in` axis: [floor(i*in/n), ceil((i+1)*in/n)).
int64_t win_start(int64_t i, int64_t in, int64_t n) { return (i * in) / n; }
int64_t win_end(int64_t i, int64_t in, int64_t n) { return ((i + 1) * in + n - 1) / n; }
IntList adaptive_out(const Tensor& x, const IntList& output_size, const char* op) {
  EMBER_CHECK(output_size.size() == 1 || output_size.size() == 2, Runtime, "[ember.", op,
              "] output_size must be 2, got ", output_size.size());
  EMBER_CHECK(x.dim() == 3 || x.dim() == 4, Runtime, "[ember.", op, "] Expected 3D or 4D tensor, got ", shape_str(x.sizes()));
  IntList o = {output_size[0], output_size.size() == 1 ? output_size[0] : output_size[1]};
  for (int i = 0; i < 2; ++i) {
    if (o[i] < 0) o[i] = x.sizes()[x.dim() - 2 + i];  // None keeps the input size
    EMBER_CHECK(o[i] > 0, Runtime, "[ember.", op, "] output size must be positive, got ", o[i]);
  }
  return o;
}
}  // namespace

Tensor adaptive_avg_pool2d(const Tensor& input, IntList output_size) {
  IntList o = adaptive_out(input, output_size, "adaptive_avg_pool2d");
  int64_t h = input.sizes()[input.dim() - 2], w = input.sizes().back();
  if (o[0] == 1 && o[1] == 1) return mean(input, {-2, -1}, true);
  if (h % o[0] == 0 && w % o[1] == 0) return avg_pool2d(input, {h / o[0], w / o[1]});
  // Uneven windows: average each window into a buffer (differentiable through copy_ on slices).
  Shape shape = with_spatial(input, o[0], o[1]);
  Tensor out = zeros(shape, TensorOptions(input.dtype()).device(input.device()));
  for (int64_t i = 0; i < o[0]; ++i)
    for (int64_t j = 0; j < o[1]; ++j) {
      Tensor win = slice(slice(input, -2, win_start(i, h, o[0]), win_end(i, h, o[0])), -1, win_start(j, w, o[1]),
                         win_end(j, w, o[1]));
      Tensor cell = slice(slice(out, -2, i, i + 1), -1, j, j + 1);
      copy_(cell, mean(win, {-2, -1}, true));
    }
  return out;
}

std::tuple<Tensor, Tensor> adaptive_max_pool2d(const Tensor& input, IntList output_size) {
  IntList o = adaptive_out(input, output_size, "adaptive_max_pool2d");
  int64_t h = input.sizes()[input.dim() - 2], w = input.sizes().back();
  EMBER_CHECK(h % o[0] == 0 && w % o[1] == 0, NotImplemented, "[ember.adaptive_max_pool2d] input size ", h, "x", w,
              " not divisible by output size ", o[0], "x", o[1], " is not supported yet");
  return max_pool2d_with_indices(input, {h / o[0], w / o[1]});
}

}  // namespace ember::nn::functional
