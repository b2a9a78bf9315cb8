// Generators: (seed, offset) pairs behind a mutex; the per-device default generators; the global
// seeding functions. The numbers themselves come from Philox (kernels/philox.h).
#include "ember/random.h"

#include <cstring>
#include <map>
#include <mutex>
#include <random>

#include "core/check.h"
#include "core/tensor_impl.h"

namespace ember {

struct GeneratorState {
  std::mutex mu;
  uint64_t seed = kDefaultRngSeed;
  uint64_t offset = 0;  // next free Philox counter block
  Device device;
};

namespace {
constexpr int64_t kStateBytes = 16;

uint64_t nondeterministic_seed() {
  std::random_device rd;
  // 52 bits, as PyTorch's seed(): exactly representable in a double.
  uint64_t s = (uint64_t(rd()) << 32) ^ uint64_t(rd());
  return s & ((uint64_t(1) << 52) - 1);
}

std::mutex g_defaults_mu;
std::map<std::pair<int, int>, Generator>& defaults() {
  static auto* m = new std::map<std::pair<int, int>, Generator>();
  return *m;
}
}  // namespace

Generator::Generator(uint64_t seed, Device device) : state_(std::make_shared<GeneratorState>()) {
  state_->seed = seed;
  state_->device = device;
}

#define EMBER_CHECK_GEN() EMBER_CHECK(state_, Runtime, "[ember.Generator] the generator is undefined")

Device Generator::device() const {
  EMBER_CHECK_GEN();
  return state_->device;
}

void Generator::manual_seed(uint64_t seed) {
  EMBER_CHECK_GEN();
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->seed = seed;
  state_->offset = 0;
}

uint64_t Generator::initial_seed() const {
  EMBER_CHECK_GEN();
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->seed;
}

uint64_t Generator::seed() {
  uint64_t s = nondeterministic_seed();
  manual_seed(s);
  return s;
}

uint64_t Generator::offset() const {
  EMBER_CHECK_GEN();
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->offset;
}

void Generator::set_offset(uint64_t offset) {
  EMBER_CHECK_GEN();
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->offset = offset;
}

Tensor Generator::get_state() const {
  EMBER_CHECK_GEN();
  Tensor t = empty({kStateBytes}, TensorOptions(Dtype::UInt8));
  std::lock_guard<std::mutex> lock(state_->mu);
  uint8_t* p = t.data<uint8_t>();
  for (int i = 0; i < 8; ++i) {
    p[i] = uint8_t(state_->seed >> (8 * i));
    p[8 + i] = uint8_t(state_->offset >> (8 * i));
  }
  return t;
}

void Generator::set_state(const Tensor& state) {
  EMBER_CHECK_GEN();
  EMBER_CHECK(state.defined() && state.dtype() == Dtype::UInt8, Type,
              "[ember.Generator.set_state] expected a uint8 tensor, got ",
              state.defined() ? dtype_name(state.dtype()) : "None");
  EMBER_CHECK(state.numel() == kStateBytes, Runtime, "[ember.Generator.set_state] expected a state of ", kStateBytes,
              " bytes (from get_state()), got ", state.numel());
  Tensor s = state.detach().to(Device()).contiguous();
  const uint8_t* p = s.data<uint8_t>();
  uint64_t seed = 0, offset = 0;
  for (int i = 0; i < 8; ++i) {
    seed |= uint64_t(p[i]) << (8 * i);
    offset |= uint64_t(p[8 + i]) << (8 * i);
  }
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->seed = seed;
  state_->offset = offset;
}

std::pair<uint64_t, uint64_t> Generator::reserve(uint64_t blocks) {
  EMBER_CHECK_GEN();
  std::lock_guard<std::mutex> lock(state_->mu);
  uint64_t first = state_->offset;
  state_->offset += blocks;
  return {state_->seed, first};
}

Generator default_generator(Device device) {
  std::lock_guard<std::mutex> lock(g_defaults_mu);
  int index = device.is_cpu() ? 0 : std::max<int>(device.index, 0);
  auto key = std::make_pair(int(device.type), index);
  auto& m = defaults();
  auto it = m.find(key);
  if (it != m.end()) return it->second;
  Device d = device.is_cpu() ? Device() : Device(device.type, index);
  Generator g(kDefaultRngSeed, d);
  m.emplace(key, g);
  return g;
}

void manual_seed(uint64_t seed) {
  default_generator().manual_seed(seed);
  std::lock_guard<std::mutex> lock(g_defaults_mu);
  for (auto& kv : defaults()) kv.second.manual_seed(seed);
}

uint64_t seed() {
  uint64_t s = default_generator().seed();
  std::lock_guard<std::mutex> lock(g_defaults_mu);
  for (auto& kv : defaults()) kv.second.manual_seed(s);
  return s;
}

uint64_t initial_seed() { return default_generator().initial_seed(); }
Tensor get_rng_state() { return default_generator().get_state(); }
void set_rng_state(const Tensor& state) { default_generator().set_state(state); }

}  // namespace ember
