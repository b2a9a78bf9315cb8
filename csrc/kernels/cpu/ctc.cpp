// CTC loss: the alpha (forward) and beta (backward) recursions in log space over the extended
// label sequence l' = (blank, y1, blank, y2, ..., blank), as in Graves et al. (2006) and
// PyTorch's LossCTC.cpp. One sample per task (thread-count independent); math in double.
#include <cmath>
#include <limits>
#include <vector>

#include "core/parallel.h"
#include "kernels/cpu/iter.h"
#include "kernels/cpu/kernels.h"

namespace ember::cpu {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// log(exp(a) + exp(b) + exp(c)) without overflow; all -inf gives -inf.
inline double log_add3(double a, double b, double c) {
  double m = std::max(a, std::max(b, c));
  if (m == kNegInf) return kNegInf;
  return std::log(std::exp(a - m) + std::exp(b - m) + std::exp(c - m)) + m;
}
inline double log_add(double a, double b) { return log_add3(a, b, kNegInf); }

struct Sample {
  int64_t il, tl;
  const int64_t* y;
  int64_t blank;
  int64_t label(int64_t s) const { return s % 2 == 0 ? blank : y[s / 2]; }
};

template <class T> struct LogProbs {
  const T* p;
  int64_t st, sc;  // strides of t and c for one sample
  double operator()(int64_t t, int64_t c) const { return double(p[t * st + c * sc]); }
};

template <class T> LogProbs<T> sample_log_probs(const CtcArgs& a, int64_t n) {
  const T* base = reinterpret_cast<const T*>(a.log_probs.data) + n * a.log_probs.strides[1];
  return {base, a.log_probs.strides[0], a.log_probs.strides[2]};
}

Sample sample(const CtcArgs& a, int64_t n) {
  return {a.input_lengths[n], a.target_lengths[n], a.targets + a.target_offsets[n], a.blank};
}

template <class T> void ctc_forward(const CtcArgs& a) {
  const int64_t T_ = a.log_probs.sizes[0], N = a.log_probs.sizes[1];
  const int64_t S = a.log_alpha.sizes[2];  // 2 * max target length + 1
  T* nll = reinterpret_cast<T*>(a.neg_log_likelihood.data);
  T* alpha_all = reinterpret_cast<T*>(a.log_alpha.data);
  parallel_for(0, N, 1, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const Sample smp = sample(a, n);
      const LogProbs<T> lp = sample_log_probs<T>(a, n);
      T* la = alpha_all + n * T_ * S;
      for (int64_t i = 0; i < T_ * S; ++i) la[i] = T(kNegInf);
      if (smp.il == 0) {
        nll[n] = smp.tl == 0 ? T(0) : T(std::numeric_limits<double>::infinity());
        continue;
      }
      const int64_t ns = 2 * smp.tl + 1;
      la[0] = T(lp(0, smp.blank));
      if (smp.tl > 0) la[1] = T(lp(0, smp.y[0]));
      for (int64_t t = 1; t < smp.il; ++t) {
        const T* prev = la + (t - 1) * S;
        T* cur = la + t * S;
        for (int64_t s = 0; s < ns; ++s) {
          const int64_t l = smp.label(s);
          double a1 = double(prev[s]);
          double a2 = s > 0 ? double(prev[s - 1]) : kNegInf;
          double a3 = (s % 2 == 1 && s > 1 && l != smp.y[s / 2 - 1]) ? double(prev[s - 2]) : kNegInf;
          double v = log_add3(a1, a2, a3);
          cur[s] = T(v == kNegInf ? kNegInf : v + lp(t, l));
        }
      }
      const T* last = la + (smp.il - 1) * S;
      double ll = log_add(double(last[ns - 1]), smp.tl > 0 ? double(last[ns - 2]) : kNegInf);
      nll[n] = T(-ll);
    }
  });
}

template <class T> void ctc_backward(const CtcArgs& a) {
  const int64_t T_ = a.log_probs.sizes[0], N = a.log_probs.sizes[1], C = a.log_probs.sizes[2];
  const int64_t S = a.log_alpha.sizes[2];
  const T* nll_all = reinterpret_cast<const T*>(a.neg_log_likelihood.data);
  const T* alpha_all = reinterpret_cast<const T*>(a.log_alpha.data);
  const T* gout = reinterpret_cast<const T*>(a.grad_out.data);
  const int64_t gout_stride = a.grad_out.ndim ? a.grad_out.strides[0] : 0;
  T* grad = reinterpret_cast<T*>(a.grad.data);  // [T, N, C] contiguous
  parallel_for(0, N, 1, [&](int64_t n0, int64_t n1) {
    std::vector<double> lb, acc;
    for (int64_t n = n0; n < n1; ++n) {
      const Sample smp = sample(a, n);
      const LogProbs<T> lp = sample_log_probs<T>(a, n);
      const T* la = alpha_all + n * T_ * S;
      const double nll = double(nll_all[n]);
      const double g = double(gout[n * gout_stride]);
      auto gslot = [&](int64_t t, int64_t c) -> T& { return grad[(t * N + n) * C + c]; };
      const bool zero = smp.il == 0 || (a.zero_infinity && std::isinf(nll));
      for (int64_t t = zero ? 0 : smp.il; t < T_; ++t)
        for (int64_t c = 0; c < C; ++c) gslot(t, c) = T(0);
      if (zero) continue;
      const int64_t ns = 2 * smp.tl + 1, il = smp.il;
      lb.assign(size_t(il * ns), kNegInf);
      acc.assign(size_t(il * C), kNegInf);  // log sum over s with l'(s) == c of alpha * beta
      auto add = [&](int64_t t, int64_t s) {
        double v = double(la[t * S + s]) + lb[t * ns + s];
        double& slot = acc[t * C + smp.label(s)];
        slot = log_add(slot, v);
      };
      lb[(il - 1) * ns + ns - 1] = lp(il - 1, smp.blank);
      add(il - 1, ns - 1);
      if (smp.tl > 0) {
        lb[(il - 1) * ns + ns - 2] = lp(il - 1, smp.y[smp.tl - 1]);
        add(il - 1, ns - 2);
      }
      for (int64_t t = il - 2; t >= 0; --t) {
        const double* next = lb.data() + (t + 1) * ns;
        double* cur = lb.data() + t * ns;
        for (int64_t s = 0; s < ns; ++s) {
          const int64_t l = smp.label(s);
          double b1 = next[s];
          double b2 = s < ns - 1 ? next[s + 1] : kNegInf;
          double b3 = (s % 2 == 1 && s < ns - 2 && l != smp.y[s / 2 + 1]) ? next[s + 2] : kNegInf;
          double v = log_add3(b1, b2, b3);
          cur[s] = v == kNegInf ? kNegInf : v + lp(t, l);
          add(t, s);
        }
      }
      for (int64_t t = 0; t < il; ++t)
        for (int64_t c = 0; c < C; ++c) {
          double l = lp(t, c);
          gslot(t, c) = T((std::exp(l) - std::exp(acc[t * C + c] + nll - l)) * g);
        }
    }
  });
}

}  // namespace

void ctc_loss_forward_kernel(const CtcArgs& a) {
  switch (a.log_probs.dtype) {
    case Dtype::Float32: return ctc_forward<float>(a);
    case Dtype::Float64: return ctc_forward<double>(a);
    default: EMBER_FAIL(Type, "[ember.ctc_loss] not implemented for dtype ", dtype_name(a.log_probs.dtype));
  }
}

void ctc_loss_backward_kernel(const CtcArgs& a) {
  switch (a.log_probs.dtype) {
    case Dtype::Float32: return ctc_backward<float>(a);
    case Dtype::Float64: return ctc_backward<double>(a);
    default: EMBER_FAIL(Type, "[ember.ctc_loss] not implemented for dtype ", dtype_name(a.log_probs.dtype));
  }
}

}  // namespace ember::cpu
