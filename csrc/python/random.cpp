// Bindings: the random number generator.
#include "python/common.h"

namespace ember::python {

void bind_random(py::module_& m, TensorClass& cls) {
  m.def("manual_seed", [](int64_t seed) { manual_seed(uint64_t(seed)); }, py::arg("seed"));
}

}  // namespace ember::python
