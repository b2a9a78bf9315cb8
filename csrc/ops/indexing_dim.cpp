// Indexing along one dim, forward and backward side by side: gather, scatter, scatter_add,
// scatter_reduce, index_select, index_add, index_copy, index_fill, take_along_dim. Each runs the
// index / index_put kernel (dispatch/kernels.h, IndexArgs) with one index tensor after checking
// every index (Note [index validation] in ops/indexing.cpp).
#include <cmath>
#include <limits>

#include "ops/indexing_utils.h"

namespace ember {
namespace {

// 0-dim tensors act as 1-d of size 1 (PyTorch's ensure_nonempty_dim).
Shape ne_sizes(const Tensor& t) { return t.dim() ? t.sizes() : Shape{1}; }
Strides ne_strides(const Tensor& t) { return t.dim() ? t.strides() : Strides{1}; }
int64_t ne_dim(const Tensor& t) { return std::max<int64_t>(t.dim(), 1); }

// Throws `kind` when an index is outside [0, size) (or [-size, size) with allow_negative).
void check_dim_index(const Tensor& index, int64_t size, int64_t dim, bool allow_negative, ErrorKind kind,
                     const std::string& prefix) {
  if (index.numel() == 0) return;
  auto [lo, hi] = index_min_max(index);
  int64_t low = allow_negative ? -size : 0;
  if (hi < size && lo >= low) return;
  int64_t bad = hi >= size ? hi : lo;
  detail::throw_error(kind, detail::str_cat(prefix, "index ", bad, " is out of bounds for dimension ", dim,
                                            " with size ", size));
}

// Strides that walk `index` (0-d or 1-d) along dim d of an ndim-d iteration, 0 elsewhere.
Strides vector_index_strides(const Tensor& index, int64_t ndim, int64_t d) {
  Strides s(size_t(ndim), 0);
  s[d] = index.dim() ? index.strides()[0] : 0;
  return s;
}

// The gradient of a scatter's src: grad gathered at the index positions, zero-padded to src's
// shape where src is larger than index.
Tensor scatter_src_grad(const Tensor& g, int64_t dim, const Tensor& index, const Shape& src_shape) {
  Tensor r = gather(g, dim, index);
  if (r.sizes() == src_shape) return r;
  Tensor z = zeros(src_shape, TensorOptions(g.dtype()).device(g.device()));
  Tensor part = z;
  for (int64_t d = 0; d < r.dim(); ++d) part = slice(part, d, 0, r.sizes()[d]);
  copy_(part, r);
  return z;
}

Strides zero_dim_stride(Strides s, int64_t d) {
  s[d] = 0;
  return s;
}

// ---- the scatter core: self[.., index[p], ..] (op)= src[p] over index's positions.
// src undefined: `value` (0-dim, self's dtype) everywhere.
void scatter_core(Tensor& self, int64_t d, const Tensor& index, const Tensor& src, const Tensor& value, int reduce) {
  if (index.numel() == 0) return;
  IndexPlan p;
  p.shape = ne_sizes(index);
  p.self_strides = zero_dim_stride(ne_strides(self), d);
  Tensor v = src.defined() ? values_for_write(self, src) : value;
  p.values_strides = src.defined() ? ne_strides(v) : Strides(p.shape.size(), 0);
  p.add_index(index.detach(), ne_strides(index), ne_sizes(self)[d], ne_strides(self)[d]);
  p.run(index_put_stub, self, v, reduce);
}

// Checks shared by scatter / scatter_add / scatter_reduce; returns the wrapped dim.
int64_t check_scatter(const char* op, const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  EMBER_CHECK(index.dtype() == Dtype::Int64 || index.dtype() == Dtype::Int32, Runtime, op,
              "(): Expected dtype int64 for index");
  check_same_device(op, self, index);
  int64_t nd = ne_dim(self), d = wrap_dim(dim, nd, op);
  EMBER_CHECK(ne_dim(index) == nd, Runtime, "Index tensor must have the same number of dimensions as self tensor");
  Shape S = ne_sizes(self), I = ne_sizes(index);
  if (src.defined()) {
    EMBER_CHECK(ne_dim(src) == nd, Runtime, "Index tensor must have the same number of dimensions as src tensor");
    EMBER_CHECK(src.dtype() == self.dtype(), Runtime, op, "(): Expected self.dtype to be equal to src.dtype");
    check_same_device(op, self, src);
  }
  for (int64_t k = 0; k < nd; ++k) {
    bool ok = (k == d || I[k] <= S[k]) && (!src.defined() || I[k] <= ne_sizes(src)[k]);
    EMBER_CHECK(ok, Runtime, "Expected index ", shape_str(index.sizes()), " to be smaller than self ",
                shape_str(self.sizes()), " apart from dimension ", d,
                src.defined() ? " and to be smaller size than src " + shape_str(src.sizes()) : std::string());
  }
  check_dim_index(index, S[d], d, false, ErrorKind::Runtime, "");
  return d;
}

Tensor value_tensor(const Tensor& self, const Scalar& v) {
  return scalar_tensor(v, TensorOptions(self.dtype()).device(self.device()));
}

// ---- backward nodes
struct GatherBackward0 : Node {
  Tensor index;
  int64_t dim = 0;
  Shape self_shape;
  Dtype dtype;
  Device device;
  std::string name() const override { return "GatherBackward0"; }
  void release_saved() override { index = Tensor(); }
  tensor_list apply(tensor_list&& grads) override {
    return {scatter_add(zeros(self_shape, TensorOptions(dtype).device(device)), dim, index, grads[0])};
  }
};

struct ScatterBackward : Node {
  Tensor index;
  int64_t dim = 0;
  int reduce = 0;
  bool add = false;  // scatter_add (self's gradient passes through)
  Shape src_shape;
  std::string op;
  std::string name() const override { return op; }
  void release_saved() override { index = Tensor(); }
  tensor_list apply(tensor_list&& grads) override {
    const Tensor& g = grads[0];
    EMBER_CHECK(reduce == 0 || reduce == 1, NotImplemented, "[ember.scatter] the derivative of scatter with reduce='multiply' is not implemented");
    tensor_list out(next_edges_.size());
    if (should_compute_output(0)) out[0] = add || reduce == 1 ? g : scatter(g, dim, index, Scalar(0));
    if (should_compute_output(1)) out[1] = scatter_src_grad(g, dim, index, src_shape);
    return out;
  }
};

struct ScatterReduceBackward0 : Node {
  Tensor index, counts;
  int64_t dim = 0;
  std::string mode;
  bool include_self = true;
  Shape src_shape;
  std::string name() const override { return "ScatterReduceBackward0"; }
  void release_saved() override { index = counts = Tensor(); }
  tensor_list apply(tensor_list&& grads) override {
    EMBER_CHECK(mode == "sum" || mode == "mean", NotImplemented, "[ember.scatter_reduce] the derivative for reduce='",
                mode, "' is not implemented");
    Tensor g = mode == "mean" ? div(grads[0], counts) : grads[0];
    Tensor gs, gsrc;
    if (should_compute_output(0)) gs = include_self ? g : scatter(g, dim, index, Scalar(0));
    if (should_compute_output(1)) gsrc = scatter_src_grad(g, dim, index, src_shape);
    return {gs, gsrc};
  }
};

struct IndexSelectBackward0 : Node {
  Tensor index;
  int64_t dim = 0;
  Shape self_shape;
  Dtype dtype;
  Device device;
  std::string name() const override { return "IndexSelectBackward0"; }
  void release_saved() override { index = Tensor(); }
  tensor_list apply(tensor_list&& grads) override {
    Tensor z = zeros(self_shape, TensorOptions(dtype).device(device));
    Tensor g = self_shape.empty() ? reshape(grads[0], {}) : grads[0];
    return {index_add(z, dim, index, g)};
  }
};

// index_add_ (copy=false) and index_copy_ (copy=true).
struct IndexAddCopyBackward : Node {
  Tensor index;
  int64_t dim = 0;
  Scalar alpha = 1;
  bool copy = false;
  Shape source_shape;
  std::string name() const override { return copy ? "IndexCopyBackward0" : "IndexAddBackward0"; }
  void release_saved() override { index = Tensor(); }
  tensor_list apply(tensor_list&& grads) override {
    const Tensor& g = grads[0];
    Tensor gs, gsrc;
    if (should_compute_output(0)) gs = copy ? index_fill(g, dim, index, Scalar(0)) : g;
    if (should_compute_output(1)) {
      gsrc = index_select(g, dim, index);
      if (!copy && alpha.to_double() != 1) gsrc = mul(gsrc, alpha);
      gsrc = reshape(gsrc, source_shape);
    }
    return {gs, gsrc};
  }
};

struct IndexFillBackward0 : Node {
  Tensor index;
  int64_t dim = 0;
  std::string name() const override { return "IndexFillBackward0"; }
  void release_saved() override { index = Tensor(); }
  tensor_list apply(tensor_list&& grads) override {
    const Tensor& g = grads[0];
    tensor_list out(next_edges_.size());
    if (should_compute_output(0)) out[0] = index_fill(g, dim, index, Scalar(0));
    if (should_compute_output(1)) out[1] = sum(index_select(g, dim, index));
    return out;
  }
};

}  // namespace

// ---- gather
Tensor gather(const Tensor& self, int64_t dim, const Tensor& index) {
  EMBER_CHECK(index.dtype() == Dtype::Int64 || index.dtype() == Dtype::Int32, Runtime,
              "gather(): Expected dtype int64 for index");
  check_same_device("gather", self, index);
  int64_t nd = ne_dim(self), d = wrap_dim(dim, nd, "gather");
  EMBER_CHECK(ne_dim(index) == nd, Runtime, "Index tensor must have the same number of dimensions as input tensor");
  Shape S = ne_sizes(self), I = ne_sizes(index);
  for (int64_t k = 0; k < nd; ++k)
    EMBER_CHECK(k == d || I[k] <= S[k], Runtime, "Size does not match at dimension ", k, " expected index ",
                shape_str(index.sizes()), " to be no larger than self ", shape_str(self.sizes()), " apart from dimension ", d);
  check_dim_index(index, S[d], d, false, ErrorKind::Runtime, "");
  Tensor out = empty(index.sizes(), TensorOptions(self.dtype()).device(self.device()));
  if (out.numel() > 0) {
    IndexPlan p;
    p.shape = I;
    p.self_strides = zero_dim_stride(ne_strides(self), d);
    p.values_strides = ne_strides(out);
    p.add_index(index.detach(), ne_strides(index), S[d], ne_strides(self)[d]);
    p.run(index_stub, self, out);
  }
  if (auto node = make_grad_node<GatherBackward0>(self)) {
    node->index = index.detach();
    node->dim = d;
    node->self_shape = self.sizes();
    node->dtype = self.dtype();
    node->device = self.device();
    set_history(out, node);
  }
  return out;
}

// ---- scatter / scatter_add
namespace {
int parse_scatter_reduce(const std::string& reduce) {
  if (reduce.empty()) return 0;
  if (reduce == "add") return 1;
  if (reduce == "multiply") return 2;
  EMBER_FAIL(Runtime, "reduce argument must be either add or multiply., got ", reduce);
}

Tensor& scatter_impl_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const Tensor& value,
                      int reduce, bool add, const char* op, const char* node_name) {
  int64_t d = check_scatter(op, self, dim, index, src);
  check_inplace(self, op);
  std::shared_ptr<ScatterBackward> node =
      src.defined() ? make_grad_node<ScatterBackward>(self, src) : make_grad_node<ScatterBackward>(self);
  scatter_core(self, d, index, src, value, reduce);
  self.bump_version();
  if (node) {
    node->index = index.detach();
    node->dim = d;
    node->reduce = reduce;
    node->add = add;
    if (src.defined()) node->src_shape = src.sizes();
    node->op = node_name;
    rebase_history(self, node);
  }
  return self;
}
}  // namespace

Tensor& scatter_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce) {
  return scatter_impl_(self, dim, index, src, Tensor(), parse_scatter_reduce(reduce), false, "scatter", "ScatterBackward0");
}
Tensor& scatter_(Tensor& self, int64_t dim, const Tensor& index, const Scalar& value, const std::string& reduce) {
  return scatter_impl_(self, dim, index, Tensor(), value_tensor(self, value), parse_scatter_reduce(reduce), false,
                       "scatter", "ScatterBackward1");
}
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce) {
  Tensor out = clone(self);
  return scatter_(out, dim, index, src, reduce);
}
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value, const std::string& reduce) {
  Tensor out = clone(self);
  return scatter_(out, dim, index, value, reduce);
}
Tensor& scatter_add_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  return scatter_impl_(self, dim, index, src, Tensor(), 1, true, "scatter_add", "ScatterAddBackward0");
}
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor out = clone(self);
  return scatter_add_(out, dim, index, src);
}

// ---- scatter_reduce
namespace {
// The identity of a reduction in `d`: what positions hold before the first value arrives.
Scalar extreme_value(Dtype d, bool lowest) {
  if (is_floating_point(d)) return lowest ? -INFINITY : INFINITY;
  switch (d) {
    case Dtype::Bool: return Scalar(!lowest);
    case Dtype::UInt8: return lowest ? Scalar(0) : Scalar(255);
    case Dtype::Int8: return lowest ? Scalar(-128) : Scalar(127);
    case Dtype::Int16: return lowest ? Scalar(-32768) : Scalar(32767);
    case Dtype::Int32: return lowest ? Scalar(int64_t(INT32_MIN)) : Scalar(int64_t(INT32_MAX));
    default: return lowest ? Scalar(int64_t(INT64_MIN)) : Scalar(int64_t(INT64_MAX));
  }
}
}  // namespace

Tensor& scatter_reduce_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce,
                        bool include_self) {
  // ("max" / "min": PyTorch's undocumented aliases of amax / amin)
  int mode = reduce == "sum" || reduce == "mean" ? 1 : reduce == "prod" ? 2 : reduce == "amax" || reduce == "max" ? 3
             : reduce == "amin" || reduce == "min" ? 4 : -1;
  EMBER_CHECK(mode > 0, Runtime, "reduce argument must be either sum, prod, mean, amax or amin, got ", reduce);
  int64_t d = check_scatter("scatter_reduce", self, dim, index, src);
  check_inplace(self, "scatter_reduce_");
  auto node = make_grad_node<ScatterReduceBackward0>(self, src);
  Tensor counts;
  if (reduce == "mean") {
    // Divisor per position: 1 + the values scattered there (include_self), else that count (min 1).
    counts = ones(self.sizes(), TensorOptions(self.dtype()).device(self.device()));
    if (!include_self) scatter_core(counts, d, index, Tensor(), value_tensor(counts, 0), 0);
    scatter_core(counts, d, index, Tensor(), value_tensor(counts, 1), 1);
  }
  if (!include_self) {
    Scalar identity = mode == 1 ? Scalar(0) : mode == 2 ? Scalar(1) : extreme_value(self.dtype(), mode == 3);
    scatter_core(self, d, index, Tensor(), value_tensor(self, identity), 0);
  }
  scatter_core(self, d, index, src, Tensor(), mode);
  if (reduce == "mean") {
    autograd::NoGradGuard g;
    Tensor q = div(self.detach(), counts, is_floating_point(self.dtype()) ? "" : "floor");
    Tensor alias = self.detach();
    copy_(alias, q);
  }
  self.bump_version();
  if (node) {
    node->index = index.detach();
    node->counts = counts;
    node->dim = d;
    node->mode = mode == 3 ? "amax" : mode == 4 ? "amin" : reduce;
    node->include_self = include_self;
    node->src_shape = src.sizes();
    rebase_history(self, node);
  }
  return self;
}

Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce,
                      bool include_self) {
  Tensor out = clone(self);
  return scatter_reduce_(out, dim, index, src, reduce, include_self);
}

// ---- index_select
Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index) {
  EMBER_CHECK(index.dim() <= 1, Index, "index_select(): Index is supposed to be a vector");
  EMBER_CHECK(index.dtype() == Dtype::Int64 || index.dtype() == Dtype::Int32, Runtime,
              "index_select(): Expected dtype int32 or int64 for index");
  check_same_device("index_select", self, index);
  int64_t nd = ne_dim(self), d = wrap_dim(dim, nd, "index_select");
  Shape S = ne_sizes(self);
  if (index.numel() > 0) {
    auto [lo, hi] = index_min_max(index);
    EMBER_CHECK(hi < S[d] && lo >= 0, Runtime, "INDICES element is out of DATA bounds, id=", hi >= S[d] ? hi : lo,
                " axis_dim=", S[d]);
  }
  Shape shape = S;
  shape[d] = index.numel();
  Tensor out = empty(shape, TensorOptions(self.dtype()).device(self.device()));
  IndexPlan p;
  p.shape = shape;
  p.self_strides = zero_dim_stride(ne_strides(self), d);
  p.values_strides = out.strides();
  p.add_index(index.detach(), vector_index_strides(index, nd, d), S[d], ne_strides(self)[d]);
  p.run(index_stub, self, out);
  if (self.dim() == 0) out = reshape(out, index.sizes());
  if (auto node = make_grad_node<IndexSelectBackward0>(self)) {
    node->index = index.detach();
    node->dim = d;
    node->self_shape = self.sizes();
    node->dtype = self.dtype();
    node->device = self.device();
    set_history(out, node);
  }
  return out;
}

// ---- index_add / index_copy
namespace {
Tensor& index_add_copy_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha,
                        bool copy) {
  const char* op = copy ? "index_copy_" : "index_add_";
  EMBER_CHECK(index.dim() <= 1, Index, op, "(): Index should have dimension 1 or 0 (got ", index.dim(), ")");
  EMBER_CHECK(index.dtype() == Dtype::Int64 || (!copy && index.dtype() == Dtype::Int32), Runtime, op,
              "(): Expected a long tensor for index, but got ", dtype_name(index.dtype()));
  EMBER_CHECK(source.dtype() == self.dtype(), Runtime, op, "(): self (", dtype_name(self.dtype()), ") and source (",
              dtype_name(source.dtype()), ") must have the same scalar type");
  check_same_device(op, self, index);
  check_same_device(op, self, source);
  int64_t nd = ne_dim(self), d = wrap_dim(dim, nd, op);
  Shape S = ne_sizes(self), Src = ne_sizes(source);
  bool same = ne_dim(source) == nd;
  for (int64_t k = 0; same && k < nd; ++k) same = k == d || Src[k] == S[k];
  EMBER_CHECK(same, Runtime, op, "(): Source/destination tensor must have same slice shapes. Destination slice shape: ",
              shape_str(self.sizes()), " at dimension ", d, " and source slice shape: ", shape_str(source.sizes()));
  EMBER_CHECK(Src[d] == index.numel(), Runtime, op, "(): Number of indices (", index.numel(),
              ") should be equal to source.size(dim) (", Src[d], ")");
  if (copy) check_dim_index(index, S[d], d, false, ErrorKind::Index, "index_copy_(): ");
  else if (self.dim() <= 1 && index.numel() > 0) {
    auto [lo, hi] = index_min_max(index);
    EMBER_CHECK(lo >= 0 && hi < S[d], Index, "index out of range in self");
  } else check_dim_index(index, S[d], d, false, ErrorKind::Runtime, "");
  check_inplace(self, op);
  auto node = make_grad_node<IndexAddCopyBackward>(self, source);
  Tensor v = values_for_write(self, source);
  if (!copy && alpha.to_double() != 1) {
    autograd::NoGradGuard g;
    v = to_dtype(mul(v, alpha), self.dtype());
  }
  IndexPlan p;
  p.shape = Src;
  p.self_strides = zero_dim_stride(ne_strides(self), d);
  p.values_strides = ne_strides(v);
  p.add_index(index.detach(), vector_index_strides(index, nd, d), S[d], ne_strides(self)[d]);
  p.run(index_put_stub, self, v, copy ? 0 : 1);
  self.bump_version();
  if (node) {
    node->index = index.detach();
    node->dim = d;
    node->alpha = alpha;
    node->copy = copy;
    node->source_shape = source.sizes();
    rebase_history(self, node);
  }
  return self;
}
}  // namespace

Tensor& index_add_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha) {
  return index_add_copy_(self, dim, index, source, alpha, false);
}
Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha) {
  Tensor out = clone(self);
  return index_add_(out, dim, index, source, alpha);
}
Tensor& index_copy_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  return index_add_copy_(self, dim, index, source, 1, true);
}
Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  Tensor out = clone(self);
  return index_copy_(out, dim, index, source);
}

// ---- index_fill
Tensor& index_fill_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& value) {
  EMBER_CHECK(value.dim() == 0, Runtime, "index_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
              value.dim(), " dimension(s).");
  EMBER_CHECK(index.dim() <= 1, Index, "Index has to be a vector/scalar");
  EMBER_CHECK(index.dtype() == Dtype::Int64, Index, "index_fill_(): Expected dtype int64 for index.");
  check_same_device("index_fill_", self, index);
  int64_t nd = ne_dim(self), d = wrap_dim(dim, nd, "index_fill_");
  Shape S = ne_sizes(self);
  check_dim_index(index, S[d], d, true, ErrorKind::Index, "");
  check_inplace(self, "index_fill_");
  auto node = make_grad_node<IndexFillBackward0>(self, value);
  Tensor v = cast_for_kernel(value, self.dtype(), self.device());
  IndexPlan p;
  p.shape = S;
  p.shape[d] = index.numel();
  p.self_strides = zero_dim_stride(ne_strides(self), d);
  p.values_strides.assign(size_t(nd), 0);
  p.add_index(index.detach(), vector_index_strides(index, nd, d), S[d], ne_strides(self)[d]);
  p.run(index_put_stub, self, v, 0);
  self.bump_version();
  if (node) {
    node->index = index.detach();
    node->dim = d;
    rebase_history(self, node);
  }
  return self;
}
Tensor& index_fill_(Tensor& self, int64_t dim, const Tensor& index, const Scalar& value) {
  return index_fill_(self, dim, index, value_tensor(self, value));
}
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& value) {
  Tensor out = clone(self);
  return index_fill_(out, dim, index, value);
}
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value) {
  Tensor out = clone(self);
  return index_fill_(out, dim, index, value);
}

// ---- take_along_dim
Tensor take_along_dim(const Tensor& self, const Tensor& indices, std::optional<int64_t> dim) {
  EMBER_CHECK(indices.dtype() == Dtype::Int64, Runtime, "torch.take_along_dim(): dtype of indices should be Long but got ",
              dtype_name(indices.dtype()));
  if (!dim) return gather(reshape(self, {-1}), 0, reshape(indices, {-1}));
  EMBER_CHECK(self.dim() == indices.dim(), Runtime,
              "torch.take_along_dim(): input and indices should have the same number of dimensions, but got ",
              self.dim(), " dimensions for input, and ", indices.dim(), " dimensions for indices");
  if (self.dim() == 0) return gather(self, 0, indices);
  int64_t d = wrap_dim(*dim, self.dim(), "take_along_dim");
  Shape ss = self.sizes(), is = indices.sizes();
  ss[d] = indices.sizes()[d];
  is[d] = self.sizes()[d];
  Shape ib = broadcast_shapes(ss, indices.sizes(), "take_along_dim"), sb = broadcast_shapes(is, self.sizes(), "take_along_dim");
  return gather(sb == self.sizes() ? self : expand(self, sb), d, ib == indices.sizes() ? indices : expand(indices, ib));
}

}  // namespace ember
