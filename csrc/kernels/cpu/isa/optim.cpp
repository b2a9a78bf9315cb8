// Fused optimizer updates, compiled per ISA: one parallel loop over every element of every tensor
// of a parameter group. The arithmetic follows torch's single-tensor (foreach=False) code step by
// step, with scalars in the tensor's compute type, so float32 trajectories track torch's closely.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "core/parallel.h"
#include "kernels/cpu/isa.h"
#include "kernels/cpu/iter.h"

namespace ember::cpu::EMBER_ISA_NS {

namespace {

constexpr int64_t kChunk = 16384;  // elements per task

// f(tensor index, begin, end) over chunks of every tensor, in parallel.
template <class F> void for_chunks(const OptimArgs& a, const F& f) {
  std::vector<int64_t> tensor, begin;
  for (size_t t = 0; t < a.numel.size(); ++t)
    for (int64_t b = 0; b < a.numel[t]; b += kChunk) {
      tensor.push_back(int64_t(t));
      begin.push_back(b);
    }
  int64_t total = 0;
  for (int64_t n : a.numel) total += n;
  int64_t grain = std::max<int64_t>(1, kGrainSize / kChunk);
  if (total < kGrainSize) grain = int64_t(tensor.size()) + 1;  // small groups: one thread
  parallel_for(0, int64_t(tensor.size()), grain, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      int64_t t = tensor[c], b = begin[c];
      f(t, b, std::min(a.numel[t], b + kChunk));
    }
  });
}

template <class T> T* ptr(char* p, int64_t off) { return p ? reinterpret_cast<T*>(p) + off : nullptr; }

// lerp as torch computes it: weight < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w); both forms are
// computed and selected, so the loops stay branch-free and vectorise.
template <class A> inline A lerp(A a, A b, A w) {
  A lo = a + w * (b - a), hi = b - (b - a) * (A(1) - w);
  return w < A(0.5) ? lo : hi;
}

// f(std::bool_constant<flag>{}): runtime flags become template arguments.
template <class F> void with_flag(bool flag, const F& f) {
  if (flag) f(std::true_type{});
  else f(std::false_type{});
}

template <class T> void sgd(const OptimArgs& a) {
  using A = opmath_t<T>;
  const A lr = A(a.lr), wd = A(a.weight_decay), mom = A(a.momentum), damp1 = A(1 - a.dampening);
  const A sign = a.maximize ? A(-1) : A(1);
  with_flag(a.weight_decay != 0, [&](auto use_wd) {
    with_flag(a.momentum != 0, [&](auto use_mom) {
      for_chunks(a, [&](int64_t t, int64_t b, int64_t e) {
        T* __restrict p = ptr<T>(a.param[t], b);
        const T* __restrict g = ptr<T>(a.grad[t], b);
        T* __restrict buf = use_mom ? ptr<T>(a.buf0[t], b) : nullptr;
        // a new buffer starts as the gradient: buf * 0 + 1 * g
        const A keep = use_mom && a.init[t] ? A(0) : mom, add = use_mom && a.init[t] ? A(1) : damp1;
        const A sg = sign, wd_ = wd, mom_ = mom, nlr = -lr, nest = a.nesterov ? A(1) : A(0);
        const bool fresh = keep == A(0);
        for (int64_t i = 0; i < e - b; ++i) {
          A gi = A(g[i]) * sg;
          if constexpr (use_wd.value) gi = gi + wd_ * A(p[i]);
          if constexpr (use_mom.value) {
            A bi = A(T((fresh ? A(0) : A(buf[i]) * keep) + add * gi));
            buf[i] = T(bi);
            gi = nest != A(0) ? gi + mom_ * bi : bi;
          }
          p[i] = T(A(p[i]) + nlr * gi);
        }
      });
    });
  });
}

// WD: 0 none, 1 L2 (added to the gradient), 2 decoupled (AdamW). Flags are template arguments
// so that every variant's inner loop vectorises.
template <class T, int WD, bool AMS> void adam_loop(const OptimArgs& a) {
  using A = opmath_t<T>;
  const A wd = A(a.weight_decay), w1 = A(1 - a.beta1), b2 = A(a.beta2), w2 = A(1 - a.beta2), eps = A(a.eps);
  const A decay = A(1 - a.lr * a.weight_decay), sign = a.maximize ? A(-1) : A(1);
  for_chunks(a, [&](int64_t t, int64_t b, int64_t e) {
    double step = a.step[t];
    const A step_size = A(a.lr / (1 - std::pow(a.beta1, step)));
    const A bc2_sqrt = A(std::sqrt(1 - std::pow(a.beta2, step)));
    T* __restrict p = ptr<T>(a.param[t], b);
    const T* __restrict g = ptr<T>(a.grad[t], b);
    T* __restrict m = ptr<T>(a.buf0[t], b);
    T* __restrict v = ptr<T>(a.buf1[t], b);
    T* __restrict vmax = AMS ? ptr<T>(a.buf2[t], b) : nullptr;
    // locals (not captured references) so the loop keeps them in registers and vectorises
    const A sg = sign, wd_ = wd, dc = decay, w1_ = w1, b2_ = b2, w2_ = w2, eps_ = eps;
    for (int64_t i = 0; i < e - b; ++i) {
      A gi = A(g[i]) * sg;
      A pi = A(p[i]);
      if constexpr (WD == 2) pi = A(T(pi * dc));
      if constexpr (WD == 1) gi = gi + wd_ * pi;
      A mi = A(T(lerp(A(m[i]), gi, w1_)));
      A vi = A(T(A(v[i]) * b2_));
      vi = A(T(vi + w2_ * (gi * gi)));
      m[i] = T(mi);
      v[i] = T(vi);
      A vd = vi;
      if constexpr (AMS) {
        vd = std::max(A(vmax[i]), vi);
        vmax[i] = T(vd);
      }
      A denom = A(T(std::sqrt(vd) / bc2_sqrt)) + eps_;
      p[i] = T(pi + (-step_size) * (mi / A(T(denom))));
    }
  });
}

template <class T> void adam(const OptimArgs& a) {
  int wd = a.weight_decay == 0 ? 0 : (a.decoupled ? 2 : 1);
  with_flag(a.amsgrad, [&](auto ams) {
    constexpr bool AMS = decltype(ams)::value;
    if (wd == 0) adam_loop<T, 0, AMS>(a);
    else if (wd == 1) adam_loop<T, 1, AMS>(a);
    else adam_loop<T, 2, AMS>(a);
  });
}

template <class T> void rmsprop(const OptimArgs& a) {
  using A = opmath_t<T>;
  const A lr_ = A(a.lr), wd = A(a.weight_decay), al = A(a.alpha), w_ = A(1 - a.alpha), eps_ = A(a.eps),
          mom_ = A(a.momentum), sign = a.maximize ? A(-1) : A(1);
  with_flag(a.weight_decay != 0, [&](auto use_wd) {
    with_flag(a.centered, [&](auto centered) {
      with_flag(a.momentum > 0, [&](auto use_mom) {
        for_chunks(a, [&](int64_t t, int64_t b, int64_t e) {
          T* __restrict p = ptr<T>(a.param[t], b);
          const T* __restrict g = ptr<T>(a.grad[t], b);
          T* __restrict sq = ptr<T>(a.buf0[t], b);
          T* __restrict ga = centered ? ptr<T>(a.buf1[t], b) : nullptr;
          T* __restrict buf = use_mom ? ptr<T>(a.buf2[t], b) : nullptr;
          const A sg = sign, wd_ = wd, al_ = al, w = w_, eps = eps_, mom = mom_, lr = lr_;
          for (int64_t i = 0; i < e - b; ++i) {
            A gi = A(g[i]) * sg;
            if constexpr (use_wd.value) gi = gi + wd_ * A(p[i]);
            A si = A(T(A(sq[i]) * al_));
            si = A(T(si + w * (gi * gi)));
            sq[i] = T(si);
            A avg;
            if constexpr (centered.value) {
              A gai = A(T(lerp(A(ga[i]), gi, w)));
              ga[i] = T(gai);
              avg = A(T(std::sqrt(A(T(si - gai * gai)))));
            } else {
              avg = A(T(std::sqrt(si)));
            }
            avg = A(T(avg + eps));
            if constexpr (use_mom.value) {
              A bi = A(T(A(buf[i]) * mom));
              bi = A(T(bi + gi / avg));
              buf[i] = T(bi);
              p[i] = T(A(p[i]) + (-lr) * bi);
            } else {
              p[i] = T(A(p[i]) + (-lr) * (gi / avg));
            }
          }
        });
      });
    });
  });
}

template <class T> void adagrad(const OptimArgs& a) {
  using A = opmath_t<T>;
  const A wd = A(a.weight_decay), eps = A(a.eps), sign = a.maximize ? A(-1) : A(1);
  with_flag(a.weight_decay != 0, [&](auto use_wd) {
    for_chunks(a, [&](int64_t t, int64_t b, int64_t e) {
      const A clr = A(a.lr / (1 + (a.step[t] - 1) * a.lr_decay));
      T* __restrict p = ptr<T>(a.param[t], b);
      const T* __restrict g = ptr<T>(a.grad[t], b);
      T* __restrict s = ptr<T>(a.buf0[t], b);
      const A sg = sign, wd_ = wd, eps_ = eps;
      for (int64_t i = 0; i < e - b; ++i) {
        A gi = A(g[i]) * sg;
        if constexpr (use_wd.value) gi = gi + wd_ * A(p[i]);
        A si = A(T(A(s[i]) + gi * gi));
        s[i] = T(si);
        A std_ = A(T(A(T(std::sqrt(si))) + eps_));
        p[i] = T(A(p[i]) + (-clr) * (gi / std_));
      }
    });
  });
}

}  // namespace

void sgd_update_kernel(const OptimArgs& a) {
  EMBER_DISPATCH_FLOATING(a.dtype, "sgd", [&] { sgd<scalar_t>(a); });
}
void adam_update_kernel(const OptimArgs& a) {
  EMBER_DISPATCH_FLOATING(a.dtype, "adam", [&] { adam<scalar_t>(a); });
}
void rmsprop_update_kernel(const OptimArgs& a) {
  EMBER_DISPATCH_FLOATING(a.dtype, "rmsprop", [&] { rmsprop<scalar_t>(a); });
}
void adagrad_update_kernel(const OptimArgs& a) {
  EMBER_DISPATCH_FLOATING(a.dtype, "adagrad", [&] { adagrad<scalar_t>(a); });
}

}  // namespace ember::cpu::EMBER_ISA_NS
