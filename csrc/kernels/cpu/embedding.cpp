// embedding: a row gather, and a backward that sums each vocabulary row's gradients in index order.
// The backward groups positions by row with a counting sort, then runs rows in parallel: every row
// is one sequential sum, so the result is bitwise the same for any thread count.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/parallel.h"
#include "kernels/cpu/iter.h"
#include "kernels/cpu/kernels.h"

namespace ember::cpu {

void embedding_forward_kernel(const EmbeddingArgs& a) {
  const int64_t* idx = reinterpret_cast<const int64_t*>(a.indices.data);
  int64_t n = a.indices.numel(), D = a.weight.sizes[1];
  size_t row_bytes = size_t(D) * itemsize(a.weight.dtype);
  const char* w = a.weight.data;
  char* out = a.out.data;
  parallel_for(0, n, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(D, 1)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) std::memcpy(out + size_t(i) * row_bytes, w + size_t(idx[i]) * row_bytes, row_bytes);
  });
}

namespace {
template <class T> void embedding_bwd(const EmbeddingArgs& a) {
  using A = opmath_t<T>;
  const int64_t* idx = reinterpret_cast<const int64_t*>(a.indices.data);
  int64_t n = a.indices.numel(), V = a.grad_weight.sizes[0], D = a.grad_weight.sizes[1];
  const T* go = reinterpret_cast<const T*>(a.grad_out.data);
  T* gw = reinterpret_cast<T*>(a.grad_weight.data);
  // counting sort of positions by row: start[v]..start[v+1] lists v's positions in order
  std::vector<int64_t> start(static_cast<size_t>(V) + 1, 0), order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) start[size_t(idx[i]) + 1]++;
  for (int64_t v = 0; v < V; ++v) start[v + 1] += start[v];
  {
    std::vector<int64_t> fill(start.begin(), start.end() - 1);
    for (int64_t i = 0; i < n; ++i) order[size_t(fill[size_t(idx[i])]++)] = i;
  }
  std::vector<int64_t> rows;  // the rows that get a gradient
  for (int64_t v = 0; v < V; ++v)
    if (start[v + 1] > start[v] && v != a.padding_idx) rows.push_back(v);
  parallel_for(0, V * D, kGrainSize * 4, [&](int64_t b, int64_t e) {
    std::memset(static_cast<void*>(gw + b), 0, sizeof(T) * size_t(e - b));
  });
  int64_t per_row = std::max<int64_t>(1, (n / std::max<int64_t>(int64_t(rows.size()), 1)) * D);
  parallel_for(0, int64_t(rows.size()), std::max<int64_t>(1, kGrainSize / per_row), [&](int64_t r0, int64_t r1) {
    std::vector<A> acc(static_cast<size_t>(D));
    for (int64_t r = r0; r < r1; ++r) {
      int64_t v = rows[r], cnt = start[v + 1] - start[v];
      std::fill(acc.begin(), acc.end(), A(0));
      for (int64_t k = start[v]; k < start[v + 1]; ++k) {
        const T* g = go + order[k] * D;
        for (int64_t d = 0; d < D; ++d) acc[d] += A(g[d]);
      }
      A scale = a.scale_grad_by_freq ? A(1) / A(cnt) : A(1);
      T* out = gw + v * D;
      for (int64_t d = 0; d < D; ++d) out[d] = T(acc[d] * scale);
    }
  });
}
}  // namespace

void embedding_backward_kernel(const EmbeddingArgs& a) {
  EMBER_DISPATCH_FLOATING(a.grad_out.dtype, "embedding_backward", [&] { embedding_bwd<scalar_t>(a); });
}

}  // namespace ember::cpu
