// 2-D max and average pooling over contiguous [planes, H, W], parallel over planes.
#include <cmath>
#include <limits>

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

// Max of a window inside the image (row stride rs, column stride cs) and its offset, as PyTorch's
// `val > max || isnan(val)`: ties keep the first maximum, the last NaN wins. One comparison per
// element while no NaN is seen (!(v <= best) is v > best or v NaN). KH, KW > 0 fix the window size.
template <class T, int KH, int KW>
inline opmath_t<T> window_max(const T* win, int64_t kh, int64_t kw, int64_t rs, int64_t cs, int64_t& best_off) {
  using acc_t = opmath_t<T>;
  if constexpr (KH > 0) {
    kh = KH;
    kw = KW;
    cs = 1;
  }
  acc_t best = acc_t(win[0]);
  best_off = 0;
  for (int64_t i = 0; i < kh; ++i) {
    const T* r = win + i * rs;
    for (int64_t j = 0; j < kw; ++j) {
      const acc_t v = acc_t(r[j * cs]);
      if (!(v <= best)) {
        if (best == best || v != v) {  // once best is NaN only a later NaN replaces it
          best = v;
          best_off = i * rs + j * cs;
        }
      }
    }
  }
  return best;
}

template <class T> void max_forward(const PoolArgs& a) {
  PoolGeometry g(a);
  const T* x = reinterpret_cast<const T*>(a.input.data);
  T* y = reinterpret_cast<T*>(a.output.data);
  int64_t* idx = reinterpret_cast<int64_t*>(a.indices.data);
  parallel_for(0, g.planes, plane_grain(g), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      const T* plane = x + p * g.h * g.w;
      for (int64_t oy = 0; oy < g.oh; ++oy)
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          using acc_t = opmath_t<T>;
          const int64_t iy0 = oy * a.stride[0] - a.padding[0], ix0 = ox * a.stride[1] - a.padding[1];
          if (iy0 >= 0 && iy0 + (a.kernel[0] - 1) * a.dilation[0] < g.h && ix0 >= 0 &&
              ix0 + (a.kernel[1] - 1) * a.dilation[1] < g.w) {
            // Window inside the image: no bounds tests.
            const T* win = plane + iy0 * g.w + ix0;
            const int64_t rs = a.dilation[0] * g.w, cs = a.dilation[1];
            int64_t best_off = 0;
            const acc_t best = a.kernel[0] == 3 && a.kernel[1] == 3 && cs == 1
                                   ? window_max<T, 3, 3>(win, 3, 3, rs, 1, best_off)
                               : a.kernel[0] == 2 && a.kernel[1] == 2 && cs == 1
                                   ? window_max<T, 2, 2>(win, 2, 2, rs, 1, best_off)
                                   : window_max<T, 0, 0>(win, a.kernel[0], a.kernel[1], rs, cs, best_off);
            y[(p * g.oh + oy) * g.ow + ox] = T(best);
            idx[(p * g.oh + oy) * g.ow + ox] = iy0 * g.w + ix0 + best_off;
            continue;
          }
          acc_t best = -std::numeric_limits<acc_t>::infinity();
          int64_t best_i = -1;
          for (int64_t i = 0; i < a.kernel[0]; ++i) {
            int64_t iy = oy * a.stride[0] - a.padding[0] + i * a.dilation[0];
            if (iy < 0 || iy >= g.h) continue;
            for (int64_t j = 0; j < a.kernel[1]; ++j) {
              int64_t ix = ox * a.stride[1] - a.padding[1] + j * a.dilation[1];
              if (ix < 0 || ix >= g.w) continue;
              acc_t v = acc_t(plane[iy * g.w + ix]);
              if (v > best || std::isnan(v) || best_i < 0) {  // NaN propagates (the last one), as in PyTorch
                best = v;
                best_i = iy * g.w + ix;
              }
            }
          }
          y[(p * g.oh + oy) * g.ow + ox] = T(best);
          idx[(p * g.oh + oy) * g.ow + ox] = best_i;
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
