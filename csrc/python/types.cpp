// ember.dtype, ember.device, ember.Size, and the argument conversions shared by every binding.
#include <array>

#include "dispatch/kernels.h"
#include "kernels/cpu/isa.h"
#include "python/common.h"

namespace ember::python {

struct PyDevice {
  Device device;
};

namespace {
std::array<py::object, kNumDtypes>& dtype_objects() {
  static auto* objs = new std::array<py::object, kNumDtypes>();  // leaked: lives as long as the interpreter
  return *objs;
}
py::object& size_class() {
  static auto* cls = new py::object();
  return *cls;
}
py::object& numpy_generic() {
  static auto* g = new py::object();
  return *g;
}
}  // namespace

py::object dtype_object(Dtype d) { return dtype_objects()[int(d)]; }

std::optional<Dtype> dtype_from_py(py::handle obj) {
  if (py::isinstance<PyDtype>(obj)) return obj.cast<PyDtype&>().dtype;
  if (obj.ptr() == reinterpret_cast<PyObject*>(&PyFloat_Type)) return Dtype::Float64;
  if (obj.ptr() == reinterpret_cast<PyObject*>(&PyLong_Type)) return Dtype::Int64;
  if (obj.ptr() == reinterpret_cast<PyObject*>(&PyBool_Type)) return Dtype::Bool;
  // Fast exits for the common non-dtype arguments (sizes, dims, strings).
  if (PyLong_Check(obj.ptr()) || PyFloat_Check(obj.ptr()) || PyUnicode_Check(obj.ptr()) || obj.is_none() ||
      PyTuple_Check(obj.ptr()) || PyList_Check(obj.ptr()) || py::isinstance<Tensor>(obj))
    return std::nullopt;
  // NumPy dtypes and scalar types (np.float32, np.dtype('int64'), ...)
  static py::object* np_dtype = new py::object(py::module_::import("numpy").attr("dtype"));
  if (py::isinstance(obj, *np_dtype) || (PyType_Check(obj.ptr()) && py::hasattr(obj, "dtype"))) {
    try {
      std::string name = py::str((*np_dtype)(obj).attr("name"));
#define EMBER_NP_NAME(T, name_, pyname) \
  if (name == #pyname) return Dtype::name_;
      EMBER_FORALL_DTYPES(EMBER_NP_NAME)
#undef EMBER_NP_NAME
    } catch (py::error_already_set&) {
    }
  }
  return std::nullopt;
}

Shape shape_from_sequence(py::handle seq, const char* op) {
  Shape shape;
  // Fast path: a tuple or list of Python ints.
  if (PyTuple_Check(seq.ptr()) || PyList_Check(seq.ptr())) {
    PyObject* fast = seq.ptr();
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    PyObject** items = PySequence_Fast_ITEMS(fast);
    bool all_int = true;
    shape.reserve(size_t(n));
    for (Py_ssize_t i = 0; i < n && all_int; ++i) {
      if (PyLong_CheckExact(items[i])) shape.push_back(PyLong_AsLongLong(items[i]));
      else all_int = false;
    }
    if (all_int) return shape;
    shape.clear();
  }
  if (!py::isinstance<py::sequence>(seq) || py::isinstance<py::str>(seq))
    throw py::type_error(std::string("[ember.") + op + "] expected a sequence of ints for the size, got " +
                         std::string(py::str(py::type::of(seq).attr("__name__"))));
  for (py::handle h : seq) {
    if (py::isinstance<Tensor>(h)) {
      shape.push_back(h.cast<Tensor&>().item().to_int());
      continue;
    }
    if (!PyIndex_Check(h.ptr()))
      throw py::type_error(std::string("[ember.") + op + "] size must contain ints, got " +
                           std::string(py::str(py::type::of(h).attr("__name__"))));
    shape.push_back(PyLong_AsLongLong(PyNumber_Index(h.ptr())));
  }
  return shape;
}

Shape shape_from_args(const py::args& args, const char* op) {
  if (args.size() == 0)
    throw py::type_error(std::string(op) + "() missing 1 required positional arguments: \"size\"");
  if (args.size() == 1 && !PyIndex_Check(args[0].ptr())) return shape_from_sequence(args[0], op);
  return shape_from_sequence(args, op);
}

std::vector<int64_t> dims_from_py(py::handle obj, const char* op) {
  if (obj.is_none()) return {};
  if (PyIndex_Check(obj.ptr())) return {obj.cast<int64_t>()};
  return shape_from_sequence(obj, op);
}

std::optional<Scalar> scalar_from_py(py::handle obj) {
  PyObject* p = obj.ptr();
  if (PyBool_Check(p)) return Scalar(p == Py_True);
  if (PyLong_Check(p)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(p, &overflow);
    if (overflow) throw py::value_error("[ember] Python int too large to convert to int64: " + std::string(py::str(obj)));
    return Scalar(int64_t(v));
  }
  if (PyFloat_Check(p)) return Scalar(PyFloat_AS_DOUBLE(p));
  if (py::isinstance<Tensor>(obj)) {
    const Tensor& t = obj.cast<const Tensor&>();
    if (t.numel() != 1) return std::nullopt;
    Scalar s = t.item();
    return s;
  }
  if (!numpy_generic()) numpy_generic() = py::module_::import("numpy").attr("generic");
  if (py::isinstance(obj, numpy_generic())) {
    char kind = py::str(obj.attr("dtype").attr("kind")).cast<std::string>()[0];
    if (kind == 'b') return Scalar(obj.cast<bool>());
    if (kind == 'i' || kind == 'u') return Scalar(obj.cast<int64_t>());
    if (kind == 'f') return Scalar(obj.cast<double>());
  }
  return std::nullopt;
}

py::object scalar_to_py(const Scalar& s) {
  if (s.is_bool()) return py::bool_(s.to_bool());
  if (s.is_integral()) return py::int_(s.to_int());
  return py::float_(s.to_double());
}

Tensor tensor_or_wrapped_scalar(py::handle other) {
  if (py::isinstance<Tensor>(other)) return other.cast<Tensor>();
  PyObject* p = other.ptr();
  if (PyBool_Check(p) || PyLong_Check(p) || PyFloat_Check(p)) return scalar_tensor(*scalar_from_py(other), {}, true);
  if (!numpy_generic()) numpy_generic() = py::module_::import("numpy").attr("generic");
  if (py::isinstance(other, numpy_generic())) {
    auto s = scalar_from_py(other);
    if (s) return scalar_tensor(*s, {}, true);
  }
  return Tensor();
}

py::object size_object(const Shape& shape) {
  if (!size_class()) size_class() = py::module_::import("ember._size").attr("Size");
  py::tuple t(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) t[i] = py::int_(shape[i]);
  return size_class()(t);
}

Device device_from_py(py::handle obj) {
  if (py::isinstance<PyDevice>(obj)) return obj.cast<PyDevice&>().device;
  if (py::isinstance<py::str>(obj)) return Device(obj.cast<std::string>());
  if (PyLong_Check(obj.ptr())) return Device(DeviceType::CUDA, obj.cast<int>());
  throw py::type_error("[ember] expected a device (ember.device, str or int), got " +
                       std::string(py::str(py::type::of(obj).attr("__name__"))));
}

void bind_types(py::module_& m) {
  // Introspection for tests: the CPU column of the kernel table, and the ISA the hot kernels use.
  m.def("_kernel_table", [](const std::string& device) {
    std::vector<std::pair<std::string, bool>> out;
    for (auto& s : kernel_table_status(Device(device).type)) out.push_back({s.name, s.registered});
    return out;
  }, py::arg("device") = "cpu");
  m.def("_cpu_isa", [] { return std::string(cpu::isa_name(cpu::selected_isa())); });
  py::class_<PyDtype>(m, "dtype")
      .def_property_readonly("is_floating_point", [](const PyDtype& d) { return is_floating_point(d.dtype); })
      .def_property_readonly("is_signed", [](const PyDtype& d) { return is_signed(d.dtype); })
      .def_property_readonly("is_complex", [](const PyDtype&) { return false; })
      .def_property_readonly("itemsize", [](const PyDtype& d) { return itemsize(d.dtype); })
      .def("__repr__", [](const PyDtype& d) { return std::string("ember.") + dtype_name(d.dtype); })
      .def("__reduce__", [](const PyDtype& d) { return std::string(dtype_name(d.dtype)); });
  auto& objs = dtype_objects();
#define EMBER_MAKE_DTYPE(T, name, pyname)                                     \
  objs[int(Dtype::name)] = py::cast(PyDtype{Dtype::name}, py::return_value_policy::move); \
  m.attr(#pyname) = objs[int(Dtype::name)];
  EMBER_FORALL_DTYPES(EMBER_MAKE_DTYPE)
#undef EMBER_MAKE_DTYPE

  py::class_<PyDevice>(m, "device")
      .def(py::init([](py::object spec, std::optional<int> index) {
             if (py::isinstance<PyDevice>(spec)) return spec.cast<PyDevice>();
             Device d = device_from_py(spec);
             if (index) {
               if (d.index >= 0)
                 throw py::value_error("[ember.device] type (string) must not include an index because index was passed explicitly");
               d.index = *index;
             }
             return PyDevice{d};
           }),
           py::arg("type"), py::arg("index") = py::none())
      .def_property_readonly("type", [](const PyDevice& d) { return std::string(device_type_name(d.device.type)); })
      .def_property_readonly("index", [](const PyDevice& d) -> py::object {
        return d.device.index < 0 ? py::object(py::none()) : py::object(py::int_(d.device.index));
      })
      .def("__str__", [](const PyDevice& d) { return d.device.str(); })
      .def("__repr__", [](const PyDevice& d) {
        std::string s = std::string("device(type='") + device_type_name(d.device.type) + "'";
        if (d.device.index >= 0) s += ", index=" + std::to_string(d.device.index);
        return s + ")";
      })
      .def("__eq__", [](const PyDevice& a, py::object b) {
        // Only devices compare equal (torch: device("cpu") == "cpu" is False).
        if (!py::isinstance<PyDevice>(b)) return false;
        const Device& o = b.cast<PyDevice&>().device;
        return a.device.type == o.type && a.device.index == o.index;
      })
      .def("__hash__", [](const PyDevice& d) { return py::hash(py::str(d.device.str())); })
      .def("__reduce__", [](const PyDevice& d) {
        return py::make_tuple(py::module_::import("ember").attr("device"), py::make_tuple(d.device.str()));
      });
}

}  // namespace ember::python

namespace pybind11::detail {
bool type_caster<ember::Device>::load(handle src, bool) {
  using ember::python::PyDevice;
  if (py::isinstance<PyDevice>(src)) {
    value = src.cast<PyDevice&>().device;
    return true;
  }
  if (py::isinstance<py::str>(src) || (PyLong_Check(src.ptr()) && !PyBool_Check(src.ptr()))) {
    value = ember::python::device_from_py(src);
    return true;
  }
  return false;
}
handle type_caster<ember::Device>::cast(const ember::Device& d, return_value_policy, handle) {
  return py::cast(ember::python::PyDevice{d}).release();
}
}  // namespace pybind11::detail
