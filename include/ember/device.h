#pragma once
#include <string>

#include "ember/api.h"

namespace ember {

enum class DeviceType : int8_t { CPU = 0, CUDA = 1 };
constexpr int kNumDeviceTypes = 2;

struct EMBER_API Device {
  DeviceType type = DeviceType::CPU;
  int index = -1;  // -1: "the current one"

  Device() = default;
  Device(DeviceType t, int i = -1) : type(t), index(i) {}
  explicit Device(const std::string& spec);  // "cpu", "cuda", "cuda:1"

  bool is_cpu() const { return type == DeviceType::CPU; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  std::string str() const;
  bool operator==(const Device& o) const {
    // "cuda" (index -1, the current device) compares equal to "cuda:0".
    return type == o.type && (index < 0 ? 0 : index) == (o.index < 0 ? 0 : o.index);
  }
  bool operator!=(const Device& o) const { return !(*this == o); }
};

EMBER_API const char* device_type_name(DeviceType t);

}  // namespace ember
