// Scaled dot-product attention as one op: scores = scale * q @ kᵀ (+ mask), softmax over the keys,
// dropout, then @ v. Runs on ember's batched GEMM (scale folded into alpha, an additive mask as the
// GEMM's starting C) and the softmax kernel. The backward reuses the saved probabilities: four
// GEMMs and one softmax-backward pass, nothing recomputed. Grouped-query attention folds the
// query heads that share a key/value head into the rows of one GEMM (no copy of k or v).
#include <cmath>
#include <limits>

#include "ember/nn/functional.h"
#include "ember/random.h"
#include "ops/op_utils.h"

namespace ember {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// c = alpha * a @ b + beta * c over 3-D operands of any strides (no autograd).
void gemm3(const Tensor& a, const Tensor& b, Tensor& c, double alpha, double beta) {
  if (c.numel() == 0) return;
  if (a.sizes()[2] == 0) {  // empty inner dim: the product is zero
    if (beta == 0) zero_(c);
    return;
  }
  gemm_stub.get(c.device().type, c.dtype())(gemm_args_3d(a, b, c, alpha, beta));
}

Tensor t12(const Tensor& t) { return transpose(t, 1, 2); }

Shape with_tail(Shape s, std::initializer_list<int64_t> tail) {
  s.insert(s.end(), tail);
  return s;
}

Shape head(const Tensor& t, int64_t drop) { return Shape(t.sizes().begin(), t.sizes().end() - drop); }

// How the user's tensors map onto the 3-D problem [B, M, *]: `batch` is the broadcast batch shape
// (B its numel); with GQA folding, q's rows are (g query heads) x (L positions) per key head.
struct Layout {
  Shape batch;
  int64_t B = 1, M = 0, L = 0, S = 0, E = 0, Ev = 0, g = 1;
  bool fold = false;
  // [B, M, X] -> the user's [..., Hq, L, X] shape.
  Shape user(int64_t x) const {
    if (!fold) return with_tail(batch, {M, x});
    Shape s(batch.begin(), batch.end() - 1);
    return with_tail(s, {batch.back() * g, L, x});
  }
  Tensor to_user(const Tensor& t3) const { return reshape(t3, user(t3.sizes()[2])); }
  Tensor to_3d(const Tensor& t, int64_t x) const {  // the inverse of to_user
    return reshape(reshape(t, with_tail(batch, {M, x})), {B, M, x});
  }
};

struct ScaledDotProductAttentionBackward0 : Node {
  SavedTensor q, k, v, mask, attn, attn_d, keep;  // 3-D problem; mask: the float mask as [batch..., M, S]
  SavedTensor q_in, k_in, v_in, mask_in;          // the inputs, with history (double backward only)
  Layout lay;
  double scale = 1;
  Shape q_shape, k_shape, v_shape, mask_shape;
  std::string name() const override { return "ScaledDotProductAttentionBackward0"; }
  void release_saved() override {
    q.reset(); k.reset(); v.reset(); mask.reset(); attn.reset(); attn_d.reset(); keep.reset();
    q_in.reset(); k_in.reset(); v_in.reset(); mask_in.reset();
  }
  tensor_list apply(tensor_list&& grads) override;
};

struct Problem {
  Tensor q3, k3, v3, mask;  // mask: float, broadcastable to [batch..., M, S], or undefined
};

// The forward on the 3-D problem: returns (attn, attn after dropout, keep / (1 - p), out).
std::tuple<Tensor, Tensor, Tensor, Tensor> forward_3d(const Problem& p, const Layout& lay, double scale,
                                                      double dropout_p) {
  TensorOptions opts = TensorOptions(p.q3.dtype()).device(p.q3.device());
  Tensor scores = empty({lay.B, lay.M, lay.S}, opts);
  double beta = 0;
  if (p.mask.defined()) {
    Tensor sv = reshape(scores, with_tail(lay.batch, {lay.M, lay.S}));
    copy_(sv, expand(p.mask, sv.sizes()));
    beta = 1;
  }
  gemm3(p.q3, t12(p.k3), scores, scale, beta);
  Tensor attn = softmax(scores, -1);
  if (p.mask.defined()) {  // rows whose every key is masked out attend to nothing (PyTorch's safe softmax)
    Tensor dead = all(isneginf(p.mask), {-1}, true);
    if (any(dead).item().to_bool()) {
      Tensor av = reshape(attn, with_tail(lay.batch, {lay.M, lay.S}));
      masked_fill_(av, dead, 0.0);
    }
  }
  Tensor attn_d = attn, keep;
  if (dropout_p > 0) {
    keep = dropout_p >= 1 ? zeros(attn.sizes(), opts) : mul(bernoulli(attn, 1 - dropout_p), 1.0 / (1 - dropout_p));
    attn_d = mul(attn, keep);
  }
  Tensor out = empty({lay.B, lay.M, lay.Ev}, opts);
  gemm3(attn_d, p.v3, out, 1, 0);
  return {attn, attn_d, keep, out};
}

// The float mask as [batch..., Hk, g*L, S] rows (GQA fold) or unchanged.
Tensor fold_mask(const Tensor& m, const Layout& lay) {
  if (!lay.fold) return m;
  Tensor m3 = m;
  while (m3.dim() < 3) m3 = unsqueeze(m3, 0);
  Shape mb = head(m3, 3);
  int64_t h = m3.sizes()[m3.dim() - 3];
  int64_t hk = lay.batch.back();
  if (h == 1) {  // shared by all heads: tile over the g heads of a group only
    Tensor e = expand(unsqueeze(m3, -3), with_tail(mb, {1, lay.g, lay.L, lay.S}));
    return reshape(e, with_tail(mb, {1, lay.g * lay.L, lay.S}));
  }
  Tensor e = expand(m3, with_tail(mb, {h, lay.L, lay.S}));
  return reshape(e, with_tail(mb, {hk, lay.g * lay.L, lay.S}));
}

void check_inputs(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double dropout_p,
                  bool is_causal) {
  const char* op = "scaled_dot_product_attention";
  EMBER_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2, Runtime, "[ember.", op,
              "] Expected query, key, and value to all be at least 2 dimensional, but got query.dim: ", q.dim(),
              " key.dim: ", k.dim(), " and value.dim: ", v.dim(), " instead.");
  EMBER_CHECK(q.dtype() == k.dtype() && q.dtype() == v.dtype(), Runtime, "[ember.", op,
              "] Expected query, key, and value to have the same dtype, but got query.dtype: ", dtype_name(q.dtype()),
              " key.dtype: ", dtype_name(k.dtype()), " and value.dtype: ", dtype_name(v.dtype()), " instead.");
  EMBER_CHECK(is_floating_point(q.dtype()), Runtime, "[ember.", op, "] expected a floating point query, got ",
              dtype_name(q.dtype()));
  check_same_device(op, q, k);
  check_same_device(op, q, v);
  const int64_t E = q.sizes().back();
  EMBER_CHECK(k.sizes().back() == E, Runtime, "[ember.", op, "] expected key's last dim to equal query's (", E,
              "), got key ", shape_str(k.sizes()));
  EMBER_CHECK(k.sizes()[k.dim() - 2] == v.sizes()[v.dim() - 2], Runtime, "[ember.", op,
              "] expected key and value to have the same sequence length, got key ", shape_str(k.sizes()),
              " and value ", shape_str(v.sizes()));
  EMBER_CHECK(dropout_p >= 0 && dropout_p <= 1, Value, "[ember.", op, "] dropout_p must be in [0, 1], got ", dropout_p);
  if (mask.defined()) {
    EMBER_CHECK(!is_causal, Runtime, "[ember.", op,
                "] _scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True");
    EMBER_CHECK(mask.dtype() == Dtype::Bool || mask.dtype() == q.dtype(), Runtime, "[ember.", op,
                "] Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: ",
                dtype_name(mask.dtype()), " and query.dtype: ", dtype_name(q.dtype()), " instead.");
    check_same_device(op, q, mask);
  }
}

std::tuple<Tensor, Tensor> sdpa(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                                double dropout_p, bool is_causal, std::optional<double> scale_opt, bool gqa,
                                bool need_weights) {
  check_inputs(q, k, v, mask, dropout_p, is_causal);
  if (q.dtype() == Dtype::Float16 || q.dtype() == Dtype::BFloat16) {  // compute in float32
    auto f = [](const Tensor& t) { return t.defined() && t.dtype() != Dtype::Bool ? to_dtype(t, Dtype::Float32) : t; };
    auto [o, w] = sdpa(f(q), f(k), f(v), f(mask), dropout_p, is_causal, scale_opt, gqa, need_weights);
    return {to_dtype(o, q.dtype()), w.defined() ? to_dtype(w, q.dtype()) : w};
  }
  Layout lay;
  lay.L = q.sizes()[q.dim() - 2];
  lay.E = q.sizes().back();
  lay.S = k.sizes()[k.dim() - 2];
  lay.Ev = v.sizes().back();
  lay.M = lay.L;
  const double scale = scale_opt ? *scale_opt : 1.0 / std::sqrt(double(lay.E));
  Tensor qe = q;
  if (gqa && q.dim() >= 3 && k.dim() >= 3 && v.dim() >= 3) {
    int64_t hq = q.sizes()[q.dim() - 3], hk = k.sizes()[k.dim() - 3], hv = v.sizes()[v.dim() - 3];
    EMBER_CHECK(hk > 0 && hv > 0 && hq % hk == 0 && hq % hv == 0, Runtime,
                "[ember.scaled_dot_product_attention] Number of heads in key and value must divide the number of "
                "heads in query, got ", hq, ", ", hk, " and ", hv);
    if (hk != hv) {  // unequal groups: materialise the repeated heads
      Tensor kr = hk == hq ? k : repeat_interleave(k, hq / hk, k.dim() - 3);
      Tensor vr = hv == hq ? v : repeat_interleave(v, hq / hv, v.dim() - 3);
      return sdpa(q, kr, vr, mask, dropout_p, is_causal, scale_opt, false, need_weights);
    }
    if (hk != hq) {
      lay.fold = true;
      lay.g = hq / hk;
      lay.M = lay.g * lay.L;
      qe = reshape(q, with_tail(head(q, 3), {hk, lay.M, lay.E}));
    }
  }
  lay.batch = broadcast_shapes(broadcast_shapes(head(qe, 2), head(k, 2), "scaled_dot_product_attention"), head(v, 2),
                               "scaled_dot_product_attention");
  lay.B = shape_numel(lay.batch);

  Problem p;
  {
    autograd::NoGradGuard guard;
    Tensor qd = qe.detach(), kd = k.detach(), vd = v.detach();
    p.q3 = reshape(expand(qd, with_tail(lay.batch, {lay.M, lay.E})), {lay.B, lay.M, lay.E});
    p.k3 = reshape(expand(kd, with_tail(lay.batch, {lay.S, lay.E})), {lay.B, lay.S, lay.E});
    p.v3 = reshape(expand(vd, with_tail(lay.batch, {lay.S, lay.Ev})), {lay.B, lay.S, lay.Ev});
    Tensor m;
    TensorOptions opts = TensorOptions(q.dtype()).device(q.device());
    if (is_causal) {
      m = tril(ones({lay.L, lay.S}, TensorOptions(Dtype::Bool).device(q.device())));
    } else if (mask.defined()) {
      m = mask.detach();
    }
    if (m.defined() && m.dtype() == Dtype::Bool)
      m = where(m, scalar_tensor(0.0, opts), scalar_tensor(-kInf, opts));
    if (m.defined()) {
      Shape full = lay.fold ? with_tail(Shape(lay.batch.begin(), lay.batch.end() - 1),
                                        {lay.batch.back() * lay.g, lay.L, lay.S})
                            : with_tail(lay.batch, {lay.M, lay.S});
      EMBER_CHECK(broadcast_shapes(full, m.sizes(), "scaled_dot_product_attention") == full, Runtime,
                  "[ember.scaled_dot_product_attention] attn_mask of shape ", shape_str(m.sizes()),
                  " can't be broadcast to the attention weights' shape ", shape_str(full));
      p.mask = fold_mask(m, lay);
    }
  }
  Tensor attn, attn_d, keep, out3;
  {
    autograd::NoGradGuard guard;
    std::tie(attn, attn_d, keep, out3) = forward_3d(p, lay, scale, dropout_p);
  }
  Tensor out = lay.to_user(out3), weights;
  if (need_weights) weights = lay.to_user(attn_d);
  Tensor grad_mask = mask.defined() && mask.dtype() != Dtype::Bool ? mask : Tensor();
  if (auto node = make_grad_node<ScaledDotProductAttentionBackward0>(q, k, v, grad_mask)) {
    node->q_in = SavedTensor(q);
    node->k_in = SavedTensor(k);
    node->v_in = SavedTensor(v);
    if (grad_mask.defined()) node->mask_in = SavedTensor(grad_mask);
    node->q = SavedTensor(p.q3);
    node->k = SavedTensor(p.k3);
    node->v = SavedTensor(p.v3);
    if (p.mask.defined()) node->mask = SavedTensor(p.mask);
    node->attn = SavedTensor(attn);
    node->attn_d = SavedTensor(attn_d);
    if (keep.defined()) node->keep = SavedTensor(keep);
    node->lay = lay;
    node->scale = scale;
    node->q_shape = q.sizes();
    node->k_shape = k.sizes();
    node->v_shape = v.sizes();
    if (grad_mask.defined()) node->mask_shape = grad_mask.sizes();
    if (need_weights) {
      std::vector<Tensor> outs{out, weights};
      set_history(outs, node);
      out = outs[0];
      weights = outs[1];
    } else {
      set_history(out, node);
    }
  }
  return {out, weights};
}

tensor_list ScaledDotProductAttentionBackward0::apply(tensor_list&& grads) {
  Tensor q3 = q.unpack(this), k3 = k.unpack(this), v3 = v.unpack(this);
  Tensor a = attn.unpack(this), ad = attn_d.unpack(this), kp = keep.defined() ? keep.unpack(this) : Tensor();
  const int64_t S = lay.S;
  Tensor go = grads[0].defined() ? lay.to_3d(grads[0], lay.Ev) : Tensor();
  Tensor gw = grads.size() > 1 && grads[1].defined() ? lay.to_3d(grads[1], S) : Tensor();
  Tensor dq, dk, dv, ds;
  if (autograd::is_grad_enabled()) {
    // create_graph: rebuild the forward from differentiable ops so that double backward sees
    // the probabilities' dependence on q and k.
    Tensor m = mask_in.defined() ? fold_mask(mask_in.unpack(this), lay) : mask.defined() ? mask.unpack(this) : Tensor();
    Tensor qi = q_in.unpack(this);
    if (lay.fold) qi = reshape(qi, with_tail(head(qi, 3), {lay.batch.back(), lay.M, lay.E}));
    q3 = reshape(expand(qi, with_tail(lay.batch, {lay.M, lay.E})), {lay.B, lay.M, lay.E});
    k3 = reshape(expand(k_in.unpack(this), with_tail(lay.batch, {S, lay.E})), {lay.B, S, lay.E});
    v3 = reshape(expand(v_in.unpack(this), with_tail(lay.batch, {S, lay.Ev})), {lay.B, S, lay.Ev});
    Tensor sc = mul(bmm(q3, t12(k3)), scale);
    if (m.defined()) sc = reshape(add(reshape(sc, with_tail(lay.batch, {lay.M, S})), m), {lay.B, lay.M, S});
    Tensor pa = softmax(sc, -1);
    if (m.defined()) pa = where(isnan(pa), zeros({}, TensorOptions(pa.dtype())), pa);
    Tensor pad = kp.defined() ? mul(pa, kp) : pa;
    Tensor dad = go.defined() ? bmm(go, t12(v3)) : zeros(pad.sizes(), TensorOptions(pad.dtype()).device(pad.device()));
    if (gw.defined()) dad = add(dad, gw);
    if (go.defined()) dv = bmm(t12(pad), go);
    Tensor da = kp.defined() ? mul(dad, kp) : dad;
    ds = softmax_backward(da, pa, -1);
    dq = mul(bmm(ds, k3), scale);
    dk = mul(bmm(t12(ds), q3), scale);
  } else {
    TensorOptions opts = TensorOptions(a.dtype()).device(a.device());
    Tensor da = empty({lay.B, lay.M, S}, opts);
    double beta = 0;
    if (gw.defined()) {
      copy_(da, gw);
      beta = 1;
    }
    if (go.defined()) {
      gemm3(go, t12(v3), da, 1, beta);
      if (should_compute_output(2)) {
        dv = empty({lay.B, S, lay.Ev}, opts);
        gemm3(t12(ad), go, dv, 1, 0);
      }
    } else if (!gw.defined()) {
      zero_(da);
    }
    if (kp.defined()) mul_(da, kp);
    ds = softmax_backward(da, a, -1);
    if (should_compute_output(0)) {
      dq = empty({lay.B, lay.M, lay.E}, opts);
      gemm3(ds, k3, dq, scale, 0);
    }
    if (should_compute_output(1)) {
      dk = empty({lay.B, S, lay.E}, opts);
      gemm3(t12(ds), q3, dk, scale, 0);
    }
  }
  tensor_list out(4);
  if (should_compute_output(0) && dq.defined()) out[0] = sum_to_shape(lay.to_user(dq), q_shape);
  if (should_compute_output(1) && dk.defined())
    out[1] = sum_to_shape(reshape(dk, with_tail(lay.batch, {S, lay.E})), k_shape);
  if (should_compute_output(2)) {
    if (!dv.defined()) dv = zeros({lay.B, S, lay.Ev}, TensorOptions(a.dtype()).device(a.device()));
    out[2] = sum_to_shape(reshape(dv, with_tail(lay.batch, {S, lay.Ev})), v_shape);
  }
  if (should_compute_output(3)) out[3] = sum_to_shape(lay.to_user(ds), mask_shape);
  return out;
}

}  // namespace

namespace nn::functional {

Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const Tensor& attn_mask, double dropout_p, bool is_causal,
                                    std::optional<double> scale, bool enable_gqa) {
  return std::get<0>(sdpa(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa, false));
}

std::tuple<Tensor, Tensor> scaled_dot_product_attention_with_weights(const Tensor& query, const Tensor& key,
                                                                     const Tensor& value, const Tensor& attn_mask,
                                                                     double dropout_p, bool is_causal,
                                                                     std::optional<double> scale, bool enable_gqa) {
  return sdpa(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa, true);
}

}  // namespace nn::functional
}  // namespace ember
