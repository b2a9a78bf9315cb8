// GEMM, compiled per ISA. Placeholder: row-panel loop that vectorises over N and runs in parallel
// over M. The packed, register-blocked GEMM replaces it (kernels issue).
#include <vector>

#include "kernels/cpu/isa.h"
#include "kernels/cpu/iter.h"

namespace ember::cpu::EMBER_ISA_NS {

namespace {
template <class T>
void gemm_simple(const GemmArgs& g) {
  const T alpha = T(g.alpha), beta = T(g.beta);
  for (int64_t bi = 0; bi < g.batch; ++bi) {
    const T* A = reinterpret_cast<const T*>(g.a) + bi * g.a_batch_stride;
    const T* B = reinterpret_cast<const T*>(g.b) + bi * g.b_batch_stride;
    T* C = reinterpret_cast<T*>(g.c) + bi * g.c_batch_stride;
    int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, g.n * g.k / 64));
    parallel_for(0, g.m, grain, [&](int64_t mb, int64_t me) {
      std::vector<T> row(size_t(g.n));
      std::vector<T> brow(size_t(g.n));
      for (int64_t i = mb; i < me; ++i) {
        std::fill(row.begin(), row.end(), T(0));
        for (int64_t p = 0; p < g.k; ++p) {
          const T aip = A[i * g.a_row_stride + p * g.a_col_stride];
          const T* bp = B + p * g.b_row_stride;
          if (g.b_col_stride == 1) {
            for (int64_t j = 0; j < g.n; ++j) row[j] += aip * bp[j];
          } else {
            for (int64_t j = 0; j < g.n; ++j) row[j] += aip * bp[j * g.b_col_stride];
          }
        }
        T* ci = C + i * g.c_row_stride;
        for (int64_t j = 0; j < g.n; ++j) {
          T v = alpha * row[j];
          ci[j * g.c_col_stride] = beta == T(0) ? v : v + beta * ci[j * g.c_col_stride];
        }
      }
    });
  }
}
}  // namespace

void gemm_kernel(const GemmArgs& g) {
  switch (g.dtype) {
    case Dtype::Float32: return gemm_simple<float>(g);
    case Dtype::Float64: return gemm_simple<double>(g);
    default: EMBER_FAIL(Type, "[ember.matmul] not implemented for dtype ", dtype_name(g.dtype));
  }
}

}  // namespace ember::cpu::EMBER_ISA_NS
