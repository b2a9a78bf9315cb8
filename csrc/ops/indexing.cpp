// Indexing ops: where (more to come: gather/scatter/index_* and advanced indexing).
#include "ops/op_utils.h"

namespace ember {
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

}  // namespace ember
