// Matrix products: mm, bmm (one GEMM call each) and matmul (PyTorch's composite over them).
#include "ops/op_utils.h"

namespace ember {
namespace {

void check_matmul_operands(const char* op, const Tensor& a, const Tensor& b) {
  check_same_device(op, a, b);
  EMBER_CHECK(a.dtype() == b.dtype(), Runtime, "[ember.", op, "] expected m1 and m2 to have the same dtype, but got: ",
              dtype_name(a.dtype()), " != ", dtype_name(b.dtype()));
  EMBER_CHECK(a.dtype() != Dtype::Bool, Runtime, "[ember.", op, "] not implemented for dtype ", dtype_name(a.dtype()));
}

// C[batch] = alpha * A[batch] @ B[batch] + beta * C[batch] for 3-D operands (batch stride 0
// allowed); beta == 0: C is not read.
void run_gemm(const Tensor& a, const Tensor& b, const Tensor& c, double alpha = 1, double beta = 0) {
  if (c.numel() == 0) return;
  // 16-bit floats compute through float32 on the CPU (the CUDA kernel takes them as they are: cuBLAS
  // GemmEx on tensor cores with float accumulation).
  if ((a.dtype() == Dtype::Float16 || a.dtype() == Dtype::BFloat16) && c.device().is_cpu()) {
    autograd::NoGradGuard guard;
    Tensor a32 = to_dtype(a.detach(), Dtype::Float32), b32 = to_dtype(b.detach(), Dtype::Float32);
    Tensor c32 = beta != 0 ? to_dtype(c.detach(), Dtype::Float32, /*copy=*/true)
                           : empty(c.sizes(), TensorOptions(Dtype::Float32).device(c.device()));
    run_gemm(a32, b32, c32, alpha, beta);
    Tensor cc = c;
    copy_(cc, c32);
    return;
  }
  gemm_stub.get(c.device().type, c.dtype())(gemm_args_3d(a, b, c, alpha, beta));
}

// A 2-D tensor as a batch of one (no copy).
Tensor as_batch1(const Tensor& t) {
  return make_alias(t, {1, t.sizes()[0], t.sizes()[1]}, {0, t.strides()[0], t.strides()[1]}, t.storage_offset());
}

// out = beta * input (broadcast to out's shape) before the GEMM accumulates into it.
Tensor start_from_input(const Tensor& input, const Shape& shape, Dtype dtype, double beta, const char* op) {
  Tensor out = empty(shape, TensorOptions(dtype).device(input.device()));
  if (beta != 0 && out.numel() > 0) {
    autograd::NoGradGuard guard;
    copy_(out, expand(input, shape));
  }
  return out;
}

struct MmBackward0 : Node {
  SavedTensor self, mat2;
  std::string name() const override { return "MmBackward0"; }
  void release_saved() override { self.reset(); mat2.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    const Tensor& g = grads[0];
    Tensor ga, gb;
    if (should_compute_output(0)) ga = mm(g, transpose(mat2.unpack(this), 0, 1));
    if (should_compute_output(1)) gb = mm(transpose(self.unpack(this), 0, 1), g);
    return {ga, gb};
  }
};

struct BmmBackward0 : Node {
  SavedTensor self, mat2;
  std::string name() const override { return "BmmBackward0"; }
  void release_saved() override { self.reset(); mat2.reset(); }
  tensor_list apply(tensor_list&& grads) override;
};

}  // namespace

Tensor mm(const Tensor& a, const Tensor& b) {
  EMBER_CHECK(a.dim() == 2, Runtime, "[ember.mm] self must be a matrix, got a ", a.dim(), "-D tensor");
  EMBER_CHECK(b.dim() == 2, Runtime, "[ember.mm] mat2 must be a matrix, got a ", b.dim(), "-D tensor");
  check_matmul_operands("mm", a, b);
  EMBER_CHECK(a.sizes()[1] == b.sizes()[0], Runtime, "[ember.mm] mat1 and mat2 shapes cannot be multiplied (",
              a.sizes()[0], "x", a.sizes()[1], " and ", b.sizes()[0], "x", b.sizes()[1], ")");
  Tensor out = empty({a.sizes()[0], b.sizes()[1]}, TensorOptions(a.dtype()).device(a.device()));
  run_gemm(as_batch1(a), as_batch1(b), as_batch1(out));
  if (auto node = make_grad_node<MmBackward0>(a, b)) {
    if (node->should_compute_output(1)) node->self = SavedTensor(a);
    if (node->should_compute_output(0)) node->mat2 = SavedTensor(b);
    set_history(out, node);
  }
  return out;
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  EMBER_CHECK(a.dim() == 3, Runtime, "[ember.bmm] batch1 must be a 3D tensor, got ", a.dim(), "-D");
  EMBER_CHECK(b.dim() == 3, Runtime, "[ember.bmm] batch2 must be a 3D tensor, got ", b.dim(), "-D");
  check_matmul_operands("bmm", a, b);
  EMBER_CHECK(a.sizes()[0] == b.sizes()[0], Runtime, "[ember.bmm] batch1 and batch2 must have same number of batches, got ",
              a.sizes()[0], " and ", b.sizes()[0]);
  EMBER_CHECK(a.sizes()[2] == b.sizes()[1], Runtime, "[ember.bmm] Expected size for first two dimensions of batch2 tensor to be: [",
              a.sizes()[0], ", ", a.sizes()[2], "] but got: [", b.sizes()[0], ", ", b.sizes()[1], "].");
  Tensor out = empty({a.sizes()[0], a.sizes()[1], b.sizes()[2]}, TensorOptions(a.dtype()).device(a.device()));
  run_gemm(a, b, out);
  if (auto node = make_grad_node<BmmBackward0>(a, b)) {
    if (node->should_compute_output(1)) node->self = SavedTensor(a);
    if (node->should_compute_output(0)) node->mat2 = SavedTensor(b);
    set_history(out, node);
  }
  return out;
}

tensor_list BmmBackward0::apply(tensor_list&& grads) {
  const Tensor& g = grads[0];
  Tensor ga, gb;
  if (should_compute_output(0)) ga = bmm(g, transpose(mat2.unpack(this), 1, 2));
  if (should_compute_output(1)) gb = bmm(transpose(self.unpack(this), 1, 2), g);
  return {ga, gb};
}

// PyTorch's matmul: dot / mv / mm / broadcast batched mm, built from views and mm/bmm so the
// backward comes from theirs.
Tensor matmul(const Tensor& a, const Tensor& b) {
  EMBER_CHECK(a.dim() > 0 && b.dim() > 0, Runtime, "[ember.matmul] both arguments to matmul need to be at least 1D, but they are ",
              a.dim(), "D and ", b.dim(), "D");
  if (a.dim() == 1 && b.dim() == 1) {
    EMBER_CHECK(a.sizes()[0] == b.sizes()[0], Runtime, "[ember.matmul] inconsistent tensor size, expected tensor [",
                a.sizes()[0], "] and src [", b.sizes()[0], "] to have the same number of elements, but got ",
                a.sizes()[0], " and ", b.sizes()[0], " elements respectively");
    return reshape(mm(unsqueeze(a, 0), unsqueeze(b, 1)), {});
  }
  if (a.dim() == 2 && b.dim() == 1) return squeeze(mm(a, unsqueeze(b, 1)), {1});
  if (a.dim() == 1 && b.dim() == 2) return squeeze(mm(unsqueeze(a, 0), b), {0});
  if (a.dim() == 2 && b.dim() == 2) return mm(a, b);
  // Batched: fold a's leading dims into rows when b is a plain matrix.
  if (a.dim() >= 3 && b.dim() <= 2) {
    Tensor b2 = b.dim() == 1 ? unsqueeze(b, 1) : b;
    Shape out_shape(a.sizes().begin(), a.sizes().end() - 1);
    Tensor r = mm(reshape(a, {-1, a.sizes().back()}), b2);
    if (b.dim() == 2) out_shape.push_back(b.sizes()[1]);
    return reshape(r, out_shape);
  }
  Tensor a3 = a.dim() == 1 ? unsqueeze(a, 0) : a;
  Tensor b3 = b.dim() == 1 ? unsqueeze(b, 1) : b;
  Shape batch_a(a3.sizes().begin(), a3.sizes().end() - 2), batch_b(b3.sizes().begin(), b3.sizes().end() - 2);
  Shape batch = broadcast_shapes(batch_a, batch_b, "matmul");
  int64_t n = a3.sizes()[a3.dim() - 2], k = a3.sizes().back(), k2 = b3.sizes()[b3.dim() - 2], p = b3.sizes().back();
  EMBER_CHECK(k == k2, Runtime, "[ember.matmul] mat1 and mat2 shapes cannot be multiplied (", shape_str(a.sizes()),
              " and ", shape_str(b.sizes()), ")");
  int64_t nb = shape_numel(batch);
  Shape ea = batch, eb = batch;
  ea.insert(ea.end(), {n, k});
  eb.insert(eb.end(), {k, p});
  Tensor r = bmm(reshape(expand(a3, ea), {nb, n, k}), reshape(expand(b3, eb), {nb, k, p}));
  Shape out_shape = batch;
  if (a.dim() > 1) out_shape.push_back(n);
  if (b.dim() > 1) out_shape.push_back(p);
  return reshape(r, out_shape);
}


// ---- addmm / baddbmm: the GEMM's C starts as beta * input (a fused bias epilogue).
namespace {
struct AddmmBackward0 : Node {
  SavedTensor mat1, mat2;
  Shape input_shape;
  double beta = 1, alpha = 1;
  bool batched = false;
  std::string op = "AddmmBackward0";
  std::string name() const override { return op; }
  void release_saved() override { mat1.reset(); mat2.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    const Tensor& g = grads[0];
    Tensor gi, g1, g2;
    const int64_t r = batched ? 1 : 0;
    if (should_compute_output(0)) gi = sum_to_shape(beta == 1 ? g : mul(g, beta), input_shape);
    if (should_compute_output(1)) {
      Tensor m2t = transpose(mat2.unpack(this), r, r + 1);
      g1 = batched ? bmm(g, m2t) : mm(g, m2t);
      if (alpha != 1) g1 = mul(g1, alpha);
    }
    if (should_compute_output(2)) {
      Tensor m1t = transpose(mat1.unpack(this), r, r + 1);
      g2 = batched ? bmm(m1t, g) : mm(m1t, g);
      if (alpha != 1) g2 = mul(g2, alpha);
    }
    return {gi, g1, g2};
  }
};

Tensor addmm_impl(const char* op, const Tensor& input, const Tensor& a, const Tensor& b, const Scalar& beta,
                  const Scalar& alpha, bool batched) {
  check_matmul_operands(op, a, b);
  check_same_device(op, input, a);
  EMBER_CHECK(input.dtype() == a.dtype(), Runtime, "[ember.", op, "] expected input and mat1 to have the same dtype, got ",
              dtype_name(input.dtype()), " and ", dtype_name(a.dtype()));
  EMBER_CHECK(!(is_floating_point(a.dtype()) == false && (beta.is_floating_point() || alpha.is_floating_point())),
              Runtime, "[ember.", op, "] for integral inputs, beta and alpha must be integers");
  Shape shape;
  if (batched) {
    EMBER_CHECK(a.dim() == 3 && b.dim() == 3, Runtime, "[ember.", op, "] batch1 and batch2 must be 3D tensors, got ",
                a.dim(), "D and ", b.dim(), "D");
    EMBER_CHECK(a.sizes()[0] == b.sizes()[0] && a.sizes()[2] == b.sizes()[1], Runtime, "[ember.", op,
                "] incompatible batch shapes ", shape_str(a.sizes()), " and ", shape_str(b.sizes()));
    shape = {a.sizes()[0], a.sizes()[1], b.sizes()[2]};
  } else {
    EMBER_CHECK(a.dim() == 2 && b.dim() == 2, Runtime, "[ember.", op, "] mat1 and mat2 must be matrices, got ", a.dim(),
                "D and ", b.dim(), "D");
    EMBER_CHECK(a.sizes()[1] == b.sizes()[0], Runtime, "[ember.", op, "] mat1 and mat2 shapes cannot be multiplied (",
                a.sizes()[0], "x", a.sizes()[1], " and ", b.sizes()[0], "x", b.sizes()[1], ")");
    shape = {a.sizes()[0], b.sizes()[1]};
  }
  Shape bshape = broadcast_shapes(input.sizes(), shape, op);
  EMBER_CHECK(bshape == shape, Runtime, "[ember.", op, "] input of shape ", shape_str(input.sizes()),
              " cannot be broadcast to the product's shape ", shape_str(shape));
  const double bt = beta.to_double(), al = alpha.to_double();
  Tensor out = start_from_input(input, shape, a.dtype(), bt, op);
  if (batched) run_gemm(a, b, out, al, bt);
  else run_gemm(as_batch1(a), as_batch1(b), as_batch1(out), al, bt);
  if (auto node = make_grad_node<AddmmBackward0>(input, a, b)) {
    if (node->should_compute_output(2)) node->mat1 = SavedTensor(a);
    if (node->should_compute_output(1)) node->mat2 = SavedTensor(b);
    node->input_shape = input.sizes();
    node->beta = bt;
    node->alpha = al;
    node->batched = batched;
    node->op = batched ? "BaddbmmBackward0" : "AddmmBackward0";
    set_history(out, node);
  }
  return out;
}
}  // namespace

Tensor addmm(const Tensor& input, const Tensor& mat1, const Tensor& mat2, const Scalar& beta, const Scalar& alpha) {
  return addmm_impl("addmm", input, mat1, mat2, beta, alpha, false);
}

Tensor baddbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, const Scalar& beta,
               const Scalar& alpha) {
  return addmm_impl("baddbmm", input, batch1, batch2, beta, alpha, true);
}

// sum_b batch1[b] @ batch2[b] is one GEMM over the shared dim (b, k) folded together.
Tensor addbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, const Scalar& beta,
              const Scalar& alpha) {
  EMBER_CHECK(batch1.dim() == 3 && batch2.dim() == 3, Runtime, "[ember.addbmm] batch1 and batch2 must be 3D tensors, got ",
              batch1.dim(), "D and ", batch2.dim(), "D");
  EMBER_CHECK(batch1.sizes()[0] == batch2.sizes()[0] && batch1.sizes()[2] == batch2.sizes()[1], Runtime,
              "[ember.addbmm] incompatible batch shapes ", shape_str(batch1.sizes()), " and ", shape_str(batch2.sizes()));
  const int64_t nb = batch1.sizes()[0], m = batch1.sizes()[1], k = batch1.sizes()[2], n = batch2.sizes()[2];
  Tensor a = reshape(permute(batch1, {1, 0, 2}), {m, nb * k});
  Tensor b = reshape(batch2, {nb * k, n});
  return addmm_impl("addbmm", input, a, b, beta, alpha, false);
}

Tensor addmv(const Tensor& input, const Tensor& mat, const Tensor& vec, const Scalar& beta, const Scalar& alpha) {
  EMBER_CHECK(mat.dim() == 2 && vec.dim() == 1, Runtime, "[ember.addmv] vector + matrix @ vector expected, got ",
              input.dim(), ", ", mat.dim(), ", ", vec.dim());
  EMBER_CHECK(input.dim() <= 1, Runtime, "[ember.addmv] input must be 0-D or 1-D, got ", input.dim(), "-D");
  Tensor in2 = input.dim() == 1 ? unsqueeze(input, 1) : input;
  return squeeze(addmm_impl("addmv", in2, mat, unsqueeze(vec, 1), beta, alpha, false), {1});
}

Tensor mv(const Tensor& mat, const Tensor& vec) {
  EMBER_CHECK(mat.dim() == 2 && vec.dim() == 1, Runtime, "[ember.mv] vector + matrix @ vector expected, got ", mat.dim(),
              "D and ", vec.dim(), "D");
  EMBER_CHECK(mat.sizes()[1] == vec.sizes()[0], Runtime, "[ember.mv] size mismatch, got input (", mat.sizes()[0], "x",
              mat.sizes()[1], "), vec (", vec.sizes()[0], ")");
  return squeeze(mm(mat, unsqueeze(vec, 1)), {1});
}

Tensor dot(const Tensor& a, const Tensor& b) {
  EMBER_CHECK(a.dim() == 1 && b.dim() == 1, Runtime, "[ember.dot] 1D tensors expected, but got ", a.dim(), "D and ",
              b.dim(), "D tensors");
  EMBER_CHECK(a.dtype() == b.dtype(), Runtime, "[ember.dot] expected both vectors to have same dtype, but found ",
              dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
  EMBER_CHECK(a.sizes()[0] == b.sizes()[0], Runtime, "[ember.dot] inconsistent tensor size, expected tensor [",
              a.sizes()[0], "] and src [", b.sizes()[0], "] to have the same number of elements, but got ",
              a.sizes()[0], " and ", b.sizes()[0], " elements respectively");
  return reshape(mm(unsqueeze(a, 0), unsqueeze(b, 1)), {});
}

Tensor vdot(const Tensor& a, const Tensor& b) { return dot(a, b); }  // real dtypes only: no conjugation

Tensor outer(const Tensor& a, const Tensor& b) {
  EMBER_CHECK(a.dim() == 1 && b.dim() == 1, Runtime, "[ember.outer] expected 1-D arguments, got ", a.dim(), "-D and ",
              b.dim(), "-D");
  return mul(unsqueeze(a, 1), unsqueeze(b, 0));
}

Tensor tensordot(const Tensor& a, const Tensor& b, const std::vector<int64_t>& dims_a,
                 const std::vector<int64_t>& dims_b) {
  EMBER_CHECK(dims_a.size() == dims_b.size(), Runtime, "[ember.tensordot] both dimension lists should have same length, got ",
              dims_a.size(), " and ", dims_b.size());
  std::vector<bool> ca(size_t(a.dim()), false), cb(size_t(b.dim()), false);
  std::vector<int64_t> pa, pb;
  int64_t ksize = 1;
  for (size_t i = 0; i < dims_a.size(); ++i) {
    int64_t da = dims_a[i] < 0 ? dims_a[i] + a.dim() : dims_a[i], db = dims_b[i] < 0 ? dims_b[i] + b.dim() : dims_b[i];
    EMBER_CHECK(da >= 0 && da < a.dim() && db >= 0 && db < b.dim(), Index,
                "[ember.tensordot] dimension out of range: ", dims_a[i], " / ", dims_b[i]);
    EMBER_CHECK(!ca[size_t(da)] && !cb[size_t(db)], Runtime, "[ember.tensordot] repeated dimension ", dims_a[i]);
    EMBER_CHECK(a.sizes()[da] == b.sizes()[db], Runtime, "[ember.tensordot] contracted dimensions need to match, but first has size ",
                a.sizes()[da], " in dim ", da, " and second has size ", b.sizes()[db], " in dim ", db);
    ca[size_t(da)] = cb[size_t(db)] = true;
    pa.push_back(da);
    pb.push_back(db);
    ksize *= a.sizes()[da];
  }
  std::vector<int64_t> perm_a, perm_b = pb;
  Shape out_shape;
  int64_t msize = 1, nsize = 1;
  for (int64_t d = 0; d < a.dim(); ++d)
    if (!ca[size_t(d)]) perm_a.push_back(d), out_shape.push_back(a.sizes()[d]), msize *= a.sizes()[d];
  perm_a.insert(perm_a.end(), pa.begin(), pa.end());
  for (int64_t d = 0; d < b.dim(); ++d)
    if (!cb[size_t(d)]) perm_b.push_back(d), out_shape.push_back(b.sizes()[d]), nsize *= b.sizes()[d];
  Tensor r = mm(reshape(permute(a, perm_a), {msize, ksize}), reshape(permute(b, perm_b), {ksize, nsize}));
  return reshape(r, out_shape);
}

Tensor tensordot(const Tensor& a, const Tensor& b, int64_t dims) {
  EMBER_CHECK(dims >= 0 && dims <= a.dim() && dims <= b.dim(), Runtime,
              "[ember.tensordot] expected 0 <= dims <= min(a.dim(), b.dim()), got ", dims);
  std::vector<int64_t> da, db;
  for (int64_t i = 0; i < dims; ++i) da.push_back(a.dim() - dims + i), db.push_back(i);
  return tensordot(a, b, da, db);
}

Tensor inner(const Tensor& a, const Tensor& b) {
  if (a.dim() == 0 || b.dim() == 0) return mul(a, b);
  EMBER_CHECK(a.sizes().back() == b.sizes().back(), Runtime, "[ember.inner] expected the last dimension of both inputs to match, got ",
              shape_str(a.sizes()), " and ", shape_str(b.sizes()));
  return tensordot(a, b, {a.dim() - 1}, {b.dim() - 1});
}

// kron: interleave a's and b's dims as (a0, b0, a1, b1, ...), multiply with broadcasting, merge pairs.
Tensor kron(const Tensor& a, const Tensor& b) {
  const int64_t nd = std::max(a.dim(), b.dim());
  Shape sa(size_t(2 * nd), 1), sb(size_t(2 * nd), 1), out(size_t(nd), 1);
  for (int64_t d = 0; d < nd; ++d) {
    int64_t da = d - (nd - a.dim()), db = d - (nd - b.dim());
    int64_t xa = da >= 0 ? a.sizes()[da] : 1, xb = db >= 0 ? b.sizes()[db] : 1;
    sa[size_t(2 * d)] = xa;
    sb[size_t(2 * d + 1)] = xb;
    out[size_t(d)] = xa * xb;
  }
  return reshape(mul(reshape(a, sa), reshape(b, sb)), out);
}

Tensor matrix_power(const Tensor& a, int64_t n) {
  EMBER_CHECK(a.dim() >= 2 && a.sizes()[a.dim() - 1] == a.sizes()[a.dim() - 2], Runtime,
              "[ember.matrix_power] expected a tensor of square matrices, got shape ", shape_str(a.sizes()));
  EMBER_CHECK(n >= 0, NotImplemented, "[ember.matrix_power] negative exponents need a matrix inverse, which ember does not have yet; got n=", n);
  if (n == 0) {
    const int64_t m = a.sizes().back();
    Tensor id = contiguous(expand(eye(m, m, TensorOptions(a.dtype()).device(a.device())), a.sizes()));
    // Keep the graph (a zero gradient), as PyTorch does.
    return any_requires_grad(a) ? add(id, mul(a, 0)) : id;
  }
  Tensor result, base = a;
  while (true) {
    if (n & 1) result = result.defined() ? matmul(result, base) : base;
    n >>= 1;
    if (!n) break;
    base = matmul(base, base);
  }
  return result.impl() == a.impl() ? clone(a) : result;
}

// The diagonal of dims d1, d2 (equal sizes) kept at d1: a mask multiply and a sum, so the
// backward is plain ops on any layout.
static Tensor diagonal_keep(const Tensor& t, int64_t d1, int64_t d2) {
  const int64_t n = t.sizes()[d1];
  Shape mask_shape(size_t(t.dim()), 1);
  mask_shape[size_t(d1)] = mask_shape[size_t(d2)] = n;
  Tensor mask = reshape(eye(n, n, TensorOptions(t.dtype()).device(t.device())), mask_shape);
  return sum(mul(t, mask), {d2}, false, t.dtype());  // a diagonal keeps the dtype (torch: 'ii->i' on int32 is int32)
}

Tensor trace(const Tensor& a) {
  EMBER_CHECK(a.dim() == 2, Runtime, "[ember.trace] expected a matrix, but got tensor with dim ", a.dim());
  return sum(mul(a, eye(a.sizes()[0], a.sizes()[1], TensorOptions(a.dtype()).device(a.device()))));
}

// linear: input (..., in) @ weight.T + bias, one addmm (the bias is the GEMM's starting C).
Tensor linear(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias) {
  EMBER_CHECK(weight.dim() == 2, Runtime, "[ember.linear] weight must be 2-D, got ", weight.dim(), "-D");
  EMBER_CHECK(input.dim() >= 1, Runtime, "[ember.linear] input must have at least 1 dim, got 0-D");
  const int64_t in = input.sizes().back();
  EMBER_CHECK(in == weight.sizes()[1], Runtime, "[ember.linear] mat1 and mat2 shapes cannot be multiplied (",
              input.numel() / std::max<int64_t>(in, 1), "x", in, " and ", weight.sizes()[1], "x", weight.sizes()[0], ")");
  Tensor x = input.dim() == 2 ? input : reshape(input, {-1, in});
  Tensor wt = transpose(weight, 0, 1);
  Tensor y = bias && bias->defined() ? addmm(*bias, x, wt) : mm(x, wt);
  if (input.dim() == 2) return y;
  Shape out_shape(input.sizes().begin(), input.sizes().end() - 1);
  out_shape.push_back(weight.sizes()[0]);
  return reshape(y, out_shape);
}

// ---- einsum: parse, take diagonals of repeated labels, sum labels seen once, then contract the
// operands left to right, each pair as one bmm over (batch, left, contracted, right) labels.
namespace {
constexpr int kEllipsisBase = 52;

int label_id(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return 26 + (c - 'a');
  EMBER_FAIL(Runtime, "[ember.einsum] invalid subscript given in the equation string: '", c, "'; subscripts must be in [a-zA-Z]");
}

// Labels of one term; ellipsis marked by -1.
std::vector<int> parse_term(const std::string& t) {
  std::vector<int> out;
  bool seen = false;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '.') {
      EMBER_CHECK(!seen && t.compare(i, 3, "...") == 0, Runtime,
                  "[ember.einsum] found '.' for operand that is not part of any ellipsis, in '", t, "'");
      seen = true;
      out.push_back(-1);
      i += 2;
    } else {
      out.push_back(label_id(t[i]));
    }
  }
  return out;
}

Tensor sum_labels(const Tensor& t, std::vector<int>& labels, const std::vector<bool>& keep) {
  std::vector<int64_t> dims;
  std::vector<int> rest;
  for (size_t d = 0; d < labels.size(); ++d) {
    if (keep[size_t(labels[d])]) rest.push_back(labels[d]);
    else dims.push_back(int64_t(d));
  }
  if (dims.empty()) return t;
  labels = rest;
  return sum(t, dims);
}
}  // namespace

Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands) {
  EMBER_CHECK(!operands.empty(), Runtime, "[ember.einsum] must provide at least one operand");
  std::string eq;
  for (char c : equation)
    if (c != ' ') eq += c;
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<std::string> terms(1);
  for (char c : lhs) {
    if (c == ',') terms.emplace_back();
    else terms.back() += c;
  }
  EMBER_CHECK(terms.size() == operands.size(), Runtime, "[ember.einsum] the equation has ", terms.size(),
              " operand terms but ", operands.size(), " operands were given");
  const size_t nops = operands.size();
  // Expand ellipses into labels kEllipsisBase + j (right-aligned across operands).
  std::vector<std::vector<int>> parsed(nops), labels(nops);
  int64_t ell = 0;
  for (size_t i = 0; i < nops; ++i) {
    parsed[i] = parse_term(terms[i]);
    int64_t letters = 0;
    bool has_ell = false;
    for (int l : parsed[i]) l < 0 ? (void)(has_ell = true) : (void)++letters;
    const int64_t nd = operands[i].dim();
    EMBER_CHECK(has_ell ? nd >= letters : nd == letters, Runtime, "[ember.einsum] the number of subscripts in the equation (",
                letters, ") does not match the number of dimensions (", nd, ") for operand ", i,
                has_ell ? "" : " and no ellipsis was given");
    if (has_ell) ell = std::max(ell, nd - letters);
  }
  std::vector<int64_t> label_size(size_t(kEllipsisBase + ell), -1);
  std::vector<int> count(size_t(kEllipsisBase + ell), 0);
  std::vector<Tensor> ops(operands.begin(), operands.end());
  for (size_t i = 0; i < nops; ++i) {
    const int64_t e = ops[i].dim() - int64_t(parsed[i].size()) + 1;  // dims the ellipsis covers
    for (int l : parsed[i]) {
      if (l >= 0) labels[i].push_back(l);
      else
        for (int64_t j = 0; j < e; ++j) labels[i].push_back(int(kEllipsisBase + ell - e + j));
    }
    for (size_t d = 0; d < labels[i].size(); ++d) {
      const int l = labels[i][d];
      const int64_t sz = ops[i].sizes()[int64_t(d)];
      int64_t& ls = label_size[size_t(l)];
      EMBER_CHECK(ls == -1 || ls == sz || ls == 1 || sz == 1, Runtime, "[ember.einsum] operands do not broadcast with remapped shapes: subscript '",
                  equation, "' has sizes ", ls, " and ", sz, " for one label");
      ls = ls == -1 || ls == 1 ? sz : ls;
      ++count[size_t(l)];
    }
  }
  // Output labels.
  std::vector<int> out_labels;
  if (arrow != std::string::npos) {
    for (int l : parse_term(eq.substr(arrow + 2))) {
      if (l < 0) {
        for (int64_t j = 0; j < ell; ++j) out_labels.push_back(int(kEllipsisBase + j));
        continue;
      }
      EMBER_CHECK(count[size_t(l)] > 0, Runtime, "[ember.einsum] output subscript ", char(l < 26 ? 'A' + l : 'a' + l - 26),
                  " does not appear in the equation for any input operand");
      for (int o : out_labels)
        EMBER_CHECK(o != l, Runtime, "[ember.einsum] output subscript ", char(l < 26 ? 'A' + l : 'a' + l - 26),
                    " appears more than once in the output");
      out_labels.push_back(l);
    }
  } else {
    for (int64_t j = 0; j < ell; ++j) out_labels.push_back(int(kEllipsisBase + j));
    for (int l = 0; l < kEllipsisBase; ++l)
      if (count[size_t(l)] == 1) out_labels.push_back(l);
  }
  std::vector<bool> in_out(label_size.size(), false);
  for (int l : out_labels) in_out[size_t(l)] = true;
  // Per operand: diagonals for repeated labels, then sum labels no one else needs.
  for (size_t i = 0; i < nops; ++i) {
    std::vector<int>& L = labels[i];
    for (size_t d1 = 0; d1 < L.size(); ++d1)
      for (size_t d2 = d1 + 1; d2 < L.size();) {
        if (L[d2] != L[d1]) { ++d2; continue; }
        const Tensor& t = ops[i];
        EMBER_CHECK(t.sizes()[int64_t(d1)] == t.sizes()[int64_t(d2)], Runtime,
                    "[ember.einsum] subscript repeated for operand ", i, " but the sizes don't match, ",
                    t.sizes()[int64_t(d1)], " != ", t.sizes()[int64_t(d2)]);
        ops[i] = diagonal_keep(t, int64_t(d1), int64_t(d2));
        L.erase(L.begin() + int64_t(d2));
        --count[size_t(L[d1])];
      }
    std::vector<bool> keep(label_size.size(), false);
    for (size_t l = 0; l < keep.size(); ++l) {
      int mine = 0;
      for (int x : L) mine += x == int(l);
      keep[l] = in_out[l] || count[l] > mine;
    }
    std::vector<int> before = L;
    ops[i] = sum_labels(ops[i], L, keep);
    for (int x : before) {
      bool still = false;
      for (int y : L) still = still || y == x;
      if (!still) --count[size_t(x)];
    }
  }
  Tensor cur = ops[0];
  std::vector<int> cl = labels[0];
  for (size_t i = 1; i < nops; ++i) {
    Tensor nxt = ops[i];
    const std::vector<int>& nl = labels[i];
    // Labels still needed after this pair: in the output or in a later operand.
    std::vector<bool> later(label_size.size(), false);
    for (size_t j = i + 1; j < nops; ++j)
      for (int l : labels[j]) later[size_t(l)] = true;
    auto pos = [](const std::vector<int>& v, int l) {
      for (size_t d = 0; d < v.size(); ++d)
        if (v[d] == l) return int64_t(d);
      return int64_t(-1);
    };
    std::vector<int> batch, left, contract, right;
    for (int l : cl) {
      const bool needed = in_out[size_t(l)] || later[size_t(l)];
      if (pos(nl, l) >= 0) (needed ? batch : contract).push_back(l);
      else left.push_back(l);
    }
    for (int l : nl)
      if (pos(cl, l) < 0) right.push_back(l);
    // Broadcast size-1 dims of shared labels.
    Shape ca = cur.sizes(), cb = nxt.sizes();
    for (int l : batch) ca[size_t(pos(cl, l))] = cb[size_t(pos(nl, l))] = label_size[size_t(l)];
    for (int l : contract) ca[size_t(pos(cl, l))] = cb[size_t(pos(nl, l))] = label_size[size_t(l)];
    cur = expand(cur, ca);
    nxt = expand(nxt, cb);
    std::vector<int64_t> pa, pb;
    Shape out_shape;
    int64_t B = 1, M = 1, K = 1, N = 1;
    for (int l : batch) pa.push_back(pos(cl, l)), pb.push_back(pos(nl, l)), B *= label_size[size_t(l)], out_shape.push_back(label_size[size_t(l)]);
    for (int l : left) pa.push_back(pos(cl, l)), M *= cur.sizes()[pos(cl, l)], out_shape.push_back(cur.sizes()[pos(cl, l)]);
    for (int l : contract) pa.push_back(pos(cl, l)), pb.push_back(pos(nl, l)), K *= label_size[size_t(l)];
    for (int l : right) pb.push_back(pos(nl, l)), N *= nxt.sizes()[pos(nl, l)], out_shape.push_back(nxt.sizes()[pos(nl, l)]);
    Tensor r = bmm(reshape(permute(cur, pa), {B, M, K}), reshape(permute(nxt, pb), {B, K, N}));
    cur = reshape(r, out_shape);
    cl = batch;
    cl.insert(cl.end(), left.begin(), left.end());
    cl.insert(cl.end(), right.begin(), right.end());
  }
  cur = sum_labels(cur, cl, in_out);
  std::vector<int64_t> perm;
  for (int l : out_labels) {
    int64_t p = -1;
    for (size_t d = 0; d < cl.size(); ++d)
      if (cl[d] == l) p = int64_t(d);
    EMBER_CHECK(p >= 0, Runtime, "[ember.einsum] internal error: output label lost");
    perm.push_back(p);
  }
  return perm.empty() ? cur : permute(cur, perm);
}

}  // namespace ember
