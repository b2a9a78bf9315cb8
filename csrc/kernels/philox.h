#pragma once
// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a
// counter-based generator. Block `ctr` under key `seed` gives four independent 32-bit words.
// Shared by the CPU and (later) CUDA kernels, so a seed gives the same numbers on every device.
#include <cstdint>

#ifndef EMBER_HOST_DEVICE
#if defined(__CUDACC__)
#define EMBER_HOST_DEVICE __host__ __device__
#else
#define EMBER_HOST_DEVICE
#endif
#endif

namespace ember {

struct Philox4 {
  uint32_t v[4];
};

EMBER_HOST_DEVICE inline Philox4 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                                                uint32_t k1) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // round multipliers
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // Weyl key increments
  for (int r = 0; r < 10; ++r) {
    uint64_t p0 = uint64_t(kM0) * c0, p1 = uint64_t(kM1) * c2;
    uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0), hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += kW0;
    k1 += kW1;
  }
  return {{c0, c1, c2, c3}};
}

// Counter (ctr, 0), key = seed.
EMBER_HOST_DEVICE inline Philox4 philox4x32(uint64_t seed, uint64_t ctr) {
  return philox4x32_10(uint32_t(ctr), uint32_t(ctr >> 32), 0, 0, uint32_t(seed), uint32_t(seed >> 32));
}

// Uniform floats from random bits: [0, 1) with the target type's precision.
EMBER_HOST_DEVICE inline float uniform24(uint32_t x) { return float(x >> 8) * (1.0f / 16777216.0f); }
EMBER_HOST_DEVICE inline double uniform53(uint32_t hi, uint32_t lo) {
  return double(((uint64_t(hi) << 32) | lo) >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace ember
