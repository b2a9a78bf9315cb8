#pragma once
// DispatchStub: one function pointer per device type. Ops look a kernel up by their inputs'
// device; each backend fills its column once at start-up (kernels/cpu/register.cpp, ...).
#include "core/check.h"
#include "ember/device.h"
#include "ember/dtype.h"

namespace ember {

// Fill every backend's column of the kernel table (once; thread-safe). Returns true.
bool init_backends();

template <class Fn> struct DispatchStub {
  const char* name;
  Fn fns[kNumDeviceTypes] = {};

  explicit constexpr DispatchStub(const char* n) : name(n) {}
  void set(DeviceType d, Fn fn) { fns[int(d)] = fn; }
  bool has(DeviceType d) const { return fns[int(d)] != nullptr; }
  Fn get(DeviceType d, Dtype dtype) const {
    Fn fn = fns[int(d)];
    if (!fn && init_backends()) fn = fns[int(d)];  // first use: fill the table
    if (!fn)
      EMBER_FAIL(NotImplemented, "[ember.", name, "] no kernel for device ", device_type_name(d), " and dtype ",
                 dtype_name(dtype), " (this build has none registered)");
    return fn;
  }
};

}  // namespace ember
