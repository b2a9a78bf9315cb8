// Bindings: the softmax family.
#include "python/common.h"

namespace ember::python {

void bind_softmax(py::module_& m, TensorClass& cls) {}

}  // namespace ember::python
