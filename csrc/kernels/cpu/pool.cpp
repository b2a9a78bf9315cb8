// 2-D max and average pooling over contiguous [planes, H, W], parallel over planes.
#include <cmath>
#include <limits>
#include <vector>

#include "core/parallel.h"
#include "kernels/cpu/cast.h"
#include "kernels/cpu/iter.h"
#include "kernels/cpu/kernels.h"

namespace ember::cpu {
namespace {

struct PoolGeometry {
  int64_t planes, h, w, oh, ow;
  explicit PoolGeometry(const PoolArgs& a)
      : planes(a.input.sizes[0]), h(a.input.sizes[1]), w(a.input.sizes[2]), oh(a.output.sizes[1]),
        ow(a.output.sizes[2]) {}
};

int64_t plane_grain(const PoolGeometry& g) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(1, g.oh * g.ow)); }

// Rows [lo, hi) of a window's k taps (tap i at o * s - pad + i * d) that fall inside [0, n).
inline void tap_range(int64_t o, int64_t s, int64_t pad, int64_t d, int64_t k, int64_t n, int64_t& lo, int64_t& hi) {
  const int64_t start = o * s - pad;
  lo = start < 0 ? (-start + d - 1) / d : 0;
  hi = start > n - 1 ? 0 : std::min(k, (n - 1 - start) / d + 1);
  if (hi < lo) hi = lo;
}

// The common 2x2 / stride 2 pool with every window inside the input: the four taps unrolled,
// branch-free, same rule as below (first maximum wins; the first NaN wins and stops the window).
template <class T> void max_forward_2x2(const PoolArgs& a, const PoolGeometry& g) {
  const T* x = reinterpret_cast<const T*>(a.input.data);
  T* y = reinterpret_cast<T*>(a.output.data);
  int64_t* idx = reinterpret_cast<int64_t*>(a.indices.data);
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t b, int64_t e) {
    using acc_t = opmath_t<T>;
    for (int64_t p = b; p < e; ++p) {
      const T* plane = x + p * g.h * g.w;
      T* yo = y + p * g.oh * g.ow;
      int64_t* io = idx + p * g.oh * g.ow;
      for (int64_t oy = 0; oy < g.oh; ++oy) {
        const int64_t base = 2 * oy * g.w;
        const T* r0 = plane + base;
        const T* r1 = r0 + g.w;
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const int64_t j = 2 * ox;
          const acc_t v[3] = {acc_t(r0[j + 1]), acc_t(r1[j]), acc_t(r1[j + 1])};
          const int64_t k[3] = {base + j + 1, base + g.w + j, base + g.w + j + 1};
          acc_t best = acc_t(r0[j]);
          int64_t bi = base + j;
          bool stop = best != best;
          for (int q = 0; q < 3; ++q) {
            const bool nan = v[q] != v[q];
            const bool up = !stop && (v[q] > best || nan);
            best = up ? v[q] : best;
            bi = up ? k[q] : bi;
            stop = stop || nan;
          }
          yo[oy * g.ow + ox] = T(best);
          io[oy * g.ow + ox] = bi;
        }
      }
    }
  });
}

// Window bounds are clamped once per output row / column, so the inner loops carry no bounds
// checks; the running max is branch-free. First maximum wins; the first NaN wins and ends the
// window (NaN propagates, as in PyTorch); an empty window gives -inf and index -1.
template <class T> void max_forward(const PoolArgs& a) {
  PoolGeometry g(a);
  if (a.kernel[0] == 2 && a.kernel[1] == 2 && a.stride[0] == 2 && a.stride[1] == 2 && a.dilation[0] == 1 &&
      a.dilation[1] == 1 && a.padding[0] == 0 && a.padding[1] == 0 && 2 * g.oh <= g.h && 2 * g.ow <= g.w)
    return max_forward_2x2<T>(a, g);
  const T* x = reinterpret_cast<const T*>(a.input.data);
  T* y = reinterpret_cast<T*>(a.output.data);
  int64_t* idx = reinterpret_cast<int64_t*>(a.indices.data);
  std::vector<int64_t> xr(size_t(2 * g.ow));
  for (int64_t ox = 0; ox < g.ow; ++ox)
    tap_range(ox, a.stride[1], a.padding[1], a.dilation[1], a.kernel[1], g.w, xr[size_t(2 * ox)], xr[size_t(2 * ox + 1)]);
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t b, int64_t e) {
    using acc_t = opmath_t<T>;
    const int64_t sh = a.stride[0], sw = a.stride[1], dh = a.dilation[0], dw = a.dilation[1];
    for (int64_t p = b; p < e; ++p) {
      const T* plane = x + p * g.h * g.w;
      T* yo = y + p * g.oh * g.ow;
      int64_t* io = idx + p * g.oh * g.ow;
      for (int64_t oy = 0; oy < g.oh; ++oy) {
        int64_t ilo, ihi;
        tap_range(oy, sh, a.padding[0], dh, a.kernel[0], g.h, ilo, ihi);
        const int64_t y0 = oy * sh - a.padding[0];
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const int64_t jlo = xr[size_t(2 * ox)], jhi = xr[size_t(2 * ox + 1)], x0 = ox * sw - a.padding[1];
          acc_t best = -std::numeric_limits<acc_t>::infinity();
          int64_t bi = -1;
          if (ilo < ihi && jlo < jhi) {
            bi = (y0 + ilo * dh) * g.w + x0 + jlo * dw;
            best = acc_t(plane[bi]);
            if (best == best) {
              for (int64_t i = ilo; i < ihi; ++i) {
                const int64_t row = (y0 + i * dh) * g.w + x0;
                for (int64_t j = jlo; j < jhi; ++j) {
                  const int64_t k = row + j * dw;
                  const acc_t v = acc_t(plane[k]);
                  if (__builtin_expect(v != v, 0)) {
                    best = v;
                    bi = k;
                    goto done;
                  }
                  const bool up = v > best;
                  best = up ? v : best;
                  bi = up ? k : bi;
                }
              }
            }
          }
        done:
          yo[oy * g.ow + ox] = T(best);
          io[oy * g.ow + ox] = bi;
        }
      }
    }
  });
}

template <class T> void max_backward(const PoolArgs& a) {
  PoolGeometry g(a);
  T* gx = reinterpret_cast<T*>(a.input.data);
  const T* gy = reinterpret_cast<const T*>(a.output.data);
  const int64_t* idx = reinterpret_cast<const int64_t*>(a.indices.data);
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      T* plane = gx + p * g.h * g.w;
      for (int64_t i = 0; i < g.h * g.w; ++i) plane[i] = T(0);
      for (int64_t o = 0; o < g.oh * g.ow; ++o) {
        int64_t k = idx[p * g.oh * g.ow + o];
        if (k >= 0) plane[k] = T(opmath_t<T>(plane[k]) + opmath_t<T>(gy[p * g.oh * g.ow + o]));
      }
    }
  });
}

// The window [y0, y1) x [x0, x1) of output (oy, ox) and the divisor PyTorch uses.
struct AvgWindow {
  int64_t y0, y1, x0, x1, divisor;
};
AvgWindow avg_window(const PoolArgs& a, const PoolGeometry& g, int64_t oy, int64_t ox) {
  int64_t y0 = oy * a.stride[0] - a.padding[0], x0 = ox * a.stride[1] - a.padding[1];
  int64_t y1 = std::min(y0 + a.kernel[0], g.h + a.padding[0]), x1 = std::min(x0 + a.kernel[1], g.w + a.padding[1]);
  int64_t pool_size = (y1 - y0) * (x1 - x0);
  y0 = std::max<int64_t>(y0, 0);
  x0 = std::max<int64_t>(x0, 0);
  y1 = std::min(y1, g.h);
  x1 = std::min(x1, g.w);
  int64_t divisor = a.divisor ? a.divisor : a.count_include_pad ? pool_size : (y1 - y0) * (x1 - x0);
  return {y0, y1, x0, x1, divisor};
}

template <class T> void avg_forward(const PoolArgs& a) {
  PoolGeometry g(a);
  const T* x = reinterpret_cast<const T*>(a.input.data);
  T* y = reinterpret_cast<T*>(a.output.data);
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p)
      for (int64_t oy = 0; oy < g.oh; ++oy)
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          AvgWindow win = avg_window(a, g, oy, ox);
          opmath_t<T> s = 0;
          for (int64_t iy = win.y0; iy < win.y1; ++iy)
            for (int64_t ix = win.x0; ix < win.x1; ++ix) s += opmath_t<T>(x[(p * g.h + iy) * g.w + ix]);
          y[(p * g.oh + oy) * g.ow + ox] = T(win.divisor ? s / opmath_t<T>(win.divisor) : s);
        }
  });
}

template <class T> void avg_backward(const PoolArgs& a) {
  PoolGeometry g(a);
  T* gx = reinterpret_cast<T*>(a.input.data);
  const T* gy = reinterpret_cast<const T*>(a.output.data);
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      T* plane = gx + p * g.h * g.w;
      for (int64_t i = 0; i < g.h * g.w; ++i) plane[i] = T(0);
      for (int64_t oy = 0; oy < g.oh; ++oy)
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          AvgWindow win = avg_window(a, g, oy, ox);
          if (!win.divisor) continue;
          opmath_t<T> v = opmath_t<T>(gy[(p * g.oh + oy) * g.ow + ox]) / opmath_t<T>(win.divisor);
          for (int64_t iy = win.y0; iy < win.y1; ++iy)
            for (int64_t ix = win.x0; ix < win.x1; ++ix)
              plane[iy * g.w + ix] = T(opmath_t<T>(plane[iy * g.w + ix]) + v);
        }
    }
  });
}

template <class F> void pool_dispatch(const PoolArgs& a, const char* name, F f) {
  EMBER_DISPATCH_FLOATING(a.input.dtype, name, [&] { f(scalar_t()); });
}

}  // namespace

void max_pool2d_forward_kernel(const PoolArgs& a) {
  pool_dispatch(a, "max_pool2d", [&](auto t) { max_forward<decltype(t)>(a); });
}
void max_pool2d_backward_kernel(const PoolArgs& a) {
  pool_dispatch(a, "max_pool2d_backward", [&](auto t) { max_backward<decltype(t)>(a); });
}
void avg_pool2d_forward_kernel(const PoolArgs& a) {
  pool_dispatch(a, "avg_pool2d", [&](auto t) { avg_forward<decltype(t)>(a); });
}
void avg_pool2d_backward_kernel(const PoolArgs& a) {
  pool_dispatch(a, "avg_pool2d_backward", [&](auto t) { avg_backward<decltype(t)>(a); });
}

}  // namespace ember::cpu
