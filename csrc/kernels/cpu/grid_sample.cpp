// grid_sampler_2d (bilinear, nearest) with zeros / border / reflection padding, forward and
// backward, on contiguous [N, C, H, W] input and [N, Ho, Wo, 2] grid. The coordinate and weight
// formulas follow PyTorch's CPU kernel (GridSamplerKernel.cpp). Per output row the taps are
// computed once, then applied to every channel. Forward is parallel over (n, row), backward over n.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/parallel.h"
#include "kernels/cpu/kernels.h"

namespace ember::cpu {
namespace {

// One axis: grid value -> source coordinate (and its derivative w.r.t. the grid value).
template <class T> struct Axis {
  int64_t size;
  int padding;
  bool align;
  T scaling;  // d(unnormalized)/d(grid)

  Axis(int64_t n, int pad, bool al) : size(n), padding(pad), align(al) {
    scaling = al ? static_cast<T>(n - 1) / 2 : static_cast<T>(n) / 2;
  }
  T unnormalize(T g) const { return align ? (g + T(1)) * scaling : g * scaling + (scaling - T(0.5)); }
  // clip to [0, size-1]; derivative 0 on and beyond the borders
  T clip(T x, T& grad) const {
    T hi = static_cast<T>(size - 1);
    if (x <= T(0)) { grad = T(0); return T(0); }
    if (x >= hi) { grad = T(0); return hi; }
    grad = T(1);
    return x;
  }
  // reflect about -0.5 and size-0.5 (or 0 and size-1 with align_corners)
  T reflect(T x, T& grad) const {
    const T twice_span = align ? static_cast<T>(2 * (size - 1)) : static_cast<T>(2 * size);
    if (twice_span == T(0)) { grad = T(0); return T(0); }
    T in = align ? x : x + T(0.5);
    T sign = in < T(0) ? T(-1) : T(1);
    T a = std::fabs(in);
    T extra = a - std::trunc(a / twice_span) * twice_span;
    T reflected = twice_span - extra;
    bool flip = extra > reflected;
    grad = flip ? -sign : sign;
    T r = flip ? reflected : extra;
    return align ? r : r - T(0.5);
  }
  // source coordinate and d(coordinate)/d(grid)
  T source(T g, T& grad) const {
    T x = unnormalize(g), gc = T(1), gr = T(1);
    if (padding == 1) x = clip(x, gc);
    else if (padding == 2) x = clip(reflect(x, gr), gc);
    grad = scaling * gr * gc;
    if (!std::isfinite(x) || x > T(2147483647) || x < T(-2147483648.0)) x = T(-100);  // keep indices in range
    return x;
  }
};

// Bilinear taps of one output position: corner offsets (-1 when outside) and weights.
template <class T> struct Taps {
  int64_t off[4];
  T w[4];
  bool inside;  // all four corners in the image
  T n, s, we, e;  // distances used by the grid gradient
};

template <class T> void bilinear_taps(T x, T y, int64_t H, int64_t W, Taps<T>& t) {
  T xw = std::floor(x), yn = std::floor(y);
  T w = x - xw, e = T(1) - w, n = y - yn, s = T(1) - n;
  t.w[0] = s * e;
  t.w[1] = s * w;
  t.w[2] = n * e;
  t.w[3] = n * w;
  t.n = n;
  t.s = s;
  t.we = w;
  t.e = e;
  int64_t ix = static_cast<int64_t>(xw), iy = static_cast<int64_t>(yn);
  const int64_t xs[4] = {ix, ix + 1, ix, ix + 1}, ys[4] = {iy, iy, iy + 1, iy + 1};
  for (int k = 0; k < 4; ++k)
    t.off[k] = (xs[k] >= 0 && xs[k] < W && ys[k] >= 0 && ys[k] < H) ? ys[k] * W + xs[k] : -1;
  t.inside = t.off[0] >= 0 && t.off[3] >= 0;
}

// The four corner values (0 outside the image).
template <class T> void corners(const T* src, const Taps<T>& t, T v[4]) {
  if (t.inside) {
    for (int k = 0; k < 4; ++k) v[k] = src[t.off[k]];
  } else {
    for (int k = 0; k < 4; ++k) v[k] = t.off[k] >= 0 ? src[t.off[k]] : T(0);
  }
}

int64_t nearest_offset_of(double x, double y, int64_t H, int64_t W) {
  int64_t ix = static_cast<int64_t>(std::nearbyint(x)), iy = static_cast<int64_t>(std::nearbyint(y));
  return (ix >= 0 && ix < W && iy >= 0 && iy < H) ? iy * W + ix : -1;
}

struct Dims {
  int64_t N, C, H, W, Ho, Wo;
  explicit Dims(const GridSampleArgs& a)
      : N(a.input.sizes[0]), C(a.input.sizes[1]), H(a.input.sizes[2]), W(a.input.sizes[3]), Ho(a.grid.sizes[1]),
        Wo(a.grid.sizes[2]) {}
};

template <class T> void forward(const GridSampleArgs& a) {
  const Dims d(a);
  const Axis<T> ax(d.W, a.padding, a.align_corners), ay(d.H, a.padding, a.align_corners);
  const T* x = reinterpret_cast<const T*>(a.input.data);
  const T* grid = reinterpret_cast<const T*>(a.grid.data);
  T* y = reinterpret_cast<T*>(a.output.data);
  const int64_t plane = d.H * d.W, oplane = d.Ho * d.Wo;
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(d.Wo * d.C * 4, 1));
  parallel_for(0, d.N * d.Ho, grain, [&](int64_t b, int64_t e) {
    std::vector<Taps<T>> taps(size_t(d.Wo));
    std::vector<int64_t> near(size_t(d.Wo));
    for (int64_t r = b; r < e; ++r) {
      const int64_t n = r / d.Ho, h = r % d.Ho;
      const T* g = grid + (n * d.Ho + h) * d.Wo * 2;
      for (int64_t w = 0; w < d.Wo; ++w) {
        T gx, gy;
        T sx = ax.source(g[2 * w], gx), sy = ay.source(g[2 * w + 1], gy);
        if (a.mode == 0) bilinear_taps(sx, sy, d.H, d.W, taps[size_t(w)]);
        else near[size_t(w)] = nearest_offset_of(sx, sy, d.H, d.W);
      }
      for (int64_t c = 0; c < d.C; ++c) {
        const T* src = x + (n * d.C + c) * plane;
        T* dst = y + (n * d.C + c) * oplane + h * d.Wo;
        if (a.mode == 0) {
          for (int64_t w = 0; w < d.Wo; ++w) {
            const Taps<T>& t = taps[size_t(w)];
            T v[4];
            corners(src, t, v);
            dst[w] = (v[0] * t.w[0] + v[1] * t.w[1]) + (v[2] * t.w[2] + v[3] * t.w[3]);
          }
        } else {
          for (int64_t w = 0; w < d.Wo; ++w) dst[w] = near[size_t(w)] >= 0 ? src[near[size_t(w)]] : T(0);
        }
      }
    }
  });
}

template <class T> void backward(const GridSampleArgs& a) {
  const Dims d(a);
  const Axis<T> ax(d.W, a.padding, a.align_corners), ay(d.H, a.padding, a.align_corners);
  const T* x = reinterpret_cast<const T*>(a.input.data);
  const T* grid = reinterpret_cast<const T*>(a.grid.data);
  const T* gout = reinterpret_cast<const T*>(a.grad_output.data);
  T* gin = reinterpret_cast<T*>(a.grad_input.data);  // may be null
  T* ggrid = reinterpret_cast<T*>(a.grad_grid.data);
  const int64_t plane = d.H * d.W, oplane = d.Ho * d.Wo;
  parallel_for(0, d.N, 1, [&](int64_t b, int64_t e) {
    std::vector<Taps<T>> taps(size_t(d.Wo));
    std::vector<int64_t> near(size_t(d.Wo));
    std::vector<T> mx(size_t(d.Wo)), my(size_t(d.Wo)), accx(size_t(d.Wo)), accy(size_t(d.Wo));
    for (int64_t n = b; n < e; ++n) {
      if (gin) std::fill(gin + n * d.C * plane, gin + (n + 1) * d.C * plane, T(0));
      for (int64_t h = 0; h < d.Ho; ++h) {
        const T* g = grid + (n * d.Ho + h) * d.Wo * 2;
        T* gg = ggrid + (n * d.Ho + h) * d.Wo * 2;
        for (int64_t w = 0; w < d.Wo; ++w) {
          T sx = ax.source(g[2 * w], mx[size_t(w)]), sy = ay.source(g[2 * w + 1], my[size_t(w)]);
          if (a.mode == 0) bilinear_taps(sx, sy, d.H, d.W, taps[size_t(w)]);
          else near[size_t(w)] = nearest_offset_of(sx, sy, d.H, d.W);
          accx[size_t(w)] = accy[size_t(w)] = T(0);
        }
        for (int64_t c = 0; c < d.C; ++c) {
          const T* src = x + (n * d.C + c) * plane;
          const T* go = gout + (n * d.C + c) * oplane + h * d.Wo;
          T* gi = gin ? gin + (n * d.C + c) * plane : nullptr;
          if (a.mode != 0) {
            if (gi)
              for (int64_t w = 0; w < d.Wo; ++w)
                if (near[size_t(w)] >= 0) gi[near[size_t(w)]] += go[w];
            continue;
          }
          for (int64_t w = 0; w < d.Wo; ++w) {
            const Taps<T>& t = taps[size_t(w)];
            const T gv = go[w];
            if (gi) {
              if (t.inside) {
                for (int k = 0; k < 4; ++k) gi[t.off[k]] += gv * t.w[k];
              } else {
                for (int k = 0; k < 4; ++k)
                  if (t.off[k] >= 0) gi[t.off[k]] += gv * t.w[k];
              }
            }
            T v[4];
            corners(src, t, v);
            accx[size_t(w)] += ((v[1] - v[0]) * t.s + (v[3] - v[2]) * t.n) * gv;
            accy[size_t(w)] += ((v[2] - v[0]) * t.e + (v[3] - v[1]) * t.we) * gv;
          }
        }
        for (int64_t w = 0; w < d.Wo; ++w) {
          gg[2 * w] = a.mode == 0 ? accx[size_t(w)] * mx[size_t(w)] : T(0);
          gg[2 * w + 1] = a.mode == 0 ? accy[size_t(w)] * my[size_t(w)] : T(0);
        }
      }
    }
  });
}

template <class T> void run(const GridSampleArgs& a, bool bwd) {
  EMBER_CHECK(a.mode == 0 || a.mode == 1, NotImplemented,
              "[ember.grid_sample] mode 'bicubic' is not implemented yet (use 'bilinear' or 'nearest')");
  bwd ? backward<T>(a) : forward<T>(a);
}

void dispatch(const GridSampleArgs& a, bool bwd) {
  switch (a.input.dtype) {
    case Dtype::Float32: return run<float>(a, bwd);
    case Dtype::Float64: return run<double>(a, bwd);
    default: EMBER_FAIL(Runtime, "[ember.grid_sampler_2d] not implemented for dtype ", dtype_name(a.input.dtype));
  }
}

}  // namespace

void grid_sampler_2d_forward_kernel(const GridSampleArgs& a) { dispatch(a, false); }
void grid_sampler_2d_backward_kernel(const GridSampleArgs& a) { dispatch(a, true); }

}  // namespace ember::cpu
