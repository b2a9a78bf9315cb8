// The Tensor class: construction, metadata properties, autograd attributes, conversions between
// dtypes/devices, and the Python protocol methods (len, iter, bool, float, int, hash).
#include "ops/copy_device.h"
#include "python/common.h"

namespace ember::python {

Tensor tensor_from_data(py::handle data, std::optional<Dtype> dtype, std::optional<Device> device, bool requires_grad);

namespace {

// Parse .to(...) arguments: to(dtype), to(device[, dtype]), to(tensor), to(dtype=, device=, copy=).
Tensor tensor_to(const Tensor& self, py::args args, py::kwargs kwargs) {
  std::optional<Dtype> dtype;
  std::optional<Device> device;
  bool copy = false, non_blocking = false;
  for (py::handle a : args) {
    if (py::isinstance<Tensor>(a)) {
      const Tensor& o = a.cast<const Tensor&>();
      dtype = o.dtype();
      device = o.device();
    } else if (auto d = dtype_from_py(a)) {
      dtype = d;
    } else if (a.is_none()) {
      continue;
    } else if (py::isinstance<py::bool_>(a)) {
      non_blocking = a.cast<bool>();  // non_blocking passed positionally
    } else {
      device = device_from_py(a);
    }
  }
  if (kwargs.contains("dtype") && !kwargs["dtype"].is_none()) dtype = kwargs["dtype"].cast<Dtype>();
  if (kwargs.contains("device") && !kwargs["device"].is_none()) device = device_from_py(kwargs["device"]);
  if (kwargs.contains("copy")) copy = kwargs["copy"].cast<bool>();
  if (kwargs.contains("non_blocking")) non_blocking = kwargs["non_blocking"].cast<bool>();
  Tensor r = self;
  if (device && *device != r.device()) r = to_device(r, *device, false, non_blocking);
  else if (copy && !dtype) r = clone(r);
  if (dtype && (*dtype != r.dtype() || (copy && r.is_same(self)))) r = to_dtype(r, *dtype, copy);
  return r;
}

py::object grad_fn_object(const Tensor& t) { return node_object(t.grad_fn()); }

}  // namespace

void bind_tensor(py::module_& m, TensorClass& cls) {
  cls.def(py::init([](py::args args, py::kwargs kwargs) {
        // Legacy constructor: Tensor(2, 3) -> uninitialised float tensor; Tensor([1, 2]) -> from data.
        std::optional<Device> device;
        if (kwargs.contains("device")) device = device_from_py(kwargs["device"]);
        if (args.size() == 1 && py::isinstance<Tensor>(args[0])) return args[0].cast<Tensor>().detach();
        if (args.size() == 1 && !PyIndex_Check(args[0].ptr()))
          return tensor_from_data(args[0], get_default_dtype(), device, false);
        return empty(shape_from_sequence(args, "Tensor"), TensorOptions(get_default_dtype()));
      }));

  // ---- metadata
  cls.def_property_readonly("shape", [](const Tensor& t) { return size_object(t.sizes()); })
      .def("size", [](const Tensor& t, py::object dim) -> py::object {
            if (dim.is_none()) return size_object(t.sizes());
            return py::int_(t.size(dim.cast<int64_t>()));
          }, py::arg("dim") = py::none())
      .def("stride", [](const Tensor& t, py::object dim) -> py::object {
            if (dim.is_none()) return py::tuple(py::cast(t.strides()));
            return py::int_(t.stride(dim.cast<int64_t>()));
          }, py::arg("dim") = py::none())
      .def_property_readonly("ndim", &Tensor::dim)
      .def("dim", &Tensor::dim)
      .def("ndimension", &Tensor::dim)
      .def("numel", &Tensor::numel)
      .def("nelement", &Tensor::numel)
      .def("element_size", &Tensor::itemsize)
      .def_property_readonly("itemsize", &Tensor::itemsize)
      .def_property_readonly("nbytes", [](const Tensor& t) { return int64_t(t.itemsize()) * t.numel(); })
      .def_property_readonly("dtype", &Tensor::dtype)
      .def_property_readonly("device", &Tensor::device)
      .def_property_readonly("is_cuda", [](const Tensor& t) { return t.device().is_cuda(); })
      .def_property_readonly("is_cpu", [](const Tensor& t) { return t.device().is_cpu(); })
      .def_property_readonly("is_sparse", [](const Tensor&) { return false; })
      .def_property_readonly("is_quantized", [](const Tensor&) { return false; })
      .def_property_readonly("is_meta", [](const Tensor&) { return false; })
      .def_property_readonly("layout", [](const Tensor&) { return py::module_::import("ember").attr("strided"); })
      .def("storage_offset", &Tensor::storage_offset)
      .def("is_contiguous", [](const Tensor& t, py::object) { return t.is_contiguous(); }, py::arg("memory_format") = py::none())
      .def("is_floating_point", &Tensor::is_floating_point)
      .def("is_complex", [](const Tensor&) { return false; })
      .def("is_signed", [](const Tensor& t) { return is_signed(t.dtype()); })
      .def("data_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.data_ptr()); })
      .def("untyped_storage_ptr", [](const Tensor& t) { return reinterpret_cast<uintptr_t>(t.data_ptr()) - t.storage_offset() * t.itemsize(); })
      .def("get_device", [](const Tensor& t) { return t.device().is_cpu() ? -1 : std::max(t.device().index, 0); })
      .def_property_readonly("_version", &Tensor::version)
      .def("_is_view", [](const Tensor& t) { return t.impl()->view_base_ != nullptr; })
      .def_property_readonly("_base", [](const Tensor& t) -> py::object {
        if (!t.impl()->view_base_) return py::none();
        return py::cast(Tensor(t.impl()->view_base_));
      })
      .def("_shares_storage", &Tensor::shares_storage)
      .def_property_readonly("_is_wrapped_number", [](const Tensor& t) { return t.impl()->wrapped_number_; });

  // ---- autograd attributes
  cls.def_property("requires_grad", &Tensor::requires_grad, [](Tensor& t, bool r) { t.requires_grad_(r); })
      .def("requires_grad_", [](Tensor& t, bool r) -> Tensor& { t.requires_grad_(r); return t; }, py::arg("requires_grad") = true)
      .def_property("grad", [](const Tensor& t) -> py::object {
        Tensor g = t.grad();
        return g.defined() ? py::cast(g) : py::object(py::none());  // never hand Python an undefined tensor
      }, [](const Tensor& t, py::object g) {
        t.set_grad(g.is_none() ? Tensor() : g.cast<Tensor>());
      })
      .def_property_readonly("grad_fn", &grad_fn_object)
      .def_property_readonly("is_leaf", &Tensor::is_leaf)
      .def_property_readonly("retains_grad", &Tensor::retains_grad)
      .def("retain_grad", &Tensor::retain_grad)
      .def("detach", &Tensor::detach)
      .def("detach_", [](Tensor& t) -> Tensor& {
        if (auto* meta = t.impl()->autograd_if()) {
          meta->grad_fn.reset();
          meta->requires_grad = false;
          meta->output_nr = 0;
        }
        t.impl()->view_base_.reset();
        return t;
      })
      .def_property("data", [](const Tensor& t) { return t.detach(); }, [](Tensor& t, const Tensor& src) {
        // `p.data = x`: swap in x's storage and geometry, keeping p's autograd identity.
        TensorImpl* d = t.impl();
        d->storage_ = src.impl()->storage_;
        d->offset_ = src.impl()->offset_;
        d->sizes_ = src.impl()->sizes_;
        d->strides_ = src.impl()->strides_;
        d->dtype_ = src.impl()->dtype_;
        d->refresh();
      });

  // ---- conversions
  cls.def("to", &tensor_to)
      .def("cpu", [](const Tensor& t) { return to_device(t, Device()); })
      .def("cuda", [](const Tensor& t, py::object device, bool non_blocking) {
            // No index: the current device (Storage::allocate_device resolves it).
            Device d = device.is_none() ? Device(DeviceType::CUDA) : device_from_py(device);
            return to_device(t, d, false, non_blocking);
          }, py::arg("device") = py::none(), py::arg("non_blocking") = false)
      .def("type", [](const Tensor& t, py::object dtype) -> py::object {
            if (dtype.is_none()) {
              static const char* names[] = {"BoolTensor", "ByteTensor", "CharTensor", "ShortTensor", "IntTensor",
                                            "LongTensor", "HalfTensor", "BFloat16Tensor", "FloatTensor", "DoubleTensor"};
              return py::str(std::string("ember.") + names[int(t.dtype())]);
            }
            return py::cast(to_dtype(t, dtype.cast<Dtype>()));
          }, py::arg("dtype") = py::none())
      .def("type_as", [](const Tensor& t, const Tensor& o) { return to_dtype(t, o.dtype()); }, py::arg("other"))
      .def("float", [](const Tensor& t) { return to_dtype(t, Dtype::Float32); })
      .def("double", [](const Tensor& t) { return to_dtype(t, Dtype::Float64); })
      .def("half", [](const Tensor& t) { return to_dtype(t, Dtype::Float16); })
      .def("bfloat16", [](const Tensor& t) { return to_dtype(t, Dtype::BFloat16); })
      .def("int", [](const Tensor& t) { return to_dtype(t, Dtype::Int32); })
      .def("long", [](const Tensor& t) { return to_dtype(t, Dtype::Int64); })
      .def("short", [](const Tensor& t) { return to_dtype(t, Dtype::Int16); })
      .def("char", [](const Tensor& t) { return to_dtype(t, Dtype::Int8); })
      .def("byte", [](const Tensor& t) { return to_dtype(t, Dtype::UInt8); })
      .def("bool", [](const Tensor& t) { return to_dtype(t, Dtype::Bool); })
      .def("item", [](const Tensor& t) { return t.item(); });

  // ---- Python protocol
  cls.def("__len__", [](const Tensor& t) {
        if (t.dim() == 0) throw py::type_error("len() of a 0-d tensor");
        return t.sizes()[0];
      })
      .def("__bool__", [](const Tensor& t) {
        EMBER_CHECK(t.numel() == 1, Runtime, "Boolean value of Tensor with more than one value is ambiguous");
        return t.item().to_bool();
      })
      .def("__float__", [](const Tensor& t) { return t.item().to_double(); })
      .def("__int__", [](const Tensor& t) { return t.item().to_int(); })
      .def("__index__", [](const Tensor& t) {
        EMBER_CHECK(is_integral(t.dtype(), true) && t.numel() == 1, Type,
                    "only integer tensors of a single element can be converted to an index");
        return t.item().to_int();
      })
      .def("__hash__", [](py::handle self) { return py::hash(py::int_(reinterpret_cast<uintptr_t>(self.ptr()))); })
      .def("__iter__", [](const Tensor& t) {
        if (t.dim() == 0) throw py::type_error("iteration over a 0-d tensor");
        py::list items;
        for (int64_t i = 0; i < t.sizes()[0]; ++i) items.append(py::cast(select(t, 0, i)));
        return items.attr("__iter__")();
      });
}

}  // namespace ember::python
