// DLPack interop: Tensor.__dlpack__ / __dlpack_device__ and ember.from_dlpack, zero-copy both
// ways with any producer or consumer of the protocol (NumPy, PyTorch, JAX, CuPy, ...). Both the
// legacy "dltensor" capsule and the versioned (DLPack 1.x) "dltensor_versioned" one are handled.
#include "python/dlpack.h"

#include <cstring>
#include <vector>

#include "python/common.h"

namespace ember::python {
namespace {
using namespace dlpack;

constexpr const char* kLegacyName = "dltensor";
constexpr const char* kLegacyUsed = "used_dltensor";
constexpr const char* kVersionedName = "dltensor_versioned";
constexpr const char* kVersionedUsed = "used_dltensor_versioned";

DLDataType to_dl_dtype(Dtype d) {
  uint8_t bits = uint8_t(itemsize(d) * 8);
  switch (d) {
    case Dtype::Bool: return {kDLBool, 8, 1};
    case Dtype::UInt8: return {kDLUInt, bits, 1};
    case Dtype::Int8:
    case Dtype::Int16:
    case Dtype::Int32:
    case Dtype::Int64: return {kDLInt, bits, 1};
    case Dtype::BFloat16: return {kDLBfloat, 16, 1};
    default: return {kDLFloat, bits, 1};
  }
}

Dtype from_dl_dtype(DLDataType t) {
  EMBER_CHECK(t.lanes == 1, Type, "[ember.from_dlpack] vector dtypes (lanes=", int(t.lanes), ") are not supported");
  switch (t.code) {
    case kDLBool:
      if (t.bits == 8) return Dtype::Bool;
      break;
    case kDLUInt:
      if (t.bits == 8) return Dtype::UInt8;
      break;
    case kDLInt:
      if (t.bits == 8) return Dtype::Int8;
      if (t.bits == 16) return Dtype::Int16;
      if (t.bits == 32) return Dtype::Int32;
      if (t.bits == 64) return Dtype::Int64;
      break;
    case kDLFloat:
      if (t.bits == 16) return Dtype::Float16;
      if (t.bits == 32) return Dtype::Float32;
      if (t.bits == 64) return Dtype::Float64;
      break;
    case kDLBfloat:
      if (t.bits == 16) return Dtype::BFloat16;
      break;
    default: break;
  }
  EMBER_FAIL(Type, "[ember.from_dlpack] unsupported DLPack dtype (code=", int(t.code), ", bits=", int(t.bits), ")");
}

DLDevice to_dl_device(Device d) {
  if (d.is_cpu()) return {kDLCPU, 0};
  return {kDLCUDA, std::max(d.index, 0)};
}

// What an exported capsule owns: a handle keeping the storage alive, and the shape/strides arrays.
struct Exported {
  Tensor tensor;
  std::vector<int64_t> shape, strides;
};

template <class M> void fill_managed(M* m, Exported* ctx) {
  const Tensor& t = ctx->tensor;
  m->manager_ctx = ctx;
  m->dl_tensor.data = t.numel() ? t.data_ptr() : nullptr;
  m->dl_tensor.device = to_dl_device(t.device());
  m->dl_tensor.ndim = int32_t(t.dim());
  m->dl_tensor.dtype = to_dl_dtype(t.dtype());
  m->dl_tensor.shape = ctx->shape.data();
  m->dl_tensor.strides = ctx->strides.data();
  m->dl_tensor.byte_offset = 0;
}

void delete_legacy(DLManagedTensor* m) {
  delete static_cast<Exported*>(m->manager_ctx);
  delete m;
}
void delete_versioned(DLManagedTensorVersioned* m) {
  delete static_cast<Exported*>(m->manager_ctx);
  delete m;
}

// Capsule destructors: free the tensor only if no consumer took it (name unchanged).
void legacy_capsule_destructor(PyObject* cap) {
  if (PyCapsule_IsValid(cap, kLegacyName)) {
    auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap, kLegacyName));
    if (m && m->deleter) m->deleter(m);
  }
  PyErr_Clear();
}
void versioned_capsule_destructor(PyObject* cap) {
  if (PyCapsule_IsValid(cap, kVersionedName)) {
    auto* m = static_cast<DLManagedTensorVersioned*>(PyCapsule_GetPointer(cap, kVersionedName));
    if (m && m->deleter) m->deleter(m);
  }
  PyErr_Clear();
}

py::object to_dlpack(const Tensor& self, bool versioned, bool copy) {
  EMBER_CHECK(!self.requires_grad(), Runtime,
              "[ember.__dlpack__] Can't export tensors that require gradient, use tensor.detach()");
  auto* ctx = new Exported();
  ctx->tensor = copy ? clone(self.detach()) : self.detach();
  ctx->shape.assign(ctx->tensor.sizes().begin(), ctx->tensor.sizes().end());
  ctx->strides.assign(ctx->tensor.strides().begin(), ctx->tensor.strides().end());
  PyObject* cap;
  if (versioned) {
    auto* m = new DLManagedTensorVersioned();
    m->version = {kMajorVersion, kMinorVersion};
    m->deleter = &delete_versioned;
    m->flags = copy ? kFlagIsCopied : 0;
    fill_managed(m, ctx);
    cap = PyCapsule_New(m, kVersionedName, &versioned_capsule_destructor);
    if (!cap) delete_versioned(m);
  } else {
    auto* m = new DLManagedTensor();
    m->deleter = &delete_legacy;
    fill_managed(m, ctx);
    cap = PyCapsule_New(m, kLegacyName, &legacy_capsule_destructor);
    if (!cap) delete_legacy(m);
  }
  if (!cap) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(cap);
}

Tensor tensor_from_dl(const DLTensor& dl, std::function<void(void*)> release) {
  Device device;
  switch (dl.device.device_type) {
    case kDLCPU:
    case kDLCUDAHost:
    case kDLCUDAManaged: device = Device(); break;
    case kDLCUDA:
      EMBER_CHECK(cuda::is_available(), Runtime,
                  "[ember.from_dlpack] the tensor is on a CUDA device but this ember build has no CUDA support");
      device = Device(DeviceType::CUDA, dl.device.device_id);
      break;
    default:
      EMBER_FAIL(Runtime, "[ember.from_dlpack] unsupported DLPack device type ", int(dl.device.device_type));
  }
  if (dl.device.device_type == kDLCUDAManaged) device = Device();
  Dtype dtype = from_dl_dtype(dl.dtype);
  EMBER_CHECK(dl.ndim >= 0, Runtime, "[ember.from_dlpack] negative ndim ", dl.ndim);
  Shape shape(dl.shape, dl.shape + dl.ndim);
  Strides strides;
  if (dl.strides && dl.ndim > 0) {
    strides.assign(dl.strides, dl.strides + dl.ndim);
  } else {
    strides = contiguous_strides(shape);
  }
  for (int32_t i = 0; i < dl.ndim; ++i) {
    EMBER_CHECK(shape[i] >= 0, Runtime, "[ember.from_dlpack] negative size in shape");
    EMBER_CHECK(strides[i] >= 0 || shape[i] <= 1, Runtime,
                "[ember.from_dlpack] tensors with negative strides are not supported; copy the array first");
    if (shape[i] <= 1 && strides[i] < 0) strides[i] = 0;
  }
  char* data = static_cast<char*>(dl.data) + dl.byte_offset;
  return from_blob(data, shape, strides, dtype, std::move(release), device);
}

// Consume a capsule (renaming it "used_..." so its producer does not free it twice).
Tensor from_capsule(py::handle cap) {
  PyObject* c = cap.ptr();
  if (PyCapsule_IsValid(c, kVersionedName)) {
    auto* m = static_cast<DLManagedTensorVersioned*>(PyCapsule_GetPointer(c, kVersionedName));
    if (m->version.major > kMajorVersion)
      throw py::buffer_error("[ember.from_dlpack] unsupported DLPack version " + std::to_string(m->version.major) +
                             "." + std::to_string(m->version.minor));
    Tensor t = tensor_from_dl(m->dl_tensor, [m](void*) {
      if (m->deleter) m->deleter(m);
    });
    PyCapsule_SetName(c, kVersionedUsed);
    return t;
  }
  if (PyCapsule_IsValid(c, kLegacyName)) {
    auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(c, kLegacyName));
    Tensor t = tensor_from_dl(m->dl_tensor, [m](void*) {
      if (m->deleter) m->deleter(m);
    });
    PyCapsule_SetName(c, kLegacyUsed);
    return t;
  }
  PyErr_Clear();
  throw py::value_error(
      "[ember.from_dlpack] expected a DLPack capsule named 'dltensor' or 'dltensor_versioned' that was not consumed yet");
}

Tensor from_dlpack(py::object obj) {
  if (PyCapsule_CheckExact(obj.ptr())) return from_capsule(obj);
  if (py::isinstance<Tensor>(obj)) return obj.cast<Tensor>();
  if (!py::hasattr(obj, "__dlpack__"))
    throw py::type_error("[ember.from_dlpack] expected an object with __dlpack__ or a DLPack capsule, got " +
                         std::string(py::str(py::type::of(obj).attr("__name__"))));
  if (py::hasattr(obj, "__dlpack_device__")) {
    py::tuple dev = obj.attr("__dlpack_device__")();
    int type = dev[0].cast<int>();
    if (type != kDLCPU && type != kDLCUDAHost && type != kDLCUDAManaged && !(type == kDLCUDA && cuda::is_available()))
      throw std::runtime_error("[ember.from_dlpack] unsupported device type " + std::to_string(type) +
                               " (this build reads CPU memory only)");
  }
  py::object cap;
  try {
    cap = obj.attr("__dlpack__")(py::arg("max_version") = py::make_tuple(kMajorVersion, kMinorVersion));
  } catch (py::error_already_set& e) {
    if (!e.matches(PyExc_TypeError)) throw;
    cap = obj.attr("__dlpack__")();  // a producer from before DLPack 1.0
  }
  return from_capsule(cap);
}

}  // namespace

void bind_dlpack(py::module_& m, TensorClass& cls) {
  cls.def("__dlpack__", [](const Tensor& t, py::object stream, py::object max_version, py::object dl_device,
                           py::object copy) {
        if (!dl_device.is_none()) {
          py::tuple want = dl_device;
          DLDevice have = to_dl_device(t.device());
          if (want[0].cast<int>() != int(have.device_type) || want[1].cast<int>() != have.device_id)
            throw py::buffer_error("[ember.__dlpack__] cannot export to another device without a copy");
        }
        bool versioned = !max_version.is_none() && py::tuple(max_version)[0].cast<int>() >= 1;
        bool do_copy = !copy.is_none() && copy.cast<bool>();
        (void)stream;  // CPU memory needs no stream synchronisation
        return to_dlpack(t, versioned, do_copy);
      }, py::kw_only(), py::arg("stream") = py::none(), py::arg("max_version") = py::none(),
      py::arg("dl_device") = py::none(), py::arg("copy") = py::none())
      .def("__dlpack_device__", [](const Tensor& t) {
        DLDevice d = to_dl_device(t.device());
        return py::make_tuple(int(d.device_type), d.device_id);
      });
  m.def("from_dlpack", &from_dlpack, py::arg("ext_tensor"),
        "A tensor sharing memory with `ext_tensor` (any object with __dlpack__, or a DLPack capsule).");
  m.def("_to_dlpack", [](const Tensor& t) { return to_dlpack(t, false, false); }, py::arg("tensor"),
        "A legacy 'dltensor' capsule (torch.utils.dlpack.to_dlpack).");
}

}  // namespace ember::python
