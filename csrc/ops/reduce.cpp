// Reductions over one, several or all dims: sum, mean, any, all; sum_to_shape for broadcasting
// backwards.
#include "ops/op_utils.h"

namespace ember {

// Which dims of an ndim tensor a dim list reduces (empty list: all).
std::vector<bool> reduced_dim_mask(const DimList& dims, int64_t ndim, const char* op) {
  std::vector<bool> mask(size_t(std::max<int64_t>(ndim, 0)), dims.empty());
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, ndim, op);
    if (ndim == 0) continue;
    EMBER_CHECK(!mask[w] || dims.empty(), Runtime, "[ember.", op, "] dim ", w, " appears multiple times in the list of dims");
    mask[w] = true;
  }
  return mask;
}

Shape reduced_shape(const Shape& in, const std::vector<bool>& mask, bool keepdim) {
  Shape out;
  for (size_t d = 0; d < in.size(); ++d) {
    if (!mask[d]) out.push_back(in[d]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

// Run a reduction kernel: `out_dtype` output with keepdim shape, viewed with in's sizes and stride
// 0 on reduced dims; then drop the reduced dims unless keepdim.
Tensor run_reduction(const DispatchStub<ReduceFn>& stub, const char* op, const Tensor& in, const DimList& dims,
                     bool keepdim, Dtype out_dtype, double param) {
  auto mask = reduced_dim_mask(dims, in.dim(), op);
  Shape kept = reduced_shape(in.sizes(), mask, true);
  Tensor out = empty(kept, TensorOptions(out_dtype).device(in.device()));
  Strides out_strides = out.strides();
  for (size_t d = 0; d < mask.size(); ++d)
    if (mask[d]) out_strides[d] = 0;
  ReduceArgs args;
  args.in = View(in);
  args.out = View(out);
  args.out.sizes = in.sizes().data();
  args.out.strides = out_strides.data();
  args.param = param;
  stub.get(in.device().type, in.dtype())(args);
  if (keepdim) return out;
  return make_alias(out, reduced_shape(in.sizes(), mask, false), contiguous_strides(reduced_shape(in.sizes(), mask, false)), 0);
}

namespace {
// grad of a reduction, broadcast back over the reduced dims.
Tensor expand_reduced_grad(const Tensor& grad, const Shape& in_shape, const std::vector<bool>& mask, bool keepdim) {
  Tensor g = grad;
  if (!keepdim)
    for (size_t d = 0; d < mask.size(); ++d)
      if (mask[d]) g = unsqueeze(g, int64_t(d));
  return expand(g, in_shape);
}

struct SumBackward : Node {
  Shape in_shape;
  std::vector<bool> mask;
  bool keepdim = false, all = false;
  std::string name() const override { return all ? "SumBackward0" : "SumBackward1"; }
  tensor_list apply(tensor_list&& grads) override { return {expand_reduced_grad(grads[0], in_shape, mask, keepdim)}; }
};

struct MeanBackward : Node {
  Shape in_shape;
  std::vector<bool> mask;
  bool keepdim = false, all = false;
  double count = 1;
  std::string name() const override { return all ? "MeanBackward0" : "MeanBackward1"; }
  tensor_list apply(tensor_list&& grads) override {
    return {div(expand_reduced_grad(grads[0], in_shape, mask, keepdim), count)};
  }
};
}  // namespace

Tensor sum(const Tensor& x, const DimList& dims, bool keepdim, std::optional<Dtype> dtype) {
  Dtype out_dtype = dtype ? *dtype : is_floating_point(x.dtype()) ? x.dtype() : Dtype::Int64;
  Tensor in = cast_for_kernel(x, out_dtype, x.device());
  Tensor out = run_reduction(sum_stub, "sum", in, dims, keepdim, out_dtype, 0);
  if (auto node = make_grad_node<SumBackward>(x)) {
    node->in_shape = x.sizes();
    node->mask = reduced_dim_mask(dims, x.dim(), "sum");
    node->keepdim = keepdim;
    node->all = dims.empty() && !keepdim;
    set_history(out, node);
  }
  return out;
}

Tensor mean(const Tensor& x, const DimList& dims, bool keepdim, std::optional<Dtype> dtype) {
  Dtype dt = dtype ? *dtype : x.dtype();
  EMBER_CHECK(is_floating_point(dt), Runtime,
              "[ember.mean] could not infer output dtype. Input dtype must be either a floating point or complex "
              "dtype. Got: ", dtype_name(dt));
  auto mask = reduced_dim_mask(dims, x.dim(), "mean");
  double count = 1;
  for (size_t d = 0; d < mask.size(); ++d)
    if (mask[d]) count *= double(x.sizes()[d]);
  Tensor s;
  {
    autograd::NoGradGuard g;
    s = sum(x, dims, keepdim, dt);
    // NaN for an empty reduction, as in PyTorch.
    s = div(s, count);
  }
  if (auto node = make_grad_node<MeanBackward>(x)) {
    node->in_shape = x.sizes();
    node->mask = mask;
    node->keepdim = keepdim;
    node->count = count;
    node->all = dims.empty() && !keepdim;
    set_history(s, node);
  }
  return s;
}

Tensor any(const Tensor& x, const DimList& dims, bool keepdim) {
  return run_reduction(any_stub, "any", x, dims, keepdim, Dtype::Bool, 0);
}
Tensor all(const Tensor& x, const DimList& dims, bool keepdim) {
  return run_reduction(all_stub, "all", x, dims, keepdim, Dtype::Bool, 0);
}

Tensor sum_to_shape(const Tensor& t, const Shape& shape) {
  if (t.sizes() == shape) return t;
  int64_t lead = t.dim() - int64_t(shape.size());
  EMBER_CHECK(lead >= 0, Runtime, "[ember.sum_to_shape] cannot sum ", shape_str(t.sizes()), " to ", shape_str(shape));
  DimList dims;
  for (int64_t d = 0; d < t.dim(); ++d)
    if (d < lead || (shape[d - lead] == 1 && t.sizes()[d] != 1)) dims.push_back(d);
  Tensor r = dims.empty() ? t : sum(t, dims, true);
  return r.sizes() == shape ? r : reshape(r, shape);
}

}  // namespace ember
