#pragma once
// Value conversion between element types, the way PyTorch's copy converts (16-bit floats go
// through float; anything nonzero becomes true).
#include <type_traits>

#include "ember/dtype.h"

namespace ember::cpu {

template <class To, class From> inline To cast_value(From x) {
  if constexpr (std::is_same_v<To, From>) {
    return x;
  } else if constexpr (std::is_same_v<To, bool>) {
    return static_cast<opmath_t<From>>(x) != opmath_t<From>(0);
  } else if constexpr (std::is_same_v<From, Half> || std::is_same_v<From, BFloat16>) {
    return static_cast<To>(static_cast<float>(x));
  } else if constexpr (std::is_same_v<To, Half> || std::is_same_v<To, BFloat16>) {
    return To(static_cast<float>(x));
  } else {
    return static_cast<To>(x);
  }
}

}  // namespace ember::cpu
