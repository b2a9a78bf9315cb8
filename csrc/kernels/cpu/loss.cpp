// nll_loss over log-probabilities viewed as [N, C, S] (see LossArgs). Reductions sum fixed blocks
// of rows, then the partials in order: the result does not depend on the thread count.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/parallel.h"
#include "kernels/cpu/iter.h"
#include "kernels/cpu/kernels.h"

namespace ember::cpu {
namespace {

constexpr int64_t kRowBlock = 1024;

inline void note_bad(int64_t* bad_pos, int64_t row) {
  int64_t cur = __atomic_load_n(bad_pos, __ATOMIC_RELAXED);
  while (row < cur && !__atomic_compare_exchange_n(bad_pos, &cur, row, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
}

template <class T> void nll_forward(const LossArgs& a) {
  using A = opmath_t<T>;
  const T* x = reinterpret_cast<const T*>(a.input.data);
  const int64_t* tgt = reinterpret_cast<const int64_t*>(a.target.data);
  const T* w = reinterpret_cast<const T*>(a.weight.data);
  const int64_t C = a.C, S = a.S, rows = a.N * S;
  int64_t nblocks = (rows + kRowBlock - 1) / kRowBlock;
  std::vector<double> part_loss(nblocks), part_w(nblocks);
  parallel_for(0, nblocks, std::max<int64_t>(1, kGrainSize / kRowBlock), [&](int64_t b0, int64_t b1) {
    for (int64_t blk = b0; blk < b1; ++blk) {
      double sl = 0, sw = 0;
      for (int64_t r = blk * kRowBlock, re = std::min(rows, r + kRowBlock); r < re; ++r) {
        int64_t t = tgt[r];
        A loss = 0, wr = 0;
        if (t != a.ignore_index) {
          if (t < 0 || t >= C) {
            note_bad(a.bad_pos, r);
            continue;
          }
          wr = w ? A(w[t]) : A(1);
          loss = -wr * A(x[(r / S) * C * S + t * S + r % S]);
        }
        if (a.reduction == 0) reinterpret_cast<T*>(a.out.data)[r] = T(loss);
        sl += double(loss);
        sw += double(wr);
      }
      part_loss[blk] = sl;
      part_w[blk] = sw;
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

template <class T> void nll_backward(const LossArgs& a) {
  using A = opmath_t<T>;
  const int64_t* tgt = reinterpret_cast<const int64_t*>(a.target.data);
  const T* w = reinterpret_cast<const T*>(a.weight.data);
  const T* go = reinterpret_cast<const T*>(a.grad_out.data);
  T* gi = reinterpret_cast<T*>(a.grad_input.data);
  const int64_t N = a.N, C = a.C, S = a.S;
  A gs_all = 0;
  if (a.reduction) {
    gs_all = A(go[0]);
    if (a.reduction == 1) gs_all /= *reinterpret_cast<const A*>(a.total_weight.data);
  }
  parallel_for(0, N, std::max<int64_t>(1, kGrainSize / (C * S)), [&](int64_t n0, int64_t n1) {
    std::memset(static_cast<void*>(gi + n0 * C * S), 0, sizeof(T) * size_t((n1 - n0) * C * S));
    for (int64_t n = n0; n < n1; ++n)
      for (int64_t s = 0; s < S; ++s) {
        int64_t r = n * S + s, t = tgt[r];
        if (t == a.ignore_index || t < 0 || t >= C) continue;
        A gs = a.reduction ? gs_all : A(go[r]);
        gi[n * C * S + t * S + s] = T(-(w ? A(w[t]) : A(1)) * gs);
      }
  });
}

}  // namespace

void nll_loss_forward_kernel(const LossArgs& a) {
  EMBER_DISPATCH_FLOATING(a.input.dtype, "nll_loss", [&] { nll_forward<scalar_t>(a); });
}
void nll_loss_backward_kernel(const LossArgs& a) {
  EMBER_DISPATCH_FLOATING(a.input.dtype, "nll_loss_backward", [&] { nll_backward<scalar_t>(a); });
}

}  // namespace ember::cpu
