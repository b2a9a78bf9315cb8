// 2-D convolution: im2col / col2im around the shared GEMM (gemm_stub), batch-parallel.
// The weight gradient sums over the batch in fixed chunks combined in a fixed order, so the result
// is bitwise identical for any thread count.
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/parallel.h"
#include "kernels/cpu/kernels.h"

namespace ember::cpu {
namespace {

struct Geometry {
  int64_t n, c_in, h, w, c_out, kh, kw, oh, ow, groups;
  int64_t sh, sw, ph, pw, dh, dw;
  int64_t cin_g() const { return c_in / groups; }
  int64_t cout_g() const { return c_out / groups; }
  int64_t k_g() const { return cin_g() * kh * kw; }  // GEMM depth per group
  int64_t l() const { return oh * ow; }
  bool is_pointwise() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0; }
  explicit Geometry(const ConvArgs& a)
      : n(a.input.sizes[0]), c_in(a.input.sizes[1]), h(a.input.sizes[2]), w(a.input.sizes[3]),
        c_out(a.weight.sizes[0]), kh(a.weight.sizes[2]), kw(a.weight.sizes[3]), oh(a.output.sizes[2]),
        ow(a.output.sizes[3]), groups(a.groups), sh(a.stride[0]), sw(a.stride[1]), ph(a.pad_before[0]),
        pw(a.pad_before[1]), dh(a.dilation[0]), dw(a.dilation[1]) {}
};

// col[(c*kh + i)*kw + j][oy*ow + ox] = x[c][oy*sh - ph + i*dh][ox*sw - pw + j*dw] (0 outside).
template <class T> void im2col(const T* x, int64_t channels, const Geometry& g, T* col) {
  const int64_t L = g.l();
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        T* row = col + ((c * g.kh + i) * g.kw + j) * L;
        const T* plane = x + c * g.h * g.w;
        for (int64_t oy = 0; oy < g.oh; ++oy) {
          int64_t iy = oy * g.sh - g.ph + i * g.dh;
          T* out = row + oy * g.ow;
          if (iy < 0 || iy >= g.h) {
            std::fill(out, out + g.ow, T(0));
            continue;
          }
          const T* src = plane + iy * g.w;
          int64_t ix0 = -g.pw + j * g.dw;
          if (g.sw == 1 && ix0 >= 0 && ix0 + g.ow <= g.w) {
            std::memcpy(out, src + ix0, size_t(g.ow) * sizeof(T));
            continue;
          }
          for (int64_t ox = 0; ox < g.ow; ++ox) {
            int64_t ix = ox * g.sw + ix0;
            out[ox] = (ix >= 0 && ix < g.w) ? src[ix] : T(0);
          }
        }
      }
}

// The adjoint of im2col: accumulate columns back into the image (x must start zeroed).
template <class T> void col2im(const T* col, int64_t channels, const Geometry& g, T* x) {
  const int64_t L = g.l();
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* row = col + ((c * g.kh + i) * g.kw + j) * L;
        T* plane = x + c * g.h * g.w;
        for (int64_t oy = 0; oy < g.oh; ++oy) {
          int64_t iy = oy * g.sh - g.ph + i * g.dh;
          if (iy < 0 || iy >= g.h) continue;
          const T* in = row + oy * g.ow;
          T* dst = plane + iy * g.w;
          int64_t ix0 = -g.pw + j * g.dw;
          for (int64_t ox = 0; ox < g.ow; ++ox) {
            int64_t ix = ox * g.sw + ix0;
            if (ix >= 0 && ix < g.w) dst[ix] += in[ox];
          }
        }
      }
}

// C = alpha * A @ B + beta * C with plain row-major strides (A: m x k, B: k x n, C: m x n).
template <class T>
void gemm(int64_t m, int64_t n, int64_t k, const T* a, int64_t a_rs, int64_t a_cs, const T* b, int64_t b_rs,
          int64_t b_cs, T* c, int64_t c_rs, double beta) {
  GemmArgs ga;
  ga.dtype = DtypeOf<T>::value;
  ga.batch = 1;
  ga.m = m;
  ga.n = n;
  ga.k = k;
  ga.a = reinterpret_cast<const char*>(a);
  ga.a_batch_stride = 0;
  ga.a_row_stride = a_rs;
  ga.a_col_stride = a_cs;
  ga.b = reinterpret_cast<const char*>(b);
  ga.b_batch_stride = 0;
  ga.b_row_stride = b_rs;
  ga.b_col_stride = b_cs;
  ga.c = reinterpret_cast<char*>(c);
  ga.c_batch_stride = 0;
  ga.c_row_stride = c_rs;
  ga.c_col_stride = 1;
  ga.alpha = 1;
  ga.beta = beta;
  gemm_stub.get(DeviceType::CPU, ga.dtype)(ga);
}

// Run f(n) for every image: in parallel over images when there are enough of them, otherwise one
// at a time so the GEMM inside can use the threads.
template <class F> void for_each_image(int64_t count, const F& f) {
  if (count >= get_num_threads()) parallel_for(0, count, 1, [&](int64_t b, int64_t e) { for (int64_t i = b; i < e; ++i) f(i); });
  else for (int64_t i = 0; i < count; ++i) f(i);
}

template <class T> void forward(const ConvArgs& a) {
  Geometry g(a);
  const T* x = reinterpret_cast<const T*>(a.input.data);
  const T* wt = reinterpret_cast<const T*>(a.weight.data);
  T* y = reinterpret_cast<T*>(a.output.data);
  const int64_t L = g.l(), K = g.k_g(), x_img = g.c_in * g.h * g.w, y_img = g.c_out * L;
  for_each_image(g.n, [&](int64_t n) {
    std::vector<T> buffer;
    const T* col = x + n * x_img;  // a 1x1 convolution reads the image itself
    if (!g.is_pointwise()) {
      buffer.resize(size_t(g.c_in * g.kh * g.kw * L));
      im2col(x + n * x_img, g.c_in, g, buffer.data());
      col = buffer.data();
    }
    for (int64_t grp = 0; grp < g.groups; ++grp)
      gemm<T>(g.cout_g(), L, K, wt + grp * g.cout_g() * K, K, 1, col + grp * K * L, L, 1,
              y + n * y_img + grp * g.cout_g() * L, L, 0.0);
  });
}

template <class T> void backward_input(const ConvArgs& a) {
  Geometry g(a);
  T* gx = reinterpret_cast<T*>(a.input.data);
  const T* wt = reinterpret_cast<const T*>(a.weight.data);
  const T* gy = reinterpret_cast<const T*>(a.output.data);
  const int64_t L = g.l(), K = g.k_g(), x_img = g.c_in * g.h * g.w, y_img = g.c_out * L;
  for_each_image(g.n, [&](int64_t n) {
    if (g.is_pointwise()) {  // gx = W^T @ gy
      for (int64_t grp = 0; grp < g.groups; ++grp)
        gemm<T>(K, L, g.cout_g(), wt + grp * g.cout_g() * K, 1, K, gy + n * y_img + grp * g.cout_g() * L, L, 1,
                gx + n * x_img + grp * K * L, L, 0.0);
      return;
    }
    std::vector<T> col(size_t(g.c_in * g.kh * g.kw * L));
    for (int64_t grp = 0; grp < g.groups; ++grp)
      gemm<T>(K, L, g.cout_g(), wt + grp * g.cout_g() * K, 1, K, gy + n * y_img + grp * g.cout_g() * L, L, 1,
              col.data() + grp * K * L, L, 0.0);
    std::fill(gx + n * x_img, gx + (n + 1) * x_img, T(0));
    col2im(col.data(), g.c_in, g, gx + n * x_img);
  });
}

template <class T> void backward_weight(const ConvArgs& a) {
  Geometry g(a);
  const T* x = reinterpret_cast<const T*>(a.input.data);
  T* gw = reinterpret_cast<T*>(a.weight.data);
  const T* gy = reinterpret_cast<const T*>(a.output.data);
  const int64_t L = g.l(), K = g.k_g(), x_img = g.c_in * g.h * g.w, y_img = g.c_out * L;
  const int64_t w_size = g.c_out * K;
  // Fixed chunking of the batch (independent of the thread count): partial sums per chunk.
  const int64_t chunks = std::min<int64_t>(g.n, 8), per = (g.n + chunks - 1) / std::max<int64_t>(chunks, 1);
  std::vector<T> partial(size_t(std::max<int64_t>(chunks, 1) * w_size), T(0));
  auto run_chunk = [&](int64_t ci) {
    std::vector<T> buffer;
    T* out = partial.data() + ci * w_size;
    for (int64_t n = ci * per; n < std::min(g.n, (ci + 1) * per); ++n) {
      const T* col = x + n * x_img;
      if (!g.is_pointwise()) {
        buffer.resize(size_t(g.c_in * g.kh * g.kw * L));
        im2col(x + n * x_img, g.c_in, g, buffer.data());
        col = buffer.data();
      }
      for (int64_t grp = 0; grp < g.groups; ++grp)  // gw[g] += gy[n, g] @ col[g]^T
        gemm<T>(g.cout_g(), K, L, gy + n * y_img + grp * g.cout_g() * L, L, 1, col + grp * K * L, 1, L,
                out + grp * g.cout_g() * K, K, 1.0);
    }
  };
  for_each_image(chunks, run_chunk);
  std::fill(gw, gw + w_size, T(0));
  for (int64_t ci = 0; ci < chunks; ++ci)
    for (int64_t i = 0; i < w_size; ++i) gw[i] += partial[size_t(ci * w_size + i)];
}

template <template <class> class Fn> void dispatch(const ConvArgs& a, const char* name) {
  switch (a.input.dtype) {
    case Dtype::Float32: return Fn<float>::run(a);
    case Dtype::Float64: return Fn<double>::run(a);
    default: EMBER_FAIL(Type, "[ember.", name, "] not implemented for dtype ", dtype_name(a.input.dtype));
  }
}
template <class T> struct Forward { static void run(const ConvArgs& a) { forward<T>(a); } };
template <class T> struct BackwardInput { static void run(const ConvArgs& a) { backward_input<T>(a); } };
template <class T> struct BackwardWeight { static void run(const ConvArgs& a) { backward_weight<T>(a); } };

}  // namespace

void conv2d_forward_kernel(const ConvArgs& a) { dispatch<Forward>(a, "conv2d"); }
void conv2d_backward_input_kernel(const ConvArgs& a) { dispatch<BackwardInput>(a, "conv2d_backward"); }
void conv2d_backward_weight_kernel(const ConvArgs& a) { dispatch<BackwardWeight>(a, "conv2d_backward"); }

namespace {
// F.unfold / F.fold reuse the conv loops above, one (image, channel) plane per task.
template <class T> void im2col_planes(const Im2colArgs& a, bool to_col) {
  const int64_t n = a.image.sizes[0], c = a.image.sizes[1], h = a.image.sizes[2], w = a.image.sizes[3];
  const int64_t oh = (h + 2 * a.padding[0] - a.dilation[0] * (a.kernel[0] - 1) - 1) / a.stride[0] + 1;
  const int64_t ow = (w + 2 * a.padding[1] - a.dilation[1] * (a.kernel[1] - 1) - 1) / a.stride[1] + 1;
  int64_t in_sizes[4] = {n, c, h, w}, w_sizes[4] = {1, c, a.kernel[0], a.kernel[1]}, out_sizes[4] = {n, 1, oh, ow};
  ConvArgs ca;
  ca.input.sizes = in_sizes;
  ca.weight.sizes = w_sizes;
  ca.output.sizes = out_sizes;
  for (int i = 0; i < 2; ++i) {
    ca.stride[i] = a.stride[i];
    ca.pad_before[i] = a.padding[i];
    ca.dilation[i] = a.dilation[i];
  }
  ca.groups = 1;
  const Geometry g(ca);
  T* img = reinterpret_cast<T*>(a.image.data);
  T* col = reinterpret_cast<T*>(a.col.data);
  const int64_t plane = h * w, rows = a.kernel[0] * a.kernel[1] * oh * ow;
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(rows + plane, 1));
  parallel_for(0, n * c, grain, [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      if (to_col) {
        im2col(img + p * plane, 1, g, col + p * rows);
      } else {
        std::fill(img + p * plane, img + (p + 1) * plane, T(0));
        col2im(col + p * rows, 1, g, img + p * plane);
      }
    }
  });
}
}  // namespace

void im2col_kernel(const Im2colArgs& a) {
  switch (a.image.dtype) {
    case Dtype::Float32: return im2col_planes<float>(a, true);
    case Dtype::Float64: return im2col_planes<double>(a, true);
    default: EMBER_FAIL(Type, "[ember.im2col] not implemented for dtype ", dtype_name(a.image.dtype));
  }
}
void col2im_kernel(const Im2colArgs& a) {
  switch (a.image.dtype) {
    case Dtype::Float32: return im2col_planes<float>(a, false);
    case Dtype::Float64: return im2col_planes<double>(a, false);
    default: EMBER_FAIL(Type, "[ember.col2im] not implemented for dtype ", dtype_name(a.image.dtype));
  }
}

}  // namespace ember::cpu
