// Fused optimizer updates, compiled per ISA: one parallel loop over every element of every tensor
// of a parameter group. The arithmetic follows torch's single-tensor (foreach=False) code step by
// step, with scalars in the tensor's compute type, so float32 trajectories track torch's closely.
#include <algorithm>
#include <cmath>
#include <cstdint>
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

// lerp as torch computes it: weight < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w)
template <class A> inline A lerp(A a, A b, A w) { return w < A(0.5) ? a + w * (b - a) : b - (b - a) * (A(1) - w); }

template <class T> void sgd(const OptimArgs& a) {
  using A = opmath_t<T>;
  const A lr = A(a.lr), wd = A(a.weight_decay), mom = A(a.momentum), damp1 = A(1 - a.dampening);
  const bool use_wd = a.weight_decay != 0, use_mom = a.momentum != 0;
  for_chunks(a, [&](int64_t t, int64_t b, int64_t e) {
    T* __restrict p = ptr<T>(a.param[t], b);
    const T* __restrict g = ptr<T>(a.grad[t], b);
    T* __restrict buf = use_mom ? ptr<T>(a.buf0[t], b) : nullptr;
    const bool init = use_mom && a.init[t];
    for (int64_t i = 0; i < e - b; ++i) {
      A gi = A(g[i]);
      if (a.maximize) gi = -gi;
      if (use_wd) gi = gi + wd * A(p[i]);
      if (use_mom) {
        A bi = init ? gi : A(buf[i]) * mom + damp1 * gi;
        buf[i] = T(bi);
        bi = A(buf[i]);
        gi = a.nesterov ? gi + mom * bi : bi;
      }
      p[i] = T(A(p[i]) + (-lr) * gi);
    }
  });
}

template <class T> void adam(const OptimArgs& a) {
  using A = opmath_t<T>;
  const A wd = A(a.weight_decay), w1 = A(1 - a.beta1), b2 = A(a.beta2), w2 = A(1 - a.beta2), eps = A(a.eps);
  const A decay = A(1 - a.lr * a.weight_decay);
  const bool use_wd = a.weight_decay != 0;
  for_chunks(a, [&](int64_t t, int64_t b, int64_t e) {
    double step = a.step[t];
    const A step_size = A(a.lr / (1 - std::pow(a.beta1, step)));
    const A bc2_sqrt = A(std::sqrt(1 - std::pow(a.beta2, step)));
    T* __restrict p = ptr<T>(a.param[t], b);
    const T* __restrict g = ptr<T>(a.grad[t], b);
    T* __restrict m = ptr<T>(a.buf0[t], b);
    T* __restrict v = ptr<T>(a.buf1[t], b);
    T* __restrict vmax = a.amsgrad ? ptr<T>(a.buf2[t], b) : nullptr;
    for (int64_t i = 0; i < e - b; ++i) {
      A gi = A(g[i]);
      if (a.maximize) gi = -gi;
      A pi = A(p[i]);
      if (use_wd) {
        if (a.decoupled) pi = A(T(pi * decay));
        else gi = gi + wd * pi;
      }
      A mi = A(T(lerp(A(m[i]), gi, w1)));
      A vi = A(T(A(v[i]) * b2));
      vi = A(T(vi + w2 * (gi * gi)));
      m[i] = T(mi);
      v[i] = T(vi);
      A vd = vi;
      if (a.amsgrad) {
        vd = std::max(A(vmax[i]), vi);
        vmax[i] = T(vd);
      }
      A denom = A(T(std::sqrt(vd) / bc2_sqrt)) + eps;
      p[i] = T(pi + (-step_size) * (mi / A(T(denom))));
    }
  });
}

template <class T> void rmsprop(const OptimArgs& a) {
  using A = opmath_t<T>;
  const A lr = A(a.lr), wd = A(a.weight_decay), al = A(a.alpha), w = A(1 - a.alpha), eps = A(a.eps),
          mom = A(a.momentum);
  const bool use_wd = a.weight_decay != 0, use_mom = a.momentum > 0;
  for_chunks(a, [&](int64_t t, int64_t b, int64_t e) {
    T* __restrict p = ptr<T>(a.param[t], b);
    const T* __restrict g = ptr<T>(a.grad[t], b);
    T* __restrict sq = ptr<T>(a.buf0[t], b);
    T* __restrict ga = a.centered ? ptr<T>(a.buf1[t], b) : nullptr;
    T* __restrict buf = use_mom ? ptr<T>(a.buf2[t], b) : nullptr;
    for (int64_t i = 0; i < e - b; ++i) {
      A gi = A(g[i]);
      if (a.maximize) gi = -gi;
      if (use_wd) gi = gi + wd * A(p[i]);
      A si = A(T(A(sq[i]) * al));
      si = A(T(si + w * (gi * gi)));
      sq[i] = T(si);
      A avg;
      if (a.centered) {
        A gai = A(T(lerp(A(ga[i]), gi, w)));
        ga[i] = T(gai);
        avg = A(T(std::sqrt(A(T(si - gai * gai)))));
      } else {
        avg = A(T(std::sqrt(si)));
      }
      avg = A(T(avg + eps));
      if (use_mom) {
        A bi = A(T(A(buf[i]) * mom));
        bi = A(T(bi + gi / avg));
        buf[i] = T(bi);
        p[i] = T(A(p[i]) + (-lr) * bi);
      } else {
        p[i] = T(A(p[i]) + (-lr) * (gi / avg));
      }
    }
  });
}

template <class T> void adagrad(const OptimArgs& a) {
  using A = opmath_t<T>;
  const A wd = A(a.weight_decay), eps = A(a.eps);
  const bool use_wd = a.weight_decay != 0;
  for_chunks(a, [&](int64_t t, int64_t b, int64_t e) {
    const A clr = A(a.lr / (1 + (a.step[t] - 1) * a.lr_decay));
    T* __restrict p = ptr<T>(a.param[t], b);
    const T* __restrict g = ptr<T>(a.grad[t], b);
    T* __restrict s = ptr<T>(a.buf0[t], b);
    for (int64_t i = 0; i < e - b; ++i) {
      A gi = A(g[i]);
      if (a.maximize) gi = -gi;
      if (use_wd) gi = gi + wd * A(p[i]);
      A si = A(T(A(s[i]) + gi * gi));
      s[i] = T(si);
      A std_ = A(T(A(T(std::sqrt(si))) + eps));
      p[i] = T(A(p[i]) + (-clr) * (gi / std_));
    }
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
