// Elementwise kernels on the GPU: copy (with casts), fill, the binary arithmetic / comparison /
// bitwise ops and the unary table (ops/unary_ops.def), all through iter.cuh and the scalar
// functors the CPU uses. Integer division by zero is not checked here (CUDA kernels cannot raise
// mid-flight; PyTorch's CUDA backend does not check it either).
#include <limits>

#include "kernels/cuda/iter.cuh"
#include "kernels/cuda/kernels.h"

namespace ember::gpu {
namespace {

// ---- functor adapters: each maps op-math values, the way the CPU's lambdas do.
template <class Out> struct Identity {
  template <class V> __device__ V operator()(V x) const { return x; }
};
template <class T> struct Constant {
  op_t<T> v;
  __device__ op_t<T> operator()() const { return v; }
};
// Binary op on op-math values, the result cast back to T (CPU: static_cast<T>(F()(op(x), op(y)))).
template <class F, class T> struct Binary {
  __device__ op_t<T> operator()(op_t<T> x, op_t<T> y) const { return static_cast<op_t<T>>(F()(x, y)); }
};
template <class F, class T> struct BinaryAlpha {
  op_t<T> alpha;
  __device__ op_t<T> operator()(op_t<T> x, op_t<T> y) const { return static_cast<op_t<T>>(F()(x, y, alpha)); }
};
template <class F, class T> struct Compare {
  __device__ bool operator()(op_t<T> x, op_t<T> y) const { return F()(x, y); }
};
template <class F, class T> struct Unary {
  __device__ op_t<T> operator()(op_t<T> x) const { return static_cast<op_t<T>>(F()(x)); }
};
template <class F, class T> struct UnaryParams {
  op_t<T> p0, p1;
  __device__ op_t<T> operator()(op_t<T> x) const { return static_cast<op_t<T>>(F()(x, p0, p1)); }
};
template <class F, class T> struct Predicate {
  __device__ bool operator()(op_t<T> x) const { return F()(x); }
};
template <class T> struct Where {
  __device__ op_t<T> operator()(bool c, op_t<T> x, op_t<T> y) const { return c ? x : y; }
};
template <class T> struct Lerp3 {
  __device__ op_t<T> operator()(op_t<T> s, op_t<T> e, op_t<T> w) const { return functors::Lerp()(s, e, w); }
};
template <class T> struct ThresholdBackward {
  op_t<T> threshold;
  __device__ op_t<T> operator()(op_t<T> g, op_t<T> x) const { return x > threshold ? g : op_t<T>(0); }
};
template <class T> struct Clamp {
  op_t<T> lo, hi;
  __device__ op_t<T> operator()(op_t<T> x) const {
    op_t<T> r = x < lo ? lo : x;
    return r > hi ? hi : r;
  }
};
template <class T> struct LogicalNot {
  __device__ bool operator()(op_t<T> x) const { return x == op_t<T>(0); }
};
template <class T> struct BitNot {
  __device__ T operator()(T x) const {
    if constexpr (std::is_same_v<T, bool>) return !x;
    else return static_cast<T>(~x);
  }
};
template <class T> struct RoundDecimals {
  op_t<T> ten;
  bool neg;
  __device__ op_t<T> operator()(op_t<T> x) const { return neg ? nearbyint(x / ten) * ten : nearbyint(x * ten) / ten; }
};

template <class T> T saturate(double v) {
  if constexpr (std::is_integral_v<T>) {
    if (!(v > double(std::numeric_limits<T>::lowest()))) return std::numeric_limits<T>::lowest();
    if (!(v < double(std::numeric_limits<T>::max()))) return std::numeric_limits<T>::max();
    return T(v);
  } else {
    return T(v);
  }
}

// ---- launch helpers by dtype family
template <class F> void binary_all(const ElementwiseArgs& a, const char* op) {
  const View* in[2] = {&a.in[0], &a.in[1]};
  EMBER_GPU_DISPATCH(a.out.dtype, op, EMBER_GPU_ALL_CASES,
                     [&] { launch_elementwise<scalar_t, scalar_t, scalar_t>(a.out, in, Binary<F, scalar_t>{}, op); });
}
template <class F> void binary_numeric(const ElementwiseArgs& a, const char* op) {
  const View* in[2] = {&a.in[0], &a.in[1]};
  EMBER_GPU_DISPATCH(a.out.dtype, op, EMBER_GPU_NUMERIC_CASES,
                     [&] { launch_elementwise<scalar_t, scalar_t, scalar_t>(a.out, in, Binary<F, scalar_t>{}, op); });
}
template <class F> void binary_floating(const ElementwiseArgs& a, const char* op) {
  const View* in[2] = {&a.in[0], &a.in[1]};
  EMBER_GPU_DISPATCH(a.out.dtype, op, EMBER_GPU_FLOAT_CASES,
                     [&] { launch_elementwise<scalar_t, scalar_t, scalar_t>(a.out, in, Binary<F, scalar_t>{}, op); });
}
template <class F> void binary_int_bool(const ElementwiseArgs& a, const char* op) {
  const View* in[2] = {&a.in[0], &a.in[1]};
  EMBER_GPU_DISPATCH(a.out.dtype, op, EMBER_GPU_INT_BOOL_CASES,
                     [&] { launch_elementwise<scalar_t, scalar_t, scalar_t>(a.out, in, Binary<F, scalar_t>{}, op); });
}
template <class F> void binary_int(const ElementwiseArgs& a, const char* op) {
  const View* in[2] = {&a.in[0], &a.in[1]};
  EMBER_GPU_DISPATCH(a.out.dtype, op, EMBER_GPU_INT_CASES,
                     [&] { launch_elementwise<scalar_t, scalar_t, scalar_t>(a.out, in, Binary<F, scalar_t>{}, op); });
}
template <class F> void binary_alpha(const ElementwiseArgs& a, const char* op) {
  const View* in[2] = {&a.in[0], &a.in[1]};
  EMBER_GPU_DISPATCH(a.out.dtype, op, EMBER_GPU_ALL_CASES, [&] {
    using T = scalar_t;
    launch_elementwise<T, T, T>(a.out, in, BinaryAlpha<F, T>{static_cast<op_t<T>>(a.s0)}, op);
  });
}
// Inputs in the common dtype, output bool.
template <class F> void compare(const ElementwiseArgs& a, const char* op) {
  const View* in[2] = {&a.in[0], &a.in[1]};
  EMBER_GPU_DISPATCH(a.in[0].dtype, op, EMBER_GPU_ALL_CASES,
                     [&] { launch_elementwise<bool, scalar_t, scalar_t>(a.out, in, Compare<F, scalar_t>{}, op); });
}
template <class F> void unary_float(const ElementwiseArgs& a, const char* op) {
  const View* in[1] = {&a.in[0]};
  EMBER_GPU_DISPATCH(a.out.dtype, op, EMBER_GPU_FLOAT_CASES,
                     [&] { launch_elementwise<scalar_t, scalar_t>(a.out, in, Unary<F, scalar_t>{}, op); });
}
template <class F> void unary_same(const ElementwiseArgs& a, const char* op) {
  const View* in[1] = {&a.in[0]};
  EMBER_GPU_DISPATCH(a.out.dtype, op, EMBER_GPU_NUMERIC_CASES,
                     [&] { launch_elementwise<scalar_t, scalar_t>(a.out, in, Unary<F, scalar_t>{}, op); });
}
template <class F> void unary_param_float(const ElementwiseArgs& a, const char* op) {
  const View* in[1] = {&a.in[0]};
  EMBER_GPU_DISPATCH(a.out.dtype, op, EMBER_GPU_FLOAT_CASES, [&] {
    using T = scalar_t;
    launch_elementwise<T, T>(a.out, in, UnaryParams<F, T>{op_t<T>(a.s0), op_t<T>(a.s1)}, op);
  });
}
template <class F> void predicate(const ElementwiseArgs& a, const char* op) {
  const View* in[1] = {&a.in[0]};
  EMBER_GPU_DISPATCH(a.in[0].dtype, op, EMBER_GPU_ALL_CASES,
                     [&] { launch_elementwise<bool, scalar_t>(a.out, in, Predicate<F, scalar_t>{}, op); });
}

}  // namespace

// ---- copy / fill
template <class Out> void copy_from(const ElementwiseArgs& a) {
  const View* in[1] = {&a.in[0]};
  EMBER_GPU_DISPATCH(a.in[0].dtype, "copy_", EMBER_GPU_ALL_CASES,
                     [&] { launch_elementwise<Out, scalar_t>(a.out, in, Identity<Out>{}, "copy_"); });
}

void copy_kernel(const ElementwiseArgs& a) {
  // Same dtype and both contiguous: one device-to-device memcpy.
  const View& o = a.out;
  const View& i = a.in[0];
  if (o.dtype == i.dtype) {
    bool contiguous = true;
    int64_t expect = 1;
    for (int64_t d = o.ndim - 1; d >= 0 && contiguous; --d) {
      if (o.sizes[d] == 1) continue;
      contiguous = o.strides[d] == expect && i.strides[d] == expect;
      expect *= o.sizes[d];
    }
    if (contiguous) {
      const int device = current_device();
      EMBER_CUDA_CHECK(cudaMemcpyAsync(o.data, i.data, size_t(o.numel()) * elem_size(o.dtype), cudaMemcpyDeviceToDevice,
                                       current_stream(device)),
                       "copy_");
      return;
    }
  }
  EMBER_GPU_DISPATCH(a.out.dtype, "copy_", EMBER_GPU_ALL_CASES, [&] { copy_from<scalar_t>(a); });
}

void fill_kernel(const FillArgs& a) {
  EMBER_GPU_DISPATCH(a.out.dtype, "fill_", EMBER_GPU_ALL_CASES, [&] {
    using T = scalar_t;
    op_t<T> v;
    if constexpr (std::is_same_v<T, bool>) v = a.value.to_bool();
    else if constexpr (std::is_same_v<op_t<T>, float> && !std::is_same_v<T, float>) v = float(a.value.to_double());
    else v = a.value.to<T>();
    const View* views[1] = {&a.out};
    Geometry<1> g = make_geometry<1>(views, "fill_");
    if (g.numel == 0) return;
    const int device = current_device();
    elementwise_kernel<Constant<T>, T><<<grid_for(g.numel, device), kThreads, 0, current_stream(device)>>>(g, Constant<T>{v});
    EMBER_CUDA_LAUNCH_CHECK("fill_");
  });
}

// ---- binary
void add_kernel(const ElementwiseArgs& a) { binary_alpha<functors::Add>(a, "add"); }
void sub_kernel(const ElementwiseArgs& a) { binary_alpha<functors::Sub>(a, "sub"); }
void mul_kernel(const ElementwiseArgs& a) { binary_all<functors::Mul>(a, "mul"); }
void div_kernel(const ElementwiseArgs& a) { binary_all<functors::Div>(a, "div"); }
void div_trunc_kernel(const ElementwiseArgs& a) { binary_numeric<functors::DivTrunc>(a, "div"); }
void div_floor_kernel(const ElementwiseArgs& a) { binary_numeric<functors::DivFloor>(a, "div"); }
void remainder_kernel(const ElementwiseArgs& a) { binary_numeric<functors::Remainder>(a, "remainder"); }
void fmod_kernel(const ElementwiseArgs& a) { binary_numeric<functors::Fmod>(a, "fmod"); }
void pow_kernel(const ElementwiseArgs& a) { binary_numeric<functors::Pow>(a, "pow"); }
void atan2_kernel(const ElementwiseArgs& a) { binary_floating<functors::Atan2>(a, "atan2"); }
void hypot_kernel(const ElementwiseArgs& a) { binary_floating<functors::Hypot>(a, "hypot"); }
void xlogy_kernel(const ElementwiseArgs& a) { binary_floating<functors::Xlogy>(a, "xlogy"); }
void maximum_kernel(const ElementwiseArgs& a) {
  if (a.out.dtype == Dtype::Bool) return binary_int_bool<functors::BitOr>(a, "maximum");
  binary_numeric<functors::Maximum>(a, "maximum");
}
void minimum_kernel(const ElementwiseArgs& a) {
  if (a.out.dtype == Dtype::Bool) return binary_int_bool<functors::BitAnd>(a, "minimum");
  binary_numeric<functors::Minimum>(a, "minimum");
}
void fmax_kernel(const ElementwiseArgs& a) { binary_numeric<functors::Fmax>(a, "fmax"); }
void fmin_kernel(const ElementwiseArgs& a) { binary_numeric<functors::Fmin>(a, "fmin"); }
void copysign_kernel(const ElementwiseArgs& a) { binary_floating<functors::Copysign>(a, "copysign"); }
void bitwise_and_kernel(const ElementwiseArgs& a) { binary_int_bool<functors::BitAnd>(a, "bitwise_and"); }
void bitwise_or_kernel(const ElementwiseArgs& a) { binary_int_bool<functors::BitOr>(a, "bitwise_or"); }
void bitwise_xor_kernel(const ElementwiseArgs& a) { binary_int_bool<functors::BitXor>(a, "bitwise_xor"); }
void lshift_kernel(const ElementwiseArgs& a) { binary_int<functors::LShift>(a, "bitwise_left_shift"); }
void rshift_kernel(const ElementwiseArgs& a) { binary_int<functors::RShift>(a, "bitwise_right_shift"); }
void logical_and_kernel(const ElementwiseArgs& a) { compare<functors::LogicalAnd>(a, "logical_and"); }
void logical_or_kernel(const ElementwiseArgs& a) { compare<functors::LogicalOr>(a, "logical_or"); }
void logical_xor_kernel(const ElementwiseArgs& a) { compare<functors::LogicalXor>(a, "logical_xor"); }
void eq_kernel(const ElementwiseArgs& a) { compare<functors::Eq>(a, "eq"); }
void ne_kernel(const ElementwiseArgs& a) { compare<functors::Ne>(a, "ne"); }
void lt_kernel(const ElementwiseArgs& a) { compare<functors::Lt>(a, "lt"); }
void le_kernel(const ElementwiseArgs& a) { compare<functors::Le>(a, "le"); }
void gt_kernel(const ElementwiseArgs& a) { compare<functors::Gt>(a, "gt"); }
void ge_kernel(const ElementwiseArgs& a) { compare<functors::Ge>(a, "ge"); }

void lerp_kernel(const ElementwiseArgs& a) {
  const View* in[3] = {&a.in[0], &a.in[1], &a.in[2]};
  EMBER_GPU_DISPATCH(a.out.dtype, "lerp", EMBER_GPU_FLOAT_CASES, [&] {
    using T = scalar_t;
    launch_elementwise<T, T, T, T>(a.out, in, Lerp3<T>{}, "lerp");
  });
}

void where_kernel(const ElementwiseArgs& a) {
  const View* in[3] = {&a.in[0], &a.in[1], &a.in[2]};
  EMBER_GPU_DISPATCH(a.out.dtype, "where", EMBER_GPU_ALL_CASES, [&] {
    using T = scalar_t;
    launch_elementwise<T, bool, T, T>(a.out, in, Where<T>{}, "where");
  });
}

// ---- unary: hand-written ones
void isnan_kernel(const ElementwiseArgs& a) { predicate<functors::IsNan>(a, "isnan"); }
void isinf_kernel(const ElementwiseArgs& a) { predicate<functors::IsInf>(a, "isinf"); }
void isfinite_kernel(const ElementwiseArgs& a) { predicate<functors::IsFinite>(a, "isfinite"); }
void isposinf_kernel(const ElementwiseArgs& a) { predicate<functors::IsPosInf>(a, "isposinf"); }
void isneginf_kernel(const ElementwiseArgs& a) { predicate<functors::IsNegInf>(a, "isneginf"); }

void logical_not_kernel(const ElementwiseArgs& a) {
  const View* in[1] = {&a.in[0]};
  EMBER_GPU_DISPATCH(a.in[0].dtype, "logical_not", EMBER_GPU_ALL_CASES,
                     [&] { launch_elementwise<bool, scalar_t>(a.out, in, LogicalNot<scalar_t>{}, "logical_not"); });
}

void bitwise_not_kernel(const ElementwiseArgs& a) {
  const View* in[1] = {&a.in[0]};
  EMBER_GPU_DISPATCH(a.out.dtype, "bitwise_not", EMBER_GPU_INT_BOOL_CASES,
                     [&] { launch_elementwise<scalar_t, scalar_t>(a.out, in, BitNot<scalar_t>{}, "bitwise_not"); });
}

// s0 = min, s1 = max (-inf / +inf when absent).
void clamp_kernel(const ElementwiseArgs& a) {
  const View* in[1] = {&a.in[0]};
  EMBER_GPU_DISPATCH(a.out.dtype, "clamp", EMBER_GPU_NUMERIC_CASES, [&] {
    using T = scalar_t;
    launch_elementwise<T, T>(a.out, in, Clamp<T>{saturate<op_t<T>>(a.s0), saturate<op_t<T>>(a.s1)}, "clamp");
  });
}

void leaky_relu_kernel(const ElementwiseArgs& a) { unary_param_float<functors::LeakyRelu>(a, "leaky_relu"); }
void elu_kernel(const ElementwiseArgs& a) { unary_param_float<functors::Elu>(a, "elu"); }
void softplus_kernel(const ElementwiseArgs& a) { unary_param_float<functors::Softplus>(a, "softplus"); }
void gelu_kernel(const ElementwiseArgs& a) { unary_param_float<functors::Gelu>(a, "gelu"); }

void threshold_kernel(const ElementwiseArgs& a) {
  const View* in[1] = {&a.in[0]};
  EMBER_GPU_DISPATCH(a.out.dtype, "threshold", EMBER_GPU_NUMERIC_CASES, [&] {
    using T = scalar_t;
    launch_elementwise<T, T>(a.out, in, UnaryParams<functors::Threshold, T>{op_t<T>(a.s0), op_t<T>(a.s1)}, "threshold");
  });
}

void threshold_backward_kernel(const ElementwiseArgs& a) {
  const View* in[2] = {&a.in[0], &a.in[1]};
  EMBER_GPU_DISPATCH(a.out.dtype, "threshold_backward", EMBER_GPU_NUMERIC_CASES, [&] {
    using T = scalar_t;
    launch_elementwise<T, T, T>(a.out, in, ThresholdBackward<T>{op_t<T>(a.s0)}, "threshold_backward");
  });
}

void round_decimals_kernel(const ElementwiseArgs& a) {
  const View* in[1] = {&a.in[0]};
  EMBER_GPU_DISPATCH(a.out.dtype, "round", EMBER_GPU_FLOAT_CASES, [&] {
    using T = scalar_t;
    const int64_t d = int64_t(a.s0);
    const bool neg = d < 0;
    const op_t<T> ten = std::pow(op_t<T>(10), op_t<T>(neg ? -d : d));
    launch_elementwise<T, T>(a.out, in, RoundDecimals<T>{ten, neg}, "round");
  });
}

// ---- unary: the table (ops/unary_ops.def)
#define EMBER_GPU_UNARY_Float(name, F) \
  void name##_kernel(const ElementwiseArgs& a) { unary_float<functors::F>(a, #name); }
#define EMBER_GPU_UNARY_Same(name, F) \
  void name##_kernel(const ElementwiseArgs& a) { unary_same<functors::F>(a, #name); }
#define EMBER_GPU_UNARY_FloatOnly(name, F) EMBER_GPU_UNARY_Float(name, F)
#define EMBER_GPU_UNARY(name, F, kind, ...) EMBER_GPU_UNARY_##kind(name, F)
EMBER_UNARY_OPS(EMBER_GPU_UNARY)
#undef EMBER_GPU_UNARY

}  // namespace ember::gpu
