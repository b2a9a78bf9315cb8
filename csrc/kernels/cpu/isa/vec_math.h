#pragma once
// Vectorised float32 math for the per-ISA kernels (include only from isa/*.cpp).
//
// Note [float32 math in double lanes]: each float lane is widened to double, the function is
// evaluated there (Cody-Waite range reduction, Taylor / Chebyshev-fitted polynomials with relative
// error below 1e-10), and the result is rounded once to float. That keeps every function within
// 1 ulp of the correctly rounded float (nearly always exact) with no double-float tricks, at half
// the lane count of float arithmetic, which still leaves these loops near memory speed.
// Lanes outside a function's vector domain (NaN, inf, huge arguments, poles) are recomputed with
// the scalar functor, lane by lane, so a result depends only on its input value (never on where
// the vector boundaries fall, hence not on the thread count).
// Written with GCC vector extensions: one source for AVX-512 (8 double lanes), AVX2 (4) and the
// baseline build (2 lanes of SSE2).
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "kernels/cpu/iter.h"

// Wide vector types in inline functions only: no ABI crosses a call.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace ember::cpu::EMBER_ISA_NS::vmath {

// kW float lanes widen to one native register of doubles (8 on AVX-512, 4 on AVX2, 2 on SSE2):
// wider GCC vectors get split poorly and run several times slower.
#if defined(__AVX512F__)
constexpr int kW = 8;
#elif defined(__AVX2__)
constexpr int kW = 4;
#else
constexpr int kW = 2;
#endif
typedef float vf __attribute__((vector_size(kW * 4)));
typedef int32_t vi __attribute__((vector_size(kW * 4)));
typedef double vd __attribute__((vector_size(kW * 8)));
typedef int64_t vl __attribute__((vector_size(kW * 8)));

inline vd splat(double c) { return vd{} + c; }
inline vd widen(vf x) { return __builtin_convertvector(x, vd); }
inline vf narrow(vd x) { return __builtin_convertvector(x, vf); }
inline vd vabs(vd x) { return (vd)((vl)x & 0x7fffffffffffffffLL); }
inline vf vabs(vf x) { return (vf)((vi)x & 0x7fffffff); }
inline vd vmin(vd a, vd b) { return a < b ? a : b; }
inline vd vmax(vd a, vd b) { return a > b ? a : b; }
inline vd vsqrt(vd x) {
  vd r;
  for (int i = 0; i < kW; ++i) r[i] = __builtin_sqrt(x[i]);  // vectorised to vsqrtpd at -O3
  return r;
}
// x with the sign of s.
inline vd with_sign(vd x, vd s) { return (vd)(((vl)x & 0x7fffffffffffffffLL) | ((vl)s & (int64_t)0x8000000000000000ULL)); }

inline bool any(vi m) {
#if defined(__AVX2__)
  if constexpr (sizeof(vi) == 32) {
    __m256i v;
    std::memcpy(&v, &m, sizeof v);
    return !_mm256_testz_si256(v, v);
  }
#endif
#if defined(__SSE2__)
  if constexpr (sizeof(vi) == 16) {
    __m128i v;
    std::memcpy(&v, &m, sizeof v);
    return _mm_movemask_epi8(v) != 0;
  }
#endif
  if constexpr (sizeof(vi) == 8) {
    uint64_t v;
    std::memcpy(&v, &m, sizeof v);
    return v != 0;
  }
  int r = 0;
  for (int i = 0; i < kW; ++i) r |= m[i];
  return r != 0;
}

// Horner: c[0] is the highest-degree coefficient.
template <int N> inline vd poly(vd x, const double (&c)[N]) {
  vd p = splat(c[0]);
  for (int i = 1; i < N; ++i) p = p * x + c[i];
  return p;
}

// Round to the nearest integer (|x| < 2^51): the value, and the same as an int64 lane.
constexpr double kMagic = 6755399441055744.0;  // 1.5 * 2^52
constexpr int64_t kMagicBits = 0x4338000000000000LL;
inline vd round_int(vd x, vl* n) {
  vd t = x + kMagic;
  *n = (vl)t - kMagicBits;
  return t - kMagic;
}
inline vd int_to_double(vl n) { return (vd)(n + kMagicBits) - kMagic; }  // |n| < 2^51

// ---- exp, expm1 (double lanes)
// exp(x) for x clamped to [-708, 708]: n = round(x / ln2), r = x - n ln2 in two parts,
// Taylor to r^11 (|r| <= 0.347: truncation below 1e-14), times 2^n.
inline vd exp_d(vd x) {
  x = vmin(vmax(x, splat(-708.0)), splat(708.0));
  vl n;
  vd nd = round_int(x * 1.4426950408889634, &n);
  vd r = x - nd * 6.93147180369123816490e-01;
  r = r - nd * 1.90821492927058770002e-10;
  static constexpr double c[] = {1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720,
                                 1.0 / 120,      1.0 / 24,      1.0 / 6,      0.5,          1.0,        1.0};
  vd p = poly(r, c);
  return p * (vd)((n + 1023) << 52);
}
// exp(x) - 1: Taylor to x^13 for |x| < 0.5 (no cancellation), exp(x) - 1 elsewhere.
inline vd expm1_d(vd x) {
  static constexpr double c[] = {1.0 / 6227020800, 1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880,
                                 1.0 / 40320,      1.0 / 5040,      1.0 / 720,      1.0 / 120,     1.0 / 24,
                                 1.0 / 6,          0.5,             1.0};
  vd small = poly(x, c) * x;
  return vabs(x) < 0.5 ? small : exp_d(x) - 1.0;
}

// ---- log (double lanes, x > 0 and finite): x = 2^e * m with m in [sqrt(1/2), sqrt(2)),
// log(m) = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.1716, series to s^19.
inline void log_parts(vd x, vd* e, vd* lm) {
  vl bits = (vl)x;
  vl ex = ((bits >> 52) & 0x7ff) - 1023;
  vd m = (vd)((bits & 0x000fffffffffffffLL) | 0x3ff0000000000000LL);
  vl big = m > 1.4142135623730951;
  m = big ? m * 0.5 : m;
  ex = ex - big;  // big is -1 where true
  *e = int_to_double(ex);
  vd s = (m - 1.0) / (m + 1.0), s2 = s * s;
  static constexpr double c[] = {2.0 / 19, 2.0 / 17, 2.0 / 15, 2.0 / 13, 2.0 / 11, 2.0 / 9, 2.0 / 7, 2.0 / 5, 2.0 / 3};
  *lm = 2.0 * s + s * s2 * poly(s2, c);
}
constexpr double kLn2 = 0.6931471805599453;
inline vd log_d(vd x) {
  vd e, lm;
  log_parts(x, &e, &lm);
  return e * kLn2 + lm;
}
// log(1 + x) for x > -1: a short Taylor series where 1 + x would round, log(1 + x) elsewhere.
inline vd log1p_d(vd x) {
  static constexpr double c[] = {-1.0 / 6, 1.0 / 5, -1.0 / 4, 1.0 / 3, -0.5, 1.0};
  vd small = poly(x, c) * x;
  return vabs(x) < 1e-4 ? small : log_d(x + 1.0);
}

// ---- sin, cos, tan (double lanes, |x| <= 1.6e6): q = round(x * 2/pi), r = x - q pi/2 with pi/2
// in three parts (the first two 33 bits, so q * part is exact for q < 2^20), |r| <= pi/4.
constexpr float kTrigMax = 1.6e6f;
inline vd reduce_pio2(vd x, vl* q) {
  vd qd = round_int(x * 0.6366197723675814, q);
  vd r = x - qd * 1.5707963267341256;
  r = r - qd * 6.077100506303966e-11;
  r = r - qd * 2.0222662487959506e-21;
  return r;
}
inline vd sin_poly(vd r) {  // |r| <= pi/4, to r^13
  static constexpr double c[] = {1.0 / 6227020800, -1.0 / 39916800, 1.0 / 362880, -1.0 / 5040, 1.0 / 120, -1.0 / 6};
  vd r2 = r * r;
  return r + r * r2 * poly(r2, c);
}
inline vd cos_poly(vd r) {  // |r| <= pi/4, to r^14
  static constexpr double c[] = {-1.0 / 87178291200, 1.0 / 479001600, -1.0 / 3628800, 1.0 / 40320, -1.0 / 720,
                                 1.0 / 24,           -0.5,            1.0};
  return poly(r * r, c);
}
// sin(x) for shift = 0, cos(x) = sin(x + pi/2) for shift = 1.
inline vd sin_d(vd x, int shift) {
  vl q;
  vd r = reduce_pio2(x, &q);
  q = q + shift;
  vd s = sin_poly(r), c = cos_poly(r);
  vd v = (q & 1) != 0 ? c : s;
  return (q & 2) != 0 ? -v : v;
}
inline vd tan_d(vd x) {
  vl q;
  vd r = reduce_pio2(x, &q);
  vd s = sin_poly(r), c = cos_poly(r);
  return (q & 1) != 0 ? -c / s : s / c;
}

// ---- erf, erfc (double lanes). Polynomials are Chebyshev fits refined toward minimax; the float result
// needs ~1e-9, not double accuracy, which keeps erf short.
// |z| < 1: erf(z) = z P(2 z^2 - 1), degree 6, relative error < 1.3e-9.
inline vd erf_small(vd z) {
  static constexpr double c[] = {0x1.496a281982a00p-20, -0x1.286f2d78b7bfap-16, 0x1.c82b759352a62p-13,
                                 -0x1.2b8df6a21faf5p-9, 0x1.4543666c251bap-6,   -0x1.1fd163ab7e254p-3,
                                 0x1.ee51eb24b58bap-1};
  return z * poly(2.0 * (z * z) - 1.0, c);
}
// erf(z) for 1 <= z: 1 - exp(-z^2) R(z), R = erfcx fitted on [1, 3.95] (degree 8 in t = (z - 2.475) / 1.475,
// absolute error of erfc < 2.5e-9); beyond 3.95 erf rounds to 1.0f and the clamped R only scales a
// value far below half an ulp of 1. exp by Taylor to r^8 (relative error < 3e-10).
inline vd erf_large(vd z) {
  static constexpr double c[] = {0x1.39c1b4d565938p-9,  0x1.9589f2aef6780p-9, 0x1.555c7118cd065p-8,
                                 -0x1.527a313915d50p-8, 0x1.72b669afef8eap-7, -0x1.b7e6c4f7566eap-6,
                                 0x1.c71296151dbbcp-5,  -0x1.c8c3d4c21dbd6p-4, 0x1.b3928c028782cp-3};
  static constexpr double e[] = {1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1.0, 1.0};
  vd x = vmax(-(z * z), splat(-700.0));
  vl n;
  vd nd = round_int(x * 1.4426950408889634, &n);
  vd r = x - nd * 6.93147180369123816490e-01 - nd * 1.90821492927058770002e-10;
  vd ez = poly(r, e) * (vd)((n + 1023) << 52);
  vd t = (vmin(z, splat(3.95)) - 2.475) * (1.0 / 1.475);
  return 1.0 - ez * poly(t, c);
}
// erfc(z) for z >= 1, accurate relative to erfc itself (gelu's left tail needs it): erfc(z) = exp(-z^2) u G(u)
// with u = 1/z and G(u) = z erfcx(z) fitted on u in [1/10.6, 1] (degree 16 in t = (u - 0.547) / 0.453, rel.
// error < 2e-11); beyond z = 10.6 erfc underflows in float and the clamped G only scales a zero.
inline vd erfc_large(vd z) {
  static constexpr double c[] = {1.100182360526028e-06,   -1.3868023879088603e-06, -3.989317045863661e-06,
                                 8.60138351671819e-06,    -5.5021301217003045e-06, 1.771438288345443e-06,
                                 1.0160411387240926e-05,  -5.8593386768449285e-05, 0.00015618616416177396,
                                 -0.0002536061127953528,  0.00011200976245853787,  0.0009477678840464118,
                                 -0.004108873870930605,   0.009235118576743726,    -0.004347920862197869,
                                 -0.07694375657677029,    0.5028344894190874};
  constexpr double lo = 1.0 / 10.6, mid = (lo + 1.0) / 2, half = (1.0 - lo) / 2;
  vd u = 1.0 / z;
  vd t = (vmax(u, splat(lo)) - mid) * (1.0 / half);
  return exp_d(-(z * z)) * u * poly(t, c);
}
inline vd erf_d(vd z) {
  vd az = vabs(z);
  vd big = with_sign(erf_large(vmax(az, splat(1.0))), z);
  return az < 1.0 ? erf_small(z) : big;
}
inline vd erfc_d(vd z) {
  vd az = vabs(z);
  vd e = erfc_large(vmax(az, splat(1.0)));
  vd big = z > 0.0 ? e : 2.0 - e;
  return az < 1.0 ? 1.0 - erf_small(z) : big;
}

// ---- more functions of one float lane (double lanes)
inline vd log2_d(vd x) {
  vd e, lm;
  log_parts(x, &e, &lm);
  return e + lm * 1.4426950408889634;
}
// 2^x: n = round(x), 2^(x - n) by Taylor in (x - n) ln2 (exact for integer x).
inline vd exp2_d(vd x) {
  x = vmin(vmax(x, splat(-1020.0)), splat(1020.0));
  vl n;
  vd r = (x - round_int(x, &n)) * kLn2;
  static constexpr double c[] = {1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720,
                                 1.0 / 120,      1.0 / 24,      1.0 / 6,      0.5,          1.0,        1.0};
  vd p = poly(r, c);
  vl n1 = n >> 1, n2 = n - n1;  // 2^n in two factors: n may pass the double exponent range by one
  return p * (vd)((n1 + 1023) << 52) * (vd)((n2 + 1023) << 52);
}
inline vd sinh_d(vd x) {
  static constexpr double c[] = {1.0 / 39916800, 1.0 / 362880, 1.0 / 5040, 1.0 / 120, 1.0 / 6};
  vd x2 = x * x;
  vd small = x + x * x2 * poly(x2, c);
  vd e = exp_d(vabs(x));
  return vabs(x) < 0.5 ? small : with_sign(0.5 * (e - 1.0 / e), x);
}
inline vd cosh_d(vd x) {
  vd e = exp_d(vabs(x));
  return 0.5 * (e + 1.0 / e);
}
inline vd asinh_d(vd x) {  // finite x
  vd a = vabs(x);
  vd big = log_d(a + vsqrt(a * a + 1.0));
  vd small = a - a * a * a * (1.0 / 6) + a * a * a * a * a * (3.0 / 40);
  return with_sign(a < 1e-4 ? small : big, x);
}
inline vd acosh_d(vd x) { return log_d(x + vsqrt(x * x - 1.0)); }  // 1 <= x < inf
inline vd atanh_d(vd x) {                                             // |x| < 1
  vd small = x + x * x * x * (1.0 / 3) + x * x * x * x * x * 0.2;
  return vabs(x) < 1e-4 ? small : 0.5 * log_d((1.0 + x) / (1.0 - x));
}
// atan: t = min(|x|, 1/|x|), then atan(t) = pi/4 + atan((t - 1) / (t + 1)) above tan(pi/8), and
// atan(u) = u P(u^2) on |u| <= tan(pi/8) (degree 7 least-squares fit, rel. error < 1e-12).
inline vd atan_d(vd x) {
  static constexpr double c[] = {-0x1.34da14352cb40p-5, 0x1.1dc724968ce10p-4, -0x1.705cb48b3d851p-4,
                                 0x1.c6cd004b4649cp-4,  -0x1.24909794b0f01p-3, 0x1.999990755d1fep-3,
                                 -0x1.5555554be4e0cp-2, 0x1.fffffffffe659p-1};
  vd a = vabs(x);
  vl inv = a > 1.0;
  vd t = inv ? 1.0 / a : a;
  vl mid = t > 0.41421356237309503;
  vd u = mid ? (t - 1.0) / (t + 1.0) : t;
  vd r = (mid ? splat(0.7853981633974483) : splat(0.0)) + u * poly(u * u, c);
  r = inv ? 1.5707963267948966 - r : r;
  return with_sign(r, x);
}
inline vd asin_d(vd x) { return atan_d(x / vsqrt(1.0 - x * x)); }  // |x| <= 1
// mish(x) = x tanh(log(1 + e^x)) = x n / (n + 2) with n = e^x (e^x + 2); x above 20 gives x.
inline vd mish_d(vd x) {
  vd e = exp_d(vmin(x, splat(20.0)));
  vd n = e * (e + 2.0);
  return x > 20.0 ? x : x * n / (n + 2.0);
}

// ---- loops: out[i] = Op::vec(x[i]) over a float32 StridedLoop (operand 0 the output), lanes
// where Op::bad(x) is set recomputed with Op::scalar.
template <class Op> inline vf apply1(vf x) {
  vf y = Op::vec(x);
  vi bad = Op::bad(x);
  if (__builtin_expect(any(bad), 0)) {
    for (int i = 0; i < kW; ++i)
      if (bad[i]) y[i] = Op::scalar(x[i]);
  }
  return y;
}

template <class Op> void unary_f32(const StridedLoop& loop) {
  loop.for_each([](char** p, const int64_t* s, int64_t n) {
    int64_t i = 0;
    if (s[0] == 4 && s[1] == 4) {
      float* out = reinterpret_cast<float*>(p[0]);
      const float* in = reinterpret_cast<const float*>(p[1]);
      for (; i + kW <= n; i += kW) {
        vf x;
        std::memcpy(&x, in + i, sizeof x);
        vf y = apply1<Op>(x);
        std::memcpy(out + i, &y, sizeof y);
      }
    }
    // tail and strided runs: gather kW lanes (the last one repeated), compute, scatter
    for (; i < n; i += kW) {
      int64_t m = n - i < kW ? n - i : kW;
      vf x;
      for (int64_t j = 0; j < kW; ++j) x[j] = *reinterpret_cast<const float*>(p[1] + (i + (j < m ? j : m - 1)) * s[1]);
      vf y = apply1<Op>(x);
      for (int64_t j = 0; j < m; ++j) *reinterpret_cast<float*>(p[0] + (i + j) * s[0]) = y[j];
    }
  });
}

template <class Op> inline vf apply2(vf a, vf b) {
  vf y = Op::vec(a, b);
  vi bad = Op::bad(a, b);
  if (__builtin_expect(any(bad), 0)) {
    for (int i = 0; i < kW; ++i)
      if (bad[i]) y[i] = Op::scalar(a[i], b[i]);
  }
  return y;
}

template <class Op> void binary_f32(const StridedLoop& loop) {
  loop.for_each([](char** p, const int64_t* s, int64_t n) {
    int64_t i = 0;
    if (s[0] == 4 && (s[1] == 4 || s[1] == 0) && (s[2] == 4 || s[2] == 0)) {
      float* out = reinterpret_cast<float*>(p[0]);
      const float* pa = reinterpret_cast<const float*>(p[1]);
      const float* pb = reinterpret_cast<const float*>(p[2]);
      vf a = vf{} + *pa, b = vf{} + *pb;
      for (; i + kW <= n; i += kW) {
        if (s[1]) std::memcpy(&a, pa + i, sizeof a);
        if (s[2]) std::memcpy(&b, pb + i, sizeof b);
        vf y = apply2<Op>(a, b);
        std::memcpy(out + i, &y, sizeof y);
      }
    }
    for (; i < n; i += kW) {
      int64_t m = n - i < kW ? n - i : kW;
      vf a, b;
      for (int64_t j = 0; j < kW; ++j) {
        int64_t k = i + (j < m ? j : m - 1);
        a[j] = *reinterpret_cast<const float*>(p[1] + k * s[1]);
        b[j] = *reinterpret_cast<const float*>(p[2] + k * s[2]);
      }
      vf y = apply2<Op>(a, b);
      for (int64_t j = 0; j < m; ++j) *reinterpret_cast<float*>(p[0] + (i + j) * s[0]) = y[j];
    }
  });
}

}  // namespace ember::cpu::EMBER_ISA_NS::vmath
