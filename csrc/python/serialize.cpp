// Helpers for ember.serialization (checkpoints) and the C++ safetensors functions, bound for Python.
#include <pybind11/numpy.h>

#include <cstdint>
#include <string>
#include <unordered_set>

#include "ember/serialize.h"
#include "core/storage.h"
#include "python/common.h"

namespace ember::python {

void bind_serialize(py::module_& m, TensorClass&) {
  // (identity, nbytes) of a tensor's storage: views of one storage give the same identity.
  m.def("_storage_info", [](const Tensor& t) {
    const auto& s = t.impl()->storage_;
    return py::make_tuple(reinterpret_cast<uintptr_t>(s.get()), s ? s->nbytes : 0);
  });
  // The whole storage as a writable NumPy uint8 array sharing its memory (keeps the storage alive).
  m.def("_storage_bytes", [](const Tensor& t) {
    auto s = t.impl()->storage_;
    EMBER_CHECK(s && s->device.is_cpu(), Runtime, "[ember.save] expected a CPU storage");
    auto* keep = new std::shared_ptr<Storage>(s);
    py::capsule owner(keep, [](void* p) { delete static_cast<std::shared_ptr<Storage>*>(p); });
    return py::array(py::dtype("uint8"), {py::ssize_t(s->nbytes)}, {py::ssize_t(1)}, s->data, owner);
  });
  // torch's serialization_id record: the record names hashed in the order a libstdc++
  // std::unordered_set iterates them (as PyTorchStreamWriter does), then the data CRCs combined.
  m.def("_serialization_id", [](const std::vector<std::string>& names, const std::vector<uint32_t>& crcs) {
    auto combine = [](uint64_t seed, uint64_t value) {
      return seed ^ (value + 0x9e3779b9ULL + (seed << 6) + (seed >> 2));
    };
    std::unordered_set<std::string> written;
    for (const auto& n : names) written.insert(n);
    uint64_t name_hash = 0, crc_hash = 0;
    for (const auto& n : written) name_hash = combine(name_hash, std::hash<std::string>{}(n));
    for (uint32_t c : crcs) crc_hash = combine(crc_hash, c);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%020llu%020llu", static_cast<unsigned long long>(name_hash),
                  static_cast<unsigned long long>(crc_hash));
    return std::string(buf);
  });
  m.def("_save_safetensors", [](const std::string& path, const TensorMap& tensors, const MetadataMap& metadata) {
    py::gil_scoped_release nogil;
    save_safetensors(path, tensors, metadata);
  }, py::arg("path"), py::arg("tensors"), py::arg("metadata") = MetadataMap());
  m.def("_load_safetensors", [](const std::string& path) {
    MetadataMap metadata;
    TensorMap tensors;
    {
      py::gil_scoped_release nogil;
      tensors = load_safetensors(path, &metadata);
    }
    return py::make_tuple(tensors, metadata);
  }, py::arg("path"));
  m.def("_load_safetensors_bytes", [](py::bytes data) {
    MetadataMap metadata;
    TensorMap tensors = load_safetensors_bytes(std::string(data), &metadata);
    return py::make_tuple(tensors, metadata);
  });
}

}  // namespace ember::python
