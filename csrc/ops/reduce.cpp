// Reductions over one, several or all dims: sum, mean, prod, max/min (+ dim, amax/amin, argmax/argmin),
// any, all, count_nonzero, logsumexp, nansum/nanmean, cumsum/cumprod; sum_to_shape for broadcasting
// backwards. var/std/norm are in reduce_stats.cpp.
#include "ops/reduce_internal.h"

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
                     bool keepdim, Dtype out_dtype, double param, Tensor* index) {
  auto mask = reduced_dim_mask(dims, in.dim(), op);
  Shape kept = reduced_shape(in.sizes(), mask, true);
  Tensor out = empty(kept, TensorOptions(out_dtype).device(in.device()));
  if (index) *index = empty(kept, TensorOptions(Dtype::Int64).device(in.device()));
  Strides out_strides = out.strides();
  for (size_t d = 0; d < mask.size(); ++d)
    if (mask[d]) out_strides[d] = 0;
  ReduceArgs args;
  args.in = View(in);
  args.out = View(out);
  args.out.sizes = in.sizes().data();
  args.out.strides = out_strides.data();
  args.param = param;
  if (index) {
    args.index = View(*index);
    args.index.sizes = in.sizes().data();
    args.index.strides = out_strides.data();
  }
  stub.get(in.device().type, in.dtype())(args);
  if (keepdim) return out;
  Shape squeezed = reduced_shape(in.sizes(), mask, false);
  if (index) *index = make_alias(*index, squeezed, contiguous_strides(squeezed), 0);
  return make_alias(out, squeezed, contiguous_strides(squeezed), 0);
}

Tensor expand_reduced_grad(const Tensor& grad, const Shape& in_shape, const std::vector<bool>& mask, bool keepdim) {
  Tensor g = grad;
  if (!keepdim)
    for (size_t d = 0; d < mask.size(); ++d)
      if (mask[d]) g = unsqueeze(g, int64_t(d));
  return expand(g, in_shape);
}

namespace {
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

// uint8 inputs give uint8 results, as in PyTorch.
Tensor any(const Tensor& x, const DimList& dims, bool keepdim) {
  Tensor r = run_reduction(any_stub, "any", x, dims, keepdim, Dtype::Bool, 0);
  return x.dtype() == Dtype::UInt8 ? to_dtype(r, Dtype::UInt8) : r;
}
Tensor all(const Tensor& x, const DimList& dims, bool keepdim) {
  Tensor r = run_reduction(all_stub, "all", x, dims, keepdim, Dtype::Bool, 0);
  return x.dtype() == Dtype::UInt8 ? to_dtype(r, Dtype::UInt8) : r;
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


// ---- helpers for the backwards (not differentiable: masks and signs)
namespace detail {
namespace {
Tensor run_helper(int mode, const Tensor& x, const Tensor* y) {
  Tensor out = empty(x.sizes(), TensorOptions(x.dtype()).device(x.device()));
  if (out.numel() == 0) return out;
  Tensor yc = y ? cast_for_kernel(*y, x.dtype(), x.device()) : Tensor();
  BroadcastView vy(y ? yc : x, x.sizes());
  ElementwiseArgs args;
  args.out = View(out);
  args.in[0] = View(x);
  args.in[1] = vy.view;
  args.nin = y ? 2 : 1;
  args.s0 = mode;
  reduce_helper_stub.get(x.device().type, x.dtype())(args);
  return out;
}
}  // namespace
Tensor equal_mask(const Tensor& x, const Tensor& y) { return run_helper(0, x.detach(), &y); }
Tensor sign(const Tensor& x) { return run_helper(1, x.detach(), nullptr); }
Tensor abs(const Tensor& x) { return run_helper(2, x.detach(), nullptr); }
}  // namespace detail

namespace {
// Gradient of max/min/amax/amin/median over ties: spread evenly over the elements equal to the
// result, as PyTorch does.
Tensor evenly_distribute(const Tensor& grad, const Tensor& x, const Tensor& result, const std::vector<bool>& mask,
                         bool keepdim) {
  Tensor r = expand_reduced_grad(result, x.sizes(), mask, keepdim);
  Tensor m = detail::equal_mask(x, r);
  DimList dims;
  for (size_t d = 0; d < mask.size(); ++d)
    if (mask[d]) dims.push_back(int64_t(d));
  Tensor count = sum(m, dims, true);
  Tensor g = expand_reduced_grad(grad, x.sizes(), mask, keepdim);
  return div(mul(g, m), count);
}

struct EvenlyDistributeBackward : Node {
  SavedTensor self, result;
  std::vector<bool> mask;
  bool keepdim = false;
  std::string op;
  std::string name() const override { return op; }
  void release_saved() override { self.reset(); result.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    return {evenly_distribute(grads[0], self.unpack(this), result.unpack(this), mask, keepdim)};
  }
};

// Scatter the gradient of selected values back to their positions along dim.
struct IndexSelectBackward : Node {
  SavedTensor indices;
  Shape in_shape;
  int64_t dim = 0;
  bool keepdim = false;
  std::string op;
  std::string name() const override { return op; }
  void release_saved() override { indices.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    return {value_selecting_reduction_backward(grads[0], dim, indices.unpack(this), in_shape, keepdim)};
  }
};

void check_nonempty_dims(const Tensor& x, const std::vector<bool>& mask, const char* op) {
  for (size_t d = 0; d < mask.size(); ++d)
    EMBER_CHECK(!mask[d] || x.sizes()[d] != 0, Index, "[ember.", op, "] Expected reduction dim ", d,
                " to have non-zero size.");
  EMBER_CHECK(x.dim() != 0 || x.numel() != 0, Index, "[ember.", op, "] Expected reduction dim to have non-zero size.");
}
}  // namespace

Tensor value_selecting_reduction_backward(const Tensor& grad, int64_t dim, const Tensor& indices, const Shape& sizes,
                                          bool keepdim) {
  int64_t nd = int64_t(sizes.size());
  dim = wrap_dim(dim, nd, "value_selecting_reduction_backward");
  Tensor g = grad, idx = indices;
  if (!keepdim && nd > 0) {
    g = unsqueeze(g, dim);
    idx = unsqueeze(idx, dim);
  }
  return detail::scatter_add_dim(g, dim, idx, sizes);
}

// ---- prod
namespace {
Tensor prod_backward_line(const Tensor& grad, const Tensor& x, int64_t dim) {
  Tensor out = empty(x.sizes(), TensorOptions(x.dtype()).device(x.device()));
  if (out.numel() == 0) return out;
  Tensor g = cast_for_kernel(grad, x.dtype(), x.device());
  DimArgs args;
  args.out = View(out);
  args.in = View(x);
  args.grad = View(g);
  args.dim = dim;
  prod_backward_stub.get(x.device().type, x.dtype())(args);
  return out;
}

struct ProdBackward : Node {
  SavedTensor self;
  std::vector<bool> mask;
  int64_t dim = -1;  // -1: all dims
  bool keepdim = false;
  std::string name() const override { return dim < 0 ? "ProdBackward0" : "ProdBackward1"; }
  void release_saved() override { self.reset(); }
  // Exact with zeros (prefix/suffix products); not differentiable again.
  tensor_list apply(tensor_list&& grads) override {
    Tensor x = self.unpack(this).detach();
    Tensor g = expand_reduced_grad(grads[0], x.sizes(), mask, keepdim);
    if (dim >= 0) return {prod_backward_line(g, x, dim)};
    Shape flat{x.numel()};
    return {reshape(prod_backward_line(reshape(g, flat), reshape(x, flat), 0), x.sizes())};
  }
};
}  // namespace

Tensor prod(const Tensor& x, std::optional<int64_t> dim, bool keepdim, std::optional<Dtype> dtype) {
  Dtype out_dtype = dtype ? *dtype : is_floating_point(x.dtype()) ? x.dtype() : Dtype::Int64;
  Tensor in = cast_for_kernel(x, out_dtype, x.device());
  DimList dims;
  if (dim) dims.push_back(*dim);
  Tensor out = run_reduction(prod_stub, "prod", in, dims, dim ? keepdim : false, out_dtype, 0);
  if (auto node = make_grad_node<ProdBackward>(x)) {
    node->self = SavedTensor(in);
    node->mask = reduced_dim_mask(dims, x.dim(), "prod");
    node->dim = dim ? wrap_dim(*dim, x.dim(), "prod") : -1;
    node->keepdim = dim ? keepdim : false;
    set_history(out, node);
  }
  return out;
}

// ---- max / min
namespace {
Tensor full_extreme(const Tensor& x, bool is_max, const char* op, const char* node_name) {
  EMBER_CHECK(x.numel() > 0, Runtime, "[ember.", op, "] Expected reduction dim to be specified for input.numel() == 0. "
              "Specify the reduction dim with the 'dim' argument.");
  Tensor out = run_reduction(is_max ? max_stub : min_stub, op, x, {}, false, x.dtype(), 0);
  if (auto node = make_grad_node<EvenlyDistributeBackward>(x)) {
    node->self = SavedTensor(x);
    node->mask = reduced_dim_mask({}, x.dim(), op);
    node->op = node_name;
    set_history(out, node);
    node->result = SavedTensor(out, true);
  }
  return out;
}

Tensor amax_amin(const Tensor& x, const DimList& dims, bool keepdim, bool is_max) {
  const char* op = is_max ? "amax" : "amin";
  auto mask = reduced_dim_mask(dims, x.dim(), op);
  check_nonempty_dims(x, mask, op);
  Tensor out = run_reduction(is_max ? max_stub : min_stub, op, x, dims, keepdim, x.dtype(), 0);
  if (auto node = make_grad_node<EvenlyDistributeBackward>(x)) {
    node->self = SavedTensor(x);
    node->mask = mask;
    node->keepdim = keepdim;
    node->op = is_max ? "AmaxBackward0" : "AminBackward0";
    set_history(out, node);
    node->result = SavedTensor(out, true);
  }
  return out;
}

std::pair<Tensor, Tensor> extreme_dim(const Tensor& x, int64_t dim, bool keepdim, bool is_max, const char* op,
                                      const char* node_name) {
  int64_t d = wrap_dim(dim, x.dim(), op);
  auto mask = reduced_dim_mask({d}, x.dim(), op);
  check_nonempty_dims(x, mask, op);
  Tensor index;
  Tensor out = run_reduction(is_max ? max_stub : min_stub, op, x, {d}, keepdim, x.dtype(), 0, &index);
  if (auto node = make_grad_node<IndexSelectBackward>(x)) {
    node->indices = SavedTensor(index);
    node->in_shape = x.sizes();
    node->dim = d;
    node->keepdim = keepdim;
    node->op = node_name;
    set_history(out, node);
  }
  return {out, index};
}

Tensor arg_extreme(const Tensor& x, std::optional<int64_t> dim, bool keepdim, bool is_max) {
  const char* op = is_max ? "argmax" : "argmin";
  Tensor index;
  if (!dim) {
    EMBER_CHECK(x.numel() > 0, Runtime, "[ember.", op, "] Expected reduction dim to be specified for input.numel() == 0.");
    Tensor flat = reshape(x.detach(), {x.numel()});
    run_reduction(is_max ? max_stub : min_stub, op, flat, {0}, false, x.dtype(), 0, &index);
    if (keepdim) index = reshape(index, Shape(size_t(x.dim()), 1));
    return index;
  }
  int64_t d = wrap_dim(*dim, x.dim(), op);
  check_nonempty_dims(x, reduced_dim_mask({d}, x.dim(), op), op);
  run_reduction(is_max ? max_stub : min_stub, op, x.detach(), {d}, keepdim, x.dtype(), 0, &index);
  return index;
}
}  // namespace

Tensor max(const Tensor& x) { return full_extreme(x, true, "max", "MaxBackward1"); }
Tensor min(const Tensor& x) { return full_extreme(x, false, "min", "MinBackward1"); }
std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_dim(x, dim, keepdim, true, "max", "MaxBackward0");
}
std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  return extreme_dim(x, dim, keepdim, false, "min", "MinBackward0");
}
Tensor amax(const Tensor& x, const DimList& dims, bool keepdim) { return amax_amin(x, dims, keepdim, true); }
Tensor amin(const Tensor& x, const DimList& dims, bool keepdim) { return amax_amin(x, dims, keepdim, false); }
Tensor argmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) { return arg_extreme(x, dim, keepdim, true); }
Tensor argmin(const Tensor& x, std::optional<int64_t> dim, bool keepdim) { return arg_extreme(x, dim, keepdim, false); }

Tensor count_nonzero(const Tensor& x, const DimList& dims) {
  return run_reduction(count_nonzero_stub, "count_nonzero", x.detach(), dims, false, Dtype::Int64, 0);
}

// ---- logsumexp
namespace {
struct LogsumexpBackward0 : Node {
  SavedTensor self, result;
  std::vector<bool> mask;
  bool keepdim = false;
  std::string name() const override { return "LogsumexpBackward0"; }
  void release_saved() override { self.reset(); result.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    Tensor x = self.unpack(this), r = result.unpack(this);
    Tensor g = expand_reduced_grad(grads[0], x.sizes(), mask, keepdim);
    return {mul(g, exp(sub(x, expand_reduced_grad(r, x.sizes(), mask, keepdim))))};
  }
};
}  // namespace

Tensor logsumexp(const Tensor& x, const DimList& dims, bool keepdim) {
  Tensor xf = is_floating_point(x.dtype()) ? x : to_dtype(x, get_default_dtype());
  auto mask = reduced_dim_mask(dims, x.dim(), "logsumexp");
  Tensor out;
  {
    autograd::NoGradGuard g;
    Tensor xd = xf.detach();
    if (xd.numel() == 0) {
      out = log(sum(exp(xd), dims, keepdim));
    } else {
      Tensor m = amax(xd, dims, true);
      Tensor inf_or_nan = isnan(sub(m, m));  // an infinite max would give inf - inf
      m = where(inf_or_nan, zeros_like(m), m);
      out = add(log(sum(exp(sub(xd, m)), dims, true)), m);
      if (!keepdim) out = reshape(out, reduced_shape(x.sizes(), mask, false));
    }
  }
  if (auto node = make_grad_node<LogsumexpBackward0>(xf)) {
    node->self = SavedTensor(xf);
    node->mask = mask;
    node->keepdim = keepdim;
    set_history(out, node);
    node->result = SavedTensor(out, true);
  }
  return out;
}

Tensor nansum(const Tensor& x, const DimList& dims, bool keepdim, std::optional<Dtype> dtype) {
  if (!is_floating_point(x.dtype())) return sum(x, dims, keepdim, dtype);
  return sum(where(isnan(x), zeros_like(x), x), dims, keepdim, dtype);
}

Tensor nanmean(const Tensor& x, const DimList& dims, bool keepdim, std::optional<Dtype> dtype) {
  EMBER_CHECK(is_floating_point(dtype ? *dtype : x.dtype()), Runtime,
              "[ember.nanmean] nanmean(): expected input to have floating point or complex dtype but got ",
              dtype_name(x.dtype()));
  Tensor notnan = where(isnan(x), zeros_like(x), ones_like(x));
  return div(nansum(x, dims, keepdim, dtype), sum(notnan, dims, keepdim, dtype));
}

// ---- cumsum / cumprod
namespace {
Tensor run_scan(const DispatchStub<DimFn>& stub, const Tensor& in, int64_t dim) {
  Tensor out = empty(in.sizes(), TensorOptions(in.dtype()).device(in.device()));
  if (out.numel() == 0) return out;
  if (in.dim() == 0) {
    Tensor r = run_scan(stub, reshape(in, {1}), 0);
    return reshape(r, {});
  }
  DimArgs args;
  args.out = View(out);
  args.in = View(in);
  args.dim = dim;
  stub.get(in.device().type, in.dtype())(args);
  return out;
}

// sum_{j >= i} g_j along dim.
Tensor reverse_cumsum(const Tensor& g, int64_t dim) {
  return add(sub(sum(g, {dim}, true), cumsum(g, dim)), g);
}

struct CumsumBackward0 : Node {
  int64_t dim = 0;
  Dtype dtype;
  std::string name() const override { return "CumsumBackward0"; }
  tensor_list apply(tensor_list&& grads) override {
    Tensor g = grads[0];
    if (g.dim() == 0) return {to_dtype(g, dtype)};
    return {to_dtype(reverse_cumsum(g, dim), dtype)};
  }
};

struct CumprodBackward0 : Node {
  SavedTensor self, result;
  int64_t dim = 0;
  std::string name() const override { return "CumprodBackward0"; }
  void release_saved() override { self.reset(); result.reset(); }
  // sum_{j >= i} g_j * out_j / x_i (inputs with zeros are not handled exactly).
  tensor_list apply(tensor_list&& grads) override {
    Tensor x = self.unpack(this), y = result.unpack(this);
    if (x.dim() == 0) return {grads[0]};
    return {div(reverse_cumsum(mul(grads[0], y), dim), x)};
  }
};

Dtype scan_dtype(const Tensor& x, std::optional<Dtype> dtype) {
  if (dtype) return *dtype;
  return is_floating_point(x.dtype()) ? x.dtype() : Dtype::Int64;
}
}  // namespace

Tensor cumsum(const Tensor& x, int64_t dim, std::optional<Dtype> dtype) {
  int64_t d = wrap_dim(dim, x.dim(), "cumsum");
  Dtype dt = scan_dtype(x, dtype);
  Tensor out = run_scan(cumsum_stub, cast_for_kernel(x, dt, x.device()), d);
  if (auto node = make_grad_node<CumsumBackward0>(x)) {
    node->dim = d;
    node->dtype = x.dtype();
    set_history(out, node);
  }
  return out;
}

Tensor cumprod(const Tensor& x, int64_t dim, std::optional<Dtype> dtype) {
  int64_t d = wrap_dim(dim, x.dim(), "cumprod");
  Dtype dt = scan_dtype(x, dtype);
  Tensor in = cast_for_kernel(x, dt, x.device());
  Tensor out = run_scan(cumprod_stub, in, d);
  if (auto node = make_grad_node<CumprodBackward0>(x)) {
    node->self = SavedTensor(in);
    node->dim = d;
    set_history(out, node);
    node->result = SavedTensor(out, true);
  }
  return out;
}

}  // namespace ember
