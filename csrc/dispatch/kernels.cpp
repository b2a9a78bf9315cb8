#include "dispatch/kernels.h"

#include "core/tensor_impl.h"

namespace ember {

View::View(const Tensor& t)
    : data(t.impl()->data()), dtype(t.dtype()), ndim(t.dim()), sizes(t.sizes().data()), strides(t.strides().data()) {}

#define EMBER_DEFINE_STUB(name, Fn) DispatchStub<Fn> name##_stub(#name);
EMBER_FORALL_KERNELS(EMBER_DEFINE_STUB)
#undef EMBER_DEFINE_STUB
#define EMBER_DEFINE_UNARY_STUB(name, ...) DispatchStub<ElementwiseFn> name##_stub(#name);
EMBER_UNARY_OPS(EMBER_DEFINE_UNARY_STUB)
#undef EMBER_DEFINE_UNARY_STUB

std::vector<StubStatus> kernel_table_status(DeviceType d) {
  init_backends();
  std::vector<StubStatus> out;
#define EMBER_STUB_STATUS(name, ...) out.push_back({#name, name##_stub.has(d)});
  EMBER_FORALL_KERNELS(EMBER_STUB_STATUS)
  EMBER_UNARY_OPS(EMBER_STUB_STATUS)
#undef EMBER_STUB_STATUS
  return out;
}

}  // namespace ember
