#pragma once
// Random numbers: a counter-based Philox4x32-10 generator. A generator is (seed, offset); an op
// reserves a run of 128-bit counter blocks and element i's value depends only on (seed, block
// offset, i), so results are the same for every thread count (and, later, every device).
#include <cstdint>
#include <memory>
#include <optional>

#include "ember/api.h"
#include "ember/ops/factory.h"
#include "ember/tensor.h"

namespace ember {

constexpr uint64_t kDefaultRngSeed = 67280421310721ull;  // PyTorch's default seed

struct GeneratorState;  // private: seed, offset, a mutex

// A refcounted handle; copies share one stream. A default-constructed Generator is "none": ops
// then use the device's default generator.
class EMBER_API Generator {
 public:
  Generator() = default;
  explicit Generator(uint64_t seed, Device device = Device());

  bool defined() const { return state_ != nullptr; }
  Device device() const;
  void manual_seed(uint64_t seed);  // also resets the offset
  uint64_t initial_seed() const;
  uint64_t seed();                  // a fresh non-deterministic seed; returns it
  uint64_t offset() const;
  void set_offset(uint64_t offset);
  // The state as a uint8 tensor of 16 bytes: seed then offset, little endian.
  Tensor get_state() const;
  void set_state(const Tensor& state);
  // Reserve `blocks` counter blocks; returns (seed, first block). Thread-safe.
  std::pair<uint64_t, uint64_t> reserve(uint64_t blocks);
  bool is_same(const Generator& o) const { return state_ == o.state_; }

 private:
  std::shared_ptr<GeneratorState> state_;
};

// The default generator of a device (one per device index).
EMBER_API Generator default_generator(Device device = Device());
EMBER_API void manual_seed(uint64_t seed);  // every device's default generator
EMBER_API uint64_t seed();
EMBER_API uint64_t initial_seed();
EMBER_API Tensor get_rng_state();
EMBER_API void set_rng_state(const Tensor& state);

// ---- random ops; `gen` undefined means the default generator of the output's device.
EMBER_API Tensor rand(const Shape& shape, Generator gen = {}, TensorOptions options = {});
EMBER_API Tensor rand_like(const Tensor& t, Generator gen = {}, TensorOptions options = {});
EMBER_API Tensor randn(const Shape& shape, Generator gen = {}, TensorOptions options = {});
EMBER_API Tensor randn_like(const Tensor& t, Generator gen = {}, TensorOptions options = {});
// Integers uniform in [low, high); int64 unless options say otherwise.
EMBER_API Tensor randint(int64_t low, int64_t high, const Shape& shape, Generator gen = {}, TensorOptions options = {});
EMBER_API Tensor randint_like(const Tensor& t, int64_t low, int64_t high, Generator gen = {}, TensorOptions options = {});
EMBER_API Tensor randperm(int64_t n, Generator gen = {}, TensorOptions options = {});
EMBER_API Tensor normal(const Tensor& mean, const Tensor& std, Generator gen = {});
EMBER_API Tensor normal(const Tensor& mean, double std, Generator gen = {});
EMBER_API Tensor normal(double mean, const Tensor& std, Generator gen = {});
EMBER_API Tensor normal(double mean, double std, const Shape& shape, Generator gen = {}, TensorOptions options = {});
EMBER_API Tensor bernoulli(const Tensor& p, Generator gen = {});                 // p as probabilities
EMBER_API Tensor bernoulli(const Tensor& input, double p, Generator gen = {});   // input's shape and dtype
EMBER_API Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement = false, Generator gen = {});

// Without a generator: ember::randn({2, 3}, TensorOptions(Dtype::Float64)).
inline Tensor rand(const Shape& shape, TensorOptions options) { return rand(shape, Generator(), options); }
inline Tensor randn(const Shape& shape, TensorOptions options) { return randn(shape, Generator(), options); }
inline Tensor randint(int64_t low, int64_t high, const Shape& shape, TensorOptions options) {
  return randint(low, high, shape, Generator(), options);
}
inline Tensor randperm(int64_t n, TensorOptions options) { return randperm(n, Generator(), options); }

// In place.
EMBER_API Tensor& uniform_(Tensor& t, double from = 0, double to = 1, Generator gen = {});
EMBER_API Tensor& normal_(Tensor& t, double mean = 0, double std = 1, Generator gen = {});
// random_(): [0, 2^mantissa] for floats, [0, max] for integers; random_(from, to): [from, to);
// to = nullopt: [from, max].
EMBER_API Tensor& random_(Tensor& t, Generator gen = {});
EMBER_API Tensor& random_(Tensor& t, int64_t from, std::optional<int64_t> to, Generator gen = {});
EMBER_API Tensor& bernoulli_(Tensor& t, double p = 0.5, Generator gen = {});
EMBER_API Tensor& bernoulli_(Tensor& t, const Tensor& p, Generator gen = {});
EMBER_API Tensor& exponential_(Tensor& t, double lambd = 1, Generator gen = {});
EMBER_API Tensor& geometric_(Tensor& t, double p, Generator gen = {});
EMBER_API Tensor& cauchy_(Tensor& t, double median = 0, double sigma = 1, Generator gen = {});
EMBER_API Tensor& log_normal_(Tensor& t, double mean = 1, double std = 2, Generator gen = {});

}  // namespace ember
