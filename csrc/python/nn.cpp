// Bindings: ember._C._nn, the kernels behind ember.nn.functional (conv, pooling, norms, losses, ...).
#include "python/common.h"

namespace ember::python {

void bind_nn(py::module_& m, TensorClass& cls) {
  py::module_ nn = m.def_submodule("_nn", "kernels behind ember.nn.functional");
}

}  // namespace ember::python
