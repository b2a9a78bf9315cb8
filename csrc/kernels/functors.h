#pragma once
// Scalar math shared by the CPU and CUDA kernels: each functor maps opmath values (float for the
// 16-bit floats) to a result. The same functor compiles into every backend's elementwise loop.
#include <cmath>
#include <cstdint>
#include <type_traits>

#if defined(__CUDACC__)
#define EMBER_HD __host__ __device__ __forceinline__
#else
#define EMBER_HD inline
#endif

namespace ember::functors {

// ---- unary (see ops/unary_ops.def)
struct Neg {
  template <class T> EMBER_HD T operator()(T x) const { return -x; }
};
struct Exp {
  template <class T> EMBER_HD T operator()(T x) const { return std::exp(x); }
};
struct Log {
  template <class T> EMBER_HD T operator()(T x) const { return std::log(x); }
};
struct Sqrt {
  template <class T> EMBER_HD T operator()(T x) const { return std::sqrt(x); }
};
struct Tanh {
  template <class T> EMBER_HD T operator()(T x) const { return std::tanh(x); }
};
struct Sigmoid {
  template <class T> EMBER_HD T operator()(T x) const { return T(1) / (T(1) + std::exp(-x)); }
};
struct Relu {
  template <class T> EMBER_HD T operator()(T x) const { return x > T(0) ? x : T(0); }
};
struct IsNan {
  template <class T> EMBER_HD bool operator()(T x) const { return x != x; }
};

// ---- binary; s0 carries alpha for add/sub
struct Add {
  template <class T> EMBER_HD T operator()(T a, T b, T alpha) const { return a + alpha * b; }
};
struct Sub {
  template <class T> EMBER_HD T operator()(T a, T b, T alpha) const { return a - alpha * b; }
};
struct Mul {
  template <class T> EMBER_HD T operator()(T a, T b) const { return a * b; }
};
struct Div {
  template <class T> EMBER_HD T operator()(T a, T b) const { return a / b; }
};
struct DivTrunc {
  template <class T> EMBER_HD T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) return a / b;
    else return std::trunc(a / b);
  }
};
struct DivFloor {
  template <class T> EMBER_HD T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T>) {
      T q = a / b;
      return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
    } else {
      // Python's floor division: floor(a / b) computed from fmod for exactness.
      if (b == T(0)) return a / b;
      T mod = std::fmod(a, b);
      T div = (a - mod) / b;
      if (mod != T(0) && ((b < T(0)) != (mod < T(0)))) div -= T(1);
      if (div == T(0)) return std::copysign(T(0), a / b);
      T floordiv = std::floor(div);
      if (div - floordiv > T(0.5)) floordiv += T(1);
      return floordiv;
    }
  }
};

}  // namespace ember::functors
