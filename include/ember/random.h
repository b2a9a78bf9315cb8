#pragma once
#include <cstdint>

#include "ember/api.h"

namespace ember {
EMBER_API void manual_seed(uint64_t seed);
}  // namespace ember
