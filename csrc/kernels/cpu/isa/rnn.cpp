// Fused gate math of one recurrent time step (RNN_TANH/RNN_RELU, LSTM, GRU), forward and
// backward, compiled per ISA. See RnnStepArgs in dispatch/kernels.h for the operands; the GEMMs
// around each step are issued by ops/rnn.cpp. Each row's gates are contiguous, so the inner loops
// are plain vectorisable loops over `hidden` elements (fast_expf/fast_tanhf for float).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "core/parallel.h"
#include "kernels/cpu/isa.h"
#include "kernels/functors.h"

namespace ember::cpu::EMBER_ISA_NS {

namespace {

template <class T> inline T sigm(T x) {
  if constexpr (std::is_same_v<T, float>) return 1.0f / (1.0f + functors::fast_expf(-x));
  else return T(1) / (T(1) + std::exp(-x));
}
template <class T> inline T tanh_(T x) {
  if constexpr (std::is_same_v<T, float>) return functors::fast_tanhf(x);
  else return std::tanh(x);
}

// In-place activations over a chunk of local (64-byte aligned, C-long) values. The AVX-512 float
// path: exp by range reduction + Cephes polynomial + scalef, 1/x by rcp14 + one Newton step
// (about 1e-7 relative), tanh(x) = 2 sigmoid(2x) - 1 (absolute error about 1e-7). Lanes past n
// hold scratch values that are computed but never stored.
#if defined(__AVX512F__)
inline __m512 v_exp(__m512 x) {
  x = _mm512_max_ps(_mm512_set1_ps(-88.0f), _mm512_min_ps(_mm512_set1_ps(88.7f), x));  // NaN stays NaN
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  const __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(y, n);
}
inline __m512 v_sigm(__m512 x) {
  const __m512 d = _mm512_add_ps(_mm512_set1_ps(1.0f), v_exp(_mm512_sub_ps(_mm512_setzero_ps(), x)));
  const __m512 y = _mm512_rcp14_ps(d);
  return _mm512_mul_ps(y, _mm512_fnmadd_ps(d, y, _mm512_set1_ps(2.0f)));
}
inline __m512 v_tanh(__m512 x) {
  return _mm512_fmsub_ps(_mm512_set1_ps(2.0f), v_sigm(_mm512_add_ps(x, x)), _mm512_set1_ps(1.0f));
}
#endif

template <class T> inline void sigm_chunk(T* __restrict x, int64_t n) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    for (int64_t k = 0; k < n; k += 16) _mm512_store_ps(x + k, v_sigm(_mm512_load_ps(x + k)));
    return;
  }
#endif
  for (int64_t k = 0; k < n; ++k) x[k] = sigm(x[k]);
}
template <class T> inline void tanh_chunk(T* __restrict x, int64_t n) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    for (int64_t k = 0; k < n; k += 16) _mm512_store_ps(x + k, v_tanh(_mm512_load_ps(x + k)));
    return;
  }
#endif
  for (int64_t k = 0; k < n; ++k) x[k] = tanh_(x[k]);
}

#if defined(__AVX512F__)
// One row of LSTM / GRU straight from the caller's buffers, 16 columns a vector (masked tail):
// each column block is read before it is written, so in-place operands (h_prev == h_out) are safe.
inline __m512 ld(const float* p, int64_t j, __mmask16 m) { return p ? _mm512_maskz_loadu_ps(m, p + j) : _mm512_setzero_ps(); }
inline void st(float* p, int64_t j, __mmask16 m, __m512 v) { if (p) _mm512_mask_storeu_ps(p + j, m, v); }
inline __mmask16 tail(int64_t n) { return n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1); }

void lstm_row_avx512(float* g, const float* b, float* c, float* tc, float* ho, float* ho2, int64_t H) {
  for (int64_t j = 0; j < H; j += 16) {
    const __mmask16 m = tail(H - j);
    const __m512 i = v_sigm(_mm512_add_ps(ld(g, j, m), ld(b, j, m)));
    const __m512 f = v_sigm(_mm512_add_ps(ld(g + H, j, m), ld(b ? b + H : nullptr, j, m)));
    const __m512 gg = v_tanh(_mm512_add_ps(ld(g + 2 * H, j, m), ld(b ? b + 2 * H : nullptr, j, m)));
    const __m512 o = v_sigm(_mm512_add_ps(ld(g + 3 * H, j, m), ld(b ? b + 3 * H : nullptr, j, m)));
    const __m512 cn = _mm512_fmadd_ps(f, ld(c, j, m), _mm512_mul_ps(i, gg));
    const __m512 t = v_tanh(cn);
    const __m512 h = _mm512_mul_ps(o, t);
    st(g, j, m, i);
    st(g + H, j, m, f);
    st(g + 2 * H, j, m, gg);
    st(g + 3 * H, j, m, o);
    st(c, j, m, cn);
    st(tc, j, m, t);
    st(ho, j, m, h);
    st(ho2, j, m, h);
  }
}

// One row of the LSTM backward: reads dh (+ carry), the saved gates, tanh(c), c_prev and dc;
// writes the four pre-activation gradients and dc for the previous step (same formulas as the
// portable loop in backward_rows).
void lstm_back_row_avx512(const float* g, const float* dhi, const float* dhc, const float* tc, const float* cpv,
                          float* dc, float* dg, int64_t H) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (int64_t j = 0; j < H; j += 16) {
    const __mmask16 m = tail(H - j);
    const __m512 dh = _mm512_add_ps(ld(dhi, j, m), ld(dhc, j, m));
    const __m512 i = ld(g, j, m), f = ld(g + H, j, m), gc = ld(g + 2 * H, j, m), o = ld(g + 3 * H, j, m);
    const __m512 t = ld(tc, j, m);
    const __m512 dho = _mm512_mul_ps(dh, o);
    const __m512 d = _mm512_add_ps(ld(dc, j, m), _mm512_mul_ps(dho, _mm512_fnmadd_ps(t, t, one)));
    st(dc, j, m, _mm512_mul_ps(d, f));
    st(dg, j, m, _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(d, gc), i), _mm512_sub_ps(one, i)));
    st(dg + H, j, m, _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(d, ld(cpv, j, m)), f), _mm512_sub_ps(one, f)));
    st(dg + 2 * H, j, m, _mm512_mul_ps(_mm512_mul_ps(d, i), _mm512_fnmadd_ps(gc, gc, one)));
    st(dg + 3 * H, j, m, _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(dh, t), o), _mm512_sub_ps(one, o)));
  }
}

void gru_row_avx512(float* g, const float* hg, const float* b, const float* bhn, const float* hp, float* hn,
                    float* ho, float* ho2, int64_t H) {
  for (int64_t j = 0; j < H; j += 16) {
    const __mmask16 m = tail(H - j);
    const __m512 r = v_sigm(_mm512_add_ps(_mm512_add_ps(ld(g, j, m), ld(hg, j, m)), ld(b, j, m)));
    const __m512 z = v_sigm(_mm512_add_ps(_mm512_add_ps(ld(g + H, j, m), ld(hg + H, j, m)), ld(b ? b + H : nullptr, j, m)));
    const __m512 nh = _mm512_add_ps(ld(hg + 2 * H, j, m), ld(bhn, j, m));
    const __m512 n = v_tanh(_mm512_fmadd_ps(r, nh, _mm512_add_ps(ld(g + 2 * H, j, m), ld(b ? b + 2 * H : nullptr, j, m))));
    const __m512 hprev = ld(hp, j, m);
    const __m512 h = _mm512_fmadd_ps(z, _mm512_sub_ps(hprev, n), n);  // (1 - z) n + z h_prev
    st(g, j, m, r);
    st(g + H, j, m, z);
    st(g + 2 * H, j, m, n);
    st(hn, j, m, nh);
    st(ho, j, m, h);
    st(ho2, j, m, h);
  }
}
#endif

template <class T> inline const T* cp(const char* p) { return reinterpret_cast<const T*>(p); }
template <class T> inline T* mp(char* p) { return reinterpret_cast<T*>(p); }

// Rows are processed in chunks of C columns through local arrays: the compiler then vectorises
// every loop (no aliasing between the caller's buffers to prove, no branches inside).
constexpr int64_t C = 64;

// out[k] = a[k] (+ b[k] when b is set), k < n.
template <class T> inline void load_sum(T* __restrict out, const T* a, const T* b, int64_t n) {
  if (b)
    for (int64_t k = 0; k < n; ++k) out[k] = a[k] + b[k];
  else
    for (int64_t k = 0; k < n; ++k) out[k] = a[k];
}

template <class T> inline void store(T* out, const T* __restrict in, int64_t n) {
  for (int64_t k = 0; k < n; ++k) out[k] = in[k];
}

template <class T> void forward_rows(const RnnStepArgs& a, const T* bias, const T* bias_hn, int64_t r0, int64_t r1) {
  const int64_t H = a.hidden;
  alignas(64) T x0[C], x1[C], x2[C], x3[C], h[C];
  for (int64_t r = r0; r < r1; ++r) {
    T* g = mp<T>(a.gates) + r * a.ld_gates;
    T* ho = mp<T>(a.h_out) + r * a.ld_h_out;
    T* ho2 = a.h_out2 ? mp<T>(a.h_out2) + r * a.ld_h_out2 : nullptr;
#if defined(__AVX512F__)
    if constexpr (std::is_same_v<T, float>) {
      if (a.mode == 2) {
        lstm_row_avx512(g, bias, mp<T>(a.c) + r * H, a.tanh_c ? mp<T>(a.tanh_c) + r * H : nullptr, ho, ho2, H);
        continue;
      }
      if (a.mode == 3) {
        gru_row_avx512(g, cp<T>(a.hg) + r * a.ld_hg, bias, bias_hn, cp<T>(a.h_prev) + r * a.ld_h_prev,
                       a.hn ? mp<T>(a.hn) + r * H : nullptr, ho, ho2, H);
        continue;
      }
    }
#endif
    for (int64_t j0 = 0; j0 < H; j0 += C) {
      const int64_t n = std::min(C, H - j0);
      if (a.mode == 0 || a.mode == 1) {
        load_sum(x0, g + j0, bias ? bias + j0 : nullptr, n);
        if (a.mode == 1) {
          for (int64_t k = 0; k < n; ++k) h[k] = x0[k] > T(0) ? x0[k] : T(0);
        } else {
          store(h, x0, n);
          tanh_chunk(h, n);
        }
        store(g + j0, h, n);
      } else if (a.mode == 2) {
        T* c = mp<T>(a.c) + r * H + j0;
        load_sum(x0, g + j0, bias ? bias + j0 : nullptr, n);
        load_sum(x1, g + H + j0, bias ? bias + H + j0 : nullptr, n);
        load_sum(x2, g + 2 * H + j0, bias ? bias + 2 * H + j0 : nullptr, n);
        load_sum(x3, g + 3 * H + j0, bias ? bias + 3 * H + j0 : nullptr, n);
        sigm_chunk(x0, n);
        sigm_chunk(x1, n);
        tanh_chunk(x2, n);
        sigm_chunk(x3, n);
        alignas(64) T cn[C], t[C];
        for (int64_t k = 0; k < n; ++k) cn[k] = x1[k] * c[k] + x0[k] * x2[k];
        store(t, cn, n);
        tanh_chunk(t, n);
        for (int64_t k = 0; k < n; ++k) h[k] = x3[k] * t[k];
        store(g + j0, x0, n);
        store(g + H + j0, x1, n);
        store(g + 2 * H + j0, x2, n);
        store(g + 3 * H + j0, x3, n);
        store(c, cn, n);
        if (a.tanh_c) {
          T* tc = mp<T>(a.tanh_c) + r * H + j0;
          store(tc, t, n);
        }
      } else {  // GRU
        const T* hg = cp<T>(a.hg) + r * a.ld_hg;
        const T* hp = cp<T>(a.h_prev) + r * a.ld_h_prev + j0;
        load_sum(x0, g + j0, hg + j0, n);
        load_sum(x1, g + H + j0, hg + H + j0, n);
        load_sum(x2, g + 2 * H + j0, bias ? bias + 2 * H + j0 : nullptr, n);  // W_in x + b_in
        load_sum(x3, hg + 2 * H + j0, bias_hn ? bias_hn + j0 : nullptr, n);   // W_hn h + b_hn
        if (bias)
          for (int64_t k = 0; k < n; ++k) {
            x0[k] += bias[j0 + k];
            x1[k] += bias[H + j0 + k];
          }
        alignas(64) T nn[C];
        sigm_chunk(x0, n);
        sigm_chunk(x1, n);
        for (int64_t k = 0; k < n; ++k) nn[k] = x2[k] + x0[k] * x3[k];
        tanh_chunk(nn, n);
        for (int64_t k = 0; k < n; ++k) h[k] = (T(1) - x1[k]) * nn[k] + x1[k] * hp[k];
        store(g + j0, x0, n);
        store(g + H + j0, x1, n);
        store(g + 2 * H + j0, nn, n);
        if (a.hn) {
          T* hn = mp<T>(a.hn) + r * H + j0;
          store(hn, x3, n);
        }
      }
      store(ho + j0, h, n);
      if (ho2) store(ho2 + j0, h, n);
    }
  }
}

template <class T> void backward_rows(const RnnStepArgs& a, int64_t r0, int64_t r1) {
  const int64_t H = a.hidden;
  alignas(64) T dh[C];
  for (int64_t r = r0; r < r1; ++r) {
    const T* g = cp<T>(a.gates) + r * a.ld_gates;
    const T* dhi = cp<T>(a.dh_in) + r * a.ld_dh_in;
    T* dhc = a.dh_carry ? mp<T>(a.dh_carry) + r * a.ld_dh_carry : nullptr;
    T* dg = mp<T>(a.dgates) + r * a.ld_dgates;
#if defined(__AVX512F__)
    if constexpr (std::is_same_v<T, float>) {
      if (a.mode == 2) {
        lstm_back_row_avx512(g, dhi, dhc, cp<T>(a.tanh_c) + r * H, cp<T>(a.c_prev) + r * H, mp<T>(a.dc) + r * H, dg, H);
        continue;
      }
    }
#endif
    for (int64_t j0 = 0; j0 < H; j0 += C) {
      const int64_t n = std::min(C, H - j0);
      load_sum(dh, dhi + j0, dhc ? dhc + j0 : nullptr, n);
      if (a.mode == 0) {
        for (int64_t k = 0; k < n; ++k) dg[j0 + k] = dh[k] * (T(1) - g[j0 + k] * g[j0 + k]);
      } else if (a.mode == 1) {
        for (int64_t k = 0; k < n; ++k) dg[j0 + k] = g[j0 + k] > T(0) ? dh[k] : T(0);
      } else if (a.mode == 2) {
        T* dc = mp<T>(a.dc) + r * H + j0;
        const T* tc = cp<T>(a.tanh_c) + r * H + j0;
        const T* cpv = cp<T>(a.c_prev) + r * H + j0;
        const T* gi = g + j0;
        const T* gf = g + H + j0;
        const T* gg = g + 2 * H + j0;
        const T* go = g + 3 * H + j0;
        alignas(64) T dct[C], d0[C], d1[C], d2[C], d3[C];
        for (int64_t k = 0; k < n; ++k) {
          const T t = tc[k], o = go[k], i = gi[k], f = gf[k], gc = gg[k];
          const T d = dc[k] + dh[k] * o * (T(1) - t * t);
          dct[k] = d * f;
          d0[k] = d * gc * i * (T(1) - i);
          d1[k] = d * cpv[k] * f * (T(1) - f);
          d2[k] = d * i * (T(1) - gc * gc);
          d3[k] = dh[k] * t * o * (T(1) - o);
        }
        store(dg + j0, d0, n);
        store(dg + H + j0, d1, n);
        store(dg + 2 * H + j0, d2, n);
        store(dg + 3 * H + j0, d3, n);
        store(dc, dct, n);
      } else {  // GRU
        const T* hp = cp<T>(a.h_prev) + r * a.ld_h_prev + j0;
        const T* hn = cp<T>(a.hn) + r * H + j0;
        T* dhg = mp<T>(a.dhg) + r * a.ld_dhg;
        const T* gr = g + j0;
        const T* gz = g + H + j0;
        const T* gn = g + 2 * H + j0;
        alignas(64) T d0[C], d1[C], d2[C], d2h[C], dcar[C];
        for (int64_t k = 0; k < n; ++k) {
          const T rr = gr[k], z = gz[k], nn = gn[k];
          const T dn = dh[k] * (T(1) - z) * (T(1) - nn * nn);  // w.r.t. n's pre-activation
          d2[k] = dn;
          d1[k] = dh[k] * (hp[k] - nn) * z * (T(1) - z);
          d0[k] = dn * hn[k] * rr * (T(1) - rr);
          d2h[k] = dn * rr;
          dcar[k] = dh[k] * z;
        }
        store(dg + j0, d0, n);
        store(dg + H + j0, d1, n);
        store(dg + 2 * H + j0, d2, n);
        store(dhg + j0, d0, n);
        store(dhg + H + j0, d1, n);
        store(dhg + 2 * H + j0, d2h, n);
        if (dhc)
          store(dhc + j0, dcar, n);
      }
    }
  }
}

// Rows in parallel once a step has enough work (each row is independent). A gate element costs
// several exp/tanh evaluations, about 8 plain elementwise operations, so the grain is 8x smaller
// than kGrainSize: a batch of 64 with hidden 128 splits across threads (it ran on one thread,
// serial between the parallel GEMMs of every step).
template <class F> void over_rows(const RnnStepArgs& a, F&& f) {
  const int64_t per_row = std::max<int64_t>(1, a.hidden * 4 * 8);
  parallel_for(0, a.rows, std::max<int64_t>(1, kGrainSize / per_row), f);
}

}  // namespace

template <class T> void forward_typed(const RnnStepArgs& a) {
  // b_ih + b_hh once per step (GRU: b_hn stays apart, it is scaled by r)
  const int64_t GH = a.hidden * (a.mode == 2 ? 4 : a.mode == 3 ? 3 : 1);
  std::vector<T> bias, bias_hn;
  const T* bih = cp<T>(a.bias_ih);
  const T* bhh = cp<T>(a.bias_hh);
  if (bih || bhh) {
    bias.assign(size_t(GH), T(0));
    for (int64_t j = 0; j < GH; ++j) bias[size_t(j)] = (bih ? bih[j] : T(0)) + (bhh ? bhh[j] : T(0));
    if (a.mode == 3) {
      bias_hn.assign(size_t(a.hidden), T(0));
      for (int64_t j = 0; j < a.hidden; ++j) {
        bias[size_t(2 * a.hidden + j)] = bih ? bih[2 * a.hidden + j] : T(0);
        bias_hn[size_t(j)] = bhh ? bhh[2 * a.hidden + j] : T(0);
      }
    }
  }
  const T* b = bias.empty() ? nullptr : bias.data();
  const T* bhn = bias_hn.empty() ? nullptr : bias_hn.data();
  over_rows(a, [&](int64_t r0, int64_t r1) { forward_rows<T>(a, b, bhn, r0, r1); });
}

void rnn_step_forward_kernel(const RnnStepArgs& a) {
  if (a.rows <= 0 || a.hidden <= 0) return;
  if (a.dtype == Dtype::Float32) forward_typed<float>(a);
  else if (a.dtype == Dtype::Float64) forward_typed<double>(a);
  else EMBER_FAIL(Type, "[ember.rnn] not implemented for dtype ", dtype_name(a.dtype));
}

void rnn_step_backward_kernel(const RnnStepArgs& a) {
  if (a.rows <= 0 || a.hidden <= 0) return;
  if (a.dtype == Dtype::Float32) over_rows(a, [&](int64_t r0, int64_t r1) { backward_rows<float>(a, r0, r1); });
  else if (a.dtype == Dtype::Float64) over_rows(a, [&](int64_t r0, int64_t r1) { backward_rows<double>(a, r0, r1); });
  else EMBER_FAIL(Type, "[ember.rnn] not implemented for dtype ", dtype_name(a.dtype));
}

}  // namespace ember::cpu::EMBER_ISA_NS
