#include "core/check.h"
#include "ember/dtype.h"
#include "ember/scalar.h"

namespace ember {
namespace {
Dtype g_default_dtype = Dtype::Float32;
}

size_t itemsize(Dtype d) {
  switch (d) {
#define EMBER_ITEMSIZE(T, name, pyname) \
  case Dtype::name: return sizeof(T);
    EMBER_FORALL_DTYPES(EMBER_ITEMSIZE)
#undef EMBER_ITEMSIZE
  }
  return 0;
}

const char* dtype_name(Dtype d) {
  switch (d) {
#define EMBER_NAME(T, name, pyname) \
  case Dtype::name: return #pyname;
    EMBER_FORALL_DTYPES(EMBER_NAME)
#undef EMBER_NAME
  }
  return "?";
}

bool is_floating_point(Dtype d) {
  return d == Dtype::Float16 || d == Dtype::BFloat16 || d == Dtype::Float32 || d == Dtype::Float64;
}
bool is_integral(Dtype d, bool include_bool) { return d == Dtype::Bool ? include_bool : !is_floating_point(d); }
bool is_signed(Dtype d) { return d != Dtype::Bool && d != Dtype::UInt8; }

// PyTorch's promotion lattice (c10 promoteTypes), in the enum's order:
// bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64.
Dtype promote_types(Dtype a, Dtype b) {
  using D = Dtype;
  constexpr D b1 = D::Bool, u1 = D::UInt8, i1 = D::Int8, i2 = D::Int16, i4 = D::Int32, i8 = D::Int64,
              f2 = D::Float16, bf = D::BFloat16, f4 = D::Float32, f8 = D::Float64;
  static constexpr D table[10][10] = {
      /*        b1  u1  i1  i2  i4  i8  f2  bf  f4  f8 */
      /* b1 */ {b1, u1, i1, i2, i4, i8, f2, bf, f4, f8},
      /* u1 */ {u1, u1, i2, i2, i4, i8, f2, bf, f4, f8},
      /* i1 */ {i1, i2, i1, i2, i4, i8, f2, bf, f4, f8},
      /* i2 */ {i2, i2, i2, i2, i4, i8, f2, bf, f4, f8},
      /* i4 */ {i4, i4, i4, i4, i4, i8, f2, bf, f4, f8},
      /* i8 */ {i8, i8, i8, i8, i8, i8, f2, bf, f4, f8},
      /* f2 */ {f2, f2, f2, f2, f2, f2, f2, f4, f4, f8},
      /* bf */ {bf, bf, bf, bf, bf, bf, f4, bf, f4, f8},
      /* f4 */ {f4, f4, f4, f4, f4, f4, f4, f4, f4, f8},
      /* f8 */ {f8, f8, f8, f8, f8, f8, f8, f8, f8, f8},
  };
  return table[int(a)][int(b)];
}

Dtype get_default_dtype() { return g_default_dtype; }
void set_default_dtype(Dtype d) {
  EMBER_CHECK(d == Dtype::Float32 || d == Dtype::Float64 || d == Dtype::Float16 || d == Dtype::BFloat16, Type,
              "[ember.set_default_dtype] only floating-point types are supported as the default type, got ", d);
  g_default_dtype = d;
}

Dtype Scalar::default_dtype() const {
  switch (kind_) {
    case Kind::Bool: return Dtype::Bool;
    case Kind::Int: return Dtype::Int64;
    default: return get_default_dtype();
  }
}

}  // namespace ember
