#pragma once
// A general deterministic reduction: every output element is reduced by one thread in a fixed
// order, so results do not depend on the thread count. `out` has in's sizes with stride 0 on the
// reduced dims (see ReduceArgs in dispatch/kernels.h).
#include <vector>

#include "kernels/cpu/iter.h"

namespace ember::cpu {

struct ReduceLayout {
  std::vector<int64_t> kept_sizes, kept_in_strides, kept_out_strides;  // innermost first
  std::vector<int64_t> red_sizes, red_strides;                         // innermost first
  int64_t num_outputs = 1, reduce_size = 1;

  explicit ReduceLayout(const ReduceArgs& a) {
    for (int64_t d = a.in.ndim - 1; d >= 0; --d) {
      int64_t size = a.in.sizes[d];
      if (size == 1) continue;
      if (a.out.strides[d] == 0) {
        red_sizes.push_back(size);
        red_strides.push_back(a.in.strides[d]);
        reduce_size *= size;
      } else {
        kept_sizes.push_back(size);
        kept_in_strides.push_back(a.in.strides[d]);
        kept_out_strides.push_back(a.out.strides[d]);
        num_outputs *= size;
      }
    }
    if (a.in.numel() == 0) reduce_size = 0;
    for (int64_t d = 0; d < a.in.ndim; ++d)
      if (a.in.sizes[d] == 0) num_outputs = a.out.strides[d] == 0 ? num_outputs : 0;
  }
};

// For each output: acc = init; acc = step(acc, x, flat_index) over the reduced elements in
// row-major order; out = finish(acc, flat index of the chosen element or count).
template <class in_t, class acc_t, class Step, class Write>
void reduce_each_output(const ReduceArgs& a, acc_t init, const Step& step, const Write& write) {
  ReduceLayout L(a);
  const int64_t nk = int64_t(L.kept_sizes.size()), nr = int64_t(L.red_sizes.size());
  const in_t* in_base = reinterpret_cast<const in_t*>(a.in.data);
  int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, L.reduce_size));
  parallel_for(0, L.num_outputs, grain, [&](int64_t ob, int64_t oe) {
    std::vector<int64_t> ridx(size_t(nr), 0);
    for (int64_t o = ob; o < oe; ++o) {
      int64_t in_off = 0, out_off = 0, rem = o;
      for (int64_t d = 0; d < nk; ++d) {
        int64_t i = rem % L.kept_sizes[d];
        rem /= L.kept_sizes[d];
        in_off += i * L.kept_in_strides[d];
        out_off += i * L.kept_out_strides[d];
      }
      acc_t acc = init;
      std::fill(ridx.begin(), ridx.end(), 0);
      const int64_t inner = nr ? L.red_sizes[0] : 1, inner_stride = nr ? L.red_strides[0] : 0;
      for (int64_t r = 0; r < L.reduce_size; r += inner) {
        int64_t off = in_off;
        for (int64_t d = 1; d < nr; ++d) off += ridx[d] * L.red_strides[d];
        const in_t* p = in_base + off;
        acc = step(acc, p, inner, inner_stride, r);
        for (int64_t d = 1; d < nr; ++d) {
          if (++ridx[d] < L.red_sizes[d]) break;
          ridx[d] = 0;
        }
      }
      write(out_off, acc);
    }
  });
}

}  // namespace ember::cpu
