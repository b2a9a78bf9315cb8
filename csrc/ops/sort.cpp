// Sorting: sort, argsort, msort, topk, kthvalue, median, mode, unique; and the gather / scatter
// along one dim that carry the value-selecting backwards. NaN sorts above every number.
#include "ops/reduce_internal.h"

namespace ember {

// ---- gather / scatter along a dim (private; the indexing family owns the public gather/scatter)
namespace detail {
namespace {
struct GatherDimBackward : Node {
  SavedTensor index;
  Shape in_shape;
  int64_t dim = 0;
  std::string name() const override { return "GatherBackward0"; }
  void release_saved() override { index.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    return {scatter_add_dim(grads[0], dim, index.unpack(this), in_shape)};
  }
};
struct ScatterAddDimBackward : Node {
  SavedTensor index;
  int64_t dim = 0;
  std::string name() const override { return "ScatterAddBackward0"; }
  void release_saved() override { index.reset(); }
  tensor_list apply(tensor_list&& grads) override { return {gather_dim(grads[0], dim, index.unpack(this))}; }
};
}  // namespace

Tensor gather_dim(const Tensor& in, int64_t dim, const Tensor& index) {
  Tensor out = empty(index.sizes(), TensorOptions(in.dtype()).device(in.device()));
  if (out.numel() > 0) {
    DimArgs args;
    args.out = View(out);
    args.in = View(in);
    args.index = View(index);
    args.dim = dim;
    gather_dim_stub.get(in.device().type, in.dtype())(args);
  }
  if (auto node = make_grad_node<GatherDimBackward>(in)) {
    node->index = SavedTensor(index);
    node->in_shape = in.sizes();
    node->dim = dim;
    set_history(out, node);
  }
  return out;
}

Tensor scatter_add_dim(const Tensor& src, int64_t dim, const Tensor& index, const Shape& sizes) {
  Tensor out = zeros(sizes, TensorOptions(src.dtype()).device(src.device()));
  if (index.numel() > 0) {
    DimArgs args;
    args.out = View(out);
    args.grad = View(src);
    args.index = View(index);
    args.dim = dim;
    scatter_dim_stub.get(src.device().type, src.dtype())(args);
  }
  if (auto node = make_grad_node<ScatterAddDimBackward>(src)) {
    node->index = SavedTensor(index);
    node->dim = dim;
    set_history(out, node);
  }
  return out;
}
}  // namespace detail

namespace {
// Selected values (same shape as indices) scatter their gradient back along dim.
struct SortBackward : Node {
  SavedTensor indices;
  Shape in_shape;
  int64_t dim = 0;
  bool keepdim = true;
  std::string op;
  std::string name() const override { return op; }
  void release_saved() override { indices.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    return {value_selecting_reduction_backward(grads[0], dim, indices.unpack(this), in_shape, keepdim)};
  }
};

void record(Tensor& values, const Tensor& x, const Tensor& indices, int64_t dim, bool keepdim, const char* name) {
  if (auto node = make_grad_node<SortBackward>(x)) {
    node->indices = SavedTensor(indices);
    node->in_shape = x.sizes();
    node->dim = dim;
    node->keepdim = keepdim;
    node->op = name;
    set_history(values, node);
  }
}

std::pair<Tensor, Tensor> sort_raw(const Tensor& x, int64_t d, bool descending) {
  Tensor values = empty(x.sizes(), TensorOptions(x.dtype()).device(x.device()));
  Tensor indices = empty(x.sizes(), TensorOptions(Dtype::Int64).device(x.device()));
  if (x.numel() > 0) {
    DimArgs args;
    args.out = View(values);
    args.in = View(x);
    args.index = View(indices);
    args.dim = d;
    args.flag = descending;
    args.stable = true;
    sort_stub.get(x.device().type, x.dtype())(args);
  }
  return {values, indices};
}

int64_t dim_size(const Tensor& x, int64_t d) { return x.dim() == 0 ? 1 : x.sizes()[d]; }
}  // namespace

std::pair<Tensor, Tensor> sort(const Tensor& x, int64_t dim, bool descending, bool stable) {
  int64_t d = wrap_dim(dim, x.dim(), "sort");
  auto [values, indices] = sort_raw(x.detach(), d, descending);
  record(values, x, indices, d, true, "SortBackward0");
  return {values, indices};
}

Tensor argsort(const Tensor& x, int64_t dim, bool descending, bool stable) {
  return sort_raw(x.detach(), wrap_dim(dim, x.dim(), "argsort"), descending).second;
}

Tensor msort(const Tensor& x) { return sort(x, 0).first; }

std::pair<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim, bool largest, bool sorted) {
  int64_t d = wrap_dim(dim, x.dim(), "topk");
  int64_t n = dim_size(x, d);
  EMBER_CHECK(k >= 0 && k <= n, Runtime, "[ember.topk] selected index k out of range, got k=", k, " for dim ", d,
              " of size ", n);
  Shape shape = x.sizes();
  if (x.dim()) shape[d] = k;
  Tensor values = empty(shape, TensorOptions(x.dtype()).device(x.device()));
  Tensor indices = empty(shape, TensorOptions(Dtype::Int64).device(x.device()));
  if (values.numel() > 0) {
    DimArgs args;
    args.out = View(values);
    args.in = View(x);
    args.index = View(indices);
    args.dim = d;
    args.k = k;
    args.flag = largest;
    topk_stub.get(x.device().type, x.dtype())(args);
  }
  record(values, x, indices, d, true, "TopkBackward0");
  return {values, indices};
}

namespace {
// Pick position `pos` (an int64 tensor with size 1 on dim) from the sorted values along dim.
std::pair<Tensor, Tensor> select_sorted(const Tensor& x, int64_t d, const Tensor& pos, bool keepdim, const char* name) {
  autograd::NoGradGuard g;
  auto [sv, si] = sort_raw(x.detach(), d, false);
  Tensor values = detail::gather_dim(sv, d, pos), indices = detail::gather_dim(si, d, pos);
  if (!keepdim && x.dim() > 0) {
    values = squeeze(values, {d});
    indices = squeeze(indices, {d});
  }
  return {values, indices};
}

Tensor position_tensor(const Tensor& x, int64_t d, int64_t k) {
  Shape shape = x.sizes();
  if (x.dim()) shape[d] = 1;
  return full(shape, Scalar(int64_t(k)), TensorOptions(Dtype::Int64).device(x.device()));
}
}  // namespace

std::pair<Tensor, Tensor> kthvalue(const Tensor& x, int64_t k, int64_t dim, bool keepdim) {
  int64_t d = wrap_dim(dim, x.dim(), "kthvalue");
  int64_t n = dim_size(x, d);
  EMBER_CHECK(k >= 1 && k <= n, Index, "[ember.kthvalue] selected number k out of range for dimension ", d,
              ", got k=", k, " for size ", n);
  auto [values, indices] = select_sorted(x, d, position_tensor(x, d, k - 1), keepdim, "kthvalue");
  record(values, x, indices, d, keepdim, "KthvalueBackward0");
  return {values, indices};
}

std::pair<Tensor, Tensor> median(const Tensor& x, int64_t dim, bool keepdim) {
  int64_t d = wrap_dim(dim, x.dim(), "median");
  int64_t n = dim_size(x, d);
  EMBER_CHECK(n > 0, Index, "[ember.median] Expected reduction dim ", d, " to have non-zero size.");
  Tensor pos = position_tensor(x, d, (n - 1) / 2);
  if (is_floating_point(x.dtype())) {
    // A line with NaNs gives its first NaN (they sort last).
    autograd::NoGradGuard g;
    Tensor nan = isnan(x.detach());
    Tensor nan_count = x.dim() ? sum(nan, {d}, true) : to_dtype(nan, Dtype::Int64);
    Tensor has_nan = x.dim() ? any(nan, {d}, true) : nan;
    pos = where(has_nan, rsub(nan_count, Scalar(int64_t(n))), pos);
  }
  auto [values, indices] = select_sorted(x, d, pos, keepdim, "median");
  record(values, x, indices, d, keepdim, "MedianBackward1");
  return {values, indices};
}

namespace {
struct MedianBackward0 : Node {
  SavedTensor self, result;
  std::string name() const override { return "MedianBackward0"; }
  void release_saved() override { self.reset(); result.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    Tensor x = self.unpack(this), r = result.unpack(this);
    Tensor m = detail::equal_mask(x, r);
    return {div(mul(expand(grads[0], x.sizes()), m), sum(m))};
  }
};
}  // namespace

Tensor median(const Tensor& x) {
  EMBER_CHECK(x.numel() > 0, Runtime, "[ember.median] median() input tensor cannot be empty");
  Tensor out;
  {
    autograd::NoGradGuard g;
    Tensor flat = reshape(x.detach(), {x.numel()});
    out = median(flat, 0, false).first;
  }
  if (auto node = make_grad_node<MedianBackward0>(x)) {
    node->self = SavedTensor(x);
    set_history(out, node);
    node->result = SavedTensor(out, true);
  }
  return out;
}

std::pair<Tensor, Tensor> mode(const Tensor& x, int64_t dim, bool keepdim) {
  int64_t d = wrap_dim(dim, x.dim(), "mode");
  int64_t n = dim_size(x, d);
  EMBER_CHECK(n > 0 || x.numel() == 0, Index, "[ember.mode] Expected reduction dim ", d, " to have non-zero size.");
  Shape shape = x.sizes();
  if (x.dim()) shape[d] = 1;
  Tensor values = empty(shape, TensorOptions(x.dtype()).device(x.device()));
  Tensor indices = empty(shape, TensorOptions(Dtype::Int64).device(x.device()));
  if (x.numel() > 0) {
    DimArgs args;
    args.out = View(values);
    args.in = View(x);
    args.index = View(indices);
    args.dim = d;
    mode_stub.get(x.device().type, x.dtype())(args);
  }
  if (!keepdim && x.dim() > 0) {
    values = squeeze(values, {d});
    indices = squeeze(indices, {d});
  }
  record(values, x, indices, d, keepdim, "ModeBackward0");
  return {values, indices};
}

std::vector<Tensor> unique(const Tensor& x, bool sorted, bool return_inverse, bool return_counts) {
  Tensor flat = reshape(x.detach(), {x.numel()}).contiguous();
  auto [sv, si] = sort_raw(flat, 0, false);
  int64_t n = flat.numel();
  Tensor values = empty({n}, TensorOptions(x.dtype()).device(x.device()));
  Tensor counts = empty({n}, TensorOptions(Dtype::Int64).device(x.device()));
  Tensor group = empty({n}, TensorOptions(Dtype::Int64).device(x.device()));
  int64_t groups = 0;
  if (n > 0) {
    UniqueArgs args;
    args.in = View(sv);
    args.out = View(values);
    args.counts = View(counts);
    args.group = View(group);
    args.num_groups = &groups;
    unique_consecutive_stub.get(x.device().type, x.dtype())(args);
  }
  std::vector<Tensor> out{slice(values, 0, 0, groups).clone()};
  if (return_inverse) {
    autograd::NoGradGuard g;
    out.push_back(reshape(detail::scatter_add_dim(group, 0, si, {n}), x.sizes()));
  }
  if (return_counts) out.push_back(slice(counts, 0, 0, groups).clone());
  return out;
}

}  // namespace ember
