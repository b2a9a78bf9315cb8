// softmax / log_softmax with fused, numerically stable kernels, and their backward ops
// (PyTorch's _softmax_backward_data). The backward ops run the fused kernel, or, when a graph is
// being built through them (double backward), the same formula in differentiable ops.
#include "ops/reduce_internal.h"

namespace ember {

namespace {
Tensor run_softmax(const Tensor& in, int64_t dim, bool log) {
  Tensor x = in.contiguous();
  Tensor out = empty(x.sizes(), TensorOptions(x.dtype()).device(x.device()));
  if (out.numel() == 0) return out;
  DimArgs args;
  args.out = View(out);
  args.in = View(x);
  args.dim = x.dim() == 0 ? 0 : dim;
  args.flag = log;
  if (x.dim() == 0) {
    Tensor r = run_softmax(reshape(x, {1}), 0, log);
    return reshape(r, {});
  }
  softmax_stub.get(x.device().type, x.dtype())(args);
  return out;
}

Tensor run_softmax_backward(const Tensor& grad, const Tensor& output, int64_t dim, bool log) {
  Tensor y = output.contiguous(), g = cast_for_kernel(grad, y.dtype(), y.device()).contiguous();
  if (y.dim() == 0) return reshape(run_softmax_backward(reshape(g, {1}), reshape(y, {1}), 0, log), {});
  Tensor out = empty(y.sizes(), TensorOptions(y.dtype()).device(y.device()));
  if (out.numel() == 0) return out;
  DimArgs args;
  args.out = View(out);
  args.in = View(y);
  args.grad = View(g);
  args.dim = dim;
  args.flag = log;
  softmax_backward_stub.get(y.device().type, y.dtype())(args);
  return out;
}

struct SoftmaxBackward0 : Node {
  SavedTensor result;
  int64_t dim = 0;
  bool log = false;
  Dtype in_dtype;
  std::string name() const override { return log ? "LogSoftmaxBackward0" : "SoftmaxBackward0"; }
  void release_saved() override { result.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    Tensor y = result.unpack(this);
    Tensor gi = log ? log_softmax_backward(grads[0], y, dim) : softmax_backward(grads[0], y, dim);
    return {gi.dtype() == in_dtype ? gi : to_dtype(gi, in_dtype)};
  }
};

Tensor softmax_impl(const Tensor& x, int64_t dim, std::optional<Dtype> dtype, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  int64_t d = wrap_dim(dim, x.dim(), op);
  Tensor in = dtype ? to_dtype(x, *dtype) : x;
  EMBER_CHECK(is_floating_point(in.dtype()), Runtime, "[ember.", op, "] \"", op, "_lastdim_kernel_impl\" not implemented for '",
              dtype_name(in.dtype()), "'");
  Tensor out = run_softmax(in.detach(), d, log);
  if (auto node = make_grad_node<SoftmaxBackward0>(in)) {
    node->dim = d;
    node->log = log;
    node->in_dtype = in.dtype();
    set_history(out, node);
    node->result = SavedTensor(out, true);
  }
  return out;
}
}  // namespace

Tensor softmax(const Tensor& x, int64_t dim, std::optional<Dtype> dtype) { return softmax_impl(x, dim, dtype, false); }
Tensor log_softmax(const Tensor& x, int64_t dim, std::optional<Dtype> dtype) { return softmax_impl(x, dim, dtype, true); }

Tensor softmax_backward(const Tensor& grad, const Tensor& output, int64_t dim) {
  int64_t d = wrap_dim(dim, output.dim(), "softmax_backward");
  if (any_requires_grad(grad, output)) {  // differentiable form: y * (g - sum(g * y))
    Tensor s = output.dim() ? sum(mul(grad, output), {d}, true) : mul(grad, output);
    return mul(output, sub(grad, s));
  }
  return run_softmax_backward(grad, output, d, false);
}

Tensor log_softmax_backward(const Tensor& grad, const Tensor& output, int64_t dim) {
  int64_t d = wrap_dim(dim, output.dim(), "log_softmax_backward");
  if (any_requires_grad(grad, output)) {  // g - exp(y) * sum(g)
    Tensor s = output.dim() ? sum(grad, {d}, true) : grad;
    return sub(grad, mul(exp(output), s));
  }
  return run_softmax_backward(grad, output, d, true);
}

}  // namespace ember
