#pragma once
// Unaligned load/store and broadcast for GCC vector types in the per-ISA kernels (gemm.cpp,
// conv_direct.cpp). Include inside namespace ember::cpu::EMBER_ISA_NS only.
#include <cstring>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace ember::cpu::EMBER_ISA_NS {

template <class V, class T> inline __attribute__((always_inline)) V vload(const T* p) {
  V v;
  std::memcpy(&v, p, sizeof(V));
  return v;
}
template <class V, class T> inline __attribute__((always_inline)) void vstore(T* p, V v) {
  std::memcpy(p, &v, sizeof(V));
}
// Broadcast x to every lane (one vbroadcastss/sd; folds into the FMA's memory operand).
template <class V, class T> inline __attribute__((always_inline)) V splat(T x) {
#if defined(__AVX512F__)
  if constexpr (sizeof(V) == 64) {
    if constexpr (sizeof(T) == 4) return (V)_mm512_set1_ps(x);
    else return (V)_mm512_set1_pd(x);
  }
#endif
#if defined(__AVX__)
  if constexpr (sizeof(V) == 32) {
    if constexpr (sizeof(T) == 4) return (V)_mm256_set1_ps(x);
    else return (V)_mm256_set1_pd(x);
  }
#endif
  V v;
  for (int l = 0; l < int(sizeof(V) / sizeof(T)); ++l) v[l] = x;
  return v;
}

}  // namespace ember::cpu::EMBER_ISA_NS
