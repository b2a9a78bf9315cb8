// Indexing ops, forward and backward side by side: where, advanced indexing (index, index_put_),
// masks (masked_fill/select/scatter), take/put, nonzero, one_hot. The ops along one dim
// (gather, scatter*, index_select/add/copy/fill) are in ops/indexing_dim.cpp.
//
// Note [index validation]: every index tensor is checked on the CPU (index_range kernel: its min
// and max) before any kernel reads or writes through it, so a bad index raises IndexError or
// RuntimeError the way PyTorch does and never touches memory outside the tensor.
#include "ops/indexing_utils.h"

namespace ember {

// ---- shared helpers (ops/indexing_utils.h)
std::pair<int64_t, int64_t> index_min_max(const Tensor& idx) {
  int64_t lo = 0, hi = 0;
  IndexRangeArgs args{View(idx), &lo, &hi};
  index_range_stub.get(idx.device().type, idx.dtype())(args);
  return {lo, hi};
}

View raw_view(const Tensor& t, const Shape& sizes, const Strides& strides) {
  View v;
  v.data = static_cast<char*>(t.data_ptr());
  v.dtype = t.dtype();
  v.ndim = int64_t(sizes.size());
  v.sizes = sizes.data();
  v.strides = strides.data();
  return v;
}

Strides broadcast_strides(const Tensor& t, const Shape& shape) {
  Strides s(shape.size(), 0);
  int64_t off = int64_t(shape.size()) - t.dim();
  for (int64_t d = 0; d < t.dim(); ++d)
    s[off + d] = t.sizes()[d] == 1 && shape[off + d] != 1 ? 0 : t.strides()[d];
  return s;
}

void IndexPlan::add_index(const Tensor& t, Strides strides, int64_t size, int64_t stride) {
  idx.push_back(t);
  idx_strides.push_back(std::move(strides));
  indexed_sizes.push_back(size);
  indexed_strides.push_back(stride);
}

void IndexPlan::run(const DispatchStub<IndexFn>& stub, const Tensor& self, const Tensor& values, int reduce) const {
  if (shape_numel(shape) == 0) return;
  IndexArgs a;
  a.self = raw_view(self, shape, self_strides);
  a.values = raw_view(values, shape, values_strides);
  for (size_t k = 0; k < idx.size(); ++k) a.indices.push_back(raw_view(idx[k], shape, idx_strides[k]));
  a.indexed_sizes = indexed_sizes;
  a.indexed_strides = indexed_strides;
  a.reduce = reduce;
  stub.get(self.device().type, self.dtype())(a);
}

Tensor values_for_write(const Tensor& self, const Tensor& values) {
  Tensor v = values.detach();
  if (v.numel() > 0 && self.numel() > 0 && v.shares_storage(self)) v = clone(v);  // no overlap with the target
  return v;
}

// ---- where
namespace {
struct WhereBackward0 : Node {
  SavedTensor cond;
  Shape a_shape, b_shape;
  std::string name() const override { return "WhereBackward0"; }
  void release_saved() override { cond.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    const Tensor& g = grads[0];
    Tensor c = cond.unpack(this), z = zeros_like(g);
    Tensor ga, gb;
    if (should_compute_output(1)) ga = sum_to_shape(where(c, g, z), a_shape);
    if (should_compute_output(2)) gb = sum_to_shape(where(c, z, g), b_shape);
    return {Tensor(), ga, gb};
  }
};
}  // namespace

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  EMBER_CHECK(cond.dtype() == Dtype::Bool || cond.dtype() == Dtype::UInt8, Runtime,
              "[ember.where] expected condition to be a boolean tensor, but got a tensor with dtype ",
              dtype_name(cond.dtype()));
  check_same_device("where", a, b);
  check_same_device("where", cond, a);
  Dtype dt = result_type(a, b);
  Shape shape = broadcast_shapes(broadcast_shapes(cond.sizes(), a.sizes(), "where"), b.sizes(), "where");
  Device device = a.device();
  Tensor c = cast_for_kernel(cond, Dtype::Bool, device);
  Tensor ac = cast_for_kernel(a, dt, device), bc = cast_for_kernel(b, dt, device);
  Tensor out = empty(shape, TensorOptions(dt).device(device));
  if (out.numel()) {
    BroadcastView vc(c, shape), va(ac, shape), vb(bc, shape);
    ElementwiseArgs args;
    args.out = View(out);
    args.in[0] = vc.view;
    args.in[1] = va.view;
    args.in[2] = vb.view;
    args.nin = 3;
    where_stub.get(device.type, dt)(args);
  }
  if (auto node = make_grad_node<WhereBackward0>(cond, a, b)) {
    node->cond = SavedTensor(c);
    node->a_shape = a.sizes();
    node->b_shape = b.sizes();
    set_history(out, node);
  }
  return out;
}

std::vector<Tensor> where(const Tensor& cond) { return nonzero_tuple(cond); }

// ---- nonzero
Tensor nonzero(const Tensor& self) {
  NonzeroArgs args{View(self), nullptr};
  auto fn = nonzero_stub.get(self.device().type, self.dtype());
  int64_t n = self.numel() ? fn(args) : 0;
  Tensor out = empty({n, self.dim()}, TensorOptions(Dtype::Int64).device(self.device()));
  if (n > 0 && self.dim() > 0) {
    args.out = out.data<int64_t>();
    int64_t again = fn(args);
    EMBER_CHECK(again == n, Runtime, "[ember.nonzero] the input changed while it was read");
  }
  return out;
}

std::vector<Tensor> nonzero_tuple(const Tensor& self) {
  Tensor nz = nonzero(self.dim() == 0 ? reshape(self.detach(), {1}) : self);
  std::vector<Tensor> out;
  for (int64_t j = 0; j < nz.sizes()[1]; ++j) out.push_back(select(nz, 1, j));
  return out;
}

Tensor argwhere(const Tensor& self) { return nonzero(self); }

// ---- advanced indexing
namespace {

bool is_mask(const Tensor& t) { return t.dtype() == Dtype::Bool || t.dtype() == Dtype::UInt8; }

// Masks become one int64 index per dim they cover (their nonzero columns); dtypes checked;
// int32 indices widened when mixed with int64; padded with undefined entries to self.dim().
std::vector<Tensor> expand_indices(const Tensor& self, const std::vector<Tensor>& indices) {
  std::vector<Tensor> out;
  for (const Tensor& idx : indices) {
    if (!idx.defined()) {
      out.push_back(idx);
      continue;
    }
    check_same_device("index", self, idx);
    if (is_mask(idx)) {
      int64_t d0 = int64_t(out.size());
      EMBER_CHECK(d0 + idx.dim() <= self.dim(), Index, "too many indices for tensor of dimension ", self.dim());
      for (int64_t j = 0; j < idx.dim(); ++j)
        EMBER_CHECK(idx.sizes()[j] == self.sizes()[d0 + j], Index, "The shape of the mask ", shape_str(idx.sizes()),
                    " at index ", j, " does not match the shape of the indexed tensor ", shape_str(self.sizes()),
                    " at index ", d0 + j);
      Tensor nz = nonzero(idx.detach());
      for (int64_t j = 0; j < idx.dim(); ++j) out.push_back(select(nz, 1, j));
    } else {
      EMBER_CHECK(idx.dtype() == Dtype::Int64 || idx.dtype() == Dtype::Int32, Index,
                  "tensors used as indices must be long, int, byte or bool tensors");
      out.push_back(idx.detach());
    }
  }
  EMBER_CHECK(int64_t(out.size()) <= self.dim(), Index, "too many indices for tensor of dimension ", self.dim());
  bool has64 = false, has32 = false;
  for (const Tensor& t : out)
    if (t.defined()) (t.dtype() == Dtype::Int64 ? has64 : has32) = true;
  if (has64 && has32)
    for (Tensor& t : out)
      if (t.defined() && t.dtype() == Dtype::Int32) t = to_dtype(t, Dtype::Int64);
  out.resize(size_t(self.dim()));
  return out;
}

// The kernel geometry of self[indices] (indices from expand_indices, at least one defined):
// NumPy's rule — the broadcast index dims replace the indexed dims in place when those are
// adjacent, else they go first.
IndexPlan advanced_plan(const Tensor& self, const std::vector<Tensor>& idx) {
  std::vector<int64_t> defined;
  for (int64_t d = 0; d < int64_t(idx.size()); ++d)
    if (idx[d].defined()) defined.push_back(d);
  Shape b;
  bool ok = true;
  for (int64_t d : defined) {
    Shape next = b;
    int64_t nb = int64_t(b.size()), ni = idx[d].dim(), n = std::max(nb, ni);
    next.assign(size_t(n), 1);
    for (int64_t i = 0; i < n && ok; ++i) {
      int64_t x = i - (n - nb) >= 0 ? b[i - (n - nb)] : 1, y = i - (n - ni) >= 0 ? idx[d].sizes()[i - (n - ni)] : 1;
      if (x != y && x != 1 && y != 1) ok = false;
      next[i] = x == 1 ? y : x;
    }
    b = next;
  }
  if (!ok) {
    std::string shapes;
    for (int64_t d : defined) shapes += (shapes.empty() ? "" : ", ") + shape_str(idx[d].sizes());
    EMBER_FAIL(Index, "shape mismatch: indexing tensors could not be broadcast together with shapes ", shapes);
  }
  bool adjacent = defined.back() - defined.front() + 1 == int64_t(defined.size());
  int64_t lead = adjacent ? defined.front() : 0;
  IndexPlan p;
  for (int64_t d = 0; d < lead; ++d) {
    p.shape.push_back(self.sizes()[d]);
    p.self_strides.push_back(self.strides()[d]);
  }
  for (int64_t s : b) {
    p.shape.push_back(s);
    p.self_strides.push_back(0);
  }
  for (int64_t d = lead; d < self.dim(); ++d) {
    if (idx[d].defined()) continue;
    p.shape.push_back(self.sizes()[d]);
    p.self_strides.push_back(self.strides()[d]);
  }
  for (size_t k = 0; k < defined.size(); ++k) {
    int64_t d = defined[k];
    const Tensor& t = idx[d];
    int64_t size = self.sizes()[d];
    if (t.numel() > 0) {
      auto [lo, hi] = index_min_max(t);
      EMBER_CHECK(size > 0, Index, "index is out of bounds for dimension with size 0");
      int64_t bad = hi >= size ? hi : lo;
      EMBER_CHECK(hi < size && lo >= -size, Index, "index ", bad, " is out of bounds for dimension ", k, " with size ",
                  size);
    }
    Strides s(p.shape.size(), 0);
    Strides bs = broadcast_strides(t, b);
    std::copy(bs.begin(), bs.end(), s.begin() + lead);
    p.add_index(t, std::move(s), size, self.strides()[d]);
  }
  return p;
}

bool broadcasts_to(const Shape& from, const Shape& to) {
  if (from.size() > to.size()) return false;
  size_t off = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && from[i] != to[off + i]) return false;
  return true;
}

bool any_defined(const std::vector<Tensor>& v) {
  for (const Tensor& t : v)
    if (t.defined()) return true;
  return false;
}

struct IndexBackward0 : Node {
  std::vector<Tensor> indices;
  Shape self_shape;
  Dtype dtype;
  Device device;
  std::string name() const override { return "IndexBackward0"; }
  void release_saved() override { indices.clear(); }
  tensor_list apply(tensor_list&& grads) override {
    Tensor z = zeros(self_shape, TensorOptions(dtype).device(device));
    return {index_put(z, indices, grads[0], /*accumulate=*/true)};
  }
};

struct IndexPutBackward0 : Node {
  std::vector<Tensor> indices;
  Shape values_shape;
  bool accumulate = false;
  std::string name() const override { return "IndexPutBackward0"; }
  void release_saved() override { indices.clear(); }
  tensor_list apply(tensor_list&& grads) override {
    const Tensor& g = grads[0];
    Tensor gs, gv;
    if (should_compute_output(0))
      gs = accumulate ? g : index_put(g, indices, zeros({}, TensorOptions(g.dtype()).device(g.device())));
    if (should_compute_output(1)) gv = sum_to_shape(index(g, indices), values_shape);
    return {gs, gv};
  }
};

}  // namespace

Tensor index(const Tensor& self, const std::vector<Tensor>& indices) {
  std::vector<Tensor> idx = expand_indices(self, indices);
  if (!any_defined(idx)) return clone(self);
  IndexPlan p = advanced_plan(self, idx);
  Tensor out = empty(p.shape, TensorOptions(self.dtype()).device(self.device()));
  p.values_strides = out.strides();
  p.run(index_stub, self, out);
  if (auto node = make_grad_node<IndexBackward0>(self)) {
    node->indices = idx;
    node->self_shape = self.sizes();
    node->dtype = self.dtype();
    node->device = self.device();
    set_history(out, node);
  }
  return out;
}

Tensor& index_put_(Tensor& self, const std::vector<Tensor>& indices, const Tensor& values, bool accumulate) {
  EMBER_CHECK(values.dtype() == self.dtype(), Runtime, "Index put requires the source and destination dtypes match, got ",
              dtype_name(self.dtype()), " for the destination and ", dtype_name(values.dtype()), " for the source.");
  check_same_device("index_put_", self, values);
  std::vector<Tensor> idx = expand_indices(self, indices);
  if (!any_defined(idx)) {
    if (accumulate) return add_(self, values);
    return copy_(self, values);
  }
  IndexPlan p = advanced_plan(self, idx);
  EMBER_CHECK(broadcasts_to(values.sizes(), p.shape), Runtime,
              "shape mismatch: value tensor of shape ", shape_str(values.sizes()),
              " cannot be broadcast to indexing result of shape ", shape_str(p.shape));
  check_inplace(self, "index_put_");
  auto node = make_grad_node<IndexPutBackward0>(self, values);
  Tensor v = values_for_write(self, values);
  p.values_strides = broadcast_strides(v, p.shape);
  p.run(index_put_stub, self, v, accumulate ? 1 : 0);
  self.bump_version();
  if (node) {
    node->indices = idx;
    node->values_shape = values.sizes();
    node->accumulate = accumulate;
    rebase_history(self, node);
  }
  return self;
}

Tensor index_put(const Tensor& self, const std::vector<Tensor>& indices, const Tensor& values, bool accumulate) {
  Tensor out = clone(self);
  return index_put_(out, indices, values, accumulate);
}

// ---- masks
namespace {
void check_bool_mask(const Tensor& mask, const char* op) {
  EMBER_CHECK(mask.dtype() == Dtype::Bool, Runtime, op, " only supports boolean masks, but got mask with dtype ",
              dtype_name(mask.dtype()));
}

struct MaskedFillBackward0 : Node {
  SavedTensor mask;
  Shape value_shape;
  std::string name() const override { return "MaskedFillBackward0"; }
  void release_saved() override { mask.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    const Tensor& g = grads[0];
    Tensor m = mask.unpack(this), gs, gv;
    if (should_compute_output(0)) gs = masked_fill(g, m, Scalar(0));
    if (should_compute_output(1)) gv = reshape(sum(where(m, g, zeros({}, TensorOptions(g.dtype())))), value_shape);
    return {gs, gv};
  }
};
}  // namespace

Tensor& masked_fill_(Tensor& self, const Tensor& mask, const Tensor& value) {
  check_bool_mask(mask, "masked_fill_");
  EMBER_CHECK(value.dim() == 0, Runtime, "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with ",
              value.dim(), " dimension(s).");
  check_same_device("masked_fill_", self, mask);
  Shape shape = broadcast_shapes(self.sizes(), mask.sizes(), "masked_fill_");
  EMBER_CHECK(shape == self.sizes(), Runtime, "output with shape ", shape_str(self.sizes()),
              " doesn't match the broadcast shape ", shape_str(shape));
  check_inplace(self, "masked_fill_");
  auto node = make_grad_node<MaskedFillBackward0>(self, value);
  if (self.numel() > 0) {
    Tensor v = cast_for_kernel(value, self.dtype(), self.device());
    Tensor m = mask.detach();
    BroadcastView vm(m, shape), vv(v, shape);
    ElementwiseArgs args;
    args.out = View(self);
    args.in[0] = vm.view;
    args.in[1] = vv.view;
    args.in[2] = View(self);
    args.nin = 3;
    where_stub.get(self.device().type, self.dtype())(args);
  }
  self.bump_version();
  if (node) {
    node->mask = SavedTensor(mask.detach());
    node->value_shape = value.sizes();
    rebase_history(self, node);
  }
  return self;
}

Tensor& masked_fill_(Tensor& self, const Tensor& mask, const Scalar& value) {
  return masked_fill_(self, mask, scalar_tensor(value, TensorOptions(self.dtype()).device(self.device())));
}

Tensor masked_fill(const Tensor& self, const Tensor& mask, const Tensor& value) {
  check_bool_mask(mask, "masked_fill");
  Shape shape = broadcast_shapes(self.sizes(), mask.sizes(), "masked_fill");
  Tensor out = clone(shape == self.sizes() ? self : expand(self, shape));
  return masked_fill_(out, mask, value);
}

Tensor masked_fill(const Tensor& self, const Tensor& mask, const Scalar& value) {
  return masked_fill(self, mask, scalar_tensor(value, TensorOptions(self.dtype()).device(self.device())));
}

Tensor masked_select(const Tensor& self, const Tensor& mask) {
  EMBER_CHECK(mask.dtype() == Dtype::Bool, Runtime, "masked_select: expected BoolTensor for mask");
  Shape shape = broadcast_shapes(self.sizes(), mask.sizes(), "masked_select");
  Tensor s = shape == self.sizes() ? self : expand(self, shape);
  Tensor m = shape == mask.sizes() ? mask : expand(mask, shape);
  if (shape.empty()) {
    s = reshape(s, {1});
    m = reshape(m, {1});
  }
  return index(s, {m});
}

Tensor& masked_scatter_(Tensor& self, const Tensor& mask, const Tensor& source) {
  check_bool_mask(mask, "masked_scatter_");
  EMBER_CHECK(self.dtype() == source.dtype(), Runtime, "masked_scatter_: expected self and source to have same dtypes but got ",
              dtype_name(self.dtype()), " and ", dtype_name(source.dtype()));
  Shape shape = broadcast_shapes(self.sizes(), mask.sizes(), "masked_scatter_");
  EMBER_CHECK(shape == self.sizes(), Runtime, "output with shape ", shape_str(self.sizes()),
              " doesn't match the broadcast shape ", shape_str(shape));
  Tensor m = shape == mask.sizes() ? mask.detach() : expand(mask.detach(), shape);
  NonzeroArgs args{View(m), nullptr};
  int64_t n = m.numel() ? nonzero_stub.get(m.device().type, m.dtype())(args) : 0;
  EMBER_CHECK(source.numel() >= n, Runtime, "Number of elements of source < number of ones in mask");
  Tensor values = slice(reshape(source, {-1}), 0, 0, n);
  if (self.dim() == 0) {
    Tensor flat = view(self, {1});
    index_put_(flat, {reshape(m, {1})}, values);
    return self;
  }
  return index_put_(self, {m}, values);
}

Tensor masked_scatter(const Tensor& self, const Tensor& mask, const Tensor& source) {
  Shape shape = broadcast_shapes(self.sizes(), mask.sizes(), "masked_scatter");
  Tensor out = clone(shape == self.sizes() ? self : expand(self, shape));
  return masked_scatter_(out, mask, source);
}

// ---- take / put
namespace {
void check_flat_bounds(const Tensor& index, int64_t numel) {
  if (index.numel() == 0) return;
  auto [lo, hi] = index_min_max(index);
  int64_t bad = hi >= numel ? hi : lo;
  EMBER_CHECK(hi < numel && lo >= -numel, Index, "out of range: tried to access index ", bad, " on a tensor of ", numel,
              " elements.");
}

struct TakeBackward0 : Node {
  Tensor index;
  Shape self_shape;
  Dtype dtype;
  Device device;
  std::string name() const override { return "TakeBackward0"; }
  void release_saved() override { index = Tensor(); }
  tensor_list apply(tensor_list&& grads) override {
    Tensor z = zeros({shape_numel(self_shape)}, TensorOptions(dtype).device(device));
    Tensor r = index_put(z, {reshape(index, {-1})}, reshape(grads[0], {-1}), /*accumulate=*/true);
    return {reshape(r, self_shape)};
  }
};
}  // namespace

Tensor take(const Tensor& self, const Tensor& index) {
  EMBER_CHECK(index.dtype() == Dtype::Int64, Runtime, "take(): Expected a long tensor for index, but got ",
              dtype_name(index.dtype()));
  check_same_device("take", self, index);
  check_flat_bounds(index, self.numel());
  Tensor src = contiguous(self.detach());
  Tensor idx = index.detach();
  Tensor out = empty(index.sizes(), TensorOptions(self.dtype()).device(self.device()));
  IndexPlan p;
  p.shape = index.sizes();
  p.self_strides.assign(p.shape.size(), 0);
  p.values_strides = out.strides();
  p.add_index(idx, idx.strides(), self.numel(), 1);
  p.run(index_stub, src, out);
  if (auto node = make_grad_node<TakeBackward0>(self)) {
    node->index = idx;
    node->self_shape = self.sizes();
    node->dtype = self.dtype();
    node->device = self.device();
    set_history(out, node);
  }
  return out;
}

Tensor& put_(Tensor& self, const Tensor& index, const Tensor& source, bool accumulate) {
  EMBER_CHECK(index.dtype() == Dtype::Int64, Runtime, "put_(): Expected a long tensor for index, but got ",
              dtype_name(index.dtype()));
  EMBER_CHECK(self.dtype() == source.dtype(), Runtime, "put_(): self and source expected to have the same dtype, but got self.dtype = ",
              dtype_name(self.dtype()), " and source.dtype = ", dtype_name(source.dtype()));
  EMBER_CHECK(index.numel() == source.numel(), Index,
              "put_(): Expected source and index to have the same number of elements, but got source.numel() = ",
              source.numel(), ", index.numel() = ", index.numel());
  check_flat_bounds(index, self.numel());
  Tensor idx = reshape(index.detach(), {-1}), src = reshape(source, {-1});
  if (self.is_contiguous()) {
    Tensor flat = view(self, {-1});
    index_put_(flat, {idx}, src, accumulate);
  } else {
    Tensor flat = reshape(clone(self), {-1});
    index_put_(flat, {idx}, src, accumulate);
    copy_(self, view(flat, self.sizes()));
  }
  return self;
}

Tensor put(const Tensor& self, const Tensor& index, const Tensor& source, bool accumulate) {
  Tensor out = clone(self);
  return put_(out, index, source, accumulate);
}

// ---- one_hot
Tensor one_hot(const Tensor& self, int64_t num_classes) {
  EMBER_CHECK(self.dtype() == Dtype::Int64, Runtime, "one_hot is only applicable to index tensor of type LongTensor.");
  Shape shape = self.sizes();
  if (self.numel() == 0) {
    EMBER_CHECK(num_classes != -1, Runtime, "Can not infer total number of classes from empty tensor.");
    shape.push_back(num_classes);
    return empty(shape, TensorOptions(Dtype::Int64).device(self.device()));
  }
  auto [lo, hi] = index_min_max(self);
  EMBER_CHECK(lo >= 0, Runtime, "Class values must be non-negative.");
  if (num_classes == -1) num_classes = hi + 1;
  else EMBER_CHECK(hi < num_classes, Runtime, "Class values must be smaller than num_classes.");
  shape.push_back(num_classes);
  Tensor out = zeros(shape, TensorOptions(Dtype::Int64).device(self.device()));
  return scatter_(out, -1, unsqueeze(self.detach(), -1), Scalar(1));
}

}  // namespace ember
