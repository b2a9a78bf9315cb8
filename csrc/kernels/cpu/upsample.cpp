// Upsampling (nearest, nearest-exact, linear/bilinear/trilinear, bicubic) over contiguous
// [planes, d0(, d1(, d2))] tensors, and the adjoint for the backward. Index and weight rules are
// PyTorch's (aten/src/ATen/native/UpSample.h): per dim a table of taps, then one separable sum per
// output element. Forward is parallel over (plane, first output dim) rows; backward over planes.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "core/parallel.h"
#include "kernels/cpu/iter.h"
#include "kernels/cpu/kernels.h"

namespace ember::cpu {
namespace {

// Scale from the user's factor (1/scale) when given, else in/out (PyTorch's compute_scales_value).
template <class T> T scales_value(double scale, int64_t in, int64_t out) {
  return scale > 0 ? static_cast<T>(1.0 / scale) : static_cast<T>(in) / static_cast<T>(out);
}

template <class T> T area_scale(int64_t in, int64_t out, bool align, double scale) {
  if (align) return out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0);
  return scales_value<T>(scale, in, out);
}

template <class T> T source_index(T scale, int64_t dst, bool align, bool cubic) {
  if (align) return scale * static_cast<T>(dst);
  T src = scale * (static_cast<T>(dst) + T(0.5)) - T(0.5);
  return (!cubic && src < T(0)) ? T(0) : src;
}

// floorf as in PyTorch (also for double: the index goes through float).
template <class T> void guard_index_and_lambda(T real, int64_t in, int64_t& index, T& lambda) {
  index = std::min(static_cast<int64_t>(std::floor(static_cast<float>(real))), in - 1);
  lambda = std::min(std::max(real - static_cast<T>(index), T(0)), T(1));
}

int64_t nearest_index(int64_t o, int64_t in, int64_t out, double scale, bool exact) {
  float s = scales_value<float>(scale, in, out);
  if (exact) return std::min(static_cast<int64_t>(std::floor(static_cast<float>((o + 0.5) * s))), in - 1);
  if (out == in) return o;
  if (out == 2 * in) return o >> 1;
  return std::min(static_cast<int64_t>(std::floor(static_cast<float>(o) * s)), in - 1);
}

template <class T> T cubic1(T x, T A) { return ((A + 2) * x - (A + 3)) * x * x + 1; }
template <class T> T cubic2(T x, T A) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; }
template <class T> void cubic_coefficients(T coeffs[4], T t) {
  const T A = T(-0.75);
  coeffs[0] = cubic2<T>(t + T(1), A);
  coeffs[1] = cubic1<T>(t, A);
  T x2 = T(1) - t;
  coeffs[2] = cubic1<T>(x2, A);
  coeffs[3] = cubic2<T>(x2 + T(1), A);
}

// Per output coordinate of one dim: K source offsets (in elements, stride applied) and weights.
template <class T> struct Taps {
  std::vector<int64_t> idx;
  std::vector<T> w;
};

template <class T, int K>
Taps<T> make_taps(int mode, int64_t in, int64_t out, int64_t stride, bool align, double scale) {
  Taps<T> t;
  t.idx.resize(size_t(out * K));
  t.w.resize(size_t(out * K));
  if (mode <= 1) {
    for (int64_t o = 0; o < out; ++o) {
      t.idx[size_t(o)] = nearest_index(o, in, out, scale, mode == 1) * stride;
      t.w[size_t(o)] = T(1);
    }
    return t;
  }
  T s = area_scale<T>(in, out, align, scale);
  for (int64_t o = 0; o < out; ++o) {
    int64_t* id = t.idx.data() + o * K;
    T* w = t.w.data() + o * K;
    if constexpr (K == 2) {
      if (out == in) {  // scale 1: copy
        id[0] = id[1] = o * stride;
        w[0] = T(1);
        w[1] = T(0);
        continue;
      }
      int64_t i0;
      T l1;
      guard_index_and_lambda(source_index(s, o, align, false), in, i0, l1);
      id[0] = i0 * stride;
      id[1] = (i0 + (i0 < in - 1 ? 1 : 0)) * stride;
      w[0] = T(1) - l1;
      w[1] = l1;
    } else if constexpr (K == 4) {
      int64_t i0;
      T t0;
      guard_index_and_lambda(source_index(s, o, align, true), in, i0, t0);
      cubic_coefficients<T>(w, t0);
      for (int j = 0; j < 4; ++j) id[j] = std::max<int64_t>(std::min<int64_t>(i0 - 1 + j, in - 1), 0) * stride;
    }
  }
  return t;
}

// Separable weighted sum: dim 0 outermost, as PyTorch's Interpolate<n> evaluates it.
template <class T, int K, int D> struct Interp {
  static T eval(const T* src, const Taps<T>* taps, const int64_t* o) {
    const int64_t* id = taps->idx.data() + o[0] * K;
    const T* w = taps->w.data() + o[0] * K;
    T acc = Interp<T, K, D - 1>::eval(src + id[0], taps + 1, o + 1) * w[0];
    for (int k = 1; k < K; ++k) acc += Interp<T, K, D - 1>::eval(src + id[k], taps + 1, o + 1) * w[k];
    return acc;
  }
  static void scatter(T* dst, const Taps<T>* taps, const int64_t* o, T g) {
    const int64_t* id = taps->idx.data() + o[0] * K;
    const T* w = taps->w.data() + o[0] * K;
    for (int k = 0; k < K; ++k) Interp<T, K, D - 1>::scatter(dst + id[k], taps + 1, o + 1, w[k] * g);
  }
};
template <class T, int K> struct Interp<T, K, 0> {
  static T eval(const T* src, const Taps<T>*, const int64_t*) { return *src; }
  static void scatter(T* dst, const Taps<T>*, const int64_t*, T g) { *dst += g; }
};

struct Shape3 {
  int64_t planes, in[3], out[3], in_plane, out_plane;
};

template <int D> Shape3 shape_of(const UpsampleArgs& a) {
  Shape3 s;
  s.planes = a.input.sizes[0];
  s.in_plane = s.out_plane = 1;
  for (int d = 0; d < D; ++d) {
    s.in[d] = a.input.sizes[d + 1];
    s.out[d] = a.output.sizes[d + 1];
    s.in_plane *= s.in[d];
    s.out_plane *= s.out[d];
  }
  return s;
}

template <class T, int K, int D> std::vector<Taps<T>> all_taps(const UpsampleArgs& a, const Shape3& s) {
  std::vector<Taps<T>> taps;
  int64_t stride = s.in_plane;
  for (int d = 0; d < D; ++d) {
    stride /= s.in[d];
    taps.push_back(make_taps<T, K>(a.mode, s.in[d], s.out[d], stride, a.align_corners, a.scales[d]));
  }
  return taps;
}

// Advance the odometer over dims [1, D) of `o`; false when it wraps.
template <int D> bool next_inner(int64_t* o, const int64_t* out) {
  for (int d = D - 1; d >= 1; --d) {
    if (++o[d] < out[d]) return true;
    o[d] = 0;
  }
  return false;
}

template <class T, int K, int D> void forward(const UpsampleArgs& a) {
  const Shape3 s = shape_of<D>(a);
  const auto taps = all_taps<T, K, D>(a, s);
  const T* x = reinterpret_cast<const T*>(a.input.data);
  T* y = reinterpret_cast<T*>(a.output.data);
  const int64_t row = s.out_plane / s.out[0];  // output elements per (plane, first dim) row
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(row * K, 1));
  parallel_for(0, s.planes * s.out[0], grain, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t p = r / s.out[0];
      int64_t o[3] = {r % s.out[0], 0, 0};
      const T* src = x + p * s.in_plane;
      T* dst = y + p * s.out_plane + o[0] * row;
      do {
        if constexpr (K == 1) {
          int64_t off = 0;
          for (int d = 0; d < D; ++d) off += taps[size_t(d)].idx[size_t(o[d])];
          *dst++ = src[off];
        } else {
          *dst++ = Interp<T, K, D>::eval(src, taps.data(), o);
        }
      } while (next_inner<D>(o, s.out));
    }
  });
}

// input <- adjoint(output): accumulate each output gradient onto its taps (fixed order per plane).
template <class T, int K, int D> void backward(const UpsampleArgs& a) {
  const Shape3 s = shape_of<D>(a);
  const auto taps = all_taps<T, K, D>(a, s);
  T* gx = reinterpret_cast<T*>(a.input.data);
  const T* gy = reinterpret_cast<const T*>(a.output.data);
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(s.out_plane * K, 1));
  parallel_for(0, s.planes, grain, [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      T* dst = gx + p * s.in_plane;
      std::fill(dst, dst + s.in_plane, T(0));
      const T* g = gy + p * s.out_plane;
      for (int64_t o0 = 0; o0 < s.out[0]; ++o0) {
        int64_t o[3] = {o0, 0, 0};
        do {
          if constexpr (K == 1) {
            int64_t off = 0;
            for (int d = 0; d < D; ++d) off += taps[size_t(d)].idx[size_t(o[d])];
            dst[off] += *g++;
          } else {
            Interp<T, K, D>::scatter(dst, taps.data(), o, *g++);
          }
        } while (next_inner<D>(o, s.out));
      }
    }
  });
}

template <class T, int D> void run_dims(const UpsampleArgs& a, bool bwd) {
  if constexpr (!std::is_floating_point_v<T>) {  // integer (and 16-bit float bit) copies: nearest forward only
    return forward<T, 1, D>(a);
  } else {
    switch (a.mode) {
      case 0:
      case 1: return bwd ? backward<T, 1, D>(a) : forward<T, 1, D>(a);
      case 2: return bwd ? backward<T, 2, D>(a) : forward<T, 2, D>(a);
      default:
        if constexpr (D == 2) return bwd ? backward<T, 4, D>(a) : forward<T, 4, D>(a);
        EMBER_FAIL(NotImplemented, "[ember.upsample] bicubic needs 2 spatial dims");
    }
  }
}

template <class T> void run(const UpsampleArgs& a, bool bwd) {
  switch (a.input.ndim) {
    case 2: return run_dims<T, 1>(a, bwd);
    case 3: return run_dims<T, 2>(a, bwd);
    case 4: return run_dims<T, 3>(a, bwd);
    default: EMBER_FAIL(Runtime, "[ember.upsample] expected 1 to 3 spatial dims, got ", a.input.ndim - 1);
  }
}

void dispatch(const UpsampleArgs& a, bool bwd) {
  if (a.mode <= 1 && !bwd) {  // nearest copies uint8 and 16-bit floats as bits
    switch (a.input.dtype) {
      case Dtype::Float32: return run<float>(a, bwd);
      case Dtype::Float64: return run<double>(a, bwd);
      case Dtype::UInt8: return run<uint8_t>(a, bwd);
      case Dtype::Float16:
      case Dtype::BFloat16: return run<int16_t>(a, bwd);  // a bit copy
      default: break;
    }
  }
  switch (a.input.dtype) {
    case Dtype::Float32: return run<float>(a, bwd);
    case Dtype::Float64: return run<double>(a, bwd);
    default: EMBER_FAIL(NotImplemented, "[ember.upsample] not implemented for dtype ", dtype_name(a.input.dtype));
  }
}

}  // namespace

void upsample_forward_kernel(const UpsampleArgs& a) { dispatch(a, false); }
void upsample_backward_kernel(const UpsampleArgs& a) { dispatch(a, true); }

}  // namespace ember::cpu
