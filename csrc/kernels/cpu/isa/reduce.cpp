// Reduction and scan kernels, compiled per ISA. Deterministic: see Note [fixed reduction blocking]
// in kernels/cpu/reduce_loop.h.
#include <cmath>
#include <limits>
#if defined(__AVX2__)
#include <immintrin.h>
#endif
#include <type_traits>

#include "kernels/cpu/cast.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/reduce_loop.h"

namespace ember::cpu::EMBER_ISA_NS {

namespace {
constexpr int kLanes = 64;

// Sum (of squares when kSquare) of n strided values with kLanes independent accumulators
// (vectorises; fixed order).
template <bool kSquare, class in_t, class acc_t> acc_t strided_sum(const in_t* p, int64_t n, int64_t stride) {
  acc_t lanes[kLanes] = {};
  auto f = [](acc_t v) { return kSquare ? v * v : v; };
  int64_t i = 0;
  if (stride == 1) {
    for (; i + kLanes <= n; i += kLanes) {
      __builtin_prefetch(p + i + 2048);  // 8 KiB ahead (past the end is harmless: a hint)
      for (int l = 0; l < kLanes; ++l) lanes[l] += f(acc_t(p[i + l]));
    }
    for (; i < n; ++i) lanes[i % kLanes] += f(acc_t(p[i]));
  } else {
    for (; i < n; ++i) lanes[i & 7] += f(acc_t(p[i * stride]));
  }
  for (int w = kLanes / 2; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l) lanes[l] = lanes[l] + lanes[l + w];
  return lanes[0];
}

template <class in_t, class acc_t> acc_t strided_prod(const in_t* p, int64_t n, int64_t stride) {
  acc_t lanes[8];
  for (int l = 0; l < 8; ++l) lanes[l] = acc_t(1);
  int64_t i = 0;
  if (stride == 1)
    for (; i + 8 <= n; i += 8)
      for (int l = 0; l < 8; ++l) lanes[l] *= acc_t(p[i + l]);
  for (; i < n; ++i) lanes[i & 7] *= acc_t(p[i * stride]);
  return ((lanes[0] * lanes[1]) * (lanes[2] * lanes[3])) * ((lanes[4] * lanes[5]) * (lanes[6] * lanes[7]));
}

template <class T> inline bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) return x != x;
  else return false;
}
// Is a better than b? NaN beats everything (propagates), as in PyTorch.
template <bool kMax, class T> inline bool better(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (a != a) return b == b;
  }
  return kMax ? a > b : a < b;
}
}  // namespace

namespace {
template <bool kSquare> void sum_impl(const ReduceArgs& a) {
  EMBER_DISPATCH_ALL(a.out.dtype, "sum", [&] {
    using out_t = scalar_t;
    using acc_t = std::conditional_t<std::is_same_v<out_t, bool>, int64_t, opmath_t<out_t>>;
    out_t* out = reinterpret_cast<out_t*>(a.out.data);
    auto write = [out](int64_t off, acc_t acc) { out[off] = cast_value<out_t>(acc); };
    auto vstep = [](acc_t s, out_t x) { return kSquare ? s + acc_t(x) * acc_t(x) : s + acc_t(x); };
    if (reduce_vertical<out_t, acc_t>(a, acc_t(0), vstep, write)) return;
    reduce_each_output<out_t, acc_t>(
        a, acc_t(0),
        [](acc_t acc, const out_t* p, int64_t n, int64_t s, int64_t) {
          return acc + strided_sum<kSquare, out_t, acc_t>(p, n, s);
        },
        [](acc_t x, acc_t y) { return x + y; }, write);
  });
}
}  // namespace

// The output dtype is the accumulation dtype chosen by the op; the input is cast to it first.
// param == 2: the sum of squares (for norm).
void sum_kernel(const ReduceArgs& a) {
  if (a.param == 2) sum_impl<true>(a);
  else sum_impl<false>(a);
}

// Sum of squared deviations from the mean (var/std divide it by n - correction): one pass over
// memory. Each inner run is summarised (count, mean, m2) with a two-pass over the run, which is in
// cache, and runs and blocks merge with Chan's formula in a fixed order.
namespace {
struct VarAcc {
  double n = 0, mean = 0, m2 = 0;
};
inline VarAcc merge_var(const VarAcc& a, const VarAcc& b) {
  if (a.n == 0) return b;
  if (b.n == 0) return a;
  const double n = a.n + b.n, delta = b.mean - a.mean;
  return {n, a.mean + delta * (b.n / n), a.m2 + b.m2 + delta * delta * (a.n * b.n / n)};
}
template <class T> VarAcc run_var(const T* p, int64_t n, int64_t s) {
  double lanes[8] = {};
  int64_t i = 0;
  if (s == 1)
    for (; i + 8 <= n; i += 8)
      for (int l = 0; l < 8; ++l) lanes[l] += double(opmath_t<T>(p[i + l]));
  for (; i < n; ++i) lanes[0] += double(opmath_t<T>(p[i * s]));
  double sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  const double mean = sum / double(n);
  double sq[8] = {};
  i = 0;
  if (s == 1)
    for (; i + 8 <= n; i += 8)
      for (int l = 0; l < 8; ++l) {
        double d = double(opmath_t<T>(p[i + l])) - mean;
        sq[l] += d * d;
      }
  for (; i < n; ++i) {
    double d = double(opmath_t<T>(p[i * s])) - mean;
    sq[0] += d * d;
  }
  return {double(n), mean, ((sq[0] + sq[1]) + (sq[2] + sq[3])) + ((sq[4] + sq[5]) + (sq[6] + sq[7]))};
}
}  // namespace

void var_kernel(const ReduceArgs& a) {
  EMBER_DISPATCH_FLOATING(a.in.dtype, "var", [&] {
    using T = scalar_t;
    T* out = reinterpret_cast<T*>(a.out.data);
    reduce_each_output<T, VarAcc>(
        a, VarAcc{},
        [](const VarAcc& acc, const T* p, int64_t n, int64_t s, int64_t) { return merge_var(acc, run_var(p, n, s)); },
        merge_var, [out](int64_t off, const VarAcc& acc) { out[off] = T(acc.m2); });
  });
}

void prod_kernel(const ReduceArgs& a) {
  EMBER_DISPATCH_ALL(a.out.dtype, "prod", [&] {
    using out_t = scalar_t;
    using acc_t = std::conditional_t<std::is_same_v<out_t, bool>, int64_t, opmath_t<out_t>>;
    out_t* out = reinterpret_cast<out_t*>(a.out.data);
    auto write = [out](int64_t off, acc_t acc) { out[off] = cast_value<out_t>(acc); };
    if (reduce_vertical<out_t, acc_t>(a, acc_t(1), [](acc_t s, out_t x) { return s * acc_t(x); }, write)) return;
    reduce_each_output<out_t, acc_t>(
        a, acc_t(1),
        [](acc_t acc, const out_t* p, int64_t n, int64_t s, int64_t) { return acc * strided_prod<out_t, acc_t>(p, n, s); },
        [](acc_t x, acc_t y) { return x * y; }, write);
  });
}

void count_nonzero_kernel(const ReduceArgs& a) {
  int64_t* out = reinterpret_cast<int64_t*>(a.out.data);
  EMBER_DISPATCH_ALL(a.in.dtype, "count_nonzero", [&] {
    using in_t = scalar_t;
    reduce_each_output<in_t, int64_t>(
        a, 0,
        [](int64_t acc, const in_t* p, int64_t n, int64_t s, int64_t) {
          for (int64_t i = 0; i < n; ++i) acc += cast_value<bool>(p[i * s]) ? 1 : 0;
          return acc;
        },
        [](int64_t x, int64_t y) { return x + y; }, [out](int64_t off, int64_t acc) { out[off] = acc; });
  });
}

namespace {
// Extreme of n contiguous values with 16 lanes: v > m ? v : m vectorises to max/min instructions;
// NaNs are tracked in their own lanes and win at the end.
template <bool kMax> float contiguous_extreme_f32(const float* p, int64_t n, float init);
template <bool kMax, class in_t, class op_t> op_t contiguous_extreme(const in_t* p, int64_t n, op_t init) {
#if defined(__AVX2__)
  if constexpr (std::is_same_v<in_t, float>) return contiguous_extreme_f32<kMax>(p, n, init);
#endif
  constexpr int L = 16;
  op_t lanes[L], nans[L];
  for (int l = 0; l < L; ++l) lanes[l] = init, nans[l] = op_t(0);
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int l = 0; l < L; ++l) {
      op_t v = op_t(p[i + l]);
      lanes[l] = (kMax ? v > lanes[l] : v < lanes[l]) ? v : lanes[l];
      nans[l] = v != v ? v : nans[l];
    }
  op_t m = init;
  for (; i < n; ++i) {
    op_t v = op_t(p[i]);
    if (v != v) return v;
    m = (kMax ? v > m : v < m) ? v : m;
  }
  for (int l = 0; l < L; ++l) {
    if (nans[l] != nans[l]) return nans[l];
    m = (kMax ? lanes[l] > m : lanes[l] < m) ? lanes[l] : m;
  }
  return m;
}

#if defined(__AVX2__)
// float32: max/min instructions (they drop NaN operands) plus an unordered-compare NaN mask.
template <bool kMax> float contiguous_extreme_f32(const float* p, int64_t n, float init) {
  int64_t i = 0;
  float m = init;
  bool nan = false;
#if defined(__AVX512F__)
  __m512 m0 = _mm512_set1_ps(init), m1 = m0;
  __mmask16 nn = 0;
  for (; i + 32 <= n; i += 32) {
    __m512 a = _mm512_loadu_ps(p + i), b = _mm512_loadu_ps(p + i + 16);
    m0 = kMax ? _mm512_max_ps(a, m0) : _mm512_min_ps(a, m0);
    m1 = kMax ? _mm512_max_ps(b, m1) : _mm512_min_ps(b, m1);
    nn |= _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q) | _mm512_cmp_ps_mask(b, b, _CMP_UNORD_Q);
  }
  nan = nn != 0;
  float buf[32];
  _mm512_storeu_ps(buf, m0);
  _mm512_storeu_ps(buf + 16, m1);
  for (int l = 0; l < 32; ++l) m = (kMax ? buf[l] > m : buf[l] < m) ? buf[l] : m;
#else
  __m256 m0 = _mm256_set1_ps(init), m1 = m0, nn = _mm256_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    __m256 a = _mm256_loadu_ps(p + i), b = _mm256_loadu_ps(p + i + 8);
    m0 = kMax ? _mm256_max_ps(a, m0) : _mm256_min_ps(a, m0);
    m1 = kMax ? _mm256_max_ps(b, m1) : _mm256_min_ps(b, m1);
    nn = _mm256_or_ps(nn, _mm256_or_ps(_mm256_cmp_ps(a, a, _CMP_UNORD_Q), _mm256_cmp_ps(b, b, _CMP_UNORD_Q)));
  }
  nan = _mm256_movemask_ps(nn) != 0;
  float buf[16];
  _mm256_storeu_ps(buf, m0);
  _mm256_storeu_ps(buf + 8, m1);
  for (int l = 0; l < 16; ++l) m = (kMax ? buf[l] > m : buf[l] < m) ? buf[l] : m;
#endif
  if (nan) return std::numeric_limits<float>::quiet_NaN();
  for (; i < n; ++i) {
    float v = p[i];
    if (v != v) return v;
    m = (kMax ? v > m : v < m) ? v : m;
  }
  return m;
}
#endif

template <bool kMax> void max_min(const ReduceArgs& a, const char* name) {
  EMBER_DISPATCH_ALL(a.in.dtype, name, [&] {
    using in_t = scalar_t;
    using op_t = std::conditional_t<std::is_same_v<in_t, bool>, bool, opmath_t<in_t>>;
    in_t* out = reinterpret_cast<in_t*>(a.out.data);
    const op_t init = kMax ? std::numeric_limits<op_t>::lowest() : std::numeric_limits<op_t>::max();
    if (a.index.data) {
      // Values and the first position of the extreme (first NaN when there is one).
      struct Acc {
        op_t v;
        int64_t i;
      };
      int64_t* index = reinterpret_cast<int64_t*>(a.index.data);
      // Outer dim (e.g. argmax(0) of [N, C]): rows in order across contiguous columns; `n` counts
      // the rows seen (the op reduces one dim, so that is the position).
      struct VAcc {
        op_t v;
        int64_t i, n;
      };
      auto vstep = [](VAcc s, in_t x) {
        op_t v = op_t(x);
        if (s.i < 0 || better<kMax>(v, s.v)) s.v = v, s.i = s.n;
        ++s.n;
        return s;
      };
      auto vwrite = [out, index](int64_t off, VAcc acc) {
        out[off] = cast_value<in_t>(acc.v);
        index[off] = acc.i < 0 ? 0 : acc.i;
      };
      if (reduce_vertical<in_t, VAcc>(a, VAcc{init, -1, 0}, vstep, vwrite)) return;
      reduce_each_output<in_t, Acc>(
          a, Acc{init, -1},
          [init](Acc acc, const in_t* p, int64_t n, int64_t s, int64_t pos) {
            if (s == 1 && n > 0) {
              // Two passes over a cache-resident run: the extreme, then its first position.
              op_t m = contiguous_extreme<kMax, in_t, op_t>(p, n, init);
              int64_t j = 0;
              if (m != m) {
                while (op_t(p[j]) == op_t(p[j])) ++j;
              } else {
                while (j < n - 1 && op_t(p[j]) != m) ++j;
              }
              if (acc.i < 0 || better<kMax>(m, acc.v)) acc = Acc{m, pos + j};
              return acc;
            }
            for (int64_t i = 0; i < n; ++i) {
              op_t v = op_t(p[i * s]);
              if (acc.i < 0 || better<kMax>(v, acc.v)) acc = Acc{v, pos + i};
            }
            return acc;
          },
          [](Acc x, Acc y) { return (x.i < 0 || (y.i >= 0 && better<kMax>(y.v, x.v))) ? y : x; },
          [out, index](int64_t off, Acc acc) {
            out[off] = cast_value<in_t>(acc.v);
            index[off] = acc.i < 0 ? 0 : acc.i;
          });
      return;
    }
    // Branch-free select: a NaN, once taken, stays (nothing compares greater than it).
    auto pick = [](op_t acc, in_t x) {
      op_t v = op_t(x);
      return ((kMax ? v > acc : v < acc) || v != v) ? v : acc;
    };
    auto write = [out](int64_t off, op_t acc) { out[off] = cast_value<in_t>(acc); };
    if (reduce_vertical<in_t, op_t>(a, init, pick, write)) return;
    reduce_each_output<in_t, op_t>(
        a, init,
        [init](op_t acc, const in_t* p, int64_t n, int64_t s, int64_t) {
          if (s == 1) {
            op_t m = contiguous_extreme<kMax, in_t, op_t>(p, n, init);
            return better<kMax>(m, acc) ? m : acc;
          }
          for (int64_t i = 0; i < n; ++i) {
            op_t v = op_t(p[i * s]);
            acc = better<kMax>(v, acc) ? v : acc;
          }
          return acc;
        },
        [](op_t x, op_t y) { return better<kMax>(y, x) ? y : x; }, write);
  });
}
}  // namespace

void max_kernel(const ReduceArgs& a) { max_min<true>(a, "max"); }
void min_kernel(const ReduceArgs& a) { max_min<false>(a, "min"); }

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
        [](bool x, bool y) { return kAny ? (x || y) : (x && y); }, [out](int64_t off, bool acc) { out[off] = acc; });
  });
}

// Inclusive scan along a.dim; out and in share dtype (the op casts first).
template <bool kProd> void scan(const DimArgs& a, const char* name) {
  EMBER_DISPATCH_NUMERIC(a.out.dtype, name, [&] {
    using T = scalar_t;
    using acc_t = opmath_t<T>;
    const int64_t n = a.in.sizes[a.dim], si = a.in.strides[a.dim], so = a.out.strides[a.dim];
    const T* in = reinterpret_cast<const T*>(a.in.data);
    T* out = reinterpret_cast<T*>(a.out.data);
    const View* views[2] = {&a.in, &a.out};
    for_each_line<2>(views, a.dim, n, [&](int64_t, const int64_t* off) {
      acc_t acc = kProd ? acc_t(1) : acc_t(0);
      const T* p = in + off[0];
      T* q = out + off[1];
      for (int64_t i = 0; i < n; ++i) {
        acc = kProd ? acc * acc_t(p[i * si]) : acc + acc_t(p[i * si]);
        q[i * so] = T(acc);
      }
    });
  });
}
}  // namespace

// grad_in[i] = grad[i] * prod_{j != i} in[j] along dim, by prefix and suffix products (exact with zeros).
void prod_backward_kernel(const DimArgs& a) {
  EMBER_DISPATCH_FLOATING(a.out.dtype, "prod_backward", [&] {
    using T = scalar_t;
    using acc_t = opmath_t<T>;
    const int64_t n = a.in.ndim ? a.in.sizes[a.dim] : 1;
    const int64_t si = a.in.ndim ? a.in.strides[a.dim] : 0, sg = a.grad.ndim ? a.grad.strides[a.dim] : 0,
                  so = a.out.ndim ? a.out.strides[a.dim] : 0;
    const T* in = reinterpret_cast<const T*>(a.in.data);
    const T* g = reinterpret_cast<const T*>(a.grad.data);
    T* out = reinterpret_cast<T*>(a.out.data);
    auto body = [&](int64_t, const int64_t* off) {
      std::vector<acc_t> suffix(size_t(n) + 1);
      suffix[size_t(n)] = acc_t(1);
      for (int64_t i = n - 1; i >= 0; --i) suffix[size_t(i)] = suffix[size_t(i) + 1] * acc_t(in[off[0] + i * si]);
      acc_t prefix = acc_t(1);
      for (int64_t i = 0; i < n; ++i) {
        out[off[2] + i * so] = T(acc_t(g[off[1] + i * sg]) * prefix * suffix[size_t(i) + 1]);
        prefix *= acc_t(in[off[0] + i * si]);
      }
    };
    if (a.in.ndim == 0) {
      const int64_t zero[3] = {0, 0, 0};
      body(0, zero);
      return;
    }
    const View* views[3] = {&a.in, &a.grad, &a.out};
    for_each_line<3>(views, a.dim, n * 4, body);
  });
}

// Helpers for reduction backwards (s0 picks): 0: in0 == in1 as 1/0; 1: sign(in0); 2: |in0|.
void reduce_helper_kernel(const ElementwiseArgs& a) {
  int mode = int(a.s0);
  EMBER_DISPATCH_NUMERIC(a.out.dtype, "reduce_helper", [&] {
    using T = scalar_t;
    using A = opmath_t<T>;
    if (mode == 0) {
      StridedLoop loop({&a.out, &a.in[0], &a.in[1]});
      elementwise<T, T, T>(loop, [](T x, T y) { return T(A(x) == A(y) ? 1 : 0); });
    } else {
      StridedLoop loop({&a.out, &a.in[0]});
      if (mode == 1)
        elementwise<T, T>(loop, [](T x) { return T(A(x) > A(0) ? A(1) : A(x) < A(0) ? A(-1) : A(x) * A(0)); });
      else
        elementwise<T, T>(loop, [](T x) { return T(A(x) < A(0) ? A(-A(x)) : A(x)); });
    }
  });
}

void any_kernel(const ReduceArgs& a) { any_all<true>(a, "any"); }
void all_kernel(const ReduceArgs& a) { any_all<false>(a, "all"); }
void cumsum_kernel(const DimArgs& a) { scan<false>(a, "cumsum"); }
void cumprod_kernel(const DimArgs& a) { scan<true>(a, "cumprod"); }

}  // namespace ember::cpu::EMBER_ISA_NS
