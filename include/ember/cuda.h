#pragma once
#include "ember/api.h"

namespace ember::cuda {
// Present in every build; false / 0 when ember was built without CUDA or no GPU is visible.
EMBER_API bool is_available();
EMBER_API int device_count();
EMBER_API void synchronize();
}  // namespace ember::cuda
