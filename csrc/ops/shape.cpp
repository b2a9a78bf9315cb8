// Views (share storage and the version counter with their input) and their backwards:
// as_strided, view, reshape, expand, permute, transpose, squeeze, unsqueeze, select, slice,
// narrow, flatten.
#include <algorithm>
#include <numeric>
#include <optional>

#include "ops/op_utils.h"

namespace ember {

// ---- shape arithmetic
Shape infer_size(const Shape& shape, int64_t numel, const char* op) {
  Shape out = shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      EMBER_CHECK(infer < 0, Runtime, "[ember.", op, "] only one dimension can be inferred");
      infer = int64_t(i);
    } else {
      EMBER_CHECK(out[i] >= 0, Runtime, "[ember.", op, "] invalid shape dimension ", out[i]);
      known *= out[i];
    }
  }
  bool ok = numel == known || (infer >= 0 && known > 0 && numel % known == 0);
  EMBER_CHECK(ok, Runtime, "[ember.", op, "] shape '", shape_str(shape), "' is invalid for input of size ", numel);
  if (infer >= 0) {
    EMBER_CHECK(known != 0, Runtime, "[ember.", op, "] cannot reshape tensor of 0 elements into shape ",
                shape_str(shape), " because the unspecified dimension size -1 can be any value and is ambiguous");
    out[infer] = numel / known;
  }
  return out;
}

// Strides for viewing (sizes, strides) as new_shape without copying, if possible (PyTorch's
// computeStride).
std::optional<Strides> view_strides(const Shape& sizes, const Strides& strides, const Shape& new_shape) {
  if (sizes.empty()) return Strides(new_shape.size(), 1);
  if (shape_numel(sizes) == 0) return sizes == new_shape ? strides : contiguous_strides(new_shape);
  Strides out(new_shape.size());
  int64_t view_d = int64_t(new_shape.size()) - 1;
  int64_t chunk_base_stride = strides.back(), tensor_numel = 1, view_numel = 1;
  for (int64_t d = int64_t(sizes.size()) - 1; d >= 0; --d) {
    tensor_numel *= sizes[d];
    if (d == 0 || (sizes[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_shape[view_d] == 1)) {
        out[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return out;
}

namespace {

// Backward of any view that only rearranges elements: reshape the gradient back.
struct ReshapeAliasBackward : Node {
  Shape in_shape;
  std::string op;
  std::string name() const override { return op; }
  tensor_list apply(tensor_list&& grads) override { return {reshape(grads[0], in_shape)}; }
};

// Backward of a view that picks a subset: write the gradient into zeros shaped like the input,
// through the same view (differentiable, so double backward works).
struct SubsetViewBackward : Node {
  Shape in_shape;
  Dtype dtype;
  Device device;
  std::function<Tensor(const Tensor&)> view_fn;
  std::string op;
  std::string name() const override { return op; }
  tensor_list apply(tensor_list&& grads) override {
    Tensor z = zeros(in_shape, TensorOptions(dtype).device(device));
    Tensor part = view_fn(z);
    copy_(part, grads[0]);
    return {z};
  }
};

Tensor record_reshape_alias(Tensor out, const Tensor& x, const char* op) {
  if (auto node = make_grad_node<ReshapeAliasBackward>(x)) {
    node->in_shape = x.sizes();
    node->op = op;
    set_history(out, node);
  }
  return out;
}

Tensor record_subset(Tensor out, const Tensor& x, const char* op, std::function<Tensor(const Tensor&)> view_fn) {
  if (auto node = make_grad_node<SubsetViewBackward>(x)) {
    node->in_shape = x.sizes();
    node->dtype = x.dtype();
    node->device = x.device();
    node->view_fn = std::move(view_fn);
    node->op = op;
    set_history(out, node);
  }
  return out;
}

}  // namespace

namespace {
// Number of storage elements spanned by a geometry (0 when empty).
int64_t geometry_extent(const Shape& sizes, const Strides& strides) {
  int64_t extent = 1;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == 0) return 0;
    extent += (sizes[i] - 1) * strides[i];
  }
  return extent;
}

// A dim whose positions collide with the span of the dims inside it (two positions of the
// geometry map to one storage element), or -1 when the geometry does not overlap.
int64_t overlapping_dim(const Shape& sizes, const Strides& strides) {
  std::vector<std::pair<int64_t, int64_t>> dims;  // (stride, dim) of dims with size > 1
  for (size_t i = 0; i < sizes.size(); ++i)
    if (sizes[i] > 1) dims.push_back({strides[i], int64_t(i)});
  std::sort(dims.begin(), dims.end());
  int64_t span = 1;  // elements covered by the inner dims
  for (auto [st, d] : dims) {
    if (st < span) return d;
    span = st * (sizes[d] - 1) + span;
  }
  return -1;
}

// buf[geometry] += g, where the geometry may hit one element several times: loop over the
// overlapping dims until each piece is overlap-free.
void accumulate_strided(Tensor& buf, const Tensor& g, const Shape& sizes, const Strides& strides, int64_t offset) {
  int64_t d = overlapping_dim(sizes, strides);
  if (d < 0) {
    Tensor part = as_strided(buf, sizes, strides, offset);
    add_(part, g);
    return;
  }
  Shape sub_sizes = sizes;
  Strides sub_strides = strides;
  sub_sizes.erase(sub_sizes.begin() + d);
  sub_strides.erase(sub_strides.begin() + d);
  for (int64_t i = 0; i < sizes[d]; ++i)
    accumulate_strided(buf, select(g, d, i), sub_sizes, sub_strides, offset + i * strides[d]);
}

// as_strided's geometry is relative to the storage, not to the input's layout: the gradient is
// scattered into a buffer shaped like the storage span both geometries touch, then read back
// through the input's geometry.
struct AsStridedBackward0 : Node {
  Shape in_sizes, out_sizes;
  Strides in_strides, out_strides;
  int64_t in_offset, out_offset;
  std::string name() const override { return "AsStridedBackward0"; }
  tensor_list apply(tensor_list&& grads) override {
    Tensor g = grads[0];
    Shape sizes = out_sizes;
    Strides strides = out_strides;
    // Stride-0 dims (expanded outputs) hit one element many times: sum them first.
    std::vector<int64_t> zero_dims;
    for (size_t d = 0; d < sizes.size(); ++d)
      if (strides[d] == 0 && sizes[d] > 1) zero_dims.push_back(int64_t(d));
    if (!zero_dims.empty()) {
      g = sum(g, zero_dims, true);
      for (int64_t d : zero_dims) sizes[d] = 1;
    }
    int64_t lo = std::min(in_offset, out_offset);
    int64_t hi = std::max(in_offset + geometry_extent(in_sizes, in_strides),
                          out_offset + geometry_extent(sizes, strides));
    Tensor buf = zeros({std::max<int64_t>(hi - lo, 0)}, TensorOptions(g.dtype()).device(g.device()));
    accumulate_strided(buf, g, sizes, strides, out_offset - lo);
    return {as_strided(buf, in_sizes, in_strides, in_offset - lo)};
  }
};
}  // namespace

Tensor as_strided(const Tensor& x, const Shape& sizes, const Strides& strides, int64_t storage_offset) {
  EMBER_CHECK(sizes.size() == strides.size(), Runtime, "[ember.as_strided] mismatch in length of strides and shape");
  int64_t offset = storage_offset < 0 ? x.storage_offset() : storage_offset;
  for (size_t i = 0; i < sizes.size(); ++i)
    EMBER_CHECK(sizes[i] >= 0 && strides[i] >= 0, Runtime, "[ember.as_strided] negative sizes or strides: size ",
                shape_str(sizes), ", stride ", shape_str(strides));
  int64_t extent = offset + geometry_extent(sizes, strides) - 1;
  int64_t storage_elems = int64_t(x.impl()->storage_->nbytes / x.itemsize());
  EMBER_CHECK(extent < storage_elems || shape_numel(sizes) == 0, Runtime, "[ember.as_strided] setStorage: sizes ",
              shape_str(sizes), ", strides ", shape_str(strides), ", storage offset ", offset,
              " require a storage of ", extent + 1, " elements, but the storage has ", storage_elems);
  Tensor out = make_alias(x, sizes, strides, offset);
  if (auto node = make_grad_node<AsStridedBackward0>(x)) {
    node->in_sizes = x.sizes();
    node->in_strides = x.strides();
    node->in_offset = x.storage_offset();
    node->out_sizes = sizes;
    node->out_strides = strides;
    node->out_offset = offset;
    set_history(out, node);
  }
  return out;
}

Tensor view(const Tensor& x, const Shape& shape) {
  Shape new_shape = infer_size(shape, x.numel(), "view");
  auto strides = view_strides(x.sizes(), x.strides(), new_shape);
  EMBER_CHECK(strides.has_value(), Runtime,
              "[ember.view] view size is not compatible with input tensor's size and stride (at least one dimension "
              "spans across two contiguous subspaces). Use .reshape(...) instead. (input ", shape_str(x.sizes()),
              " with strides ", shape_str(x.strides()), ", view ", shape_str(new_shape), ")");
  return record_reshape_alias(make_alias(x, new_shape, *strides, x.storage_offset()), x, "ViewBackward0");
}

Tensor reshape(const Tensor& x, const Shape& shape) {
  Shape new_shape = infer_size(shape, x.numel(), "reshape");
  if (auto strides = view_strides(x.sizes(), x.strides(), new_shape))
    return record_reshape_alias(make_alias(x, new_shape, *strides, x.storage_offset()), x, "ViewBackward0");
  return view(clone(x), new_shape);
}

Tensor flatten(const Tensor& x, int64_t start_dim, int64_t end_dim) {
  int64_t s = wrap_dim(start_dim, x.dim(), "flatten"), e = wrap_dim(end_dim, x.dim(), "flatten");
  if (x.dim() == 0) return reshape(x, {1});
  EMBER_CHECK(s <= e, Runtime, "[ember.flatten] start_dim cannot come after end_dim");
  if (s == e) return x;
  Shape shape(x.sizes().begin(), x.sizes().begin() + s);
  int64_t n = 1;
  for (int64_t d = s; d <= e; ++d) n *= x.sizes()[d];
  shape.push_back(n);
  shape.insert(shape.end(), x.sizes().begin() + e + 1, x.sizes().end());
  return reshape(x, shape);
}

namespace {
struct ExpandBackward0 : Node {
  Shape in_shape;
  std::string name() const override { return "ExpandBackward0"; }
  tensor_list apply(tensor_list&& grads) override { return {sum_to_shape(grads[0], in_shape)}; }
};
}  // namespace

Tensor expand(const Tensor& x, const Shape& shape) {
  EMBER_CHECK(int64_t(shape.size()) >= x.dim(), Runtime, "[ember.expand] the number of sizes provided (",
              shape.size(), ") must be greater or equal to the number of dimensions in the tensor (", x.dim(), ")");
  if (shape == x.sizes()) return record_reshape_alias(make_alias(x, x.sizes(), x.strides(), x.storage_offset()), x, "ExpandBackward0");
  int64_t lead = int64_t(shape.size()) - x.dim();
  Shape sizes(shape.size());
  Strides strides(shape.size());
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    int64_t want = shape[d];
    if (d < lead) {
      EMBER_CHECK(want >= 0, Runtime, "[ember.expand] the expanded size of the tensor (", want,
                  ") isn't allowed in a leading, non-existing dimension ", d);
      sizes[d] = want;
      strides[d] = 0;
      continue;
    }
    int64_t have = x.sizes()[d - lead];
    if (want == -1) want = have;
    EMBER_CHECK(have == want || have == 1, Runtime, "[ember.expand] The expanded size of the tensor (", want,
                ") must match the existing size (", have, ") at non-singleton dimension ", d, ".  Target sizes: ",
                shape_str(shape), ".  Tensor sizes: ", shape_str(x.sizes()));
    sizes[d] = want;
    strides[d] = have == want ? x.strides()[d - lead] : 0;
  }
  Tensor out = make_alias(x, sizes, strides, x.storage_offset());
  if (auto node = make_grad_node<ExpandBackward0>(x)) {
    node->in_shape = x.sizes();
    set_history(out, node);
  }
  return out;
}

namespace {
struct PermuteBackward0 : Node {
  std::vector<int64_t> inverse;
  std::string op = "PermuteBackward0";
  std::string name() const override { return op; }
  tensor_list apply(tensor_list&& grads) override { return {permute(grads[0], inverse)}; }
};

Tensor permute_impl(const Tensor& x, const std::vector<int64_t>& dims, const char* node_name) {
  int64_t n = x.dim();
  EMBER_CHECK(int64_t(dims.size()) == n, Runtime, "[ember.permute] number of dims don't match in permute: input has ",
              n, " dims, got ", dims.size());
  Shape sizes(n);
  Strides strides(n);
  std::vector<int64_t> inverse(n);
  std::vector<bool> seen(n, false);
  for (int64_t i = 0; i < n; ++i) {
    int64_t d = wrap_dim(dims[i], n, "permute");
    EMBER_CHECK(!seen[d], Runtime, "[ember.permute] repeated dim in permute: ", dims[i]);
    seen[d] = true;
    sizes[i] = x.sizes()[d];
    strides[i] = x.strides()[d];
    inverse[d] = i;
  }
  Tensor out = make_alias(x, sizes, strides, x.storage_offset());
  if (auto node = make_grad_node<PermuteBackward0>(x)) {
    node->inverse = inverse;
    node->op = node_name;
    set_history(out, node);
  }
  return out;
}
}  // namespace

Tensor permute(const Tensor& x, const std::vector<int64_t>& dims) { return permute_impl(x, dims, "PermuteBackward0"); }

Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1) {
  if (x.dim() == 0) {
    wrap_dim(dim0, 0, "transpose");
    wrap_dim(dim1, 0, "transpose");
    return permute_impl(x, {}, "TransposeBackward0");
  }
  int64_t a = wrap_dim(dim0, x.dim(), "transpose"), b = wrap_dim(dim1, x.dim(), "transpose");
  std::vector<int64_t> dims(x.dim());
  std::iota(dims.begin(), dims.end(), 0);
  std::swap(dims[a], dims[b]);
  return permute_impl(x, dims, "TransposeBackward0");
}

Tensor squeeze(const Tensor& x, const std::vector<int64_t>& dims) {
  std::vector<bool> drop(x.dim(), false);
  if (dims.empty()) {
    for (int64_t d = 0; d < x.dim(); ++d) drop[d] = x.sizes()[d] == 1;
  } else {
    for (int64_t d : dims) {
      int64_t w = wrap_dim(d, x.dim(), "squeeze");
      if (x.dim() > 0 && x.sizes()[w] == 1) drop[w] = true;
    }
  }
  Shape sizes;
  Strides strides;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (!drop[d]) {
      sizes.push_back(x.sizes()[d]);
      strides.push_back(x.strides()[d]);
    }
  return record_reshape_alias(make_alias(x, sizes, strides, x.storage_offset()), x,
                              dims.empty() ? "SqueezeBackward0" : "SqueezeBackward1");
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  int64_t d = wrap_dim(dim, x.dim() + 1, "unsqueeze");
  Shape sizes = x.sizes();
  Strides strides = x.strides();
  int64_t stride = d < x.dim() ? sizes[d] * strides[d] : 1;
  sizes.insert(sizes.begin() + d, 1);
  strides.insert(strides.begin() + d, stride);
  return record_reshape_alias(make_alias(x, sizes, strides, x.storage_offset()), x, "UnsqueezeBackward0");
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  EMBER_CHECK(x.dim() > 0, Index, "[ember.select] select() cannot be applied to a 0-dim tensor.");
  int64_t d = wrap_dim(dim, x.dim(), "select");
  int64_t size = x.sizes()[d];
  EMBER_CHECK(index >= -size && index < size, Index, "[ember.select] index ", index,
              " is out of bounds for dimension ", d, " with size ", size);
  int64_t i = index < 0 ? index + size : index;
  Shape sizes = x.sizes();
  Strides strides = x.strides();
  int64_t offset = x.storage_offset() + i * strides[d];
  sizes.erase(sizes.begin() + d);
  strides.erase(strides.begin() + d);
  return record_subset(make_alias(x, sizes, strides, offset), x, "SelectBackward0",
                       [d, i](const Tensor& z) { return select(z, d, i); });
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  EMBER_CHECK(x.dim() > 0, Index, "[ember.slice] slice() cannot be applied to a 0-dim tensor.");
  EMBER_CHECK(step > 0, Value, "[ember.slice] step must be greater than zero, got ", step);
  int64_t d = wrap_dim(dim, x.dim(), "slice");
  int64_t size = x.sizes()[d];
  if (start < 0) start += size;
  if (end < 0) end += size;
  start = std::clamp<int64_t>(start, 0, size);
  end = std::clamp<int64_t>(end, start, size);
  Shape sizes = x.sizes();
  Strides strides = x.strides();
  int64_t offset = x.storage_offset() + start * strides[d];
  sizes[d] = (end - start + step - 1) / step;
  strides[d] *= step;
  return record_subset(make_alias(x, sizes, strides, offset), x, "SliceBackward0",
                       [d, start, end, step](const Tensor& z) { return slice(z, d, start, end, step); });
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  EMBER_CHECK(x.dim() > 0, Index, "[ember.narrow] narrow() cannot be applied to a 0-dim tensor.");
  int64_t d = wrap_dim(dim, x.dim(), "narrow");
  int64_t size = x.sizes()[d];
  EMBER_CHECK(start >= -size && start <= size, Index, "[ember.narrow] start (", start, ") is out of bounds for dimension ",
              d, " with size ", size);
  if (start < 0) start += size;
  EMBER_CHECK(length >= 0 && start + length <= size, Runtime, "[ember.narrow] start (", start, ") + length (", length,
              ") exceeds dimension size (", size, ").");
  return slice(x, d, start, start + length, 1);
}

// ---- more views: unflatten, unbind, split, chunk, tensor_split, diagonal, unfold, movedim, t, mT

Tensor unflatten(const Tensor& x, int64_t dim, const Shape& sizes) {
  EMBER_CHECK(x.dim() > 0, Runtime, "[ember.unflatten] Dimension specified as ", dim, " but tensor has no dimensions");
  int64_t d = wrap_dim(dim, x.dim(), "unflatten");
  EMBER_CHECK(!sizes.empty(), Runtime, "[ember.unflatten] unflatten: sizes must be non-empty");
  int64_t n = x.sizes()[d], known = 1, infer = -1;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == -1) {
      EMBER_CHECK(infer < 0, Runtime, "[ember.unflatten] only one dimension can be inferred");
      infer = int64_t(i);
    } else {
      known *= sizes[i];
    }
  }
  Shape inner = sizes;
  if (infer >= 0 && known > 0 && n % known == 0) inner[infer] = n / known;
  EMBER_CHECK(shape_numel(inner) == n && (infer < 0 || known > 0), Runtime, "[ember.unflatten] unflatten: Provided sizes ",
              shape_str(sizes), " don't multiply up to the size of dim ", dim, " (", n, ") in the input tensor");
  Shape shape(x.sizes().begin(), x.sizes().begin() + d);
  shape.insert(shape.end(), inner.begin(), inner.end());
  shape.insert(shape.end(), x.sizes().begin() + d + 1, x.sizes().end());
  return view(x, shape);
}

namespace {
// Multi-output views (unbind, split): one node for all outputs; missing gradients arrive as zeros.
struct MultiViewBackward : Node {
  int64_t dim = 0;
  bool unbind = false;
  std::string op;
  std::string name() const override { return op; }
  tensor_list apply(tensor_list&& grads) override { return {unbind ? stack(grads, dim) : cat(grads, dim)}; }
};

std::vector<Tensor> record_multi_view(std::vector<Tensor> outs, const Tensor& x, int64_t dim, bool is_unbind,
                                      const char* op) {
  if (outs.empty()) return outs;
  if (auto node = make_grad_node<MultiViewBackward>(x)) {
    node->dim = dim;
    node->unbind = is_unbind;
    node->op = op;
    set_history(outs, node);
  }
  return outs;
}
}  // namespace

std::vector<Tensor> unbind(const Tensor& x, int64_t dim) {
  EMBER_CHECK(x.dim() > 0, Index, "[ember.unbind] Dimension specified as ", dim, " but tensor has no dimensions");
  int64_t d = wrap_dim(dim, x.dim(), "unbind");
  Shape sizes = x.sizes();
  Strides strides = x.strides();
  sizes.erase(sizes.begin() + d);
  strides.erase(strides.begin() + d);
  std::vector<Tensor> out;
  for (int64_t i = 0; i < x.sizes()[d]; ++i)
    out.push_back(make_alias(x, sizes, strides, x.storage_offset() + i * x.strides()[d]));
  return record_multi_view(std::move(out), x, d, true, "UnbindBackward0");
}

namespace {
std::vector<Tensor> split_impl(const Tensor& x, const std::vector<int64_t>& sizes, int64_t d, const char* op) {
  std::vector<Tensor> out;
  int64_t start = 0;
  for (int64_t s : sizes) {
    Shape shape = x.sizes();
    shape[d] = s;
    out.push_back(make_alias(x, shape, x.strides(), x.storage_offset() + (s ? start * x.strides()[d] : 0)));
    start += s;
  }
  return record_multi_view(std::move(out), x, d, false, op);
}
}  // namespace

std::vector<Tensor> split_with_sizes(const Tensor& x, const std::vector<int64_t>& sizes, int64_t dim) {
  EMBER_CHECK(x.dim() > 0, Runtime, "[ember.split] split expects at least a 1-dimensional tensor");
  int64_t d = wrap_dim(dim, x.dim(), "split");
  int64_t n = x.sizes()[d], total = 0;
  for (int64_t s : sizes) {
    EMBER_CHECK(s >= 0, Runtime, "[ember.split_with_sizes] split_with_sizes expects split_sizes have only non-negative ",
                "entries, but got split_sizes=", shape_str(sizes));
    total += s;
  }
  EMBER_CHECK(total == n, Runtime, "[ember.split_with_sizes] split_with_sizes expects split_sizes to sum exactly to ", n,
              " (input tensor's size at dimension ", d, "), but got split_sizes=", shape_str(sizes));
  return split_impl(x, sizes, d, "SplitWithSizesBackward0");
}

std::vector<Tensor> split(const Tensor& x, int64_t split_size, int64_t dim) {
  EMBER_CHECK(x.dim() > 0, Runtime, "[ember.split] split expects at least a 1-dimensional tensor");
  int64_t d = wrap_dim(dim, x.dim(), "split");
  int64_t n = x.sizes()[d];
  EMBER_CHECK(split_size >= 0, Runtime, "[ember.split] split expects split_size be non-negative, but got split_size=",
              split_size);
  EMBER_CHECK(split_size > 0 || n == 0, Runtime, "[ember.split] split_size can only be 0 if dimension size is 0, but got ",
              "dimension size of ", n);
  std::vector<int64_t> sizes;
  for (int64_t start = 0; start < n; start += split_size) sizes.push_back(std::min(split_size, n - start));
  if (n == 0) sizes = {0};
  return split_impl(x, sizes, d, "SplitBackward0");
}

std::vector<Tensor> chunk(const Tensor& x, int64_t chunks, int64_t dim) {
  EMBER_CHECK(x.dim() > 0, Runtime, "[ember.chunk] chunk expects at least a 1-dimensional tensor");
  EMBER_CHECK(chunks > 0, Runtime, "[ember.chunk] chunk expects `chunks` to be greater than 0, got: ", chunks);
  int64_t d = wrap_dim(dim, x.dim(), "chunk");
  int64_t n = x.sizes()[d];
  int64_t split_size = (n + chunks - 1) / chunks;
  if (split_size == 0 && n == 0) return split_impl(x, std::vector<int64_t>(chunks, 0), d, "SplitBackward0");
  return split(x, split_size, d);
}

std::vector<Tensor> tensor_split(const Tensor& x, int64_t sections, int64_t dim) {
  EMBER_CHECK(x.dim() > 0, Runtime, "[ember.tensor_split] tensor_split expected at least a 1-dimensional tensor, but got a ",
              "tensor with ", x.dim(), " dims");
  EMBER_CHECK(sections > 0, Runtime, "[ember.tensor_split] number of sections must be larger than 0, got ", sections);
  int64_t d = wrap_dim(dim, x.dim(), "tensor_split");
  int64_t n = x.sizes()[d];
  std::vector<int64_t> sizes(sections, n / sections);
  for (int64_t i = 0; i < n % sections; ++i) ++sizes[i];
  return split_with_sizes(x, sizes, d);
}

std::vector<Tensor> tensor_split(const Tensor& x, const std::vector<int64_t>& indices, int64_t dim) {
  EMBER_CHECK(x.dim() > 0, Runtime, "[ember.tensor_split] tensor_split expected at least a 1-dimensional tensor, but got a ",
              "tensor with ", x.dim(), " dims");
  int64_t d = wrap_dim(dim, x.dim(), "tensor_split");
  int64_t n = x.sizes()[d];
  // Python slicing: x[indices[i-1]:indices[i]], each bound normalised on its own.
  auto norm = [n](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + n : v, 0, n); };
  std::vector<Tensor> out;
  for (size_t i = 0; i <= indices.size(); ++i) {
    int64_t start = i == 0 ? 0 : norm(indices[i - 1]);
    int64_t end = i < indices.size() ? norm(indices[i]) : n;
    out.push_back(slice(x, d, start, std::max(end, start), 1));
  }
  return out;
}

Tensor diagonal(const Tensor& x, int64_t offset, int64_t dim1, int64_t dim2) {
  int64_t d1 = wrap_dim(dim1, x.dim(), "diagonal"), d2 = wrap_dim(dim2, x.dim(), "diagonal");
  EMBER_CHECK(d1 != d2, Runtime, "[ember.diagonal] diagonal dimensions cannot be identical ", dim1, ", ", dim2);
  int64_t s1 = x.sizes()[d1], s2 = x.sizes()[d2];
  int64_t n = offset >= 0 ? std::min(s1, s2 - offset) : std::min(s1 + offset, s2);
  n = std::max<int64_t>(n, 0);
  int64_t storage = x.storage_offset();
  if (n > 0) storage += offset >= 0 ? offset * x.strides()[d2] : -offset * x.strides()[d1];
  Shape sizes;
  Strides strides;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (d != d1 && d != d2) {
      sizes.push_back(x.sizes()[d]);
      strides.push_back(x.strides()[d]);
    }
  sizes.push_back(n);
  strides.push_back(x.strides()[d1] + x.strides()[d2]);
  return record_subset(make_alias(x, sizes, strides, storage), x, "DiagonalBackward0",
                       [offset, d1, d2](const Tensor& z) { return diagonal(z, offset, d1, d2); });
}

namespace {
// Windows may overlap (step < size): each window position adds its gradient into the input.
struct UnfoldBackward0 : Node {
  Shape in_shape;
  int64_t dim, size, step;
  std::string name() const override { return "UnfoldBackward0"; }
  tensor_list apply(tensor_list&& grads) override {
    const Tensor& g = grads[0];
    Tensor out = zeros(in_shape, TensorOptions(g.dtype()).device(g.device()));
    if (in_shape.empty()) {
      Tensor flat = reshape(out, {1});
      copy_(flat, g);
      return {out};
    }
    int64_t windows = g.sizes()[dim];
    for (int64_t j = 0; j < size; ++j) {
      Tensor part = slice(out, dim, j, j + (windows - 1) * step + 1, step);
      Tensor gj = select(g, -1, j);
      if (step >= size) copy_(part, gj);
      else add_(part, gj);
    }
    return {out};
  }
};
}  // namespace

Tensor unfold(const Tensor& x, int64_t dimension, int64_t size, int64_t step) {
  int64_t d = x.dim() == 0 ? wrap_dim(dimension, 1, "unfold") : wrap_dim(dimension, x.dim(), "unfold");
  int64_t n = x.dim() == 0 ? 1 : x.sizes()[d];
  EMBER_CHECK(size <= n, Runtime, "[ember.unfold] maximum size for tensor at dimension ", d, " is ", n, " but size is ", size);
  EMBER_CHECK(size >= 0, Runtime, "[ember.unfold] size is ", size, " but must be >= 0");
  EMBER_CHECK(step > 0, Runtime, "[ember.unfold] step is ", step, " but must be > 0");
  Shape sizes = x.sizes();
  Strides strides = x.strides();
  if (x.dim() == 0) {
    sizes = {size};
    strides = {1};
  } else {
    sizes[d] = (n - size) / step + 1;
    sizes.push_back(size);
    strides.push_back(strides[d]);
    strides[d] *= step;
  }
  Tensor out = make_alias(x, sizes, strides, x.storage_offset());
  if (auto node = make_grad_node<UnfoldBackward0>(x)) {
    node->in_shape = x.sizes();
    node->dim = d;
    node->size = size;
    node->step = step;
    set_history(out, node);
  }
  return out;
}

Tensor movedim(const Tensor& x, const std::vector<int64_t>& source, const std::vector<int64_t>& destination) {
  int64_t n = x.dim();
  EMBER_CHECK(source.size() == destination.size(), Runtime, "[ember.movedim] movedim: Invalid source or destination dims: ",
              "source (", shape_str(source), " dims) should contain the same number of dims as destination (",
              shape_str(destination), " dims)");
  std::vector<int64_t> order(std::max<int64_t>(n, 1), -1);
  std::vector<bool> src_used(order.size(), false), dst_used(order.size(), false);
  for (size_t i = 0; i < source.size(); ++i) {
    int64_t s = wrap_dim(source[i], n, "movedim"), t = wrap_dim(destination[i], n, "movedim");
    EMBER_CHECK(!src_used[s], Runtime, "[ember.movedim] movedim: repeated dim in `source` (", shape_str(source), ")");
    EMBER_CHECK(!dst_used[t], Runtime, "[ember.movedim] movedim: repeated dim in `destination` (", shape_str(destination), ")");
    src_used[s] = dst_used[t] = true;
    order[t] = s;
  }
  if (n == 0) return permute(x, {});
  int64_t next = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (order[i] >= 0) continue;
    while (src_used[next]) ++next;
    order[i] = next++;
  }
  return permute(x, order);
}

Tensor t(const Tensor& x) {
  EMBER_CHECK(x.dim() <= 2, Runtime, "[ember.t] t() expects a tensor with <= 2 dimensions, but self is ", x.dim(), "D");
  if (x.dim() < 2) return permute_impl(x, x.dim() ? std::vector<int64_t>{0} : std::vector<int64_t>{}, "TBackward0");
  return permute_impl(x, {1, 0}, "TBackward0");
}

Tensor matrix_transpose(const Tensor& x, const char* name) {
  EMBER_CHECK(x.dim() >= 2, Runtime, "[ember.", name, "] tensor.", name,
              " is only supported on matrices or batches of matrices. Got ", x.dim(), "-D tensor.");
  return transpose(x, -2, -1);
}

Tensor reverse_dims(const Tensor& x) {
  std::vector<int64_t> dims(x.dim());
  for (int64_t i = 0; i < x.dim(); ++i) dims[i] = x.dim() - 1 - i;
  return permute(x, dims);
}

}  // namespace ember
