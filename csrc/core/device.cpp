#include <string>

#include "core/check.h"
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

namespace cuda {
// The CUDA backend, when built, lives in its own module and reports through these hooks.
bool is_available() { return false; }
int device_count() { return 0; }
void synchronize() {}
}  // namespace cuda

}  // namespace ember
