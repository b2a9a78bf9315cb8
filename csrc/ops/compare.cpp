// Comparisons, logical and bitwise ops (bool or integer results, no gradients), isclose, allclose,
// equal. They share the generic binary path in binary.cpp.
#include "ops/binary_impl.h"

namespace ember {
namespace {
const BinarySpec kEq{"eq", &eq_stub, BinKind::Compare};
const BinarySpec kNe{"ne", &ne_stub, BinKind::Compare};
const BinarySpec kLt{"lt", &lt_stub, BinKind::Compare};
const BinarySpec kLe{"le", &le_stub, BinKind::Compare};
const BinarySpec kGt{"gt", &gt_stub, BinKind::Compare};
const BinarySpec kGe{"ge", &ge_stub, BinKind::Compare};
const BinarySpec kLogicalAnd{"logical_and", &logical_and_stub, BinKind::Compare};
const BinarySpec kLogicalOr{"logical_or", &logical_or_stub, BinKind::Compare};
const BinarySpec kLogicalXor{"logical_xor", &logical_xor_stub, BinKind::Compare};
const BinarySpec kBitAnd{"bitwise_and", &bitwise_and_stub, BinKind::Bits};
const BinarySpec kBitOr{"bitwise_or", &bitwise_or_stub, BinKind::Bits};
const BinarySpec kBitXor{"bitwise_xor", &bitwise_xor_stub, BinKind::Bits};
const BinarySpec kLShift{"bitwise_left_shift", &lshift_stub, BinKind::Shift};
const BinarySpec kRShift{"bitwise_right_shift", &rshift_stub, BinKind::Shift};
}  // namespace

#define EMBER_BINARY_GENERIC(name, spec)                                                          \
  Tensor name(const Tensor& a, const Tensor& b) { return binary_generic(spec, a, b); }           \
  Tensor name(const Tensor& a, const Scalar& b) { return binary_generic(spec, a, wrap_scalar(b)); } \
  Tensor& name##_(Tensor& a, const Tensor& b) { return binary_generic_(spec, a, b); }
EMBER_BINARY_GENERIC(eq, kEq)
EMBER_BINARY_GENERIC(ne, kNe)
EMBER_BINARY_GENERIC(lt, kLt)
EMBER_BINARY_GENERIC(le, kLe)
EMBER_BINARY_GENERIC(gt, kGt)
EMBER_BINARY_GENERIC(ge, kGe)
EMBER_BINARY_GENERIC(logical_and, kLogicalAnd)
EMBER_BINARY_GENERIC(logical_or, kLogicalOr)
EMBER_BINARY_GENERIC(logical_xor, kLogicalXor)
EMBER_BINARY_GENERIC(bitwise_and, kBitAnd)
EMBER_BINARY_GENERIC(bitwise_or, kBitOr)
EMBER_BINARY_GENERIC(bitwise_xor, kBitXor)
EMBER_BINARY_GENERIC(bitwise_left_shift, kLShift)
EMBER_BINARY_GENERIC(bitwise_right_shift, kRShift)
#undef EMBER_BINARY_GENERIC

// |a - b| <= atol + rtol * |b|, or a == b (covers equal infinities), or both NaN with equal_nan.
Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  EMBER_CHECK(a.dtype() == b.dtype(), Runtime, "[ember.isclose] expected both inputs to have same dtype, got ",
              dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
  EMBER_CHECK(rtol >= 0, Runtime, "[ember.isclose] rtol must be greater than or equal to zero, but got ", rtol);
  EMBER_CHECK(atol >= 0, Runtime, "[ember.isclose] atol must be greater than or equal to zero, but got ", atol);
  autograd::NoGradGuard no_grad;
  Tensor close = eq(a, b);
  if (a.dtype() == Dtype::Bool) return close;
  Tensor af = a.detach(), bf = b.detach();
  if (!is_floating_point(a.dtype())) {
    af = to_dtype(af, get_default_dtype());
    bf = to_dtype(bf, get_default_dtype());
  }
  Tensor diff = abs(sub(af, bf));
  close = logical_or(close, logical_and(isfinite(diff), le(diff, add(mul(abs(bf), rtol), atol))));
  if (equal_nan && is_floating_point(a.dtype())) close = logical_or(close, logical_and(isnan(a), isnan(b)));
  return close;
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  return all(isclose(a, b, rtol, atol, equal_nan)).item().to_bool();
}

bool equal(const Tensor& a, const Tensor& b) {
  if (a.sizes() != b.sizes()) return false;
  autograd::NoGradGuard no_grad;
  return all(eq(a, b)).item().to_bool();
}

}  // namespace ember
