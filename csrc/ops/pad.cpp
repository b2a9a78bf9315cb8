// pad (nn.functional.pad): constant, reflect, replicate and circular modes over the trailing dims.
// The constant mode is one op whose backward is the inverse pad; the other modes are composed of
// narrow / flip / expand / cat per padded dim, so their backward accumulates through those ops.
#include "ops/op_utils.h"

namespace ember {
namespace {

struct ConstantPadNdBackward0 : Node {
  std::vector<int64_t> pads;
  std::string name() const override { return "ConstantPadNdBackward0"; }
  tensor_list apply(tensor_list&& grads) override {
    std::vector<int64_t> back(pads.size());
    for (size_t i = 0; i < pads.size(); ++i) back[i] = -pads[i];
    return {pad(grads[0], back, "constant", 0.0)};
  }
};

Tensor constant_pad(const Tensor& x, const std::vector<int64_t>& pads, double value) {
  Shape shape = x.sizes();
  Tensor src = x.detach();
  int64_t npad = int64_t(pads.size()) / 2;
  for (int64_t i = 0; i < npad; ++i) {
    int64_t d = x.dim() - 1 - i, l = pads[2 * i], r = pads[2 * i + 1];
    shape[d] = x.sizes()[d] + l + r;
    EMBER_CHECK(shape[d] >= 0, Runtime, "[ember.pad] The input size ", x.sizes()[d], ", plus negative padding ", l, " and ",
                r, " resulted in a negative output size, which is invalid. Check dimension ", d, " of your input.");
  }
  Tensor out = full(shape, is_floating_point(x.dtype()) ? Scalar(value) : Scalar(int64_t(value)),
                    TensorOptions(x.dtype()).device(x.device()));
  Tensor dst = out;
  for (int64_t i = 0; i < npad; ++i) {
    int64_t d = x.dim() - 1 - i, l = pads[2 * i], r = pads[2 * i + 1];
    int64_t n = src.sizes()[d];
    int64_t lo = std::max<int64_t>(-l, 0), hi = std::max<int64_t>(-r, 0);
    int64_t keep = std::max<int64_t>(n - lo - hi, 0);
    src = narrow(src, d, std::min(lo, n), keep);
    dst = narrow(dst, d, std::max<int64_t>(l, 0), keep);
  }
  if (dst.numel() > 0) {
    autograd::NoGradGuard g;
    copy_(dst, src);
  }
  if (auto node = make_grad_node<ConstantPadNdBackward0>(x)) {
    node->pads = pads;
    set_history(out, node);
  }
  return out;
}

}  // namespace

Tensor pad(const Tensor& x, const std::vector<int64_t>& pads, const std::string& mode, std::optional<double> value) {
  EMBER_CHECK(pads.size() % 2 == 0, Runtime, "[ember.pad] Padding length must be divisible by 2");
  EMBER_CHECK(int64_t(pads.size()) / 2 <= x.dim(), Runtime, "[ember.pad] Padding length should be less than or equal to ",
              "two times the input dimension but got padding length ", pads.size(), " and input of dimension ", x.dim());
  if (mode == "constant") return constant_pad(x, pads, value.value_or(0.0));
  EMBER_CHECK(mode == "reflect" || mode == "replicate" || mode == "circular", NotImplemented,
              "[ember.pad] Unrecognised padding mode ", mode);
  EMBER_CHECK(!value || *value == 0.0, Runtime, "[ember.pad] Padding mode \"", mode,
              "\" doesn't take in value argument");
  int64_t npad = int64_t(pads.size()) / 2;
  bool supported = npad >= 1 && npad <= 3 && (x.dim() == npad + 1 || x.dim() == npad + 2);
  EMBER_CHECK(supported, NotImplemented, "[ember.pad] Padding size ", pads.size(), " is not supported for ", x.dim(),
              "D input tensor.\nSupported combinations for non-constant padding:\n"
              "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
              "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
              "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)");
  Tensor y = x;
  for (int64_t i = 0; i < npad; ++i) {
    int64_t d = x.dim() - 1 - i, l = pads[2 * i], r = pads[2 * i + 1];
    int64_t n = y.sizes()[d];
    if (mode == "reflect")
      EMBER_CHECK(l < n && r < n, Runtime, "[ember.pad] Argument #4: Padding size should be less than the corresponding ",
                  "input dimension, but got: padding (", l, ", ", r, ") at dimension ", d, " of input ",
                  shape_str(x.sizes()));
    if (mode == "circular")
      EMBER_CHECK(l <= n && r <= n, Runtime, "[ember.pad] Padding value causes wrapping around more than once.");
    if (mode == "replicate")
      EMBER_CHECK(n > 0 || (l <= 0 && r <= 0), Runtime, "[ember.pad] input tensor must have a non-empty dimension ", d,
                  " to be padded in replicate mode, got ", shape_str(x.sizes()));
    // Negative pads crop.
    if (l < 0 || r < 0) {
      int64_t lo = std::max<int64_t>(-l, 0), hi = std::max<int64_t>(-r, 0);
      EMBER_CHECK(n - lo - hi >= 0, Runtime, "[ember.pad] The input size ", n, ", plus negative padding ", l, " and ", r,
                  " resulted in a negative output size, which is invalid. Check dimension ", d, " of your input.");
      y = narrow(y, d, lo, n - lo - hi);
      n = y.sizes()[d];
      l = std::max<int64_t>(l, 0);
      r = std::max<int64_t>(r, 0);
    }
    if (l == 0 && r == 0) continue;
    std::vector<Tensor> parts;
    Tensor left, right;
    if (mode == "reflect") {
      if (l) left = flip(narrow(y, d, 1, l), {d});
      if (r) right = flip(narrow(y, d, n - 1 - r, r), {d});
    } else if (mode == "replicate") {
      Shape sl = y.sizes(), sr = y.sizes();
      sl[d] = l;
      sr[d] = r;
      if (l) left = expand(narrow(y, d, 0, 1), sl);
      if (r) right = expand(narrow(y, d, n - 1, 1), sr);
    } else {
      if (l) left = narrow(y, d, n - l, l);
      if (r) right = narrow(y, d, 0, r);
    }
    if (left.defined()) parts.push_back(left);
    parts.push_back(y);
    if (right.defined()) parts.push_back(right);
    y = cat(parts, d);
  }
  return y.is_same(x) ? clone(x) : y;
}

}  // namespace ember
