// NumPy interop: ember.tensor / as_tensor / from_numpy, Tensor.numpy / __array__ / tolist.
// from_numpy and numpy() share memory; tensor() always copies.
#include <pybind11/numpy.h>

#include "core/tensor_impl.h"
#include "python/common.h"

namespace ember::python {

namespace {

py::object numpy_module() {
  static py::object* np = new py::object(py::module_::import("numpy"));
  return *np;
}

const char* numpy_name(Dtype d) {
  switch (d) {
    case Dtype::BFloat16: return nullptr;  // NumPy has no bfloat16
    default: return dtype_name(d);
  }
}

Dtype dtype_from_numpy(const py::array& a) {
  // Fast path on the dtype's C fields: dtype.name is computed in Python and cost ~60 us per call,
  // which made from_numpy the bottleneck of a DataLoader returning one small array per sample.
  py::dtype dt = a.dtype();
  const char kind = dt.kind();
  const py::ssize_t size = dt.itemsize();
  if (kind == 'b' && size == 1) return Dtype::Bool;
  if (kind == 'u' && size == 1) return Dtype::UInt8;
  if (kind == 'i') {
    if (size == 1) return Dtype::Int8;
    if (size == 2) return Dtype::Int16;
    if (size == 4) return Dtype::Int32;
    if (size == 8) return Dtype::Int64;
  }
  if (kind == 'f') {
    if (size == 2) return Dtype::Float16;
    if (size == 4) return Dtype::Float32;
    if (size == 8) return Dtype::Float64;
  }
  auto d = dtype_from_py(a.dtype());
  if (!d) {
    throw py::type_error("[ember.from_numpy] can't convert np.ndarray of type " + std::string(py::str(a.dtype())) +
                         ". The only supported types are: float64, float32, float16, int64, int32, int16, int8, "
                         "uint8, and bool.");
  }
  return *d;
}

}  // namespace

// Share the array's memory; the array stays alive while any view of it does.
Tensor tensor_from_numpy(py::array a) {
  Dtype dtype = dtype_from_numpy(a);
  if (!a.dtype().attr("isnative").cast<bool>())
    throw py::value_error("[ember.from_numpy] given numpy array has byte order different from the native byte order. "
                          "Conversion between byte orders is currently not supported.");
  Shape shape(a.shape(), a.shape() + a.ndim());
  Strides strides(a.ndim());
  int64_t item = int64_t(itemsize(dtype));
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    int64_t s = a.strides()[i];
    if (s < 0)
      throw py::value_error("[ember.from_numpy] At least one stride in the given numpy array is negative, and tensors "
                            "with negative strides are not currently supported. (You can probably work around this "
                            "by making a copy of your array  with array.copy().) ");
    if (s % item != 0)
      throw py::value_error("[ember.from_numpy] given numpy array strides not a multiple of the element byte size. "
                            "Copy the numpy array to reallocate the memory.");
    strides[i] = s / item;
  }
  auto* keep = new py::object(a);
  // Read-only arrays are accepted, as torch.from_numpy does (writing through them is the user's risk).
  return from_blob(const_cast<void*>(a.data()), shape, strides, dtype, [keep](void*) {
    py::gil_scoped_acquire gil;
    delete keep;
  });
}

namespace {
// Whether nested lists hold dtype-carrying items (arrays, NumPy scalars, tensors): their dtypes
// then count, as in torch.tensor; plain Python numbers give int64 / the default float dtype.
bool holds_typed_items(py::handle obj, int depth = 0) {
  PyObject* o = obj.ptr();
  if (PyFloat_CheckExact(o) || PyLong_CheckExact(o) || PyBool_Check(o)) return false;
  if (PyList_Check(o) || PyTuple_Check(o)) {
    if (depth > 64) return false;
    for (py::handle item : py::reinterpret_borrow<py::sequence>(obj))
      if (holds_typed_items(item, depth + 1)) return true;
    return false;
  }
  static py::object* generic = new py::object(numpy_module().attr("generic"));
  return py::isinstance<py::array>(obj) || py::isinstance<Tensor>(obj) || py::isinstance(obj, *generic);
}
}  // namespace

// Copy nested lists / tuples / arrays / scalars into a new tensor.
Tensor tensor_from_data(py::handle data, std::optional<Dtype> dtype, std::optional<Device> device, bool requires_grad) {
  Tensor out;
  static py::object* np_generic = new py::object(numpy_module().attr("generic"));
  if (py::isinstance(data, *np_generic)) {
    // A NumPy scalar keeps its dtype: a 0-d array.
    py::object arr = numpy_module().attr("asarray")(data);
    return tensor_from_data(arr, dtype, device, requires_grad);
  }
  if (py::isinstance<Tensor>(data)) {
    out = clone(data.cast<Tensor>().detach());
    if (dtype) out = to_dtype(out, *dtype);
  } else if (auto s = (py::isinstance<py::array>(data) ? std::nullopt : scalar_from_py(data))) {
    out = scalar_tensor(*s, TensorOptions().dtype(dtype ? *dtype : s->default_dtype()));
  } else {
    bool is_array = py::isinstance<py::array>(data);
    py::array arr;
    if (is_array) {
      arr = py::reinterpret_borrow<py::array>(data);
    } else {
      // Lists that hold tensors: convert each element first.
      py::object np = numpy_module();
      try {
        arr = np.attr("asarray")(data);
      } catch (py::error_already_set& e) {
        throw py::value_error(std::string("[ember.tensor] could not convert data to a tensor: ") + e.what());
      }
      if (arr.dtype().attr("kind").cast<std::string>() == "O")
        throw py::type_error("[ember.tensor] could not infer dtype of " +
                             std::string(py::str(py::type::of(data).attr("__name__"))) +
                             " (expected nested sequences of numbers)");
    }
    std::string kind = arr.dtype().attr("kind").cast<std::string>();
    if (!is_array && (kind == "f" || kind == "i" || kind == "u" || kind == "b") && holds_typed_items(data))
      is_array = true;  // the items' own dtypes decide
    Dtype src;
    if (!is_array && kind == "f") src = Dtype::Float64;
    else if (kind == "U" || kind == "S" || kind == "O")
      throw py::type_error("[ember.tensor] new(): invalid data type '" + std::string(py::str(arr.dtype())) + "'");
    else src = dtype_from_numpy(arr);
    if (!is_array && kind == "i") arr = arr.attr("astype")("int64");
    Dtype target = dtype ? *dtype : (!is_array && kind == "f") ? get_default_dtype() : src;
    py::array contig = numpy_module().attr("asarray")(arr, py::arg("order") = "C");  // keeps 0-d arrays 0-d
    Tensor shared = tensor_from_numpy(contig);
    out = to_dtype(shared, target, /*copy=*/true);
  }
  if (device && !device->is_cpu()) out = to_device(out, *device);
  if (requires_grad) out.requires_grad_(true);
  return out;
}

py::array tensor_to_numpy(const Tensor& t, bool force) {
  if (!force) {
    EMBER_CHECK(!t.requires_grad(), Runtime,
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.");
    EMBER_CHECK(t.device().is_cpu(), Type, "can't convert ", t.device().str(),
                " device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.");
  }
  Tensor src = t.detach();
  if (!src.device().is_cpu()) src = to_device(src, Device());
  if (src.dtype() == Dtype::BFloat16) {
    EMBER_CHECK(force, Type, "Got unsupported ScalarType BFloat16");
    src = to_dtype(src, Dtype::Float32);
  }
  std::vector<py::ssize_t> shape(src.sizes().begin(), src.sizes().end()), strides;
  for (int64_t s : src.strides()) strides.push_back(py::ssize_t(s * int64_t(src.itemsize())));
  auto* keep = new Tensor(src);
  py::capsule owner(keep, [](void* p) { delete static_cast<Tensor*>(p); });
  return py::array(py::dtype(numpy_name(src.dtype())), shape, strides, src.data_ptr(), owner);
}

void bind_convert(py::module_& m, TensorClass& cls) {
  m.def("tensor", [](py::handle data, std::optional<Dtype> dtype, py::object device, bool requires_grad, bool) {
         std::optional<Device> dev;
         if (!device.is_none()) dev = device_from_py(device);
         return tensor_from_data(data, dtype, dev, requires_grad);
       }, py::arg("data"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
       py::arg("requires_grad") = false, py::arg("pin_memory") = false);
  m.def("as_tensor", [](py::handle data, std::optional<Dtype> dtype, py::object device) {
         std::optional<Device> dev;
         if (!device.is_none()) dev = device_from_py(device);
         if (py::isinstance<Tensor>(data)) {
           Tensor t = data.cast<Tensor>();
           if (dtype) t = to_dtype(t, *dtype);
           if (dev) t = to_device(t, *dev);
           return t;
         }
         if (py::isinstance<py::array>(data) && !dev) {
           auto arr = py::reinterpret_borrow<py::array>(data);
           bool ok = true;
           for (py::ssize_t i = 0; i < arr.ndim(); ++i) ok = ok && arr.strides()[i] >= 0;
           if (ok && dtype_from_py(arr.dtype()) && arr.dtype().attr("isnative").cast<bool>()) {
             Tensor t = tensor_from_numpy(arr);
             return dtype ? to_dtype(t, *dtype) : t;
           }
         }
         return tensor_from_data(data, dtype, dev, false);
       }, py::arg("data"), py::arg("dtype") = py::none(), py::arg("device") = py::none());
  m.def("from_numpy", [](py::handle a) {
    if (!py::isinstance<py::array>(a))
      throw py::type_error("[ember.from_numpy] expected np.ndarray (got " +
                           std::string(py::str(py::type::of(a).attr("__name__"))) + ")");
    return tensor_from_numpy(py::reinterpret_borrow<py::array>(a));
  });
  cls.def("numpy", [](const Tensor& t, bool force) { return tensor_to_numpy(t, force); }, py::kw_only(),
          py::arg("force") = false)
      .def("__array__", [](const Tensor& t, py::object dtype, py::object copy) {
            py::array a = tensor_to_numpy(t, /*force=*/false);
            if (!dtype.is_none()) return py::array(a.attr("astype")(dtype));
            return a;
          }, py::arg("dtype") = py::none(), py::arg("copy") = py::none())
      .def("tolist", [](const Tensor& t) { return tensor_to_numpy(t, true).attr("tolist")(); });
}

}  // namespace ember::python
