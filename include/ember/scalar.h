#pragma once
#include <cstdint>

#include "ember/api.h"
#include "ember/dtype.h"

namespace ember {

// A Python-like number. Its kind (bool/int/float) takes part in type promotion the way a
// Python scalar does in PyTorch: it never widens a tensor's dtype within the same category.
class EMBER_API Scalar {
 public:
  enum class Kind : int8_t { Bool, Int, Float };
  Scalar() : kind_(Kind::Int), i_(0) {}
  Scalar(bool v) : kind_(Kind::Bool), i_(v) {}
  Scalar(int v) : kind_(Kind::Int), i_(v) {}
  Scalar(long v) : kind_(Kind::Int), i_(v) {}
  Scalar(long long v) : kind_(Kind::Int), i_(v) {}
  Scalar(float v) : kind_(Kind::Float), d_(v) {}
  Scalar(double v) : kind_(Kind::Float), d_(v) {}

  Kind kind() const { return kind_; }
  bool is_floating_point() const { return kind_ == Kind::Float; }
  bool is_integral() const { return kind_ == Kind::Int; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  double to_double() const { return kind_ == Kind::Float ? d_ : double(i_); }
  int64_t to_int() const { return kind_ == Kind::Float ? int64_t(d_) : i_; }
  bool to_bool() const { return kind_ == Kind::Float ? d_ != 0 : i_ != 0; }
  template <class T> T to() const {
    if (kind_ == Kind::Float) return static_cast<T>(static_cast<opmath_t<T>>(d_));
    return static_cast<T>(static_cast<opmath_t<T>>(i_));
  }
  // The dtype PyTorch gives a tensor made from this scalar alone.
  Dtype default_dtype() const;

 private:
  Kind kind_;
  union {
    int64_t i_;
    double d_;
  };
};

template <> inline bool Scalar::to<bool>() const { return to_bool(); }

}  // namespace ember
