// Bindings: the sort family.
#include "python/common.h"

namespace ember::python {

void bind_sort(py::module_& m, TensorClass& cls) {}

}  // namespace ember::python
