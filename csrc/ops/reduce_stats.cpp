// Statistics reductions: var, std (correction / unbiased), var_mean, std_mean, and vector norms.
// Forward runs as a few fused passes of the reduce kernels; each backward is its own node.
#include <cmath>
#include <limits>

#include "ops/reduce_internal.h"

namespace ember {

namespace {
double reduced_count(const Tensor& x, const std::vector<bool>& mask) {
  double n = 1;
  for (size_t d = 0; d < mask.size(); ++d)
    if (mask[d]) n *= double(x.sizes()[d]);
  return n;
}

DimList mask_dims(const std::vector<bool>& mask) {
  DimList dims;
  for (size_t d = 0; d < mask.size(); ++d)
    if (mask[d]) dims.push_back(int64_t(d));
  return dims;
}

struct VarStdBackward : Node {
  SavedTensor self, result;
  std::vector<bool> mask;
  bool keepdim = false, is_std = false;
  double divisor = 1;
  std::string name() const override { return is_std ? "StdBackward0" : "VarBackward0"; }
  void release_saved() override { self.reset(); result.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    Tensor x = self.unpack(this);
    Tensor g = expand_reduced_grad(grads[0], x.sizes(), mask, keepdim);
    Tensor centered = sub(x, mean(x, mask_dims(mask), true));
    if (!is_std) return {mul(g, div(centered, divisor / 2))};
    Tensor sd = expand_reduced_grad(result.unpack(this), x.sizes(), mask, keepdim);
    return {div(mul(g, centered), mul(sd, divisor))};
  }
};

Tensor var_std(const Tensor& x, const DimList& dims, std::optional<double> correction, bool keepdim, bool is_std) {
  const char* op = is_std ? "std" : "var";
  EMBER_CHECK(is_floating_point(x.dtype()), Runtime, "[ember.", op,
              "] std and var only support floating point and complex dtypes, got ", dtype_name(x.dtype()));
  auto mask = reduced_dim_mask(dims, x.dim(), op);
  double n = reduced_count(x, mask);
  double divisor = std::max(0.0, n - correction.value_or(1.0));
  Tensor out;
  {
    autograd::NoGradGuard g;
    // One fused pass: the kernel gives the sum of squared deviations per output.
    out = div(run_reduction(var_stub, op, x.detach(), dims, keepdim, x.dtype(), 0), divisor);
    if (is_std) out = sqrt(out);
  }
  if (auto node = make_grad_node<VarStdBackward>(x)) {
    node->self = SavedTensor(x);
    node->mask = mask;
    node->keepdim = keepdim;
    node->is_std = is_std;
    node->divisor = divisor;
    set_history(out, node);
    if (is_std) node->result = SavedTensor(out, true);
  }
  return out;
}
}  // namespace

Tensor var(const Tensor& x, const DimList& dims, std::optional<double> correction, bool keepdim) {
  return var_std(x, dims, correction, keepdim, false);
}
Tensor std(const Tensor& x, const DimList& dims, std::optional<double> correction, bool keepdim) {
  return var_std(x, dims, correction, keepdim, true);
}
std::pair<Tensor, Tensor> var_mean(const Tensor& x, const DimList& dims, std::optional<double> correction, bool keepdim) {
  return {var(x, dims, correction, keepdim), mean(x, dims, keepdim)};
}
std::pair<Tensor, Tensor> std_mean(const Tensor& x, const DimList& dims, std::optional<double> correction, bool keepdim) {
  return {std(x, dims, correction, keepdim), mean(x, dims, keepdim)};
}

// ---- norm
namespace {
struct NormBackward : Node {
  SavedTensor self, result;
  std::vector<bool> mask;
  bool keepdim = false;
  double p = 2;
  std::string name() const override { return "NormBackward1"; }
  void release_saved() override { self.reset(); result.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    Tensor x = self.unpack(this);
    Tensor g = expand_reduced_grad(grads[0], x.sizes(), mask, keepdim);
    Tensor r = expand_reduced_grad(result.unpack(this), x.sizes(), mask, keepdim);
    if (p == 0) return {zeros_like(x)};
    if (p == 1) return {mul(g, detail::sign(x))};
    if (p == 2) {
      Tensor q = div(x, r);
      q = where(isnan(q), zeros_like(q), q);  // a zero norm has zero gradient
      return {mul(g, q)};
    }
    Tensor ax = detail::abs(x);
    if (std::isinf(p)) {
      // Spread over the elements whose |x| equals the norm, as PyTorch.
      Tensor m = detail::equal_mask(ax, r);
      Tensor count = sum(m, mask_dims(mask), true);
      return {div(mul(mul(g, detail::sign(x)), m), count)};
    }
    // g * sign(x) * |x|^(p-1) / norm^(p-1)
    Tensor scale = exp(mul(sub(log(ax), log(r)), p - 1));
    Tensor q = mul(detail::sign(x), scale);
    q = where(isnan(q), zeros_like(q), q);
    return {mul(g, q)};
  }
};
}  // namespace

Tensor norm(const Tensor& x, double p, const DimList& dims, bool keepdim, std::optional<Dtype> dtype) {
  Tensor xf = dtype ? to_dtype(x, *dtype) : x;
  EMBER_CHECK(is_floating_point(xf.dtype()), Runtime,
              "[ember.norm] linalg.vector_norm: Expected a floating point or complex tensor as input. Got ",
              dtype_name(xf.dtype()));
  auto mask = reduced_dim_mask(dims, x.dim(), "norm");
  Tensor out;
  {
    autograd::NoGradGuard g;
    Tensor xd = xf.detach();
    if (p == 2) {
      out = sqrt(run_reduction(sum_stub, "norm", xd, dims, keepdim, xd.dtype(), 2.0));  // fused sum of squares
    } else if (p == 1) {
      out = sum(detail::abs(xd), dims, keepdim);
    } else if (p == 0) {
      out = sum(where(isnan(div(xd, xd)), zeros_like(xd), ones_like(xd)), dims, keepdim);  // x / x is nan at 0
    } else if (std::isinf(p)) {
      bool empty = xd.numel() == 0;
      EMBER_CHECK(!empty, Runtime, "[ember.norm] linalg.vector_norm cannot compute the ", p < 0 ? "-inf" : "inf",
                  " norm on an empty tensor because the operation does not have an identity");
      out = p > 0 ? amax(detail::abs(xd), dims, keepdim) : amin(detail::abs(xd), dims, keepdim);
    } else {
      out = exp(div(log(sum(exp(mul(log(detail::abs(xd)), p)), dims, keepdim)), p));
    }
  }
  if (auto node = make_grad_node<NormBackward>(xf)) {
    node->self = SavedTensor(xf);
    node->mask = mask;
    node->keepdim = keepdim;
    node->p = p;
    set_history(out, node);
    node->result = SavedTensor(out, true);
  }
  return out;
}

}  // namespace ember
