#pragma once
#include <cstdint>
#include <cstring>
#include <string>

#include "ember/api.h"

namespace ember {

// IEEE half and bfloat16 storage types; arithmetic happens in float.
struct Half {
  uint16_t bits = 0;
  Half() = default;
  Half(float f) : bits(from_float(f)) {}
  operator float() const { return to_float(bits); }

  static float to_float(uint16_t h) {
    uint32_t sign = uint32_t(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ffu, out;
    if (exp == 0) {
      if (man == 0) {
        out = sign;
      } else {  // subnormal: renormalise
        int e = -1;
        do { ++e; man <<= 1; } while ((man & 0x400u) == 0);
        out = sign | uint32_t(127 - 15 - e) << 23 | (man & 0x3ffu) << 13;
      }
    } else if (exp == 0x1f) {
      out = sign | 0x7f800000u | man << 13;
    } else {
      out = sign | (exp + 127 - 15) << 23 | man << 13;
    }
    float f;
    std::memcpy(&f, &out, 4);
    return f;
  }
  static uint16_t from_float(float f) {  // round to nearest even
    uint32_t x;
    std::memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    x &= 0x7fffffffu;
    if (x >= 0x7f800000u) return uint16_t(sign | 0x7c00u | (x > 0x7f800000u ? 0x200u : 0));
    if (x >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // overflow -> inf
    if (x < 0x38800000u) {                                   // subnormal or zero
      if (x < 0x33000000u) return uint16_t(sign);
      uint32_t e = x >> 23, m = (x & 0x7fffffu) | 0x800000u;
      uint32_t shift = 126 - e;  // 14 + (113 - e)
      uint32_t half_m = m >> shift, rem = m & ((1u << shift) - 1), halfway = 1u << (shift - 1);
      if (rem > halfway || (rem == halfway && (half_m & 1))) ++half_m;
      return uint16_t(sign | half_m);
    }
    uint32_t r = x + 0xfffu + ((x >> 13) & 1u);
    return uint16_t(sign | ((r - 0x38000000u) >> 13));
  }
};

struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  BFloat16(float f) : bits(from_float(f)) {}
  operator float() const {
    uint32_t x = uint32_t(bits) << 16;
    float f;
    std::memcpy(&f, &x, 4);
    return f;
  }
  static uint16_t from_float(float f) {
    uint32_t x;
    std::memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x40u);  // quiet NaN
    return uint16_t((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
  }
};

// The one list of dtypes: (C++ type, enum name, Python name). Everything else expands it.
#define EMBER_FORALL_DTYPES(_)          \
  _(bool, Bool, bool)                   \
  _(uint8_t, UInt8, uint8)              \
  _(int8_t, Int8, int8)                 \
  _(int16_t, Int16, int16)              \
  _(int32_t, Int32, int32)              \
  _(int64_t, Int64, int64)              \
  _(::ember::Half, Float16, float16)    \
  _(::ember::BFloat16, BFloat16, bfloat16) \
  _(float, Float32, float32)            \
  _(double, Float64, float64)

enum class Dtype : int8_t {
#define EMBER_DTYPE_ENUM(T, name, pyname) name,
  EMBER_FORALL_DTYPES(EMBER_DTYPE_ENUM)
#undef EMBER_DTYPE_ENUM
};
constexpr int kNumDtypes = 10;

EMBER_API size_t itemsize(Dtype d);
EMBER_API const char* dtype_name(Dtype d);  // "float32"
EMBER_API bool is_floating_point(Dtype d);
EMBER_API bool is_integral(Dtype d, bool include_bool);
EMBER_API bool is_signed(Dtype d);
EMBER_API Dtype promote_types(Dtype a, Dtype b);
EMBER_API Dtype get_default_dtype();
EMBER_API void set_default_dtype(Dtype d);

template <class T> struct DtypeOf;
#define EMBER_DTYPE_OF(T, name, pyname) \
  template <> struct DtypeOf<T> { static constexpr Dtype value = Dtype::name; };
EMBER_FORALL_DTYPES(EMBER_DTYPE_OF)
#undef EMBER_DTYPE_OF

// The type arithmetic runs in: float for the 16-bit floats, the type itself otherwise.
template <class T> struct OpMath { using type = T; };
template <> struct OpMath<Half> { using type = float; };
template <> struct OpMath<BFloat16> { using type = float; };
template <class T> using opmath_t = typename OpMath<T>::type;

}  // namespace ember
