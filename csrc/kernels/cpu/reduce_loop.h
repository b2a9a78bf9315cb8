#pragma once
// Deterministic reductions. Note [fixed reduction blocking]: each output's reduced elements are
// split into blocks of kReduceBlock elements (a constant, never the thread count); blocks are
// reduced in parallel and their partials combined in block order, so the result is bitwise the
// same for any number of threads. `out` has in's sizes with stride 0 on the reduced dims (see
// ReduceArgs in dispatch/kernels.h); `index`, when given, has out's strides.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "kernels/cpu/iter.h"

namespace ember::cpu {

constexpr int64_t kReduceBlock = 16384;

struct ReduceLayout {
  std::vector<int64_t> kept_sizes, kept_in_strides, kept_out_strides;  // innermost first
  std::vector<int64_t> red_sizes, red_strides;                         // innermost first
  int64_t num_outputs = 1, reduce_size = 1;

  // reorder: sort the reduced dims by stride and merge contiguous ones (not for arg-reductions,
  // whose positions must stay row-major).
  ReduceLayout(const ReduceArgs& a, bool reorder) {
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
    if (reorder && reduce_size > 0) {
      sort_dims(red_sizes, red_strides, nullptr);
      sort_dims(kept_sizes, kept_in_strides, &kept_out_strides);
    }
  }

  // Stable sort by |stride| (innermost first), then merge dims that are contiguous.
  static void sort_dims(std::vector<int64_t>& sizes, std::vector<int64_t>& strides, std::vector<int64_t>* other) {
    size_t n = sizes.size();
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t x, size_t y) { return std::abs(strides[x]) < std::abs(strides[y]); });
    std::vector<int64_t> s, st, o;
    for (size_t i : order) {
      bool merge = !s.empty() && strides[i] == st.back() * s.back() &&
                   (!other || (*other)[i] == o.back() * s.back());
      if (merge) {
        s.back() *= sizes[i];
      } else {
        s.push_back(sizes[i]);
        st.push_back(strides[i]);
        if (other) o.push_back((*other)[i]);
      }
    }
    sizes = s;
    strides = st;
    if (other) *other = o;
  }

  // Element offsets of output o in `in` and `out`.
  void kept_offsets(int64_t o, int64_t* in_off, int64_t* out_off) const {
    int64_t a = 0, b = 0;
    for (size_t d = 0; d < kept_sizes.size(); ++d) {
      int64_t i = o % kept_sizes[d];
      o /= kept_sizes[d];
      a += i * kept_in_strides[d];
      b += i * kept_out_strides[d];
    }
    *in_off = a;
    *out_off = b;
  }
  // Offset of reduced row `row` (a position over red dims 1.., dim 0 being the inner run).
  int64_t row_offset(int64_t row) const {
    int64_t off = 0;
    for (size_t d = 1; d < red_sizes.size(); ++d) {
      off += (row % red_sizes[d]) * red_strides[d];
      row /= red_sizes[d];
    }
    return off;
  }
};

// Reduce every output: acc = step(acc, p, n, stride, pos) over inner runs of n elements (pos: the
// flat reduced position of p[0]); partial accumulators of blocks join with combine(earlier, later);
// write(out_offset, acc) stores the result.
template <class in_t, class acc_t, class Step, class Combine, class Write>
void reduce_each_output(const ReduceArgs& a, acc_t init, const Step& step, const Combine& combine, const Write& write,
                        bool reorder = true) {
  ReduceLayout L(a, reorder && a.index.data == nullptr);
  if (L.num_outputs == 0) return;
  const in_t* in_base = reinterpret_cast<const in_t*>(a.in.data);
  const int64_t inner = L.red_sizes.empty() ? 1 : L.red_sizes[0];
  const int64_t inner_stride = L.red_sizes.empty() ? 0 : L.red_strides[0];
  const int64_t R = L.reduce_size;
  const int64_t nblocks = std::max<int64_t>(1, (R + kReduceBlock - 1) / kReduceBlock);
  auto reduce_block = [&](int64_t in_off, int64_t b) {
    acc_t acc = init;
    int64_t pos = b * kReduceBlock, end = std::min(R, pos + kReduceBlock);
    while (pos < end) {
      int64_t row = pos / inner, col = pos % inner;
      int64_t n = std::min(inner - col, end - pos);
      acc = step(acc, in_base + in_off + L.row_offset(row) + col * inner_stride, n, inner_stride, pos);
      pos += n;
    }
    return acc;
  };
  if (nblocks == 1) {
    int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, R));
    parallel_for(0, L.num_outputs, grain, [&](int64_t ob, int64_t oe) {
      for (int64_t o = ob; o < oe; ++o) {
        int64_t in_off, out_off;
        L.kept_offsets(o, &in_off, &out_off);
        write(out_off, reduce_block(in_off, 0));
      }
    });
    return;
  }
  std::vector<acc_t> partial(size_t(L.num_outputs * nblocks), init);
  parallel_for(0, L.num_outputs * nblocks, 2, [&](int64_t tb, int64_t te) {
    for (int64_t t = tb; t < te; ++t) {
      int64_t in_off, out_off;
      L.kept_offsets(t / nblocks, &in_off, &out_off);
      partial[size_t(t)] = reduce_block(in_off, t % nblocks);
    }
  });
  for (int64_t o = 0; o < L.num_outputs; ++o) {
    int64_t in_off, out_off;
    L.kept_offsets(o, &in_off, &out_off);
    acc_t acc = partial[size_t(o * nblocks)];
    for (int64_t b = 1; b < nblocks; ++b) acc = combine(acc, partial[size_t(o * nblocks + b)]);
    write(out_off, acc);
  }
}

// Outer reductions (the innermost memory dim is kept, e.g. sum(0) of [N, C]): vectorise across
// kVCols contiguous outputs, rows in order. Returns false when the layout does not fit.
constexpr int64_t kVCols = 64;
template <class in_t, class acc_t, class VStep, class Write>
bool reduce_vertical(const ReduceArgs& a, acc_t init, const VStep& vstep, const Write& write) {
  ReduceLayout L(a, true);
  if (L.num_outputs == 0 || L.kept_sizes.empty() || L.kept_in_strides[0] != 1 || L.kept_out_strides[0] != 1) return false;
  for (int64_t s : L.red_strides)
    if (std::abs(s) <= 1) return false;
  const in_t* in_base = reinterpret_cast<const in_t*>(a.in.data);
  const int64_t C = L.kept_sizes[0], nchunks = (C + kVCols - 1) / kVCols, outer = L.num_outputs / C;
  int64_t nrows = L.reduce_size;
  auto red_off = [&](int64_t r) {
    int64_t off = 0;
    for (size_t d = 0; d < L.red_sizes.size(); ++d) {
      off += (r % L.red_sizes[d]) * L.red_strides[d];
      r /= L.red_sizes[d];
    }
    return off;
  };
  int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, nrows * kVCols));
  parallel_for(0, outer * nchunks, grain, [&](int64_t tb, int64_t te) {
    acc_t acc[kVCols];
    for (int64_t t = tb; t < te; ++t) {
      int64_t o = t / nchunks, j0 = (t % nchunks) * kVCols, w = std::min(kVCols, C - j0);
      int64_t in_off = 0, out_off = 0, rem = o;
      for (size_t d = 1; d < L.kept_sizes.size(); ++d) {
        int64_t i = rem % L.kept_sizes[d];
        rem /= L.kept_sizes[d];
        in_off += i * L.kept_in_strides[d];
        out_off += i * L.kept_out_strides[d];
      }
      for (int64_t j = 0; j < kVCols; ++j) acc[j] = init;
      for (int64_t r = 0; r < nrows; ++r) {
        const in_t* p = in_base + in_off + red_off(r) + j0;
        if (w == kVCols) {
          for (int64_t j = 0; j < kVCols; ++j) acc[j] = vstep(acc[j], p[j]);
        } else {
          for (int64_t j = 0; j < w; ++j) acc[j] = vstep(acc[j], p[j]);
        }
      }
      for (int64_t j = 0; j < w; ++j) write(out_off + j0 + j, acc[j]);
    }
  });
  return true;
}

// Calls f(line_index, offsets) for every line along `dim` of views sharing sizes[dim'] for the
// other dims (offsets[k]: element offset of the line's start in views[k]). Parallel over lines.
template <int N, class F>
void for_each_line(const View* const (&views)[N], int64_t dim, int64_t line_cost, const F& f) {
  const View& v0 = *views[0];
  std::vector<int64_t> sizes, strides[N];
  int64_t nlines = 1;
  for (int64_t d = v0.ndim - 1; d >= 0; --d) {
    if (d == dim || v0.sizes[d] == 1) continue;
    sizes.push_back(v0.sizes[d]);
    for (int k = 0; k < N; ++k) strides[k].push_back(views[k]->strides[d]);
    nlines *= v0.sizes[d];
  }
  if (v0.numel() == 0) return;
  int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, line_cost));
  parallel_for(0, nlines, grain, [&](int64_t lb, int64_t le) {
    int64_t offs[N];
    for (int64_t l = lb; l < le; ++l) {
      int64_t rem = l;
      for (int k = 0; k < N; ++k) offs[k] = 0;
      for (size_t d = 0; d < sizes.size(); ++d) {
        int64_t i = rem % sizes[d];
        rem /= sizes[d];
        for (int k = 0; k < N; ++k) offs[k] += i * strides[k][d];
      }
      f(l, offs);
    }
  });
}

}  // namespace ember::cpu
