#pragma once
// exp for float (Cephes polynomial, ~1 ulp), branch-free so the compiler vectorises it on every ISA
// (functors::fast_expf keeps libm below AVX-512; this one does not). 0 below the float range, so a
// softmax over -inf masks gives exact zeros; NaN stays NaN. The double overload is libm's exp.
// Shared by the softmax and fused cross-entropy kernels (include only from isa/*.cpp).
#include <cmath>
#include <cstdint>
#include <cstring>

namespace ember::cpu::EMBER_ISA_NS {

inline float exp_fast(float x) {
  float xc = x < -87.33f ? -87.33f : x;
  xc = xc > 88.72f ? 88.72f : xc;
  // round to nearest by the 1.5 * 2^23 trick (no libm call, vectorises)
  float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  int32_t bits = (int32_t(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  float y = p * scale;
  return x < -87.33f ? 0.0f : (x != x ? x : y);
}
inline double exp_fast(double x) { return std::exp(x); }

}  // namespace ember::cpu::EMBER_ISA_NS
