// Recurrent networks: one layer (one or two directions) of RNN_TANH / RNN_RELU / LSTM / GRU over
// a dense or packed sequence, forward and backward (BPTT) side by side.
//
// Note [RNN time loop]
// Rows are packed time-major: step t owns rows [off_t, off_t + bs_t) of every (N, .) buffer, and
// its bs_t rows are a prefix of the batch (batch_sizes never grow), so a dense (T, B) sequence is
// the special case bs_t = B. Per direction: the input projection of all steps is ONE GEMM; each
// step runs one GEMM with W_hh on the first bs_t rows of the hidden state `hstate` (B rows) and
// the fused gate kernel (rnn_step_forward), which writes the new state back into `hstate`. Rows
// past bs_t are not touched, so a finished sequence keeps its last state (its h_n), and in the
// reverse direction a sequence that has not started yet still holds its h0. The backward walks
// the steps the other way with the same prefix rule on dh/dc, stores every step's pre-activation
// gradients, and finishes with large GEMMs over all steps for dx, dW_ih and dW_hh.
#include <tuple>

#include "ember/nn/rnn.h"
#include "ops/op_utils.h"

namespace ember::nn::functional {
namespace {

enum Mode { kTanh = 0, kRelu = 1, kLstm = 2, kGru = 3 };

int gates_of(int mode) { return mode == kLstm ? 4 : mode == kGru ? 3 : 1; }

// Raw 2-D operands: pointer, row stride (elements); columns contiguous unless noted.
struct Mat2 {
  char* p;
  int64_t rs, cs;
};

char* ptr(const Tensor& t) { return static_cast<char*>(t.data_ptr()); }
Mat2 rowmajor(const Tensor& t, int64_t row0 = 0) {
  const int64_t ld = t.strides()[0];
  return {ptr(t) + row0 * ld * int64_t(t.itemsize()), ld, 1};
}
Mat2 offset(Mat2 m, int64_t rows, int64_t cols, size_t isz) {
  return {m.p + (rows * m.rs + cols * m.cs) * int64_t(isz), m.rs, m.cs};
}
Mat2 transposed(Mat2 m) { return {m.p, m.cs, m.rs}; }

// C (m x n) = A (m x k) @ B (k x n) + beta * C.
void gemm(Dtype dt, Device dev, int64_t m, int64_t n, int64_t k, Mat2 a, Mat2 b, Mat2 c, double beta) {
  if (m <= 0 || n <= 0) return;
  GemmArgs g;
  g.dtype = dt;
  g.batch = 1;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = a.p;
  g.a_batch_stride = 0;
  g.a_row_stride = a.rs;
  g.a_col_stride = a.cs;
  g.b = b.p;
  g.b_batch_stride = 0;
  g.b_row_stride = b.rs;
  g.b_col_stride = b.cs;
  g.c = c.p;
  g.c_batch_stride = 0;
  g.c_row_stride = c.rs;
  g.c_col_stride = c.cs;
  g.alpha = 1;
  g.beta = beta;
  gemm_stub.get(dev.type, dt)(g);
}

// dst (rows x cols) = src0 (+ src1 when given), through the copy/add kernels.
void copy_rows(Dtype dt, Device dev, int64_t rows, int64_t cols, Mat2 dst, Mat2 src0, const Mat2* src1 = nullptr) {
  if (rows <= 0 || cols <= 0) return;
  const int64_t sizes[2] = {rows, cols};
  const int64_t sd[2] = {dst.rs, dst.cs}, s0[2] = {src0.rs, src0.cs};
  int64_t s1[2] = {0, 0};
  ElementwiseArgs e;
  auto view = [&](char* p, const int64_t* st) {
    View v;
    v.data = p;
    v.dtype = dt;
    v.ndim = 2;
    v.sizes = sizes;
    v.strides = st;
    return v;
  };
  e.out = view(dst.p, sd);
  e.in[0] = view(src0.p, s0);
  e.nin = 1;
  if (src1) {
    s1[0] = src1->rs;
    s1[1] = src1->cs;
    e.in[1] = view(src1->p, s1);
    e.nin = 2;
    e.s0 = 1;
    add_stub.get(dev.type, dt)(e);
  } else {
    copy_stub.get(dev.type, dt)(e);
  }
}

// Shapes and per-step row layout shared by forward and backward.
struct Layout {
  int mode = 0, G = 1, D = 1;
  int64_t T = 0, B = 0, N = 0, I = 0, H = 0, Hout = 0;
  bool has_biases = true, proj = false, packed = false;
  std::vector<int64_t> bs, off;
  int64_t per_dir() const { return 2 + (has_biases ? 2 : 0) + (proj ? 1 : 0); }
};

struct Weights {
  Tensor w_ih, w_hh, b_ih, b_hh, w_hr;
};
Weights weights_of(const Layout& L, const std::vector<Tensor>& w, int d) {
  const int64_t k = L.per_dir(), b = d * k;
  Weights r;
  r.w_ih = w[b];
  r.w_hh = w[b + 1];
  if (L.has_biases) {
    r.b_ih = w[b + 2];
    r.b_hh = w[b + 3];
  }
  if (L.proj) r.w_hr = w[b + k - 1];
  return r;
}

// What one direction's forward saved for its backward (fresh internal buffers, (N, .) rows).
struct DirSaved {
  Tensor gates;   // activated gates (N, G*H)
  Tensor hprev;   // hidden state entering each step (N, Hout)
  Tensor cprev;   // LSTM: cell entering each step (N, H)
  Tensor tanh_c;  // LSTM: tanh(c) of each step (N, H)
  Tensor hfull;   // LSTM with projections: o * tanh(c) before W_hr (N, H)
  Tensor hn;      // GRU: W_hn h + b_hn (N, H)
};

void refuse_double_backward() {
  EMBER_CHECK(!autograd::is_grad_enabled(), NotImplemented,
              "[ember.rnn] double backward (create_graph=True) through an RNN/LSTM/GRU layer is not supported");
}

struct RnnLayerBackward0 : Node {
  Layout L;
  SavedTensor input;
  std::vector<SavedTensor> weights;
  std::vector<DirSaved> dirs;
  std::string name() const override { return "RnnLayerBackward0"; }
  void release_saved() override {
    input.reset();
    for (auto& w : weights) w.reset();
    dirs.clear();
  }
  tensor_list apply(tensor_list&& grads) override;
};

}  // namespace

std::tuple<Tensor, Tensor, Tensor> rnn_layer(const Tensor& input, const Tensor& hx_in, const Tensor& cx_in,
                                             const std::vector<Tensor>& weights, const std::string& mode,
                                             bool has_biases, bool bidirectional,
                                             const std::vector<int64_t>& batch_sizes) {
  Layout L;
  if (mode == "RNN_TANH") L.mode = kTanh;
  else if (mode == "RNN_RELU") L.mode = kRelu;
  else if (mode == "LSTM") L.mode = kLstm;
  else if (mode == "GRU") L.mode = kGru;
  else EMBER_FAIL(Value, "[ember.rnn] unknown mode '", mode, "' (expected RNN_TANH, RNN_RELU, LSTM or GRU)");
  L.G = gates_of(L.mode);
  L.D = bidirectional ? 2 : 1;
  L.has_biases = has_biases;
  L.packed = !batch_sizes.empty();
  EMBER_CHECK(input.defined(), Runtime, "[ember.rnn] input is undefined");
  const Dtype dt = input.dtype();
  const Device dev = input.device();
  EMBER_CHECK(dt == Dtype::Float32 || dt == Dtype::Float64, Runtime, "[ember.rnn] expected a float32 or float64 input, got ",
              dtype_name(dt));
  if (L.packed) {
    EMBER_CHECK(input.dim() == 2, Runtime, "[ember.rnn] packed input must have 2 dimensions, got ", input.dim());
    L.T = int64_t(batch_sizes.size());
    L.B = batch_sizes[0];
    int64_t total = 0;
    for (size_t t = 0; t < batch_sizes.size(); ++t) {
      EMBER_CHECK(batch_sizes[t] > 0 && batch_sizes[t] <= L.B && (t == 0 || batch_sizes[t] <= batch_sizes[t - 1]),
                  Runtime, "[ember.rnn] batch_sizes must be positive and non-increasing, got ", batch_sizes[t],
                  " at step ", t);
      L.off.push_back(total);
      L.bs.push_back(batch_sizes[t]);
      total += batch_sizes[t];
    }
    EMBER_CHECK(total == input.sizes()[0], Runtime, "[ember.rnn] batch_sizes sum to ", total,
                " but the packed input has ", input.sizes()[0], " rows");
    L.N = total;
  } else {
    EMBER_CHECK(input.dim() == 3, Runtime, "[ember.rnn] input must have 3 dimensions, got ", input.dim());
    L.T = input.sizes()[0];
    L.B = input.sizes()[1];
    L.N = L.T * L.B;
    for (int64_t t = 0; t < L.T; ++t) {
      L.off.push_back(t * L.B);
      L.bs.push_back(L.B);
    }
  }
  L.I = input.sizes().back();
  const int64_t base = 2 + (has_biases ? 2 : 0);
  EMBER_CHECK(!weights.empty() && int64_t(weights.size()) % L.D == 0, Runtime, "[ember.rnn] expected ", base * L.D,
              " weight tensors, got ", weights.size());
  const int64_t per = int64_t(weights.size()) / L.D;
  L.proj = per == base + 1 && L.mode == kLstm;
  EMBER_CHECK(per == L.per_dir(), Runtime, "[ember.rnn] expected ", L.per_dir() * L.D, " weight tensors, got ",
              weights.size());
  for (const Tensor& w : weights) {
    EMBER_CHECK(w.defined(), Runtime, "[ember.rnn] a weight tensor is undefined");
    EMBER_CHECK(w.dtype() == dt, Runtime, "[ember.rnn] input and parameter tensors are not the same dtype, found input ",
                "tensor with ", dtype_name(dt), " and parameter tensor with ", dtype_name(w.dtype()));
    check_same_device("rnn", input, w);
  }
  const Weights w0 = weights_of(L, weights, 0);
  EMBER_CHECK(w0.w_ih.dim() == 2 && w0.w_ih.sizes()[0] % L.G == 0, Runtime,
              "[ember.rnn] weight_ih must be 2-D with a multiple of ", L.G, " rows, got ", shape_str(w0.w_ih.sizes()));
  L.H = w0.w_ih.sizes()[0] / L.G;
  L.Hout = L.proj ? w0.w_hr.sizes()[0] : L.H;
  const int64_t GH = L.G * L.H;
  for (int d = 0; d < L.D; ++d) {
    const Weights w = weights_of(L, weights, d);
    EMBER_CHECK(w.w_ih.sizes() == Shape({GH, L.I}), Runtime, "[ember.rnn] input.size(-1) must be equal to input_size. ",
                "Expected ", w.w_ih.dim() == 2 ? w.w_ih.sizes()[1] : -1, ", got ", L.I);
    EMBER_CHECK(w.w_hh.sizes() == Shape({GH, L.Hout}), Runtime, "[ember.rnn] expected weight_hh of shape [", GH, ", ",
                L.Hout, "], got ", shape_str(w.w_hh.sizes()));
    if (has_biases)
      EMBER_CHECK(w.b_ih.sizes() == Shape({GH}) && w.b_hh.sizes() == Shape({GH}), Runtime,
                  "[ember.rnn] expected biases of shape [", GH, "], got ", shape_str(w.b_ih.sizes()), " and ",
                  shape_str(w.b_hh.sizes()));
    if (L.proj)
      EMBER_CHECK(w.w_hr.sizes() == Shape({L.Hout, L.H}), Runtime, "[ember.rnn] expected weight_hr of shape [", L.Hout,
                  ", ", L.H, "], got ", shape_str(w.w_hr.sizes()));
  }
  const Shape hshape = {L.D, L.B, L.Hout}, cshape = {L.D, L.B, L.H};
  if (hx_in.defined()) {
    EMBER_CHECK(hx_in.sizes() == hshape, Runtime, "[ember.rnn] Expected hidden size ", shape_str(hshape), ", got ",
                shape_str(hx_in.sizes()));
    EMBER_CHECK(hx_in.dtype() == dt, Runtime, "[ember.rnn] hx dtype ", dtype_name(hx_in.dtype()),
                " does not match input dtype ", dtype_name(dt));
    check_same_device("rnn", input, hx_in);
  }
  if (L.mode == kLstm && cx_in.defined()) {
    EMBER_CHECK(cx_in.sizes() == cshape, Runtime, "[ember.rnn] Expected hidden size ", shape_str(cshape), ", got ",
                shape_str(cx_in.sizes()));
    EMBER_CHECK(cx_in.dtype() == dt, Runtime, "[ember.rnn] cx dtype ", dtype_name(cx_in.dtype()),
                " does not match input dtype ", dtype_name(dt));
    check_same_device("rnn", input, cx_in);
  }

  std::vector<Tensor> inputs = {input, hx_in, L.mode == kLstm ? cx_in : Tensor()};
  inputs.insert(inputs.end(), weights.begin(), weights.end());
  std::shared_ptr<RnnLayerBackward0> node = make_grad_node_list<RnnLayerBackward0>(inputs);
  const bool save = node != nullptr;

  autograd::NoGradGuard no_grad;
  const TensorOptions opt = TensorOptions(dt).device(dev);
  const size_t isz = itemsize(dt);
  Tensor x = reshape(input, {L.N, L.I}).contiguous();
  Tensor y = empty(L.packed ? Shape{L.N, L.D * L.Hout} : Shape{L.T, L.B, L.D * L.Hout}, opt);
  Tensor hy = hx_in.defined() ? hx_in.contiguous().clone() : zeros(hshape, opt);
  Tensor cy = L.mode == kLstm ? (cx_in.defined() ? cx_in.contiguous().clone() : zeros(cshape, opt)) : Tensor();
  Tensor hg = L.mode == kGru ? empty({L.B, GH}, opt) : Tensor();
  Tensor hfull_step = L.proj && !save ? empty({L.B, L.H}, opt) : Tensor();
  const Mat2 Y{ptr(y), L.D * L.Hout, 1};
  auto kernel = rnn_step_forward_stub.get(dev.type, dt);
  if (save) node->dirs.resize(size_t(L.D));
  for (int d = 0; d < L.D; ++d) {
    const Weights w = weights_of(L, weights, d);
    const Tensor wih = w.w_ih.contiguous(), bih = has_biases ? w.b_ih.contiguous() : Tensor(),
                 bhh = has_biases ? w.b_hh.contiguous() : Tensor();
    const Tensor whh_t = transpose(w.w_hh, 0, 1).contiguous();  // (Hout, GH): packs fast as GEMM's B
    const Tensor whr_t = L.proj ? transpose(w.w_hr, 0, 1).contiguous() : Tensor();  // (H, Hout)
    DirSaved S;
    S.gates = empty({L.N, GH}, opt);
    if (save) {
      S.hprev = empty({L.N, L.Hout}, opt);
      if (L.mode == kLstm) {
        S.cprev = empty({L.N, L.H}, opt);
        S.tanh_c = empty({L.N, L.H}, opt);
        if (L.proj) S.hfull = empty({L.N, L.H}, opt);
      }
      if (L.mode == kGru) S.hn = empty({L.N, L.H}, opt);
    }
    // gates = x @ W_ih^T for every step at once
    gemm(dt, dev, L.N, GH, L.I, rowmajor(x), transposed(rowmajor(wih)), rowmajor(S.gates), 0);
    Tensor hs = select(hy, 0, d), cs = cy.defined() ? select(cy, 0, d) : Tensor();
    const Mat2 Hs = rowmajor(hs), Whh = rowmajor(whh_t);
    for (int64_t s = 0; s < L.T; ++s) {
      const int64_t t = d == 0 ? s : L.T - 1 - s, rows = L.bs[size_t(t)], off = L.off[size_t(t)];
      if (save) {
        copy_rows(dt, dev, rows, L.Hout, rowmajor(S.hprev, off), Hs);
        if (L.mode == kLstm) copy_rows(dt, dev, rows, L.H, rowmajor(S.cprev, off), rowmajor(cs));
      }
      const Mat2 Gt = rowmajor(S.gates, off);
      if (L.mode == kGru) gemm(dt, dev, rows, GH, L.Hout, Hs, Whh, rowmajor(hg), 0);
      else gemm(dt, dev, rows, GH, L.Hout, Hs, Whh, Gt, 1);
      RnnStepArgs a;
      a.dtype = dt;
      a.mode = L.mode;
      a.rows = rows;
      a.hidden = L.H;
      a.gates = Gt.p;
      a.ld_gates = GH;
      if (hg.defined()) {
        a.hg = ptr(hg);
        a.ld_hg = GH;
      }
      a.bias_ih = bih.defined() ? ptr(bih) : nullptr;
      a.bias_hh = bhh.defined() ? ptr(bhh) : nullptr;
      a.h_prev = Hs.p;
      a.ld_h_prev = Hs.rs;
      const Mat2 Yt = offset(Y, off, d * L.Hout, isz);
      Mat2 Hf{nullptr, 0, 0};
      if (L.proj) {
        Hf = save ? rowmajor(S.hfull, off) : rowmajor(hfull_step);
        a.h_out = Hf.p;
        a.ld_h_out = Hf.rs;
      } else {
        a.h_out = Hs.p;
        a.ld_h_out = Hs.rs;
        a.h_out2 = Yt.p;
        a.ld_h_out2 = Yt.rs;
      }
      if (cs.defined()) a.c = ptr(cs);
      if (save && L.mode == kLstm) a.tanh_c = rowmajor(S.tanh_c, off).p;
      if (save && L.mode == kGru) a.hn = rowmajor(S.hn, off).p;
      kernel(a);
      if (L.proj) {  // h = h_full @ W_hr^T
        gemm(dt, dev, rows, L.Hout, L.H, Hf, rowmajor(whr_t), Hs, 0);
        copy_rows(dt, dev, rows, L.Hout, Yt, Hs);
      }
    }
    if (save) node->dirs[size_t(d)] = std::move(S);
  }
  Tensor out = y;
  if (node) {
    node->L = L;
    node->input = SavedTensor(input);
    for (const Tensor& w : weights) node->weights.emplace_back(w);
    std::vector<Tensor> outs = {out, hy};
    if (cy.defined()) outs.push_back(cy);
    set_history(outs, node);
    out = outs[0];
    hy = outs[1];
    if (cy.defined()) cy = outs[2];
  }
  return {out, hy, cy};
}

namespace {

tensor_list RnnLayerBackward0::apply(tensor_list&& grads) {
  refuse_double_backward();
  const Tensor in = input.unpack(this);
  const Dtype dt = in.dtype();
  const Device dev = in.device();
  const TensorOptions opt = TensorOptions(dt).device(dev);
  const size_t isz = itemsize(dt);
  const int64_t GH = L.G * L.H;
  std::vector<Tensor> w;
  for (auto& s : weights) w.push_back(s.unpack(this));
  const size_t nw = w.size();
  tensor_list out(3 + nw);
  const bool need_x = should_compute_output(0);
  Tensor x = reshape(in, {L.N, L.I}).contiguous();
  Tensor dy = grads[0].defined() ? reshape(grads[0], {L.N, L.D * L.Hout}).contiguous()
                                 : zeros({L.N, L.D * L.Hout}, opt);
  const Shape hshape = {L.D, L.B, L.Hout}, cshape = {L.D, L.B, L.H};
  Tensor dh = grads[1].defined() ? grads[1].contiguous().clone() : zeros(hshape, opt);
  Tensor dc = L.mode == kLstm ? (grads.size() > 2 && grads[2].defined() ? grads[2].contiguous().clone() : zeros(cshape, opt))
                              : Tensor();
  Tensor dx = need_x ? empty({L.N, L.I}, opt) : Tensor();
  Tensor dhf = L.proj ? empty({L.B, L.H}, opt) : Tensor();
  auto kernel = rnn_step_backward_stub.get(dev.type, dt);
  const Mat2 DY = rowmajor(dy);
  for (int d = 0; d < L.D; ++d) {
    const DirSaved& S = dirs[size_t(d)];
    const Weights wd = weights_of(L, w, d);
    const Tensor wih = wd.w_ih.contiguous(), whh = wd.w_hh.contiguous(), whr = L.proj ? wd.w_hr.contiguous() : Tensor();
    Tensor dG = empty({L.N, GH}, opt);
    Tensor dGh = L.mode == kGru ? empty({L.N, GH}, opt) : dG;
    Tensor dhp = L.proj ? empty({L.N, L.Hout}, opt) : Tensor();
    Tensor dhs = select(dh, 0, d), dcs = dc.defined() ? select(dc, 0, d) : Tensor();
    const Mat2 DHs = rowmajor(dhs);
    for (int64_t s = 0; s < L.T; ++s) {
      const int64_t t = d == 0 ? L.T - 1 - s : s, rows = L.bs[size_t(t)], off = L.off[size_t(t)];
      const Mat2 DYt = offset(DY, off, d * L.Hout, isz);
      RnnStepArgs a;
      a.dtype = dt;
      a.mode = L.mode;
      a.rows = rows;
      a.hidden = L.H;
      a.gates = rowmajor(S.gates, off).p;
      a.ld_gates = GH;
      if (L.proj) {  // dh_full = (dy + dh) @ W_hr
        const Mat2 P = rowmajor(dhp, off);
        copy_rows(dt, dev, rows, L.Hout, P, DYt, &DHs);
        gemm(dt, dev, rows, L.H, L.Hout, P, rowmajor(whr), rowmajor(dhf), 0);
        a.dh_in = ptr(dhf);
        a.ld_dh_in = L.H;
      } else {
        a.dh_in = DYt.p;
        a.ld_dh_in = DYt.rs;
        a.dh_carry = DHs.p;
        a.ld_dh_carry = DHs.rs;
      }
      if (L.mode == kLstm) {
        a.tanh_c = rowmajor(S.tanh_c, off).p;
        a.c_prev = rowmajor(S.cprev, off).p;
        a.dc = ptr(dcs);
      }
      if (L.mode == kGru) {
        a.h_prev = rowmajor(S.hprev, off).p;
        a.ld_h_prev = L.Hout;
        a.hn = rowmajor(S.hn, off).p;
        a.dhg = rowmajor(dGh, off).p;
        a.ld_dhg = GH;
      }
      a.dgates = rowmajor(dG, off).p;
      a.ld_dgates = GH;
      kernel(a);
      // dh for the previous step: dGh @ W_hh (GRU adds to the direct term dh * z)
      gemm(dt, dev, rows, L.Hout, GH, rowmajor(dGh, off), rowmajor(whh), DHs, L.mode == kGru ? 1 : 0);
    }
    const int64_t wb = d * L.per_dir();
    if (need_x) gemm(dt, dev, L.N, L.I, GH, rowmajor(dG), rowmajor(wih), rowmajor(dx), d == 0 ? 0 : 1);
    if (should_compute_output(size_t(3 + wb))) {
      Tensor g = empty({GH, L.I}, opt);
      gemm(dt, dev, GH, L.I, L.N, transposed(rowmajor(dG)), rowmajor(x), rowmajor(g), 0);
      out[size_t(3 + wb)] = g;
    }
    if (should_compute_output(size_t(4 + wb))) {
      Tensor g = empty({GH, L.Hout}, opt);
      gemm(dt, dev, GH, L.Hout, L.N, transposed(rowmajor(dGh)), rowmajor(S.hprev), rowmajor(g), 0);
      out[size_t(4 + wb)] = g;
    }
    if (L.has_biases) {
      if (should_compute_output(size_t(5 + wb))) out[size_t(5 + wb)] = sum(dG, {0});
      if (should_compute_output(size_t(6 + wb)))  // b_hh's gradient is b_ih's unless GRU (dGh is dG)
        out[size_t(6 + wb)] = L.mode != kGru && out[size_t(5 + wb)].defined() ? out[size_t(5 + wb)].clone() : sum(dGh, {0});
    }
    if (L.proj && should_compute_output(size_t(3 + wb + L.per_dir() - 1))) {
      Tensor g = empty({L.Hout, L.H}, opt);
      gemm(dt, dev, L.Hout, L.H, L.N, transposed(rowmajor(dhp)), rowmajor(S.hfull), rowmajor(g), 0);
      out[size_t(3 + wb + L.per_dir() - 1)] = g;
    }
  }
  if (need_x) out[0] = reshape(dx, in.sizes());
  if (should_compute_output(1)) out[1] = dh;
  if (should_compute_output(2)) out[2] = dc;
  return out;
}

}  // namespace
}  // namespace ember::nn::functional
