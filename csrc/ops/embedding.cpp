// embedding: a row gather with a deterministic row-accumulating backward (padding_idx rows get no
// gradient; scale_grad_by_freq divides by each row's count in the batch). Gradients are dense.
#include <vector>

#include "ember/nn/functional.h"
#include "ops/indexing_utils.h"

namespace ember {
namespace {

struct EmbeddingBackward0 : Node {
  SavedTensor indices;  // int64, flat, contiguous
  int64_t num_weights = 0, padding_idx = -1;
  bool scale_grad_by_freq = false;
  Dtype dtype = Dtype::Float32;
  std::string name() const override { return "EmbeddingBackward0"; }
  void release_saved() override { indices.reset(); }
  tensor_list apply(tensor_list&& grads) override {
    Tensor idx = indices.unpack(this);
    int64_t n = idx.numel(), D = grads[0].sizes().back();
    Tensor g = reshape(grads[0], {n, D});
    if (autograd::is_grad_enabled() && requires_grad(g)) {
      // differentiable form: index_add of the per-position gradients, each scaled by its factor
      const int64_t* ip = static_cast<const int64_t*>(idx.data_ptr());
      std::vector<int64_t> count(size_t(num_weights), 0);
      for (int64_t i = 0; i < n; ++i) count[size_t(ip[i])]++;
      Tensor f = empty({n, 1}, TensorOptions(Dtype::Float64));
      double* fp = static_cast<double*>(f.data_ptr());
      for (int64_t i = 0; i < n; ++i)
        fp[i] = ip[i] == padding_idx ? 0.0 : (scale_grad_by_freq ? 1.0 / double(count[size_t(ip[i])]) : 1.0);
      Tensor scaled = mul(g, to_device(to_dtype(f, g.dtype()), g.device()));
      return {index_add(zeros({num_weights, D}, TensorOptions(g.dtype()).device(g.device())), 0, idx, scaled)};
    }
    Tensor gc = cast_for_kernel(g, dtype, idx.device()).contiguous();
    Tensor gw = empty({num_weights, D}, TensorOptions(dtype).device(idx.device()));
    EmbeddingArgs a;
    a.indices = View(idx);
    a.grad_out = View(gc);
    a.grad_weight = View(gw);
    a.padding_idx = padding_idx;
    a.scale_grad_by_freq = scale_grad_by_freq;
    embedding_backward_stub.get(idx.device().type, dtype)(a);
    return {gw};
  }
};

}  // namespace

namespace nn::functional {

Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx, bool scale_grad_by_freq,
                 bool sparse) {
  (void)sparse;  // gradients are always dense
  EMBER_CHECK(indices.dtype() == Dtype::Int64 || indices.dtype() == Dtype::Int32, Runtime,
              "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
              "but got ", dtype_name(indices.dtype()), " instead (while checking arguments for embedding)");
  EMBER_CHECK(weight.dim() == 2, Runtime, "'weight' must be 2-D");
  check_same_device("embedding", weight, indices);
  int64_t V = weight.sizes()[0], D = weight.sizes()[1];
  Tensor idx = indices.dtype() == Dtype::Int64 ? indices.detach() : to_dtype(indices.detach(), Dtype::Int64);
  idx = reshape(idx, {-1}).contiguous();
  if (idx.numel() > 0) {
    auto [lo, hi] = index_min_max(idx);
    EMBER_CHECK(lo >= 0 && hi < V, Index, "index out of range in self");
  }
  Shape out_shape = indices.sizes();
  out_shape.push_back(D);
  Tensor w = weight.detach().contiguous();
  Tensor out = empty(out_shape, TensorOptions(w.dtype()).device(w.device()));
  if (out.numel() > 0) {
    EmbeddingArgs a;
    a.weight = View(w);
    a.indices = View(idx);
    a.out = View(out);
    embedding_forward_stub.get(w.device().type, w.dtype())(a);
  }
  if (auto node = make_grad_node<EmbeddingBackward0>(weight)) {
    node->indices = SavedTensor(idx);
    node->num_weights = V;
    node->padding_idx = padding_idx;
    node->scale_grad_by_freq = scale_grad_by_freq;
    node->dtype = weight.dtype();
    set_history(out, node);
  }
  return out;
}

}  // namespace nn::functional
}  // namespace ember
