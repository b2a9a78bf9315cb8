#include <mutex>

#include "dispatch/dispatch.h"

namespace ember {
namespace cpu {
void register_cpu_kernels();
}

bool init_backends() {
  static std::once_flag once;
  std::call_once(once, [] { cpu::register_cpu_kernels(); });
  return true;
}

}  // namespace ember
