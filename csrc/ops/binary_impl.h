#pragma once
// Private helpers shared by binary.cpp, compare.cpp and activation.cpp.
#include <initializer_list>

#include "ops/op_utils.h"

namespace ember {

// out = f(a, b) with broadcasting: inputs cast to `compute`, output allocated in `out_dtype` (bool
// for comparisons) unless `out_opt` gives it (already of the broadcast shape and out_dtype).
Tensor binary_op_out(const DispatchStub<ElementwiseFn>& stub, const char* op, const Tensor& a, const Tensor& b,
                     Dtype compute, Dtype out_dtype, double s0 = 0, const Tensor* out_opt = nullptr);

// PyTorch's result_type over several operands (undefined tensors are skipped).
Dtype result_type_list(std::initializer_list<Tensor> ts);

// How a binary op picks its compute dtype (see binary_dtype in binary.cpp).
enum class BinKind { Numeric, MinMax, Float, Bits, Shift, Compare };

// The backward of a generic binary op: (grad, a, b, result) -> (grad_a, grad_b) before reduction
// to the input shapes; either may be left undefined.
// need_a / need_b: which gradients are wanted.
using BinaryGradFn = std::pair<Tensor, Tensor> (*)(const Tensor& g, const Tensor& a, const Tensor& b, const Tensor& r,
                                                   bool need_a, bool need_b);

struct BinarySpec {
  const char* name;
  const DispatchStub<ElementwiseFn>* stub;
  BinKind kind;
  const char* node_name = nullptr;  // nullptr: not differentiable
  BinaryGradFn grad = nullptr;
  bool save_result = false;
};

Tensor binary_generic(const BinarySpec& spec, const Tensor& a, const Tensor& b);
Tensor& binary_generic_(const BinarySpec& spec, Tensor& a, const Tensor& b);

// A 0-dim zero of t's dtype and device (for where()).
inline Tensor zero_of(const Tensor& t) { return scalar_tensor(0, TensorOptions(t.dtype()).device(t.device())); }

}  // namespace ember
