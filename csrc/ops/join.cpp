// Copying shape ops and their backwards: cat, stack (+ hstack/vstack/dstack, atleast_nd), flip,
// roll, repeat, tile, repeat_interleave, tril/triu. They allocate one output and fill it through
// views with the copy kernel; no kernels of their own.
#include <algorithm>

#include "ops/op_utils.h"

namespace ember {
namespace {

// dst <- src, recording no history (dst is a fresh output).
void fill_from(Tensor dst, const Tensor& src) {
  if (dst.numel() == 0) return;
  autograd::NoGradGuard g;
  copy_(dst, src);
}

bool skipped_in_cat(const Tensor& t) { return t.dim() == 1 && t.numel() == 0; }

struct CatBackward0 : Node {
  int64_t dim = 0;
  std::vector<int64_t> sizes;  // -1: a skipped empty 1-D input
  std::string name() const override { return "CatBackward0"; }
  tensor_list apply(tensor_list&& grads) override {
    tensor_list out(sizes.size());
    int64_t off = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (sizes[i] < 0) {
        if (should_compute_output(i)) out[i] = zeros({0}, TensorOptions(grads[0].dtype()).device(grads[0].device()));
        continue;
      }
      if (should_compute_output(i)) out[i] = narrow(grads[0], dim, off, sizes[i]);
      off += sizes[i];
    }
    return out;
  }
};

struct StackBackward0 : Node {
  int64_t dim = 0;
  std::string name() const override { return "StackBackward0"; }
  tensor_list apply(tensor_list&& grads) override {
    tensor_list out(next_edges_.size());
    for (size_t i = 0; i < out.size(); ++i)
      if (should_compute_output(i)) out[i] = select(grads[0], dim, int64_t(i));
    return out;
  }
};

}  // namespace

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  EMBER_CHECK(!tensors.empty(), Value, "[ember.cat] torch.cat(): expected a non-empty list of Tensors");
  Dtype dt = tensors[0].dtype();
  const Tensor* ref = nullptr;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    EMBER_CHECK(t.dim() > 0, Runtime, "[ember.cat] zero-dimensional tensor (at position ", i, ") cannot be concatenated");
    check_same_device("cat", tensors[0], t);
    dt = promote_types(dt, t.dtype());
    if (!ref && !skipped_in_cat(t)) ref = &t;
  }
  Device device = tensors[0].device();
  if (!ref) ref = &tensors[0];
  int64_t d = wrap_dim(dim, ref->dim(), "cat");
  Shape shape = ref->sizes();
  shape[d] = 0;
  std::vector<int64_t> sizes;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (skipped_in_cat(t) && &t != ref) {
      sizes.push_back(-1);
      continue;
    }
    EMBER_CHECK(t.dim() == ref->dim(), Runtime, "[ember.cat] Tensors must have same number of dimensions: got ", ref->dim(),
                " and ", t.dim());
    for (int64_t k = 0; k < t.dim(); ++k)
      EMBER_CHECK(k == d || t.sizes()[k] == ref->sizes()[k], Runtime, "[ember.cat] Sizes of tensors must match except in ",
                  "dimension ", d, ". Expected size ", ref->sizes()[k], " but got size ", t.sizes()[k], " for tensor number ",
                  i, " in the list.");
    sizes.push_back(t.sizes()[d]);
    shape[d] += t.sizes()[d];
  }
  Tensor out = empty(shape, TensorOptions(dt).device(device));
  int64_t off = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (sizes[i] < 0) continue;
    fill_from(narrow(out, d, off, sizes[i]), tensors[i]);
    off += sizes[i];
  }
  if (auto node = make_grad_node_list<CatBackward0>(tensors)) {
    node->dim = d;
    node->sizes = sizes;
    set_history(out, node);
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  EMBER_CHECK(!tensors.empty(), Runtime, "[ember.stack] stack expects a non-empty TensorList");
  const Tensor& first = tensors[0];
  int64_t d = wrap_dim(dim, first.dim() + 1, "stack");
  Dtype dt = first.dtype();
  for (size_t i = 0; i < tensors.size(); ++i) {
    EMBER_CHECK(tensors[i].sizes() == first.sizes(), Runtime, "[ember.stack] stack expects each tensor to be equal size, ",
                "but got ", shape_str(first.sizes()), " at entry 0 and ", shape_str(tensors[i].sizes()), " at entry ", i);
    check_same_device("stack", first, tensors[i]);
    dt = promote_types(dt, tensors[i].dtype());
  }
  Shape shape = first.sizes();
  shape.insert(shape.begin() + d, int64_t(tensors.size()));
  Tensor out = empty(shape, TensorOptions(dt).device(first.device()));
  for (size_t i = 0; i < tensors.size(); ++i) fill_from(select(out, d, int64_t(i)), tensors[i]);
  if (auto node = make_grad_node_list<StackBackward0>(tensors)) {
    node->dim = d;
    set_history(out, node);
  }
  return out;
}

Tensor atleast_1d(const Tensor& x) { return x.dim() == 0 ? reshape(x, {1}) : x; }
Tensor atleast_2d(const Tensor& x) {
  if (x.dim() == 0) return reshape(x, {1, 1});
  return x.dim() == 1 ? unsqueeze(x, 0) : x;
}
Tensor atleast_3d(const Tensor& x) {
  if (x.dim() == 0) return reshape(x, {1, 1, 1});
  if (x.dim() == 1) return unsqueeze(unsqueeze(x, 0), -1);
  return x.dim() == 2 ? unsqueeze(x, -1) : x;
}

Tensor hstack(const std::vector<Tensor>& tensors) {
  EMBER_CHECK(!tensors.empty(), Runtime, "[ember.hstack] hstack expects a non-empty TensorList");
  std::vector<Tensor> ts;
  for (auto& t : tensors) ts.push_back(atleast_1d(t));
  return cat(ts, ts[0].dim() == 1 ? 0 : 1);
}

Tensor vstack(const std::vector<Tensor>& tensors) {
  EMBER_CHECK(!tensors.empty(), Runtime, "[ember.vstack] vstack expects a non-empty TensorList");
  std::vector<Tensor> ts;
  for (auto& t : tensors) ts.push_back(atleast_2d(t));
  return cat(ts, 0);
}

Tensor dstack(const std::vector<Tensor>& tensors) {
  EMBER_CHECK(!tensors.empty(), Runtime, "[ember.dstack] dstack expects a non-empty TensorList");
  std::vector<Tensor> ts;
  for (auto& t : tensors) ts.push_back(atleast_3d(t));
  return cat(ts, 2);
}

// ---- flip
namespace {
struct FlipBackward0 : Node {
  std::vector<int64_t> dims;
  std::string name() const override { return "FlipBackward0"; }
  tensor_list apply(tensor_list&& grads) override { return {flip(grads[0], dims)}; }
};
}  // namespace

Tensor flip(const Tensor& x, const std::vector<int64_t>& dims) {
  std::vector<bool> flipped(std::max<int64_t>(x.dim(), 1), false);
  for (int64_t dim : dims) {
    int64_t d = wrap_dim(dim, x.dim(), "flip");
    EMBER_CHECK(!flipped[d], Runtime, "[ember.flip] dim ", d, " appears multiple times in the list of dims");
    flipped[d] = true;
  }
  Tensor out = empty(x.sizes(), TensorOptions(x.dtype()).device(x.device()));
  if (out.numel() > 0) {
    // Read x through negative strides on the flipped dims (a kernel-level view only).
    Strides strides = x.strides();
    char* data = static_cast<char*>(x.data_ptr());
    for (int64_t d = 0; d < x.dim(); ++d)
      if (flipped[d]) {
        data += (x.sizes()[d] - 1) * strides[d] * int64_t(x.itemsize());
        strides[d] = -strides[d];
      }
    ElementwiseArgs args;
    args.out = View(out);
    args.in[0] = View(x);
    args.in[0].data = data;
    args.in[0].strides = strides.data();
    args.nin = 1;
    copy_stub.get(out.device().type, out.dtype())(args);
  }
  if (auto node = make_grad_node<FlipBackward0>(x)) {
    node->dims = dims;
    set_history(out, node);
  }
  return out;
}

Tensor fliplr(const Tensor& x) {
  EMBER_CHECK(x.dim() >= 2, Runtime, "[ember.fliplr] Input must be >= 2-d.");
  return flip(x, {1});
}

Tensor flipud(const Tensor& x) {
  EMBER_CHECK(x.dim() >= 1, Runtime, "[ember.flipud] Input must be >= 1-d.");
  return flip(x, {0});
}

Tensor rot90(const Tensor& x, int64_t k, const std::vector<int64_t>& dims) {
  EMBER_CHECK(dims.size() == 2, Runtime, "[ember.rot90] expected total rotation dims == 2, but got dims = ", dims.size());
  EMBER_CHECK(x.dim() >= 2, Runtime, "[ember.rot90] expected total dims >= 2, but got total dims = ", x.dim());
  int64_t d0 = wrap_dim(dims[0], x.dim(), "rot90"), d1 = wrap_dim(dims[1], x.dim(), "rot90");
  EMBER_CHECK(d0 != d1, Runtime, "[ember.rot90] expected rotation dims to be different, but got dim0 = ", d0,
              " and dim1 = ", d1);
  switch (((k % 4) + 4) % 4) {
    case 1: return transpose(flip(x, {d1}), d0, d1);
    case 2: return flip(x, {d0, d1});
    case 3: return transpose(flip(x, {d0}), d0, d1);
    default: return clone(x);
  }
}

Tensor narrow_copy(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  return clone(narrow(x, dim, start, length));
}

// ---- roll
namespace {
struct RollBackward0 : Node {
  std::vector<int64_t> shifts, dims;
  std::string name() const override { return "RollBackward0"; }
  tensor_list apply(tensor_list&& grads) override {
    std::vector<int64_t> back(shifts.size());
    for (size_t i = 0; i < shifts.size(); ++i) back[i] = -shifts[i];
    return {roll(grads[0], back, dims)};
  }
};
}  // namespace

Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts, const std::vector<int64_t>& dims) {
  if (dims.empty()) {
    EMBER_CHECK(shifts.size() == 1, Runtime, "[ember.roll] shifts and dimensions must align. shifts: ", shifts.size(),
                ", dims:0");
    return view(roll(flatten(x), shifts, {0}), x.sizes());
  }
  EMBER_CHECK(shifts.size() == dims.size(), Runtime, "[ember.roll] shifts and dimensions must align. shifts: ",
              shifts.size(), ", dims:", dims.size());
  EMBER_CHECK(x.dim() > 0, Index, "[ember.roll] Dimension specified as ", dims[0], " but tensor has no dimensions");
  std::vector<int64_t> wrapped;
  for (int64_t dim : dims) wrapped.push_back(wrap_dim(dim, x.dim(), "roll"));
  Tensor cur = x;
  {
    autograd::NoGradGuard g;
    for (size_t i = 0; i < dims.size(); ++i) {
      int64_t d = wrapped[i], n = x.sizes()[d];
      Tensor next = empty(x.sizes(), TensorOptions(x.dtype()).device(x.device()));
      int64_t s = n ? ((shifts[i] % n) + n) % n : 0;
      fill_from(narrow(next, d, s, n - s), narrow(cur, d, 0, n - s));
      fill_from(narrow(next, d, 0, s), narrow(cur, d, n - s, s));
      cur = next;
    }
  }
  if (cur.is_same(x)) cur = clone(x.detach());
  if (auto node = make_grad_node<RollBackward0>(x)) {
    node->shifts = shifts;
    node->dims = wrapped;
    set_history(cur, node);
  }
  return cur;
}

// ---- repeat, tile
namespace {
struct RepeatBackward0 : Node {
  Shape in_shape, big;  // big: (r0, s0, r1, s1, ...)
  std::string name() const override { return "RepeatBackward0"; }
  tensor_list apply(tensor_list&& grads) override {
    std::vector<int64_t> rep_dims;
    for (size_t i = 0; i < big.size(); i += 2) rep_dims.push_back(int64_t(i));
    Tensor g = sum(reshape(grads[0], big), rep_dims);
    return {reshape(g, in_shape)};
  }
};
}  // namespace

Tensor repeat(const Tensor& x, const std::vector<int64_t>& repeats) {
  EMBER_CHECK(int64_t(repeats.size()) >= x.dim(), Runtime, "[ember.repeat] Number of dimensions of repeat dims can not ",
              "be smaller than number of dimensions of tensor");
  int64_t lead = int64_t(repeats.size()) - x.dim();
  Shape big, out_shape;
  Strides src_strides;
  for (size_t i = 0; i < repeats.size(); ++i) {
    int64_t s = int64_t(i) < lead ? 1 : x.sizes()[i - lead];
    EMBER_CHECK(repeats[i] >= 0, Runtime, "[ember.repeat] Trying to create tensor with negative dimension ", repeats[i],
                ": ", shape_str(repeats));
    big.push_back(repeats[i]);
    big.push_back(s);
    src_strides.push_back(0);
    src_strides.push_back(int64_t(i) < lead ? 0 : x.strides()[i - lead]);
    out_shape.push_back(repeats[i] * s);
  }
  Tensor out = empty(out_shape, TensorOptions(x.dtype()).device(x.device()));
  if (out.numel() > 0)
    fill_from(make_alias(out, big, contiguous_strides(big), out.storage_offset()),
              make_alias(x, big, src_strides, x.storage_offset()));
  if (auto node = make_grad_node<RepeatBackward0>(x)) {
    node->in_shape = x.sizes();
    node->big = big;
    set_history(out, node);
  }
  return out;
}

Tensor tile(const Tensor& x, const std::vector<int64_t>& dims) {
  std::vector<int64_t> reps = dims;
  if (int64_t(reps.size()) < x.dim()) reps.insert(reps.begin(), x.dim() - int64_t(reps.size()), 1);
  return repeat(x, reps);
}

// ---- repeat_interleave: composed of expand + reshape / cat, so autograd comes from those ops.
Tensor repeat_interleave(const Tensor& x, int64_t repeats, std::optional<int64_t> dim) {
  EMBER_CHECK(repeats >= 0, Runtime, "[ember.repeat_interleave] repeats can not be negative");
  Tensor in = dim && x.dim() > 0 ? x : flatten(x);
  int64_t d = dim && x.dim() > 0 ? wrap_dim(*dim, in.dim(), "repeat_interleave") : 0;
  if (dim && x.dim() == 0) wrap_dim(*dim, 1, "repeat_interleave");
  Shape shape = in.sizes();
  shape.insert(shape.begin() + d + 1, repeats);
  Shape out_shape = in.sizes();
  out_shape[d] *= repeats;
  return reshape(expand(unsqueeze(in, d + 1), shape), out_shape);
}

Tensor repeat_interleave(const Tensor& x, const Tensor& repeats, std::optional<int64_t> dim) {
  EMBER_CHECK(repeats.dim() <= 1, Runtime, "[ember.repeat_interleave] repeats must be 0-dim or 1-dim tensor");
  EMBER_CHECK(is_integral(repeats.dtype(), false), Runtime,
              "[ember.repeat_interleave] repeats has to be Long or Int tensor, got ", dtype_name(repeats.dtype()));
  Tensor in = dim && x.dim() > 0 ? x : flatten(x);
  int64_t d = dim && x.dim() > 0 ? wrap_dim(*dim, in.dim(), "repeat_interleave") : 0;
  Tensor r = contiguous(to_device(to_dtype(repeats.detach(), Dtype::Int64), Device()));
  int64_t n = in.sizes()[d];
  if (r.numel() == 1 && n != 1) return repeat_interleave(x, r.item().to_int(), dim);
  EMBER_CHECK(r.numel() == n, Runtime, "[ember.repeat_interleave] repeats must have the same size as input along dim, but ",
              "got repeats.size(0) = ", r.numel(), " and input.size(", d, ") = ", n);
  const int64_t* rv = r.data<int64_t>();
  std::vector<Tensor> parts;
  for (int64_t i = 0; i < n; ++i) {
    EMBER_CHECK(rv[i] >= 0, Runtime, "[ember.repeat_interleave] repeats can not be negative");
    if (rv[i] == 0) continue;
    Shape s = in.sizes();
    s[d] = rv[i];
    parts.push_back(expand(narrow(in, d, i, 1), s));
  }
  if (parts.empty()) return narrow(in, d, 0, 0).clone();
  return cat(parts, d);
}

Tensor repeat_interleave(const Tensor& repeats) {
  EMBER_CHECK(repeats.dim() <= 1, Runtime, "[ember.repeat_interleave] repeats must be 0-dim or 1-dim tensor");
  Tensor r = flatten(repeats);
  return repeat_interleave(arange(0, r.numel(), 1, TensorOptions(Dtype::Int64).device(r.device())), r, 0);
}

// ---- tril, triu
namespace {
Tensor triangle(const Tensor& x, int64_t diagonal, bool upper);

struct TriangleBackward : Node {
  int64_t diagonal = 0;
  bool upper = false;
  std::string name() const override { return upper ? "TriuBackward0" : "TrilBackward0"; }
  tensor_list apply(tensor_list&& grads) override { return {triangle(grads[0], diagonal, upper)}; }
};

Tensor triangle(const Tensor& x, int64_t diagonal, bool upper) {
  const char* op = upper ? "triu" : "tril";
  EMBER_CHECK(x.dim() >= 2, Runtime, "[ember.", op, "] ", op, ": input tensor must have at least 2 dimensions");
  int64_t rows = x.sizes()[x.dim() - 2], cols = x.sizes()[x.dim() - 1];
  Tensor mask = empty({rows, cols}, TensorOptions(Dtype::Bool));
  bool* m = mask.data<bool>();
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) m[i * cols + j] = upper ? j - i >= diagonal : j - i <= diagonal;
  mask = to_device(mask, x.device());
  Tensor out;
  {
    autograd::NoGradGuard g;
    out = where(mask, x.detach(), zeros({}, TensorOptions(x.dtype()).device(x.device())));
  }
  if (auto node = make_grad_node<TriangleBackward>(x)) {
    node->diagonal = diagonal;
    node->upper = upper;
    set_history(out, node);
  }
  return out;
}
}  // namespace

Tensor tril(const Tensor& x, int64_t diagonal) { return triangle(x, diagonal, false); }
Tensor triu(const Tensor& x, int64_t diagonal) { return triangle(x, diagonal, true); }

}  // namespace ember
