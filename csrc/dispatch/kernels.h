#pragma once
// THE kernel table: every kernel's argument type and its stub, grouped by family. A backend fills
// its column in one register function (kernels/cpu/register.cpp). Kernels take plain strided views
// and know nothing of autograd or refcounts.
#include <cstdint>
#include <vector>

#include "dispatch/dispatch.h"
#include "ember/scalar.h"
#include "ember/tensor.h"
#include "ops/unary_ops.def"

namespace ember {

// A dtype-erased strided view (strides in elements; pointer to the first element).
struct View {
  char* data = nullptr;
  Dtype dtype = Dtype::Float32;
  int64_t ndim = 0;
  const int64_t* sizes = nullptr;
  const int64_t* strides = nullptr;

  View() = default;
  explicit View(const Tensor& t);
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t i = 0; i < ndim; ++i) n *= sizes[i];
    return n;
  }
};

// Elementwise: out and in[0..nin) have identical sizes (broadcast dims have stride 0). The op layer
// casts inputs to the kernel's compute dtype first; `out` may have another dtype only where the
// kernel says so (comparisons write bool). s0, s1: op parameters (alpha, slope, min/max, ...).
struct ElementwiseArgs {
  View out;
  View in[3];
  int nin = 0;
  double s0 = 0, s1 = 0;
};
using ElementwiseFn = void (*)(const ElementwiseArgs&);

struct FillArgs {
  View out;
  Scalar value;
};
using FillFn = void (*)(const FillArgs&);

// Reductions: `out` has in's ndim with size 1 on reduced dims (stride 0 there); `index` (optional)
// receives int64 positions for arg-reductions. `param`: e.g. the norm's p or var's correction.
struct ReduceArgs {
  View out;
  View in;
  View index;
  double param = 0;
};
using ReduceFn = void (*)(const ReduceArgs&);

// C[b] = alpha * op(A[b]) @ op(B[b]) + beta * C[b] over `batch` matrices; all operands strided
// (row stride, col stride in elements, any sign-free layout), batch strides may be 0 (broadcast).
struct GemmArgs {
  Dtype dtype;
  int64_t batch, m, n, k;
  const char* a;
  int64_t a_batch_stride, a_row_stride, a_col_stride;
  const char* b;
  int64_t b_batch_stride, b_row_stride, b_col_stride;
  char* c;
  int64_t c_batch_stride, c_row_stride, c_col_stride;
  double alpha = 1, beta = 0;  // beta == 0: C is not read (may hold garbage)
};
using GemmFn = void (*)(const GemmArgs&);

// ---- the table: (stub name, kernel type), one list per family; EMBER_FORALL_KERNELS joins them.
// Unary ops are listed in ops/unary_ops.def and get one ElementwiseFn stub each (`exp_stub`, ...).
#define EMBER_COPY_KERNELS(_) \
  _(copy, ElementwiseFn)      \
  _(fill, FillFn)

#define EMBER_BINARY_KERNELS(_) \
  _(add, ElementwiseFn)         \
  _(sub, ElementwiseFn)         \
  _(mul, ElementwiseFn)         \
  _(div, ElementwiseFn)         \
  _(div_trunc, ElementwiseFn)   \
  _(div_floor, ElementwiseFn)   \
  _(remainder, ElementwiseFn)   \
  _(fmod, ElementwiseFn)        \
  _(pow, ElementwiseFn)         \
  _(atan2, ElementwiseFn)       \
  _(hypot, ElementwiseFn)       \
  _(maximum, ElementwiseFn)     \
  _(minimum, ElementwiseFn)     \
  _(fmax, ElementwiseFn)        \
  _(fmin, ElementwiseFn)        \
  _(copysign, ElementwiseFn)    \
  _(lerp, ElementwiseFn)        \
  _(bitwise_and, ElementwiseFn) \
  _(bitwise_or, ElementwiseFn)  \
  _(bitwise_xor, ElementwiseFn) \
  _(lshift, ElementwiseFn)      \
  _(rshift, ElementwiseFn)      \
  _(logical_and, ElementwiseFn) \
  _(logical_or, ElementwiseFn)  \
  _(logical_xor, ElementwiseFn) \
  _(eq, ElementwiseFn)          \
  _(ne, ElementwiseFn)          \
  _(lt, ElementwiseFn)          \
  _(le, ElementwiseFn)          \
  _(gt, ElementwiseFn)          \
  _(ge, ElementwiseFn)

// Hand-written unary kernels (the table-driven ones come from unary_ops.def).
#define EMBER_UNARY_EXTRA_KERNELS(_) \
  _(isnan, ElementwiseFn)            \
  _(threshold_backward, ElementwiseFn) \
  _(isinf, ElementwiseFn)            \
  _(isfinite, ElementwiseFn)         \
  _(isposinf, ElementwiseFn)         \
  _(isneginf, ElementwiseFn)         \
  _(logical_not, ElementwiseFn)      \
  _(bitwise_not, ElementwiseFn)      \
  _(clamp, ElementwiseFn)            \
  _(leaky_relu, ElementwiseFn)       \
  _(elu, ElementwiseFn)              \
  _(softplus, ElementwiseFn)         \
  _(gelu, ElementwiseFn)             \
  _(threshold, ElementwiseFn)        \
  _(round_decimals, ElementwiseFn)

#define EMBER_REDUCE_KERNELS(_) \
  _(sum, ReduceFn)              \
  _(any, ReduceFn)              \
  _(all, ReduceFn)

#define EMBER_SORT_KERNELS(_)

#define EMBER_SHAPE_KERNELS(_)

#define EMBER_INDEXING_KERNELS(_) \
  _(where, ElementwiseFn)

#define EMBER_LINALG_KERNELS(_) \
  _(gemm, GemmFn)

#define EMBER_RANDOM_KERNELS(_)

#define EMBER_NN_KERNELS(_)

#define EMBER_FORALL_KERNELS(_) \
  EMBER_COPY_KERNELS(_)         \
  EMBER_BINARY_KERNELS(_)       \
  EMBER_UNARY_EXTRA_KERNELS(_)  \
  EMBER_REDUCE_KERNELS(_)       \
  EMBER_SORT_KERNELS(_)         \
  EMBER_SHAPE_KERNELS(_)        \
  EMBER_INDEXING_KERNELS(_)     \
  EMBER_LINALG_KERNELS(_)       \
  EMBER_RANDOM_KERNELS(_)       \
  EMBER_NN_KERNELS(_)

#define EMBER_DECLARE_STUB(name, Fn) extern DispatchStub<Fn> name##_stub;
EMBER_FORALL_KERNELS(EMBER_DECLARE_STUB)
#undef EMBER_DECLARE_STUB
#define EMBER_DECLARE_UNARY_STUB(name, ...) extern DispatchStub<ElementwiseFn> name##_stub;
EMBER_UNARY_OPS(EMBER_DECLARE_UNARY_STUB)
#undef EMBER_DECLARE_UNARY_STUB

// For the completeness test: (stub name, has a kernel) for every stub on one device type.
struct StubStatus {
  const char* name;
  bool registered;
};
std::vector<StubStatus> kernel_table_status(DeviceType d);

}  // namespace ember
