#include "ember/random.h"

namespace ember {
namespace {
uint64_t g_seed = 0;
}
void manual_seed(uint64_t seed) { g_seed = seed; }
}  // namespace ember
