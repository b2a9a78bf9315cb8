// Fused gate math of one recurrent time step (RNN_TANH/RNN_RELU, LSTM, GRU), forward and
// backward, compiled per ISA. See RnnStepArgs in dispatch/kernels.h for the operands; the GEMMs
// around each step are issued by ops/rnn.cpp. Each row's gates are contiguous, so the inner loops
// are plain vectorisable loops over `hidden` elements (fast_expf/fast_tanhf for float).
#include <algorithm>
#include <cmath>
#include <cstdint>

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

template <class T> inline const T* cp(const char* p) { return reinterpret_cast<const T*>(p); }
template <class T> inline T* mp(char* p) { return reinterpret_cast<T*>(p); }

// Biases of one gate block (nullptr -> zeros) folded into one vector per row loop.
template <class T> struct Bias {
  const T* ih;
  const T* hh;
  inline T operator()(int64_t j) const { return (ih ? ih[j] : T(0)) + (hh ? hh[j] : T(0)); }
};

template <class T> void forward_rows(const RnnStepArgs& a, int64_t r0, int64_t r1) {
  const int64_t H = a.hidden;
  const T* bih = cp<T>(a.bias_ih);
  const T* bhh = cp<T>(a.bias_hh);
  for (int64_t r = r0; r < r1; ++r) {
    T* g = mp<T>(a.gates) + r * a.ld_gates;
    T* ho = mp<T>(a.h_out) + r * a.ld_h_out;
    T* ho2 = a.h_out2 ? mp<T>(a.h_out2) + r * a.ld_h_out2 : nullptr;
    if (a.mode == 0 || a.mode == 1) {
      const bool relu = a.mode == 1;
      for (int64_t j = 0; j < H; ++j) {
        T v = g[j] + (bih ? bih[j] : T(0)) + (bhh ? bhh[j] : T(0));
        v = relu ? (v > T(0) ? v : T(0)) : tanh_(v);
        g[j] = v;
        ho[j] = v;
      }
    } else if (a.mode == 2) {
      T* c = mp<T>(a.c) + r * H;
      T* tc = a.tanh_c ? mp<T>(a.tanh_c) + r * H : nullptr;
      T* __restrict gi = g;
      T* __restrict gf = g + H;
      T* __restrict gg = g + 2 * H;
      T* __restrict go = g + 3 * H;
      if (bih || bhh) {
        for (int64_t j = 0; j < 4 * H; ++j) g[j] += (bih ? bih[j] : T(0)) + (bhh ? bhh[j] : T(0));
      }
      for (int64_t j = 0; j < H; ++j) {
        const T i = sigm(gi[j]), f = sigm(gf[j]), gc = tanh_(gg[j]), o = sigm(go[j]);
        gi[j] = i;
        gf[j] = f;
        gg[j] = gc;
        go[j] = o;
        const T cn = f * c[j] + i * gc;
        c[j] = cn;
        const T t = tanh_(cn);
        if (tc) tc[j] = t;
        ho[j] = o * t;
      }
    } else {  // GRU
      const T* hg = cp<T>(a.hg) + r * a.ld_hg;
      const T* hp = cp<T>(a.h_prev) + r * a.ld_h_prev;
      T* hn = a.hn ? mp<T>(a.hn) + r * H : nullptr;
      for (int64_t j = 0; j < 2 * H; ++j)
        g[j] = sigm(g[j] + hg[j] + (bih ? bih[j] : T(0)) + (bhh ? bhh[j] : T(0)));
      for (int64_t j = 0; j < H; ++j) {
        const T rr = g[j], z = g[H + j];
        const T nh = hg[2 * H + j] + (bhh ? bhh[2 * H + j] : T(0));
        const T n = tanh_(g[2 * H + j] + (bih ? bih[2 * H + j] : T(0)) + rr * nh);
        g[2 * H + j] = n;
        if (hn) hn[j] = nh;
        const T hprev = hp[j];
        ho[j] = (T(1) - z) * n + z * hprev;
      }
    }
    if (ho2)
      for (int64_t j = 0; j < H; ++j) ho2[j] = ho[j];
  }
}

template <class T> void backward_rows(const RnnStepArgs& a, int64_t r0, int64_t r1) {
  const int64_t H = a.hidden;
  for (int64_t r = r0; r < r1; ++r) {
    const T* g = cp<T>(a.gates) + r * a.ld_gates;
    const T* dhi = cp<T>(a.dh_in) + r * a.ld_dh_in;
    T* dhc = a.dh_carry ? mp<T>(a.dh_carry) + r * a.ld_dh_carry : nullptr;
    T* dg = mp<T>(a.dgates) + r * a.ld_dgates;
    if (a.mode == 0 || a.mode == 1) {
      const bool relu = a.mode == 1;
      for (int64_t j = 0; j < H; ++j) {
        const T dh = dhi[j] + (dhc ? dhc[j] : T(0)), h = g[j];
        dg[j] = relu ? (h > T(0) ? dh : T(0)) : dh * (T(1) - h * h);
      }
    } else if (a.mode == 2) {
      T* dc = mp<T>(a.dc) + r * H;
      const T* tc = cp<T>(a.tanh_c) + r * H;
      const T* cpv = cp<T>(a.c_prev) + r * H;
      for (int64_t j = 0; j < H; ++j) {
        const T dh = dhi[j] + (dhc ? dhc[j] : T(0));
        const T i = g[j], f = g[H + j], gc = g[2 * H + j], o = g[3 * H + j], t = tc[j];
        const T dct = dc[j] + dh * o * (T(1) - t * t);
        dg[j] = dct * gc * i * (T(1) - i);
        dg[H + j] = dct * cpv[j] * f * (T(1) - f);
        dg[2 * H + j] = dct * i * (T(1) - gc * gc);
        dg[3 * H + j] = dh * t * o * (T(1) - o);
        dc[j] = dct * f;
      }
    } else {  // GRU
      const T* hp = cp<T>(a.h_prev) + r * a.ld_h_prev;
      const T* hn = cp<T>(a.hn) + r * H;
      T* dhg = mp<T>(a.dhg) + r * a.ld_dhg;
      for (int64_t j = 0; j < H; ++j) {
        const T dh = dhi[j] + (dhc ? dhc[j] : T(0));
        const T rr = g[j], z = g[H + j], n = g[2 * H + j];
        const T dn = dh * (T(1) - z) * (T(1) - n * n);  // w.r.t. n's pre-activation
        const T dz = dh * (hp[j] - n) * z * (T(1) - z);
        const T dr = dn * hn[j] * rr * (T(1) - rr);
        dg[j] = dr;
        dg[H + j] = dz;
        dg[2 * H + j] = dn;
        dhg[j] = dr;
        dhg[H + j] = dz;
        dhg[2 * H + j] = dn * rr;
        if (dhc) dhc[j] = dh * z;
      }
    }
  }
}

// Rows in parallel once a step has enough work (each row is independent).
template <class F> void over_rows(const RnnStepArgs& a, F&& f) {
  const int64_t per_row = std::max<int64_t>(1, a.hidden * 4);
  parallel_for(0, a.rows, std::max<int64_t>(1, kGrainSize / per_row), f);
}

}  // namespace

void rnn_step_forward_kernel(const RnnStepArgs& a) {
  if (a.rows <= 0 || a.hidden <= 0) return;
  if (a.dtype == Dtype::Float32) over_rows(a, [&](int64_t r0, int64_t r1) { forward_rows<float>(a, r0, r1); });
  else if (a.dtype == Dtype::Float64) over_rows(a, [&](int64_t r0, int64_t r1) { forward_rows<double>(a, r0, r1); });
  else EMBER_FAIL(Type, "[ember.rnn] not implemented for dtype ", dtype_name(a.dtype));
}

void rnn_step_backward_kernel(const RnnStepArgs& a) {
  if (a.rows <= 0 || a.hidden <= 0) return;
  if (a.dtype == Dtype::Float32) over_rows(a, [&](int64_t r0, int64_t r1) { backward_rows<float>(a, r0, r1); });
  else if (a.dtype == Dtype::Float64) over_rows(a, [&](int64_t r0, int64_t r1) { backward_rows<double>(a, r0, r1); });
  else EMBER_FAIL(Type, "[ember.rnn] not implemented for dtype ", dtype_name(a.dtype));
}

}  // namespace ember::cpu::EMBER_ISA_NS
