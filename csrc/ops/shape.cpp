// Views (share storage and the version counter with their input) and their backwards:
// as_strided, view, reshape, expand, permute, transpose, squeeze, unsqueeze, select, slice,
// narrow, flatten.
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

Tensor as_strided(const Tensor& x, const Shape& sizes, const Strides& strides, int64_t storage_offset) {
  EMBER_CHECK(sizes.size() == strides.size(), Runtime, "[ember.as_strided] mismatch in length of strides and shape");
  int64_t offset = storage_offset < 0 ? x.storage_offset() : storage_offset;
  int64_t extent = offset;
  for (size_t i = 0; i < sizes.size(); ++i) {
    EMBER_CHECK(sizes[i] >= 0 && strides[i] >= 0, Runtime, "[ember.as_strided] negative sizes or strides: size ",
                shape_str(sizes), ", stride ", shape_str(strides));
    if (sizes[i] == 0) extent = -1;
    if (extent >= 0) extent += (sizes[i] - 1) * strides[i];
  }
  int64_t storage_elems = int64_t(x.impl()->storage_->nbytes / x.itemsize());
  EMBER_CHECK(extent < storage_elems || shape_numel(sizes) == 0, Runtime, "[ember.as_strided] setStorage: sizes ",
              shape_str(sizes), ", strides ", shape_str(strides), ", storage offset ", offset,
              " require a storage of ", extent + 1, " elements, but the storage has ", storage_elems);
  Tensor out = make_alias(x, sizes, strides, offset);
  int64_t x_offset = x.storage_offset();
  Strides in_strides = x.strides();
  return record_subset(out, x, "AsStridedBackward0", [sizes, strides, offset, x_offset](const Tensor& z) {
    // z is contiguous; map the original storage geometry onto it (assumes x was contiguous in storage).
    return make_alias(z, sizes, strides, z.storage_offset() + offset - x_offset);
  });
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

}  // namespace ember
