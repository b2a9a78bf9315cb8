// Matrix products: mm, bmm (one GEMM call each) and matmul (PyTorch's composite over them).
#include "ops/op_utils.h"

namespace ember {
namespace {

void check_matmul_operands(const char* op, const Tensor& a, const Tensor& b) {
  check_same_device(op, a, b);
  EMBER_CHECK(a.dtype() == b.dtype(), Runtime, "[ember.", op, "] expected m1 and m2 to have the same dtype, but got: ",
              dtype_name(a.dtype()), " != ", dtype_name(b.dtype()));
  EMBER_CHECK(is_floating_point(a.dtype()), Runtime, "[ember.", op, "] not implemented for dtype ",
              dtype_name(a.dtype()));
}

// C[batch] = A[batch] @ B[batch] for 3-D operands (batch stride 0 allowed).
void run_gemm(const Tensor& a, const Tensor& b, const Tensor& c) {
  // 16-bit floats compute through float32.
  if (a.dtype() == Dtype::Float16 || a.dtype() == Dtype::BFloat16) {
    Tensor a32 = to_dtype(a.detach(), Dtype::Float32), b32 = to_dtype(b.detach(), Dtype::Float32);
    Tensor c32 = empty(c.sizes(), TensorOptions(Dtype::Float32).device(c.device()));
    run_gemm(a32, b32, c32);
    Tensor cc = c;
    autograd::NoGradGuard g;
    copy_(cc, c32);
    return;
  }
  GemmArgs g;
  g.dtype = a.dtype();
  g.batch = c.sizes()[0];
  g.m = c.sizes()[1];
  g.n = c.sizes()[2];
  g.k = a.sizes()[2];
  g.a = static_cast<const char*>(a.data_ptr());
  g.a_batch_stride = a.strides()[0];
  g.a_row_stride = a.strides()[1];
  g.a_col_stride = a.strides()[2];
  g.b = static_cast<const char*>(b.data_ptr());
  g.b_batch_stride = b.strides()[0];
  g.b_row_stride = b.strides()[1];
  g.b_col_stride = b.strides()[2];
  g.c = static_cast<char*>(c.data_ptr());
  g.c_batch_stride = c.strides()[0];
  g.c_row_stride = c.strides()[1];
  g.c_col_stride = c.strides()[2];
  if (c.numel() == 0) return;
  if (g.k == 0) {
    Tensor cc = c;
    autograd::NoGradGuard guard;
    zero_(cc);
    return;
  }
  gemm_stub.get(c.device().type, c.dtype())(g);
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
  run_gemm(make_alias(a, {1, a.sizes()[0], a.sizes()[1]}, {0, a.strides()[0], a.strides()[1]}, a.storage_offset()),
           make_alias(b, {1, b.sizes()[0], b.sizes()[1]}, {0, b.strides()[0], b.strides()[1]}, b.storage_offset()),
           make_alias(out, {1, out.sizes()[0], out.sizes()[1]}, {0, out.strides()[0], out.strides()[1]}, 0));
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

}  // namespace ember
