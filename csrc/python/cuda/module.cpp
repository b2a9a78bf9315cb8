// ember._cuda: the CUDA backend as its own extension module, so that a CPU-only install never needs
// CUDA libraries. ember.cuda imports it on first use; `_register` receives the core's backend API
// capsule (ember._C._backend_api) and fills the CUDA column of the kernel table. The module links
// none of the core: see docs/cuda.md.
#include <pybind11/pybind11.h>

#include <cstring>

#include "dispatch/backend.h"
#include "kernels/cuda/allocator.h"
#include "kernels/cuda/context.h"
#include "kernels/cuda/kernels.h"

namespace py = pybind11;

namespace ember::gpu {
void register_backend(const BackendApi& api);
}

namespace {
using namespace ember;
using namespace ember::gpu;

bool g_registered = false;

// Errors from this module's own functions, as the Python exceptions ember._C raises.
void translate(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const Error& e) {
    switch (e.kind()) {
      case ErrorKind::Value: PyErr_SetString(PyExc_ValueError, e.what()); return;
      case ErrorKind::Type: PyErr_SetString(PyExc_TypeError, e.what()); return;
      case ErrorKind::Index: PyErr_SetString(PyExc_IndexError, e.what()); return;
      case ErrorKind::NotImplemented: PyErr_SetString(PyExc_NotImplementedError, e.what()); return;
      case ErrorKind::OutOfMemory: {
        static py::object oom = py::module_::import("ember._errors").attr("OutOfMemoryError");
        PyErr_SetString(oom.ptr(), e.what());
        return;
      }
      default: PyErr_SetString(PyExc_RuntimeError, e.what()); return;
    }
  }
}

void do_register(py::capsule cap) {
  if (g_registered) return;
  EMBER_CHECK(std::strcmp(cap.name(), kBackendApiCapsuleName) == 0, Runtime,
              "[ember._cuda] expected the capsule ", kBackendApiCapsuleName);
  const auto* api = static_cast<const BackendApi*>(cap.get_pointer());
  EMBER_CHECK(api && api->version == kBackendApiVersion && api->size == sizeof(BackendApi), Runtime,
              "[ember._cuda] this CUDA backend was built against another ember core (backend API version ",
              api ? api->version : 0, ", size ", api ? api->size : 0, "; expected ", kBackendApiVersion, ", ",
              sizeof(BackendApi), "): rebuild ember");
  register_backend(*api);
  g_registered = true;
}

cudaStream_t as_stream(uintptr_t h) { return reinterpret_cast<cudaStream_t>(h); }
cudaEvent_t as_event(uintptr_t h) { return reinterpret_cast<cudaEvent_t>(h); }

}  // namespace

PYBIND11_MODULE(_cuda, m) {
  m.doc() = "ember's CUDA backend (kernels, caching allocator, streams)";
  py::register_exception_translator(&translate);
  m.def("_register", &do_register, py::arg("backend_api"));
  m.def("_registered", [] { return g_registered; });
  m.def("device_count", &device_count);
  m.def("current_device", &current_device);
  m.def("set_device", &set_device, py::arg("device"));
  m.def("synchronize", &synchronize, py::arg("device") = -1);
  m.def("get_device_properties", [](int device) {
    cudaDeviceProp p;
    EMBER_CUDA_CHECK(cudaGetDeviceProperties(&p, device), "cuda.get_device_properties");
    py::dict d;
    d["name"] = std::string(p.name);
    d["major"] = p.major;
    d["minor"] = p.minor;
    d["total_memory"] = size_t(p.totalGlobalMem);
    d["multi_processor_count"] = p.multiProcessorCount;
    d["is_integrated"] = bool(p.integrated);
    d["is_multi_gpu_board"] = bool(p.isMultiGpuBoard);
    d["L2_cache_size"] = p.l2CacheSize;
    d["warp_size"] = p.warpSize;
    return d;
  }, py::arg("device"));
  m.def("mem_get_info", [](int device) {
    DeviceGuard g(device);
    size_t free_b = 0, total_b = 0;
    EMBER_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b), "cuda.mem_get_info");
    return py::make_tuple(free_b, total_b);
  }, py::arg("device"));
  // ---- the caching allocator
  m.def("memory_stats", [](int device) {
    DeviceMemoryStats s = device_memory_stats(device);
    py::dict d;
    d["allocated_bytes"] = s.allocated_bytes;
    d["peak_allocated_bytes"] = s.peak_allocated_bytes;
    d["reserved_bytes"] = s.reserved_bytes;
    d["peak_reserved_bytes"] = s.peak_reserved_bytes;
    d["num_allocs"] = s.num_allocs;
    d["num_frees"] = s.num_frees;
    d["num_segments"] = s.num_segments;
    d["num_cuda_mallocs"] = s.num_cuda_mallocs;
    d["num_cuda_frees"] = s.num_cuda_frees;
    d["num_alloc_retries"] = s.num_alloc_retries;
    d["num_ooms"] = s.num_ooms;
    return d;
  }, py::arg("device"));
  m.def("empty_cache", &empty_device_cache);
  m.def("reset_peak_memory_stats", &reset_peak_device_memory_stats, py::arg("device"));
  m.def("_set_allow_tf32", &set_allow_tf32, py::arg("allow"));
  // ---- streams and events (handles are the raw pointers as integers; 0 = the legacy default stream)
  m.def("_stream_create", [](int device, int priority) {
    DeviceGuard g(device);
    cudaStream_t s = nullptr;
    EMBER_CUDA_CHECK(cudaStreamCreateWithPriority(&s, cudaStreamNonBlocking, priority), "cuda.Stream");
    return reinterpret_cast<uintptr_t>(s);
  }, py::arg("device"), py::arg("priority") = 0);
  m.def("_stream_destroy", [](uintptr_t s) {
    if (s) cudaStreamDestroy(as_stream(s));
  });
  m.def("_current_stream", [](int device) { return reinterpret_cast<uintptr_t>(current_stream(device)); });
  m.def("_set_current_stream", [](int device, uintptr_t s) { set_current_stream(device, as_stream(s)); });
  m.def("_stream_synchronize", [](uintptr_t s) {
    EMBER_CUDA_CHECK(cudaStreamSynchronize(as_stream(s)), "cuda.Stream.synchronize");
  });
  m.def("_stream_query", [](uintptr_t s) {
    cudaError_t e = cudaStreamQuery(as_stream(s));
    if (e == cudaErrorNotReady) {
      cudaGetLastError();
      return false;
    }
    EMBER_CUDA_CHECK(e, "cuda.Stream.query");
    return true;
  });
  m.def("_stream_wait_event", [](uintptr_t s, uintptr_t e) {
    EMBER_CUDA_CHECK(cudaStreamWaitEvent(as_stream(s), as_event(e), 0), "cuda.Stream.wait_event");
  });
  m.def("_event_create", [](bool timing, bool blocking) {
    cudaEvent_t e = nullptr;
    unsigned flags = (timing ? 0u : unsigned(cudaEventDisableTiming)) | (blocking ? unsigned(cudaEventBlockingSync) : 0u);
    EMBER_CUDA_CHECK(cudaEventCreateWithFlags(&e, flags), "cuda.Event");
    return reinterpret_cast<uintptr_t>(e);
  });
  m.def("_event_destroy", [](uintptr_t e) {
    if (e) cudaEventDestroy(as_event(e));
  });
  m.def("_event_record", [](uintptr_t e, uintptr_t s) {
    EMBER_CUDA_CHECK(cudaEventRecord(as_event(e), as_stream(s)), "cuda.Event.record");
  });
  m.def("_event_synchronize", [](uintptr_t e) {
    EMBER_CUDA_CHECK(cudaEventSynchronize(as_event(e)), "cuda.Event.synchronize");
  });
  m.def("_event_query", [](uintptr_t e) {
    cudaError_t r = cudaEventQuery(as_event(e));
    if (r == cudaErrorNotReady) {
      cudaGetLastError();
      return false;
    }
    EMBER_CUDA_CHECK(r, "cuda.Event.query");
    return true;
  });
  m.def("_event_elapsed_time", [](uintptr_t a, uintptr_t b) {
    float ms = 0;
    EMBER_CUDA_CHECK(cudaEventElapsedTime(&ms, as_event(a), as_event(b)), "cuda.Event.elapsed_time");
    return ms;
  });
}
