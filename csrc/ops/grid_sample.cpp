// grid_sampler (nn.functional.grid_sample's kernel), 2-D: bilinear and nearest sampling with zeros,
// border or reflection padding; gradients w.r.t. the input and the grid from one backward kernel.
#include "ember/nn/functional.h"
#include "ops/op_utils.h"

namespace ember::nn::functional {
namespace {

Dtype kernel_dtype(Dtype d) { return (d == Dtype::Float16 || d == Dtype::BFloat16) ? Dtype::Float32 : d; }

GridSampleArgs grid_args(int64_t mode, int64_t padding, bool align) {
  GridSampleArgs a;
  a.mode = int(mode);
  a.padding = int(padding);
  a.align_corners = align;
  return a;
}

struct GridSampler2DBackward0 : Node {
  SavedTensor input, grid;
  int64_t mode = 0, padding = 0;
  bool align = false;
  std::string name() const override { return "GridSampler2DBackward0"; }
  void release_saved() override {
    input.reset();
    grid.reset();
  }
  tensor_list apply(tensor_list&& grads) override {
    Tensor x = input.unpack(this), g = grid.unpack(this);
    Dtype kd = kernel_dtype(x.dtype());
    Tensor xc = contiguous(cast_for_kernel(x.detach(), kd, x.device()));
    Tensor gc = contiguous(cast_for_kernel(g.detach(), kd, x.device()));
    Tensor go = contiguous(cast_for_kernel(grads[0].detach(), kd, x.device()));
    Tensor gx, gg = empty(gc.sizes(), TensorOptions(kd).device(x.device()));
    GridSampleArgs a = grid_args(mode, padding, align);
    a.input = View(xc);
    a.grid = View(gc);
    a.grad_output = View(go);
    if (should_compute_output(0)) {
      gx = empty(xc.sizes(), TensorOptions(kd).device(x.device()));
      a.grad_input = View(gx);
    }
    a.grad_grid = View(gg);
    if (gg.numel() > 0 || (gx.defined() && gx.numel() > 0)) {
      if (gg.numel() == 0 || go.numel() == 0) {  // nothing sampled: zero gradients
        if (gx.defined()) zero_(gx);
        zero_(gg);
      } else {
        grid_sampler_2d_backward_stub.get(x.device().type, kd)(a);
      }
    }
    if (gx.defined() && gx.dtype() != x.dtype()) gx = to_dtype(gx, x.dtype());
    if (gg.dtype() != g.dtype()) gg = to_dtype(gg, g.dtype());
    return {gx, gg};
  }
};

}  // namespace

Tensor grid_sampler(const Tensor& input, const Tensor& grid, int64_t interpolation_mode, int64_t padding_mode,
                    bool align_corners) {
  check_same_device("grid_sampler", input, grid);
  EMBER_CHECK(input.dtype() == grid.dtype(), Runtime,
              "[ember.grid_sampler] grid_sampler(): expected input and grid to have same dtype, but input has ",
              dtype_name(input.dtype()), " and grid has ", dtype_name(grid.dtype()));
  EMBER_CHECK((input.dim() == 4 || input.dim() == 5) && input.dim() == grid.dim(), Runtime,
              "[ember.grid_sampler] grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, "
              "but got input with sizes ", shape_str(input.sizes()), " and grid with sizes ", shape_str(grid.sizes()));
  EMBER_CHECK(input.sizes()[0] == grid.sizes()[0], Runtime,
              "[ember.grid_sampler] grid_sampler(): expected grid and input to have same batch size, but got input "
              "with sizes ", shape_str(input.sizes()), " and grid with sizes ", shape_str(grid.sizes()));
  EMBER_CHECK(grid.sizes().back() == input.dim() - 2, Runtime, "[ember.grid_sampler] grid_sampler(): expected grid to have size ",
              input.dim() - 2, " in last dimension, but got grid with sizes ", shape_str(grid.sizes()));
  for (int64_t d = 2; d < input.dim(); ++d)
    EMBER_CHECK(input.sizes()[d] > 0, Runtime, "[ember.grid_sampler] grid_sampler(): expected input to have non-empty "
                "spatial dimensions, but input has sizes ", shape_str(input.sizes()), " with dimension ", d, " being empty");
  EMBER_CHECK(interpolation_mode >= 0 && interpolation_mode <= 2, Runtime,
              "[ember.grid_sampler] expected interpolation mode 0, 1 or 2, got ", interpolation_mode);
  EMBER_CHECK(padding_mode >= 0 && padding_mode <= 2, Runtime, "[ember.grid_sampler] expected padding mode 0, 1 or 2, got ",
              padding_mode);
  EMBER_CHECK(!(input.dim() == 5 && interpolation_mode == 2), Runtime,
              "[ember.grid_sampler] grid_sampler(): bicubic interpolation only supports 4D input");
  EMBER_CHECK(input.dim() == 4, NotImplemented, "[ember.grid_sampler] 3-D (5-D input) grid sampling is not implemented yet");
  EMBER_CHECK(interpolation_mode != 2, NotImplemented,
              "[ember.grid_sampler] mode 'bicubic' is not implemented yet (use 'bilinear' or 'nearest')");
  EMBER_CHECK(is_floating_point(input.dtype()), NotImplemented, "[ember.grid_sampler] \"grid_sampler_2d_cpu\" not implemented for '",
              dtype_name(input.dtype()), "'");
  Dtype kd = kernel_dtype(input.dtype());
  Tensor xc = contiguous(cast_for_kernel(input.detach(), kd, input.device()));
  Tensor gc = contiguous(cast_for_kernel(grid.detach(), kd, input.device()));
  Tensor out = empty({input.sizes()[0], input.sizes()[1], grid.sizes()[1], grid.sizes()[2]},
                     TensorOptions(kd).device(input.device()));
  if (out.numel() > 0) {
    GridSampleArgs a = grid_args(interpolation_mode, padding_mode, align_corners);
    a.input = View(xc);
    a.grid = View(gc);
    a.output = View(out);
    grid_sampler_2d_forward_stub.get(input.device().type, kd)(a);
  }
  if (kd != input.dtype()) out = to_dtype(out, input.dtype());
  if (auto node = make_grad_node<GridSampler2DBackward0>(input, grid)) {
    node->input = SavedTensor(input);
    node->grid = SavedTensor(grid);
    node->mode = interpolation_mode;
    node->padding = padding_mode;
    node->align = align_corners;
    set_history(out, node);
  }
  return out;
}

}  // namespace ember::nn::functional
