#pragma once
#include "ember/api.h"

namespace ember {
EMBER_API void set_num_threads(int n);
EMBER_API int get_num_threads();
}  // namespace ember
