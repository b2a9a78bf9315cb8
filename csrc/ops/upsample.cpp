// Upsampling (nn.functional.interpolate's kernels): nearest, nearest-exact, linear over 1-3 spatial
// dims (linear/bilinear/trilinear) and bicubic over 2. The op is linear in its input, so the
// backward is its own op (the adjoint kernel) whose backward is the forward again: any order of
// derivatives works.
#include "ember/nn/functional.h"
#include "ops/op_utils.h"

namespace ember::nn::functional {
namespace {

struct UpParams {
  int mode = 0;  // 0 nearest, 1 nearest-exact, 2 linear, 3 cubic
  bool align = false;
  double scales[3] = {0, 0, 0};
  int64_t dims = 0;
};

int parse_mode(const std::string& mode) {
  if (mode == "nearest") return 0;
  if (mode == "nearest-exact") return 1;
  if (mode == "linear" || mode == "bilinear" || mode == "trilinear") return 2;
  if (mode == "bicubic") return 3;
  EMBER_FAIL(NotImplemented, "[ember.upsample] unsupported mode '", mode,
             "' (expected nearest, nearest-exact, linear, bilinear, trilinear or bicubic)");
}

std::string node_name(const UpParams& p, const char* suffix = "DBackward0") {
  std::string d = std::to_string(p.dims) + suffix;
  switch (p.mode) {
    case 0: return "UpsampleNearest" + d;
    case 1: return "UpsampleNearestExact" + d;
    case 2: return p.dims == 1 ? "UpsampleLinear" + d : p.dims == 2 ? "UpsampleBilinear" + d : "UpsampleTrilinear" + d;
    default: return "UpsampleBicubic" + d;
  }
}

bool is_16bit(Dtype d) { return d == Dtype::Float16 || d == Dtype::BFloat16; }

// [N, C, s...] -> contiguous planes [N*C, s...] in the kernel dtype; result in `out_spatial` sizes.
Tensor run_kernel(const Tensor& x, const Shape& out_shape, const UpParams& p, bool backward) {
  Dtype kd = (p.mode >= 2 || backward) && is_16bit(x.dtype()) ? Dtype::Float32 : x.dtype();
  Tensor src = contiguous(cast_for_kernel(x.detach(), kd, x.device()));
  Tensor out = empty(out_shape, TensorOptions(kd).device(x.device()));
  if (out.numel() == 0) return kd == x.dtype() ? out : to_dtype(out, x.dtype());
  Shape in_planes = {-1}, out_planes = {-1};
  for (int64_t d = 2; d < int64_t(out_shape.size()); ++d) {
    in_planes.push_back(src.sizes()[d]);
    out_planes.push_back(out_shape[d]);
  }
  UpsampleArgs a;
  Tensor iv = reshape(src, in_planes), ov = view(out, out_planes);
  a.input = View(backward ? ov : iv);
  a.output = View(backward ? iv : ov);
  a.mode = p.mode;
  a.align_corners = p.align;
  for (int i = 0; i < 3; ++i) a.scales[i] = p.scales[i];
  if (backward) upsample_backward_stub.get(x.device().type, kd)(a);
  else upsample_forward_stub.get(x.device().type, kd)(a);
  return kd == x.dtype() ? out : to_dtype(out, x.dtype());
}

Tensor upsample_impl(const Tensor& x, const Shape& out_shape, const UpParams& p);
Tensor upsample_backward_impl(const Tensor& g, const Shape& in_shape, const UpParams& p);

struct UpsampleBackward : Node {
  UpParams p;
  Shape in_shape;
  std::string name() const override { return node_name(p); }
  tensor_list apply(tensor_list&& grads) override { return {upsample_backward_impl(grads[0], in_shape, p)}; }
};

// The backward of the backward: the forward resampling of the incoming gradient.
struct UpsampleBackwardBackward : Node {
  UpParams p;
  Shape out_shape;
  std::string name() const override { return node_name(p, "DBackwardBackward0"); }
  tensor_list apply(tensor_list&& grads) override { return {upsample_impl(grads[0], out_shape, p)}; }
};

Tensor upsample_impl(const Tensor& x, const Shape& out_shape, const UpParams& p) {
  Tensor out = run_kernel(x, out_shape, p, false);
  if (auto node = make_grad_node<UpsampleBackward>(x)) {
    node->p = p;
    node->in_shape = x.sizes();
    set_history(out, node);
  }
  return out;
}

Tensor upsample_backward_impl(const Tensor& g, const Shape& in_shape, const UpParams& p) {
  Tensor out = run_kernel(g, in_shape, p, true);
  if (auto node = make_grad_node<UpsampleBackwardBackward>(g)) {
    node->p = p;
    node->out_shape = g.sizes();
    set_history(out, node);
  }
  return out;
}

UpParams make_params(const Tensor& x, const IntList& output_size, const std::string& mode, bool align_corners,
                     const std::vector<double>& scales, const char* op) {
  UpParams p;
  p.mode = parse_mode(mode);
  p.align = align_corners && p.mode >= 2;
  p.dims = int64_t(output_size.size());
  EMBER_CHECK(p.dims >= 1 && p.dims <= 3, Runtime, "[ember.", op, "] expected 1 to 3 output sizes, got ", p.dims);
  EMBER_CHECK(p.mode != 3 || p.dims == 2, NotImplemented, "[ember.", op, "] bicubic needs 2 spatial dims, got ", p.dims);
  EMBER_CHECK(scales.empty() || int64_t(scales.size()) == p.dims, Runtime, "[ember.", op, "] expected ", p.dims,
              " scale factors, got ", scales.size());
  for (size_t i = 0; i < scales.size(); ++i) p.scales[i] = scales[i];
  return p;
}

void check_sizes(const Shape& in_shape, const IntList& out_spatial, const char* op) {
  int64_t dims = int64_t(out_spatial.size());
  EMBER_CHECK(int64_t(in_shape.size()) == dims + 2, Runtime, "[ember.", op, "] It is expected input_size equals to ",
              dims + 2, ", but got size ", in_shape.size());
  bool ok = true;
  for (int64_t d = 0; d < dims; ++d) ok = ok && in_shape[d + 2] > 0 && out_spatial[d] > 0;
  std::string in_s, out_s;
  for (int64_t d = 0; d < dims; ++d) {
    in_s += (d ? ", " : "") + std::to_string(in_shape[d + 2]);
    out_s += (d ? ", " : "") + std::to_string(out_spatial[d]);
  }
  EMBER_CHECK(ok, Runtime, "[ember.", op, "] Input and output sizes should be greater than 0, but got input (", in_s,
              ") output (", out_s, ")");
}

}  // namespace

Tensor upsample(const Tensor& input, IntList output_size, const std::string& mode, bool align_corners,
                std::vector<double> scales) {
  const char* op = "upsample";
  UpParams p = make_params(input, output_size, mode, align_corners, scales, op);
  EMBER_CHECK(input.dim() == p.dims + 2, Runtime, "[ember.", op, "] Non-empty ", p.dims + 2,
              "D data tensor expected but got a tensor with sizes ", shape_str(input.sizes()));
  int64_t inner = 1;
  for (int64_t d = 1; d < input.dim(); ++d) inner *= input.sizes()[d];
  EMBER_CHECK(input.numel() != 0 || inner != 0, Runtime, "[ember.", op, "] Non-empty ", p.dims + 2,
              "D data tensor expected but got a tensor with sizes ", shape_str(input.sizes()));
  check_sizes(input.sizes(), output_size, op);
  bool dtype_ok = is_floating_point(input.dtype()) || (p.mode <= 1 && input.dtype() == Dtype::UInt8);
  EMBER_CHECK(dtype_ok, NotImplemented, "[ember.", op, "] mode '", mode, "' is not implemented for dtype ",
              dtype_name(input.dtype()));
  Shape out_shape = {input.sizes()[0], input.sizes()[1]};
  for (int64_t s : output_size) out_shape.push_back(s);
  return upsample_impl(input, out_shape, p);
}

Tensor upsample_backward(const Tensor& grad_output, IntList input_size, const std::string& mode, bool align_corners,
                         std::vector<double> scales) {
  const char* op = "upsample_backward";
  EMBER_CHECK(input_size.size() >= 3 && input_size.size() <= 5, Runtime, "[ember.", op,
              "] expected input_size of 3 to 5 dims, got ", input_size.size());
  IntList out_spatial(grad_output.sizes().begin() + std::min<int64_t>(2, grad_output.dim()), grad_output.sizes().end());
  UpParams p = make_params(grad_output, out_spatial, mode, align_corners, scales, op);
  Shape in_shape(input_size.begin(), input_size.end());
  check_sizes(in_shape, out_spatial, op);
  EMBER_CHECK(grad_output.dim() == int64_t(in_shape.size()) && grad_output.sizes()[0] == in_shape[0] &&
                  grad_output.sizes()[1] == in_shape[1],
              Runtime, "[ember.", op, "] grad_output ", shape_str(grad_output.sizes()), " does not match input_size ",
              shape_str(in_shape));
  EMBER_CHECK(is_floating_point(grad_output.dtype()), Runtime, "[ember.", op, "] expected a floating grad_output, got ",
              dtype_name(grad_output.dtype()));
  return upsample_backward_impl(grad_output, in_shape, p);
}

}  // namespace ember::nn::functional
