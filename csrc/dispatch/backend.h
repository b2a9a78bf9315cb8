#pragma once
// The backend API: everything an out-of-module backend (ember._cuda) needs from the core, in one
// struct handed over as the capsule `ember._C._backend_api`. The core is a static library linked
// into ember._C; a backend module must not link a second copy of it (it would fill a second,
// unused kernel table), so it reaches the one table through these pointers instead.
// The stub list is generated from EMBER_FORALL_KERNELS / EMBER_UNARY_OPS, so it never goes stale;
// `size` and `version` catch a backend built against another header.
#include <cstdint>

#include "core/allocator.h"
#include "core/device_hooks.h"
#include "dispatch/kernels.h"

namespace ember {

constexpr uint32_t kBackendApiVersion = 1;
constexpr const char* kBackendApiCapsuleName = "ember._C._backend_api";

struct BackendApi {
  uint32_t version = kBackendApiVersion;
  uint32_t size = sizeof(BackendApi);
  struct Stubs {
#define EMBER_BACKEND_STUB(name, Fn) DispatchStub<Fn>* name;
    EMBER_FORALL_KERNELS(EMBER_BACKEND_STUB)
#undef EMBER_BACKEND_STUB
#define EMBER_BACKEND_UNARY_STUB(name, ...) DispatchStub<ElementwiseFn>* name;
    EMBER_UNARY_OPS(EMBER_BACKEND_UNARY_STUB)
#undef EMBER_BACKEND_UNARY_STUB
  } stubs;
  void (*set_allocator)(DeviceType, Allocator*) = nullptr;
  void (*set_device_hooks)(DeviceType, const DeviceHooks*) = nullptr;
};

// The core's API (filled once; lives for the process).
const BackendApi* backend_api();

}  // namespace ember
