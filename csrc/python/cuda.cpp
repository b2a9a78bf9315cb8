// The core's side of the CUDA backend: the backend API capsule that ember._cuda registers its
// kernels through, the loader that imports ember._cuda the first time a CUDA tensor is asked
// for, and Tensor.pin_memory / is_pinned (which need a backend's host allocator).
#include "core/device_hooks.h"
#include "dispatch/backend.h"
#include "ops/copy_device.h"
#include "python/common.h"

namespace ember::python {
namespace {
// Called by the core when it needs a backend whose hooks are not registered yet: imports
// ember.cuda's loader once per call (cheap when the module is absent: the import fails fast).
void load_backend(DeviceType type) {
  if (type != DeviceType::CUDA) return;
  static bool loading = false;
  if (loading) return;
  loading = true;
  {
    py::gil_scoped_acquire gil;
    try {
      py::module_::import("ember.cuda").attr("_load_backend")();
    } catch (py::error_already_set&) {
      // No backend: the caller raises torch's "not compiled with CUDA" error.
    }
  }
  loading = false;
}
}  // namespace

void bind_cuda(py::module_& m, TensorClass& cls) {
  m.attr("_backend_api") = py::capsule(static_cast<const void*>(backend_api()), kBackendApiCapsuleName);
  m.attr("_backend_api_version") = kBackendApiVersion;
  set_backend_loader(&load_backend);
  cls.def("pin_memory", [](const Tensor& t, py::object) { return pin_memory(t); }, py::arg("device") = py::none())
      .def("is_pinned", [](const Tensor& t, py::object) { return is_pinned(t); }, py::arg("device") = py::none());
}

}  // namespace ember::python
