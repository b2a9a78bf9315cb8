// Fused dropout, compiled per ISA: the Philox mask and the scaling in one pass. Element i uses
// word i % 4 of counter block offset + i / 4, so any split across threads gives the same mask.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/parallel.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/iter.h"
#include "kernels/philox.h"

namespace ember::cpu::EMBER_ISA_NS {

namespace {

constexpr int64_t kBlocks = 64;  // Philox blocks per batch (256 elements)

template <class T> void dropout_fwd(const DropoutArgs& a) {
  using A = opmath_t<T>;
  const T* in = reinterpret_cast<const T*>(a.in.data);
  T* out = reinterpret_cast<T*>(a.out.data);
  bool* mask = reinterpret_cast<bool*>(a.mask.data);
  int64_t n = a.in.numel(), nbatch = (n + 4 * kBlocks - 1) / (4 * kBlocks);
  // keep when the 24-bit uniform u < 1 - p, i.e. when the top 24 bits are below ceil((1 - p) * 2^24)
  const double keep = 1.0 - a.p;
  const uint32_t limit = uint32_t(std::min(16777216.0, std::ceil(keep * 16777216.0)));
  const A scale = A(a.scale);
  parallel_for(0, nbatch, std::max<int64_t>(1, kGrainSize / (4 * kBlocks)), [&](int64_t b0, int64_t b1) {
    uint32_t words[4 * kBlocks];
    for (int64_t bt = b0; bt < b1; ++bt) {
      uint64_t ctr = a.offset + uint64_t(bt) * kBlocks;
      for (int64_t k = 0; k < kBlocks; ++k) {
        Philox4 r = philox4x32(a.seed, ctr + uint64_t(k));
        for (int j = 0; j < 4; ++j) words[4 * k + j] = r.v[j];
      }
      int64_t base = bt * 4 * kBlocks, m = std::min<int64_t>(4 * kBlocks, n - base);
      const T* x = in + base;
      T* y = out + base;
      bool* mk = mask + base;
      for (int64_t i = 0; i < m; ++i) {
        bool k = (words[i] >> 8) < limit;
        mk[i] = k;
        y[i] = k ? T(A(x[i]) * scale) : T(0);
      }
    }
  });
}

template <class T> void dropout_bwd(const DropoutArgs& a) {
  using A = opmath_t<T>;
  const T* g = reinterpret_cast<const T*>(a.in.data);
  T* out = reinterpret_cast<T*>(a.out.data);
  const bool* mask = reinterpret_cast<const bool*>(a.mask.data);
  const A scale = A(a.scale);
  parallel_for(0, a.in.numel(), kGrainSize, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = mask[i] ? T(A(g[i]) * scale) : T(0);
  });
}

}  // namespace

void dropout_forward_kernel(const DropoutArgs& a) {
  EMBER_DISPATCH_FLOATING(a.in.dtype, "dropout", [&] { dropout_fwd<scalar_t>(a); });
}
void dropout_backward_kernel(const DropoutArgs& a) {
  EMBER_DISPATCH_FLOATING(a.in.dtype, "dropout_backward", [&] { dropout_bwd<scalar_t>(a); });
}

}  // namespace ember::cpu::EMBER_ISA_NS
