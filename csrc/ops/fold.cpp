// im2col / col2im (nn.functional.unfold / fold): sliding blocks out of an image and back. Each is
// the other's adjoint, so each backward is the other op and derivatives of any order work. The CPU
// kernels are conv's im2col/col2im loops, reached through the table (im2col_stub, col2im_stub).
#include "ember/nn/functional.h"
#include "ops/op_utils.h"

namespace ember::nn::functional {
namespace {

struct FoldParams {
  int64_t kernel[2], dilation[2], padding[2], stride[2];
};

int64_t div_floor(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t blocks(int64_t size, const FoldParams& p, int i) {
  return div_floor(size + 2 * p.padding[i] - (p.dilation[i] * (p.kernel[i] - 1) + 1), p.stride[i]) + 1;
}

void pair(const IntList& v, const char* what, const char* op, int64_t out[2]) {
  EMBER_CHECK(v.size() == 1 || v.size() == 2, Runtime, "[ember.", op, "] It is expected ", what,
              " equals to 2, but got size ", v.size());
  out[0] = v[0];
  out[1] = v.size() == 1 ? v[0] : v[1];
}

FoldParams make_params(const IntList& kernel, const IntList& dilation, const IntList& padding, const IntList& stride,
                       const char* op) {
  FoldParams p;
  pair(kernel, "kernel_size", op, p.kernel);
  pair(dilation, "dilation", op, p.dilation);
  pair(padding, "padding", op, p.padding);
  pair(stride, "stride", op, p.stride);
  EMBER_CHECK(p.kernel[0] > 0 && p.kernel[1] > 0, Runtime, "[ember.", op,
              "] kernel size should be greater than zero, but got kernel_height: ", p.kernel[0], " kernel_width: ",
              p.kernel[1]);
  EMBER_CHECK(p.dilation[0] > 0 && p.dilation[1] > 0, Runtime, "[ember.", op,
              "] dilation should be greater than zero, but got dilation_height: ", p.dilation[0], " dilation_width: ",
              p.dilation[1]);
  EMBER_CHECK(p.padding[0] >= 0 && p.padding[1] >= 0, Runtime, "[ember.", op,
              "] padding should be non-negative, but got pad_height: ", p.padding[0], " pad_width: ", p.padding[1]);
  EMBER_CHECK(p.stride[0] > 0 && p.stride[1] > 0, Runtime, "[ember.", op,
              "] stride should be greater than zero, but got stride_height: ", p.stride[0], " stride_width: ",
              p.stride[1]);
  return p;
}

std::string geometry_str(const FoldParams& p) {
  auto two = [](const int64_t* v) { return "(" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + ")"; };
  return "kernel_size=" + two(p.kernel) + ", dilation=" + two(p.dilation) + ", padding=" + two(p.padding);
}

Dtype kernel_dtype(Dtype d) { return (d == Dtype::Float16 || d == Dtype::BFloat16) ? Dtype::Float32 : d; }

Im2colArgs fold_args(const Tensor& image, const Tensor& col, const FoldParams& p) {
  Im2colArgs a;
  a.image = View(image);
  a.col = View(col);
  for (int i = 0; i < 2; ++i) {
    a.kernel[i] = p.kernel[i];
    a.stride[i] = p.stride[i];
    a.padding[i] = p.padding[i];
    a.dilation[i] = p.dilation[i];
  }
  return a;
}

Tensor im2col_impl(const Tensor& x4, const FoldParams& p);
Tensor col2im_impl(const Tensor& c3, int64_t h, int64_t w, const FoldParams& p);

struct Im2ColBackward0 : Node {
  FoldParams p;
  int64_t h = 0, w = 0;
  std::string name() const override { return "Im2ColBackward0"; }
  tensor_list apply(tensor_list&& grads) override { return {col2im_impl(grads[0], h, w, p)}; }
};

struct Col2ImBackward0 : Node {
  FoldParams p;
  std::string name() const override { return "Col2ImBackward0"; }
  tensor_list apply(tensor_list&& grads) override { return {im2col_impl(grads[0], p)}; }
};

// x4: [N, C, H, W] -> [N, C*kh*kw, L]
Tensor im2col_impl(const Tensor& x4, const FoldParams& p) {
  const int64_t n = x4.sizes()[0], c = x4.sizes()[1], h = x4.sizes()[2], w = x4.sizes()[3];
  const int64_t oh = blocks(h, p, 0), ow = blocks(w, p, 1);
  Dtype kd = kernel_dtype(x4.dtype());
  Tensor xc = contiguous(cast_for_kernel(x4.detach(), kd, x4.device()));
  Tensor col = empty({n, c * p.kernel[0] * p.kernel[1], oh * ow}, TensorOptions(kd).device(x4.device()));
  if (col.numel() > 0) im2col_stub.get(x4.device().type, kd)(fold_args(xc, col, p));
  if (kd != x4.dtype()) col = to_dtype(col, x4.dtype());
  if (auto node = make_grad_node<Im2ColBackward0>(x4)) {
    node->p = p;
    node->h = h;
    node->w = w;
    set_history(col, node);
  }
  return col;
}

// c3: [N, C*kh*kw, L] -> [N, C, h, w]
Tensor col2im_impl(const Tensor& c3, int64_t h, int64_t w, const FoldParams& p) {
  const int64_t n = c3.sizes()[0], c = c3.sizes()[1] / (p.kernel[0] * p.kernel[1]);
  Dtype kd = kernel_dtype(c3.dtype());
  Tensor cc = contiguous(cast_for_kernel(c3.detach(), kd, c3.device()));
  Tensor img = empty({n, c, h, w}, TensorOptions(kd).device(c3.device()));
  if (img.numel() > 0) {
    if (cc.numel() == 0) zero_(img);
    else col2im_stub.get(c3.device().type, kd)(fold_args(img, cc, p));
  }
  if (kd != c3.dtype()) img = to_dtype(img, c3.dtype());
  if (auto node = make_grad_node<Col2ImBackward0>(c3)) {
    node->p = p;
    set_history(img, node);
  }
  return img;
}

}  // namespace

Tensor im2col(const Tensor& input, IntList kernel_size, IntList dilation, IntList padding, IntList stride) {
  const char* op = "im2col";
  FoldParams p = make_params(kernel_size, dilation, padding, stride, op);
  const int64_t nd = input.dim();
  bool valid = (nd == 3 || nd == 4) && input.sizes()[1] != 0 && input.sizes()[2] != 0;
  valid = valid && (nd == 3 ? input.sizes()[0] != 0 : input.sizes()[3] != 0);
  EMBER_CHECK(valid, Runtime, "[ember.im2col] Expected 3D or 4D (batch mode) tensor input with possible 0 batch size "
              "and non-zero dimensions, but got: ", shape_str(input.sizes()));
  EMBER_CHECK(is_floating_point(input.dtype()), NotImplemented, "[ember.im2col] \"im2col_out_cpu\" not implemented for '",
              dtype_name(input.dtype()), "'");
  Tensor x4 = nd == 3 ? unsqueeze(input, 0) : input;
  const int64_t h = x4.sizes()[2], w = x4.sizes()[3];
  const int64_t oh = blocks(h, p, 0), ow = blocks(w, p, 1);
  EMBER_CHECK(oh >= 1 && ow >= 1, Runtime, "[ember.im2col] Given input with spatial size (", h, ", ", w, "), ",
              geometry_str(p), ", calculated shape of the array of sliding blocks as (", oh, ", ", ow,
              "), but its components must be at least one.");
  Tensor out = im2col_impl(x4, p);
  return nd == 3 ? squeeze(out, {0}) : out;
}

Tensor col2im(const Tensor& input, IntList output_size, IntList kernel_size, IntList dilation, IntList padding,
              IntList stride) {
  const char* op = "col2im";
  int64_t out[2];
  pair(output_size, "output_size", op, out);
  FoldParams p = make_params(kernel_size, dilation, padding, stride, op);
  const int64_t nd = input.dim();
  bool valid = (nd == 2 && input.sizes()[0] != 0 && input.sizes()[1] != 0) ||
               (nd == 3 && input.sizes()[1] != 0 && input.sizes()[2] != 0);
  EMBER_CHECK(valid, Runtime, "[ember.col2im] Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch "
              "size and non-zero dimensions for input, but got: ", shape_str(input.sizes()));
  EMBER_CHECK(is_floating_point(input.dtype()), NotImplemented, "[ember.col2im] \"col2im_out_cpu\" not implemented for '",
              dtype_name(input.dtype()), "'");
  Tensor c3 = nd == 2 ? unsqueeze(input, 0) : input;
  const int64_t planes = c3.sizes()[1], length = c3.sizes()[2], kk = p.kernel[0] * p.kernel[1];
  EMBER_CHECK(planes % kk == 0, Runtime, "[ember.col2im] Expected size of input's dimension 1 to be divisible by the "
              "product of kernel_size, but got input.size(1)=", planes, " and kernel_size=(", p.kernel[0], ", ",
              p.kernel[1], ").");
  const int64_t bh = blocks(out[0], p, 0), bw = blocks(out[1], p, 1);
  EMBER_CHECK(length == bh * bw, Runtime, "[ember.col2im] Given output_size=(", out[0], ", ", out[1], "), ",
              geometry_str(p), ", stride=(", p.stride[0], ", ", p.stride[1],
              "), expected size of input's dimension 2 to match the calculated number of sliding blocks ", bh, " * ", bw,
              " = ", bh * bw, ", but got input.size(2)=", length, ".");
  EMBER_CHECK(bh >= 1 && bw >= 1, Runtime, "[ember.col2im] Given output_size=(", out[0], ", ", out[1], "), ",
              geometry_str(p), ", calculated shape of the array of sliding blocks as (", bh, ", ", bw,
              "), which is too small (non-positive)");
  EMBER_CHECK(out[0] >= 1 && out[1] >= 1, Runtime, "[ember.col2im] Expected output spatial size to be positive, but "
              "got: output_size=(", out[0], ", ", out[1], ").");
  Tensor img = col2im_impl(c3, out[0], out[1], p);
  return nd == 2 ? squeeze(img, {0}) : img;
}

}  // namespace ember::nn::functional
