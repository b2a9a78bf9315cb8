#pragma once
// Shared by the per-ISA division kernels (isa/elementwise.cpp, isa/binary.cpp). Include only from
// files compiled per ISA: the function lives in that ISA's namespace.
#include "kernels/cpu/iter.h"

namespace ember::cpu::EMBER_ISA_NS {

// Integer division by zero raises (as PyTorch's ZeroDivisionError) instead of trapping.
inline void check_nonzero_divisor(const View& b, const char* name) {
  if (is_floating_point(b.dtype)) return;
  StridedLoop loop({&b});
  bool zero = false;
  EMBER_DISPATCH_ALL(b.dtype, name, [&] {
    loop.for_each(
        [&](char** p, const int64_t* s, int64_t n) {
          for (int64_t i = 0; i < n; ++i)
            if (*reinterpret_cast<const scalar_t*>(p[0] + i * s[0]) == scalar_t(0)) zero = true;
        },
        INT64_MAX);
  });
  EMBER_CHECK(!zero, Runtime, "[ember.", name, "] ZeroDivisionError: integer division by zero");
}

}  // namespace ember::cpu::EMBER_ISA_NS
