// Random kernels. Element i of a contiguous output draws from Philox counter block
// offset + i / PER (word i % PER when PER elements share a block), so any split of [0, n) across
// threads gives the same numbers. The op layer reserved n blocks, at least what these use.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <vector>

#include "kernels/cpu/iter.h"
#include "kernels/cpu/kernels.h"
#include "kernels/philox.h"

namespace ember::cpu {
namespace {

constexpr double kPi = 3.14159265358979323846;

template <class T> inline T from_bit(bool b) {
  if constexpr (std::is_same_v<T, bool>) return b;
  else return T(opmath_t<T>(b));
}

// Run gen(block, vals) over the blocks covering [0, n) and store vals[j] to out[b * PER + j].
template <int PER, class T, class Gen> void fill_blocks(const RandomArgs& a, T* out, const Gen& gen) {
  int64_t n = a.out.numel();
  int64_t nblocks = (n + PER - 1) / PER;
  parallel_for(0, nblocks, std::max<int64_t>(1, kGrainSize / PER / 4), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      T vals[PER];
      gen(philox4x32(a.seed, a.offset + uint64_t(b)), vals);
      int64_t base = b * PER, m = std::min<int64_t>(PER, n - base);
      for (int64_t j = 0; j < m; ++j) out[base + j] = vals[j];
    }
  });
}

// Floating outputs: per-dtype precision (float types use 24-bit uniforms, 4 per block; double 53, 2).
template <class T, class F> void fill_uniform_based(const RandomArgs& a, const F& f) {
  T* out = reinterpret_cast<T*>(a.out.data);
  if constexpr (std::is_same_v<T, double>) {
    fill_blocks<2, T>(a, out, [&](const Philox4& r, T* v) {
      v[0] = f(uniform53(r.v[0], r.v[1]));
      v[1] = f(uniform53(r.v[2], r.v[3]));
    });
  } else {
    fill_blocks<4, T>(a, out, [&](const Philox4& r, T* v) {
      for (int j = 0; j < 4; ++j) v[j] = T(f(double(uniform24(r.v[j]))));
    });
  }
}

// Box-Muller for float outputs over n pairs, written branch-free so the compiler can vectorise it:
// log and sin/cos are Cephes-style float polynomials (about 1 ulp); the angle 2*pi*k/2^24 is reduced
// to [-pi/4, pi/4] exactly from the integer k, so no general range reduction is needed.
// n <= 32 pairs; z gets 2n values. Works on de-interleaved arrays so the main loop vectorises.
void box_muller_f(const uint32_t* w, int n, float* z) {
  uint32_t wa[32], wb[32];
  float t[32], zc[32], zs[32];
  for (int p = 0; p < n; ++p) {
    wa[p] = w[2 * p];
    wb[p] = w[2 * p + 1];
  }
  for (int p = 0; p < 32; ++p) {
    // log(u1), u1 = 1 - k/2^24 in (0, 1]
    float x = 1.0f - float(wa[p] >> 8) * (1.0f / 16777216.0f);
    uint32_t bits;
    std::memcpy(&bits, &x, 4);
    float e = float(int32_t(bits >> 23) - 127);
    uint32_t mbits = (bits & 0x7fffffu) | 0x3f800000u;
    float m;
    std::memcpy(&m, &mbits, 4);
    float big = float(int32_t(mbits > 0x3fb504f3u));  // m > sqrt(2), branch-free
    m *= 1.0f - 0.5f * big;
    e += big;
    float f = m - 1.0f, f2 = f * f;
    float y = 7.0376836292e-2f;
    y = y * f - 1.1514610310e-1f;
    y = y * f + 1.1676998740e-1f;
    y = y * f - 1.2420140846e-1f;
    y = y * f + 1.4249322787e-1f;
    y = y * f - 1.6668057665e-1f;
    y = y * f + 2.0000714765e-1f;
    y = y * f - 2.4999993993e-1f;
    y = y * f + 3.3333331174e-1f;
    y = y * f * f2 - 2.12194440e-4f * e - 0.5f * f2;
    t[p] = -2.0f * (f + y + 0.693359375f * e);
    // sin/cos of 2*pi*k/2^24: octant j (rounded to even) and remainder r in [-pi/4, pi/4]
    int32_t k = int32_t(wb[p] >> 8);
    int32_t j = ((k >> 21) + 1) & ~1;
    float r = float(k - (j << 21)) * float(kPi / 4 / 2097152.0);
    int32_t q = (j >> 1) & 3;
    float r2 = r * r;
    float sp = ((-1.9515295891e-4f * r2 + 8.3321608736e-3f) * r2 - 1.6666654611e-1f) * r2 * r + r;
    float cp = ((2.443315711809948e-5f * r2 - 1.388731625493765e-3f) * r2 + 4.166664568298827e-2f) * r2 * r2 -
               0.5f * r2 + 1.0f;
    // Quadrant q: swap (odd q) and sign flips by bit masks, no branches on random data.
    uint32_t sb, cb;
    std::memcpy(&sb, &sp, 4);
    std::memcpy(&cb, &cp, 4);
    uint32_t swap = 0u - uint32_t(q & 1);
    uint32_t snb = ((sb & ~swap) | (cb & swap)) ^ (uint32_t(q & 2) << 30);
    uint32_t csb = ((cb & ~swap) | (sb & swap)) ^ (uint32_t((q + 1) & 2) << 30);
    std::memcpy(&zs[p], &snb, 4);
    std::memcpy(&zc[p], &csb, 4);
  }
  // sqrt apart: with errno semantics it does not vectorise, and must not block the loop above.
  for (int p = 0; p < n; ++p) {
    float rad = std::sqrt(t[p]);
    z[2 * p] = zc[p] * rad;
    z[2 * p + 1] = zs[p] * rad;
  }
}

}  // namespace

void uniform_kernel(const RandomArgs& a) {
  double from = a.a, to = a.b, range = to - from;
  EMBER_DISPATCH_FLOATING(a.out.dtype, "uniform_", [&] {
    fill_uniform_based<scalar_t>(a, [&](double u) {
      double v = from + u * range;
      // Rounding to the output type must not reach `to`: [from, to) as PyTorch.
      if (double(opmath_t<scalar_t>(scalar_t(v))) >= to && range > 0) v = from;
      return v;
    });
  });
}

void normal_kernel(const RandomArgs& a) {
  double mean = a.a, sd = a.b;
  EMBER_DISPATCH_FLOATING(a.out.dtype, "normal_", [&] {
    scalar_t* out = reinterpret_cast<scalar_t*>(a.out.data);
    if constexpr (std::is_same_v<scalar_t, double>) {
      fill_blocks<2, double>(a, reinterpret_cast<double*>(a.out.data), [&](const Philox4& r, double* v) {
        double u1 = 1.0 - uniform53(r.v[0], r.v[1]), u2 = uniform53(r.v[2], r.v[3]);  // u1 in (0, 1]
        double rad = std::sqrt(-2.0 * std::log(u1));
        double s, c;
        ::sincos(2 * kPi * u2, &s, &c);
        v[0] = mean + sd * rad * c;
        v[1] = mean + sd * rad * s;
      });
    } else {
      // 16 blocks (64 values) at a time: bits first, then the vectorisable transform.
      constexpr int64_t kBlocks = 16;
      int64_t n = a.out.numel(), nchunks = (n + 4 * kBlocks - 1) / (4 * kBlocks);
      float fm = float(mean), fs = float(sd);
      parallel_for(0, nchunks, std::max<int64_t>(1, kGrainSize / (4 * kBlocks) / 4), [&](int64_t c0, int64_t c1) {
        uint32_t w[4 * kBlocks];
        float z[4 * kBlocks];
        for (int64_t c = c0; c < c1; ++c) {
          for (int64_t b = 0; b < kBlocks; ++b) {
            Philox4 r = philox4x32(a.seed, a.offset + uint64_t(c * kBlocks + b));
            for (int j = 0; j < 4; ++j) w[4 * b + j] = r.v[j];
          }
          box_muller_f(w, int(2 * kBlocks), z);
          int64_t base = c * 4 * kBlocks, m = std::min<int64_t>(4 * kBlocks, n - base);
          for (int64_t i = 0; i < m; ++i) out[base + i] = scalar_t(fm + fs * z[i]);
        }
      });
    }
  });
}

void random_int_kernel(const RandomArgs& a) {
  int64_t low = a.low;
  uint64_t range = a.range;
  EMBER_DISPATCH_ALL(a.out.dtype, "random_", [&] {
    scalar_t* out = reinterpret_cast<scalar_t*>(a.out.data);
    auto cast = [](int64_t x) {
      if constexpr (std::is_same_v<scalar_t, bool>) return x != 0;
      else return scalar_t(opmath_t<scalar_t>(x));
    };
    if (range != 0 && range <= (uint64_t(1) << 32)) {
      fill_blocks<4, scalar_t>(a, out, [&](const Philox4& r, scalar_t* v) {
        for (int j = 0; j < 4; ++j) v[j] = cast(int64_t(uint64_t(low) + uint64_t(r.v[j]) % range));
      });
    } else {
      fill_blocks<2, scalar_t>(a, out, [&](const Philox4& r, scalar_t* v) {
        for (int j = 0; j < 2; ++j) {
          uint64_t x = (uint64_t(r.v[2 * j]) << 32) | r.v[2 * j + 1];
          v[j] = cast(int64_t(uint64_t(low) + (range ? x % range : x)));
        }
      });
    }
  });
}

// The dropout mask path: 4 draws per block, compare against p.
void bernoulli_scalar_kernel(const RandomArgs& a) {
  // u < p with u = k / 2^24: compare the integer k against ceil(p * 2^24) exactly.
  double pf = std::ceil(a.a * 16777216.0);
  uint32_t thresh = uint32_t(std::min(pf, 16777216.0));
  EMBER_DISPATCH_ALL(a.out.dtype, "bernoulli_", [&] {
    scalar_t* out = reinterpret_cast<scalar_t*>(a.out.data);
    // Branch-free: with p near 0.5 a branch mispredicts half the time.
    fill_blocks<4, scalar_t>(a, out, [&](const Philox4& r, scalar_t* v) {
      for (int j = 0; j < 4; ++j) v[j] = from_bit<scalar_t>((r.v[j] >> 8) < thresh);
    });
  });
}

void bernoulli_tensor_kernel(const RandomArgs& a) {
  EMBER_DISPATCH_FLOATING(a.in[0].dtype, "bernoulli", [&] {
    using p_t = scalar_t;
    const p_t* p = reinterpret_cast<const p_t*>(a.in[0].data);
    int64_t n = a.out.numel();
    EMBER_DISPATCH_ALL(a.out.dtype, "bernoulli", [&] {
      scalar_t* out = reinterpret_cast<scalar_t*>(a.out.data);
      int64_t nblocks = (n + 3) / 4;
      parallel_for(0, nblocks, kGrainSize / 16, [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
          Philox4 r = philox4x32(a.seed, a.offset + uint64_t(b));
          for (int64_t j = 0, i = b * 4; j < 4 && i < n; ++j, ++i)
            out[i] = from_bit<scalar_t>(double(uniform24(r.v[j])) < double(opmath_t<p_t>(p[i])));
        }
      });
    });
  });
}

void exponential_kernel(const RandomArgs& a) {
  double lambd = a.a;
  EMBER_DISPATCH_FLOATING(a.out.dtype, "exponential_", [&] {
    fill_uniform_based<scalar_t>(a, [&](double u) {
      double v = -std::log1p(-u) / lambd;
      return v == 0 ? std::numeric_limits<double>::min() : v;  // (0, inf) as PyTorch
    });
  });
}

void geometric_kernel(const RandomArgs& a) {
  double lp = std::log1p(-a.a);
  EMBER_DISPATCH_NUMERIC(a.out.dtype, "geometric_", [&] {
    scalar_t* out = reinterpret_cast<scalar_t*>(a.out.data);
    fill_blocks<2, scalar_t>(a, out, [&](const Philox4& r, scalar_t* v) {
      for (int j = 0; j < 2; ++j) {
        double u = 1.0 - uniform53(r.v[2 * j], r.v[2 * j + 1]);  // (0, 1]
        double k = lp == 0 ? std::numeric_limits<double>::infinity() : std::ceil(std::log(u) / lp);
        if (!(k >= 1)) k = 1;
        v[j] = scalar_t(opmath_t<scalar_t>(k));
      }
    });
  });
}

void cauchy_kernel(const RandomArgs& a) {
  double median = a.a, sigma = a.b;
  EMBER_DISPATCH_FLOATING(a.out.dtype, "cauchy_", [&] {
    fill_uniform_based<scalar_t>(a, [&](double u) { return median + sigma * std::tan(kPi * (u - 0.5)); });
  });
}

void log_normal_kernel(const RandomArgs& a) {
  normal_kernel(a);
  EMBER_DISPATCH_FLOATING(a.out.dtype, "log_normal_", [&] {
    scalar_t* out = reinterpret_cast<scalar_t*>(a.out.data);
    int64_t n = a.out.numel();
    parallel_for(0, n, kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) out[i] = scalar_t(std::exp(opmath_t<scalar_t>(out[i])));
    });
  });
}

// Fisher-Yates, sequential: step k (swapping position n-1-k) uses the word pair k of the stream.
void randperm_kernel(const RandomArgs& a) {
  int64_t* out = reinterpret_cast<int64_t*>(a.out.data);
  int64_t n = a.out.numel();
  EMBER_CHECK(a.out.dtype == Dtype::Int64, Runtime, "[ember.randperm] kernel expects an int64 output");
  for (int64_t i = 0; i < n; ++i) out[i] = i;
  Philox4 r{};
  for (int64_t i = n - 1, k = 0; i > 0; --i, ++k) {
    if (k % 2 == 0) r = philox4x32(a.seed, a.offset + uint64_t(k / 2));
    int w = int(k % 2) * 2;
    uint64_t x = (uint64_t(r.v[w]) << 32) | r.v[w + 1];
    int64_t j = int64_t(x % uint64_t(i + 1));
    std::swap(out[i], out[j]);
  }
}

// probs: float64 (rows, cols) contiguous, checked by the op; out: int64 (rows, n) contiguous.
void multinomial_kernel(const RandomArgs& a) {
  const double* probs = reinterpret_cast<const double*>(a.in[0].data);
  int64_t* out = reinterpret_cast<int64_t*>(a.out.data);
  int64_t rows = a.rows, cols = a.cols, n = a.out.numel() / std::max<int64_t>(rows, 1);
  // Element e of the stream uses the word pair e % 2 of block e / 2.
  auto draw = [&](int64_t e) {
    Philox4 r = philox4x32(a.seed, a.offset + uint64_t(e / 2));
    int w = int(e % 2) * 2;
    return uniform53(r.v[w], r.v[w + 1]);
  };
  parallel_for(0, rows, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(cols, 1)), [&](int64_t r0, int64_t r1) {
    std::vector<double> work(static_cast<size_t>(cols));
    std::vector<int64_t> idx(static_cast<size_t>(cols));
    for (int64_t r = r0; r < r1; ++r) {
      const double* p = probs + r * cols;
      int64_t* o = out + r * n;
      if (a.flag) {  // with replacement: inverse CDF
        double total = 0;
        for (int64_t j = 0; j < cols; ++j) work[j] = total += p[j];
        for (int64_t s = 0; s < n; ++s) {
          double x = draw(r * n + s) * total;
          int64_t k = int64_t(std::upper_bound(work.begin(), work.end(), x) - work.begin());
          k = std::min(k, cols - 1);
          while (k > 0 && p[k] == 0) --k;  // rounding at the top end
          o[s] = k;
        }
      } else {  // without: the n largest p_j / E_j, E_j ~ Exp(1) (an exponential race)
        for (int64_t j = 0; j < cols; ++j) {
          double e = -std::log1p(-draw(r * cols + j));
          work[j] = p[j] > 0 ? p[j] / std::max(e, 1e-300) : -1.0;
        }
        std::iota(idx.begin(), idx.end(), int64_t(0));
        std::partial_sort(idx.begin(), idx.begin() + n, idx.end(), [&](int64_t x, int64_t y) {
          return work[x] > work[y] || (work[x] == work[y] && x < y);
        });
        std::copy(idx.begin(), idx.begin() + n, o);
      }
    }
  });
}

}  // namespace ember::cpu
