// pad (nn.functional.pad): constant, reflect, replicate and circular modes over the trailing dims.
// One output allocation; the borders are filled dim by dim from views of the output itself. The
// constant mode's backward is the inverse pad; the other modes fold the borders' gradient back.
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

// Reflect / replicate / circular: fold each border's gradient back onto the input, the last padded
// dim first in reverse order of the forward; then undo the crop of negative pads.
struct BorderPadBackward : Node {
  std::string mode;
  std::vector<int64_t> pos, crop;  // (left, right) per padded dim, last dim first
  Shape in_shape;                  // input after cropping
  std::string name() const override {
    std::string k = std::to_string(pos.size() / 2);
    if (mode == "reflect") return "ReflectionPad" + k + "DBackward0";
    if (mode == "replicate") return "ReplicationPad" + k + "DBackward0";
    return "CircularPad" + k + "DBackward0";
  }
  // Zero-pad `t` by (a, b) along dim d.
  static Tensor zpad(const Tensor& t, int64_t d, int64_t a, int64_t b) {
    std::vector<int64_t> p(2 * (t.dim() - d), 0);
    p[p.size() - 2] = a;
    p[p.size() - 1] = b;
    return pad(t, p, "constant", 0.0);
  }
  tensor_list apply(tensor_list&& grads) override {
    Tensor g = grads[0];
    int64_t ndim = int64_t(in_shape.size()), npad = int64_t(pos.size()) / 2;
    for (int64_t i = npad - 1; i >= 0; --i) {
      int64_t d = ndim - 1 - i, l = pos[2 * i], r = pos[2 * i + 1], n = in_shape[d];
      Tensor acc = narrow(g, d, l, n);
      if (l) {
        Tensor gl = narrow(g, d, 0, l);
        if (mode == "reflect") acc = acc + zpad(flip(gl, {d}), d, 1, n - 1 - l);
        else if (mode == "replicate") acc = acc + zpad(sum(gl, {d}, true), d, 0, n - 1);
        else acc = acc + zpad(gl, d, n - l, 0);
      }
      if (r) {
        Tensor gr = narrow(g, d, l + n, r);
        if (mode == "reflect") acc = acc + zpad(flip(gr, {d}), d, n - 1 - r, 1);
        else if (mode == "replicate") acc = acc + zpad(sum(gr, {d}, true), d, n - 1, 0);
        else acc = acc + zpad(gr, d, 0, n - r);
      }
      g = acc;
    }
    bool cropped = false;
    for (int64_t c : crop) cropped = cropped || c != 0;
    return {cropped ? pad(g, crop, "constant", 0.0) : g};
  }
};

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
  // Validate, and crop the negative pads first (as views).
  Tensor y = x.detach();
  std::vector<int64_t> pos(pads.size()), crop(pads.size(), 0);
  for (int64_t i = 0; i < npad; ++i) {
    int64_t d = x.dim() - 1 - i, l = pads[2 * i], r = pads[2 * i + 1];
    int64_t n = x.sizes()[d];
    if (mode == "reflect")
      EMBER_CHECK(l < n && r < n, Runtime, "[ember.pad] Argument #4: Padding size should be less than the corresponding ",
                  "input dimension, but got: padding (", l, ", ", r, ") at dimension ", d, " of input ",
                  shape_str(x.sizes()));
    if (mode == "circular")
      EMBER_CHECK(l <= n && r <= n, Runtime, "[ember.pad] Padding value causes wrapping around more than once.");
    if (mode == "replicate")
      EMBER_CHECK(n > 0 || (l <= 0 && r <= 0), Runtime, "[ember.pad] input tensor must have a non-empty dimension ", d,
                  " to be padded in replicate mode, got ", shape_str(x.sizes()));
    int64_t lo = std::max<int64_t>(-l, 0), hi = std::max<int64_t>(-r, 0);
    EMBER_CHECK(n - lo - hi >= 0, Runtime, "[ember.pad] The input size ", n, ", plus negative padding ", l, " and ", r,
                " resulted in a negative output size, which is invalid. Check dimension ", d, " of your input.");
    y = narrow(y, d, lo, n - lo - hi);
    crop[2 * i] = lo;
    crop[2 * i + 1] = hi;
    pos[2 * i] = std::max<int64_t>(l, 0);
    pos[2 * i + 1] = std::max<int64_t>(r, 0);
  }
  Shape shape = y.sizes();
  for (int64_t i = 0; i < npad; ++i) shape[x.dim() - 1 - i] += pos[2 * i] + pos[2 * i + 1];
  Tensor out = empty(shape, TensorOptions(x.dtype()).device(x.device()));
  {
    autograd::NoGradGuard g;
    auto put = [](Tensor dst, const Tensor& src) {
      if (dst.numel() > 0) copy_(dst, src);
    };
    Tensor center = out;
    for (int64_t i = 0; i < npad; ++i) {
      int64_t d = x.dim() - 1 - i;
      center = narrow(center, d, pos[2 * i], y.sizes()[d]);
    }
    put(center, y);
    // Dim by dim from the last: fill the borders of the region whose outer dims are still the centre.
    for (int64_t i = 0; i < npad; ++i) {
      int64_t d = x.dim() - 1 - i, l = pos[2 * i], r = pos[2 * i + 1], n = y.sizes()[d];
      Tensor v = out;
      for (int64_t j = i + 1; j < npad; ++j) {
        int64_t dj = x.dim() - 1 - j;
        v = narrow(v, dj, pos[2 * j], y.sizes()[dj]);
      }
      if (l) {
        Tensor dst = narrow(v, d, 0, l);
        if (mode == "reflect") put(dst, flip(narrow(v, d, l + 1, l), {d}));
        else if (mode == "replicate") put(dst, narrow(v, d, l, 1));
        else put(dst, narrow(v, d, n, l));
      }
      if (r) {
        Tensor dst = narrow(v, d, l + n, r);
        if (mode == "reflect") put(dst, flip(narrow(v, d, l + n - 1 - r, r), {d}));
        else if (mode == "replicate") put(dst, narrow(v, d, l + n - 1, 1));
        else put(dst, narrow(v, d, l, r));
      }
    }
  }
  if (auto node = make_grad_node<BorderPadBackward>(x)) {
    node->mode = mode;
    node->pos = pos;
    node->crop = crop;
    node->in_shape = y.sizes();
    set_history(out, node);
  }
  return out;
}

}  // namespace ember
