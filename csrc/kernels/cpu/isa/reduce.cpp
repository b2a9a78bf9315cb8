// Reduction kernels, compiled per ISA.
#include "kernels/cpu/cast.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/reduce_loop.h"

namespace ember::cpu::EMBER_ISA_NS {

namespace {
// Sum of n strided values with 8 independent accumulators (vectorises; fixed order).
template <class in_t, class acc_t> acc_t strided_sum(const in_t* p, int64_t n, int64_t stride) {
  acc_t lanes[8] = {};
  int64_t i = 0;
  if (stride == 1) {
    for (; i + 8 <= n; i += 8)
      for (int l = 0; l < 8; ++l) lanes[l] += acc_t(p[i + l]);
  }
  for (; i < n; ++i) lanes[0] += acc_t(p[i * stride]);
  return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}
}  // namespace

void sum_kernel(const ReduceArgs& a) {
  // The output dtype is the accumulation dtype chosen by the op; the input is cast to it first.
  EMBER_DISPATCH_ALL(a.out.dtype, "sum", [&] {
    using out_t = scalar_t;
    using acc_t = std::conditional_t<std::is_same_v<out_t, bool>, int64_t, opmath_t<out_t>>;
    out_t* out = reinterpret_cast<out_t*>(a.out.data);
    reduce_each_output<out_t, acc_t>(
        a, acc_t(0),
        [](acc_t acc, const out_t* p, int64_t n, int64_t s, int64_t) { return acc + strided_sum<out_t, acc_t>(p, n, s); },
        [out](int64_t off, acc_t acc) { out[off] = cast_value<out_t>(acc); });
  });
}

namespace {
template <bool kAny> void any_all(const ReduceArgs& a, const char* name) {
  bool* out = reinterpret_cast<bool*>(a.out.data);
  EMBER_DISPATCH_ALL(a.in.dtype, name, [&] {
    using in_t = scalar_t;
    reduce_each_output<in_t, bool>(
        a, !kAny,
        [](bool acc, const in_t* p, int64_t n, int64_t s, int64_t) {
          for (int64_t i = 0; i < n; ++i) {
            bool v = cast_value<bool>(p[i * s]);
            acc = kAny ? (acc || v) : (acc && v);
          }
          return acc;
        },
        [out](int64_t off, bool acc) { out[off] = acc; });
  });
}
}  // namespace

void any_kernel(const ReduceArgs& a) { any_all<true>(a, "any"); }
void all_kernel(const ReduceArgs& a) { any_all<false>(a, "all"); }

}  // namespace ember::cpu::EMBER_ISA_NS
