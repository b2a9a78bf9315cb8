// Fused cross_entropy for class-index targets, compiled per ISA. Forward: one pass per row gives
// the log-sum-exp and the loss (log_softmax + nll, with label smoothing and class weights as torch
// defines them). Backward: grad = g * (softmax * A - eps/C * w) - g * (1 - eps) * w[t] at the target,
// with A = (1 - eps) * w[t] + eps * sum(w) / C, in one pass. Reductions sum fixed blocks of rows and
// then the block partials in order, so the result does not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "core/parallel.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/isa/exp_fast.h"
#include "kernels/cpu/iter.h"

namespace ember::cpu::EMBER_ISA_NS {

namespace {

constexpr int64_t kRowBlock = 64;  // rows per reduction partial (fixed: thread-count independent)
constexpr int kLanes = 16;

template <class A> A row_max(const A* x, int64_t C) {
  A lanes[kLanes];
  for (int l = 0; l < kLanes; ++l) lanes[l] = -INFINITY;
  int64_t i = 0;
  for (; i + kLanes <= C; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes[l] = x[i + l] > lanes[l] ? x[i + l] : lanes[l];
  for (; i < C; ++i) lanes[0] = x[i] > lanes[0] ? x[i] : lanes[0];
  A m = lanes[0];
  for (int l = 1; l < kLanes; ++l) m = lanes[l] > m ? lanes[l] : m;
  return m;
}

// sum of exp(x - m)
template <class A> A row_sum_exp(const A* x, int64_t C, A m) {
  A lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= C; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes[l] += exp_fast(x[i + l] - m);
  for (; i < C; ++i) lanes[0] += exp_fast(x[i] - m);
  for (int w = kLanes / 2; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l) lanes[l] += lanes[l + w];
  return lanes[0];
}

template <class A> A row_dot(const A* x, const A* w, int64_t C) {
  A lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= C; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes[l] += (w ? w[i + l] : A(1)) * x[i + l];
  for (; i < C; ++i) lanes[0] += (w ? w[i] : A(1)) * x[i];
  for (int wd = kLanes / 2; wd >= 1; wd /= 2)
    for (int l = 0; l < wd; ++l) lanes[l] += lanes[l + wd];
  return lanes[0];
}

// Row (n, s) of the [N, C, S] input in the compute type, in `buf` (C values).
template <class T, class A> const A* load_row(const T* x, int64_t n, int64_t s, int64_t C, int64_t S, A* buf) {
  const T* p = x + n * C * S + s;
  if constexpr (std::is_same_v<T, A>) {
    if (S == 1) return p;
  }
  for (int64_t c = 0; c < C; ++c) buf[c] = A(p[c * S]);
  return buf;
}

inline void note_bad(int64_t* bad_pos, int64_t row) {
  int64_t cur = __atomic_load_n(bad_pos, __ATOMIC_RELAXED);
  while (row < cur && !__atomic_compare_exchange_n(bad_pos, &cur, row, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
}

template <class T> void ce_forward(const LossArgs& a) {
  using A = opmath_t<T>;
  const T* x = reinterpret_cast<const T*>(a.input.data);
  const int64_t* tgt = reinterpret_cast<const int64_t*>(a.target.data);
  const T* wt = reinterpret_cast<const T*>(a.weight.data);
  A* lse_out = reinterpret_cast<A*>(a.lse.data);
  const int64_t N = a.N, C = a.C, S = a.S, rows = N * S;
  const A eps = A(a.label_smoothing), keep = A(1 - a.label_smoothing), eps_c = eps / A(C);
  std::vector<A> w(wt ? C : 0);
  A W = A(C);
  if (wt) {
    W = 0;
    for (int64_t c = 0; c < C; ++c) W += (w[c] = A(wt[c]));
  }
  const A* wp = wt ? w.data() : nullptr;
  int64_t nblocks = (rows + kRowBlock - 1) / kRowBlock;
  std::vector<double> part_loss(a.reduction ? nblocks : 0), part_w(a.reduction ? nblocks : 0);
  int64_t grain = std::max<int64_t>(1, kGrainSize / (kRowBlock * C));
  parallel_for(0, nblocks, grain, [&](int64_t b0, int64_t b1) {
    std::vector<A> buf(C);
    for (int64_t blk = b0; blk < b1; ++blk) {
      double sl = 0, sw = 0;
      for (int64_t r = blk * kRowBlock, re = std::min(rows, r + kRowBlock); r < re; ++r) {
        int64_t n = r / S, s = r % S;
        const A* row = load_row<T, A>(x, n, s, C, S, buf.data());
        A m = row_max(row, C);
        A mm = std::isinf(m) ? A(0) : m;  // all -inf or +inf: keep NaN/inf as torch
        A lse = mm + std::log(row_sum_exp(row, C, mm));
        lse_out[r] = lse;
        int64_t t = tgt[r];
        A loss = 0, wt_r = 0;
        if (t != a.ignore_index) {
          if (t < 0 || t >= C) {
            note_bad(a.bad_pos, r);
            continue;
          }
          wt_r = wp ? wp[t] : A(1);
          loss = -wt_r * (row[t] - lse);
          if (eps != A(0)) loss = keep * loss + eps_c * (W * lse - row_dot(row, wp, C));
        }
        if (a.reduction == 0) {
          reinterpret_cast<T*>(a.out.data)[r] = T(loss);
        } else {
          sl += double(loss);
          sw += double(wt_r);
        }
      }
      if (a.reduction) {
        part_loss[blk] = sl;
        part_w[blk] = sw;
      }
    }
  });
  if (a.reduction) {
    double sl = 0, sw = 0;
    for (int64_t b = 0; b < nblocks; ++b) {
      sl += part_loss[b];
      sw += part_w[b];
    }
    *reinterpret_cast<A*>(a.total_weight.data) = A(sw);
    *reinterpret_cast<T*>(a.out.data) = T(a.reduction == 1 ? A(sl) / A(sw) : A(sl));
  }
}

template <class T> void ce_backward(const LossArgs& a) {
  using A = opmath_t<T>;
  const T* x = reinterpret_cast<const T*>(a.input.data);
  const int64_t* tgt = reinterpret_cast<const int64_t*>(a.target.data);
  const T* wt = reinterpret_cast<const T*>(a.weight.data);
  const A* lse_in = reinterpret_cast<const A*>(a.lse.data);
  const T* go = reinterpret_cast<const T*>(a.grad_out.data);
  T* gi = reinterpret_cast<T*>(a.grad_input.data);
  const int64_t N = a.N, C = a.C, S = a.S, rows = N * S;
  const A eps = A(a.label_smoothing), keep = A(1 - a.label_smoothing), eps_c = eps / A(C);
  std::vector<A> w(wt ? C : 0);
  A W = A(C);
  if (wt) {
    W = 0;
    for (int64_t c = 0; c < C; ++c) W += (w[c] = A(wt[c]));
  }
  const A* wp = wt ? w.data() : nullptr;
  A gscale_all = 0;
  if (a.reduction) {
    gscale_all = A(go[0]);
    if (a.reduction == 1) gscale_all /= *reinterpret_cast<const A*>(a.total_weight.data);
  }
  int64_t grain = std::max<int64_t>(1, kGrainSize / C);
  parallel_for(0, rows, grain, [&](int64_t r0, int64_t r1) {
    std::vector<A> buf(C), gbuf(C);
    for (int64_t r = r0; r < r1; ++r) {
      int64_t n = r / S, s = r % S, t = tgt[r];
      T* out = gi + n * C * S + s;
      bool direct = S == 1 && std::is_same_v<T, A>;
      A* g = direct ? reinterpret_cast<A*>(out) : gbuf.data();
      if (t == a.ignore_index || t < 0 || t >= C) {
        for (int64_t c = 0; c < C; ++c) g[c] = 0;
      } else {
        const A* row = load_row<T, A>(x, n, s, C, S, buf.data());
        A gs = a.reduction ? gscale_all : A(go[r]);
        A wt_r = wp ? wp[t] : A(1);
        A coef = gs * (keep * wt_r + eps_c * W), lse = lse_in[r];
        if (eps == A(0)) {
          for (int64_t c = 0; c < C; ++c) g[c] = coef * exp_fast(row[c] - lse);
        } else {
          A ge = gs * eps_c;
          for (int64_t c = 0; c < C; ++c) g[c] = coef * exp_fast(row[c] - lse) - ge * (wp ? wp[c] : A(1));
        }
        g[t] -= gs * keep * wt_r;
      }
      if (!direct)
        for (int64_t c = 0; c < C; ++c) out[c * S] = T(g[c]);
    }
  });
}

}  // namespace

void cross_entropy_forward_kernel(const LossArgs& a) {
  EMBER_DISPATCH_FLOATING(a.input.dtype, "cross_entropy", [&] { ce_forward<scalar_t>(a); });
}
void cross_entropy_backward_kernel(const LossArgs& a) {
  EMBER_DISPATCH_FLOATING(a.input.dtype, "cross_entropy_backward", [&] { ce_backward<scalar_t>(a); });
}

}  // namespace ember::cpu::EMBER_ISA_NS
