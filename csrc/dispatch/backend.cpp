#include "dispatch/backend.h"

namespace ember {

const BackendApi* backend_api() {
  static const BackendApi* api = [] {
    auto* a = new BackendApi();  // never destroyed: a backend may hold it until exit
#define EMBER_BACKEND_FILL(name, ...) a->stubs.name = &name##_stub;
    EMBER_FORALL_KERNELS(EMBER_BACKEND_FILL)
    EMBER_UNARY_OPS(EMBER_BACKEND_FILL)
#undef EMBER_BACKEND_FILL
    a->set_allocator = &set_allocator;
    a->set_device_hooks = &set_device_hooks;
    return a;
  }();
  return api;
}

}  // namespace ember
