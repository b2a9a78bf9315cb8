#include <string>

#include "core/check.h"
#include "core/device_hooks.h"
#include "core/storage.h"
#include "ember/cuda.h"
#include "ember/device.h"

namespace ember {

const char* device_type_name(DeviceType t) { return t == DeviceType::CPU ? "cpu" : "cuda"; }

Device::Device(const std::string& spec) {
  auto colon = spec.find(':');
  std::string kind = spec.substr(0, colon);
  if (kind == "cpu") type = DeviceType::CPU;
  else if (kind == "cuda") type = DeviceType::CUDA;
  else
    EMBER_FAIL(Runtime, "Expected one of cpu, cuda device type at start of device string: ", spec);
  if (colon != std::string::npos) {
    std::string idx = spec.substr(colon + 1);
    bool ok = !idx.empty() && idx.find_first_not_of("0123456789") == std::string::npos;
    EMBER_CHECK(ok, Runtime, "Invalid device string: '", spec, "'");
    index = std::stoi(idx);
  }
}

std::string Device::str() const {
  std::string s = device_type_name(type);
  if (index >= 0) s += ":" + std::to_string(index);
  return s;
}

// ---- backend hooks (see core/device_hooks.h)
namespace {
const DeviceHooks* g_hooks[kNumDeviceTypes] = {};
void (*g_loader)(DeviceType) = nullptr;
}  // namespace

void set_device_hooks(DeviceType type, const DeviceHooks* hooks) { g_hooks[int(type)] = hooks; }
void set_backend_loader(void (*loader)(DeviceType)) { g_loader = loader; }

const DeviceHooks* device_hooks(DeviceType type) {
  if (!g_hooks[int(type)] && g_loader && type != DeviceType::CPU) g_loader(type);
  return g_hooks[int(type)];
}

const DeviceHooks& require_device_hooks(DeviceType type, const char* op) {
  const DeviceHooks* h = device_hooks(type);
  // The Python layer turns "not compiled with CUDA" into torch's AssertionError.
  EMBER_CHECK(h != nullptr, Runtime, "[ember.", op, "] Torch not compiled with CUDA enabled (this ember build has no ",
              device_type_name(type), " backend, or it found no device)");
  return *h;
}

std::shared_ptr<Storage> allocate_device_storage(size_t nbytes, Device device) {
  const DeviceHooks& h = require_device_hooks(device.type, "empty");
  int count = h.device_count();
  if (device.index < 0) device.index = h.current_device();
  EMBER_CHECK(device.index < count, Runtime, "[ember.empty] CUDA error: invalid device ordinal (device ",
              device.index, " requested, ", count, " present)");
  auto s = std::make_shared<Storage>();
  s->allocator = h.allocator;
  s->data = h.allocate(device.index, nbytes);
  s->nbytes = nbytes;
  s->device = device;
  return s;
}

namespace cuda {
// The CUDA backend, when built, lives in its own module (ember._cuda) and reports through the hooks.
bool is_available() { return device_count() > 0; }
int device_count() {
  const DeviceHooks* h = device_hooks(DeviceType::CUDA);
  return h ? h->device_count() : 0;
}
void synchronize() {
  if (const DeviceHooks* h = device_hooks(DeviceType::CUDA)) h->synchronize(-1);
}
}  // namespace cuda

}  // namespace ember
