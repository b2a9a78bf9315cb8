// Factories: empty/zeros/ones/full, the *_like forms, arange/linspace/logspace/eye, from_blob.
#include <cmath>
#include <limits>

#include "core/device_hooks.h"
#include "ops/op_utils.h"

namespace ember {
namespace {

void check_shape(const Shape& shape, const char* op) {
  for (int64_t s : shape)
    EMBER_CHECK(s >= 0, Runtime, "[ember.", op, "] Trying to create tensor with negative dimension ", s, ": ",
                shape_str(shape));
}

size_t checked_nbytes(const Shape& shape, Dtype dtype, const char* op) {
  unsigned __int128 n = itemsize(dtype);
  for (int64_t s : shape) {
    n *= uint64_t(s);
    EMBER_CHECK(n < (unsigned __int128)(1) << 62, OutOfMemory, "[ember.", op, "] the requested tensor of shape ",
                shape_str(shape), " and dtype ", dtype_name(dtype), " is too large to allocate");
  }
  return size_t(n);
}

// CPU: the caching allocator; another device: its backend (core/device_hooks.h), one compare here.
std::shared_ptr<Storage> allocate_storage(size_t nbytes, Device device) {
  return device.is_cpu() ? Storage::allocate(nbytes, device) : allocate_device_storage(nbytes, device);
}

Tensor finish(Tensor t, const TensorOptions& o) {
  if (o.requires_grad_) t.requires_grad_(true);
  return t;
}

}  // namespace

Tensor empty(const Shape& shape, TensorOptions options) {
  check_shape(shape, "empty");
  Dtype dtype = options.dtype_or_default();
  size_t nbytes = checked_nbytes(shape, dtype, "empty");
  auto storage = allocate_storage(nbytes, options.device_);
  return finish(Tensor(std::make_shared<TensorImpl>(std::move(storage), 0, shape, contiguous_strides(shape), dtype)),
                options);
}

Tensor empty_strided(const Shape& shape, const Strides& strides, TensorOptions options) {
  check_shape(shape, "empty_strided");
  EMBER_CHECK(shape.size() == strides.size(), Runtime, "[ember.empty_strided] mismatch in length of strides and shape");
  Dtype dtype = options.dtype_or_default();
  int64_t extent = 1;
  bool empty_tensor = false;
  for (size_t i = 0; i < shape.size(); ++i) {
    EMBER_CHECK(strides[i] >= 0, Runtime, "[ember.empty_strided] negative strides are not supported");
    if (shape[i] == 0) empty_tensor = true;
    extent += (shape[i] - 1) * strides[i];
  }
  size_t nbytes = empty_tensor ? 0 : checked_nbytes({extent}, dtype, "empty_strided");
  auto storage = allocate_storage(nbytes, options.device_);
  return finish(Tensor(std::make_shared<TensorImpl>(std::move(storage), 0, shape, strides, dtype)), options);
}

Tensor full(const Shape& shape, const Scalar& value, TensorOptions options) {
  if (!options.dtype_) options = options.dtype(value.default_dtype());
  TensorOptions no_grad = options.requires_grad(false);
  Tensor t = empty(shape, no_grad);
  if (t.numel() > 0) {  // a fresh tensor: fill without counting a version bump
    FillArgs args{View(t), value};
    fill_stub.get(t.device().type, t.dtype())(args);
  }
  return finish(t, options);
}

Tensor zeros(const Shape& shape, TensorOptions options) {
  return full(shape, 0, options.dtype(options.dtype_or_default()));
}
Tensor ones(const Shape& shape, TensorOptions options) {
  return full(shape, 1, options.dtype(options.dtype_or_default()));
}

namespace {
TensorOptions like(const Tensor& t, TensorOptions o) {
  if (!o.dtype_) o.dtype_ = t.dtype();
  if (o.device_ == Device() && !t.device().is_cpu()) o.device_ = t.device();
  return o;
}
}  // namespace

Tensor empty_like(const Tensor& t, TensorOptions o) { return empty(t.sizes(), like(t, o)); }
Tensor zeros_like(const Tensor& t, TensorOptions o) { return full(t.sizes(), 0, like(t, o)); }
Tensor ones_like(const Tensor& t, TensorOptions o) { return full(t.sizes(), 1, like(t, o)); }
Tensor full_like(const Tensor& t, const Scalar& v, TensorOptions o) { return full(t.sizes(), v, like(t, o)); }

Tensor scalar_tensor(const Scalar& value, TensorOptions options, bool wrapped) {
  // A wrapped Python float keeps double precision (it promotes as the default dtype; see result_type).
  if (wrapped && !options.dtype_ && value.is_floating_point()) options = options.dtype(Dtype::Float64);
  Tensor t = full({}, value, options);
  t.impl()->wrapped_number_ = wrapped;
  return t;
}

Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, TensorOptions options) {
  double s = start.to_double(), e = end.to_double(), st = step.to_double();
  EMBER_CHECK(st != 0, Runtime, "[ember.arange] step must be nonzero");
  EMBER_CHECK(std::isfinite(s) && std::isfinite(e), Runtime, "[ember.arange] unsupported range: ", s, " -> ", e);
  EMBER_CHECK((st > 0 && e >= s) || (st < 0 && e <= s), Runtime,
              "[ember.arange] upper bound and larger bound inconsistent with step sign");
  if (!options.dtype_) {
    bool is_float = start.is_floating_point() || end.is_floating_point() || step.is_floating_point();
    options = options.dtype(is_float ? get_default_dtype() : Dtype::Int64);
  }
  int64_t n;
  if (is_floating_point(*options.dtype_)) {
    n = int64_t(std::ceil((e - s) / st));
  } else {
    // Integer ranges count exactly, as PyTorch does.
    int64_t is = start.to_int(), ie = end.to_int(), ist = step.to_int();
    if (start.is_floating_point() || end.is_floating_point() || step.is_floating_point())
      n = int64_t(std::ceil((e - s) / st));
    else
      n = ist > 0 ? (ie - is + ist - 1) / ist : (is - ie + (-ist) - 1) / (-ist);
  }
  n = std::max<int64_t>(n, 0);
  Tensor cpu_out = empty({n}, options.device(Device()).requires_grad(false).dtype(Dtype::Float64));
  double* p = cpu_out.data<double>();
  for (int64_t i = 0; i < n; ++i) p[i] = s + double(i) * st;
  Tensor out = to_dtype(cpu_out, *options.dtype_);
  if (is_integral(*options.dtype_, false) && !start.is_floating_point() && !step.is_floating_point()) {
    // Exact integer values for large ranges (doubles lose precision above 2^53).
    if (*options.dtype_ == Dtype::Int64) {
      int64_t* q = out.data<int64_t>();
      for (int64_t i = 0; i < n; ++i) q[i] = start.to_int() + i * step.to_int();
    }
  }
  if (!options.device_.is_cpu()) out = to_device(out, options.device_);
  return finish(out, options);
}

Tensor linspace(double start, double end, int64_t steps, TensorOptions options) {
  EMBER_CHECK(steps >= 0, Runtime, "[ember.linspace] number of steps must be non-negative, got ", steps);
  Dtype dtype = options.dtype_or_default();
  Tensor cpu_out = empty({steps}, TensorOptions(Dtype::Float64));
  double* p = cpu_out.data<double>();
  double step = steps > 1 ? (end - start) / double(steps - 1) : 0.0;
  // Fill from both ends, as PyTorch does, so the last value is exactly `end`.
  int64_t half = steps / 2;
  for (int64_t i = 0; i < steps; ++i) p[i] = i < half ? start + step * double(i) : end - step * double(steps - 1 - i);
  Tensor out = to_dtype(cpu_out, dtype);
  if (!options.device_.is_cpu()) out = to_device(out, options.device_);
  return finish(out, options);
}

Tensor logspace(double start, double end, int64_t steps, double base, TensorOptions options) {
  Dtype dtype = options.dtype_or_default();
  Tensor lin = linspace(start, end, steps, TensorOptions(Dtype::Float64));
  double* p = lin.data<double>();
  for (int64_t i = 0; i < steps; ++i) p[i] = std::pow(base, p[i]);
  Tensor out = to_dtype(lin, dtype);
  if (!options.device_.is_cpu()) out = to_device(out, options.device_);
  return finish(out, options);
}

Tensor eye(int64_t n, int64_t m, TensorOptions options) {
  if (m < 0) m = n;
  EMBER_CHECK(n >= 0, Runtime, "[ember.eye] n must be greater or equal to 0, got ", n);
  Tensor out = zeros({n, m}, options.requires_grad(false));
  Tensor diag = make_alias(out, {std::min(n, m)}, {m + 1}, 0);
  fill_(diag, 1);
  return finish(out, options);
}

Tensor from_blob(void* data, const Shape& shape, const Strides& strides, Dtype dtype,
                 std::function<void(void*)> deleter, Device device) {
  check_shape(shape, "from_blob");
  int64_t extent = 1;
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] > 0) extent += (shape[i] - 1) * std::abs(strides[i]);
  auto storage = Storage::wrap(data, size_t(extent) * itemsize(dtype), device, std::move(deleter));
  return Tensor(std::make_shared<TensorImpl>(std::move(storage), 0, shape, strides, dtype));
}

}  // namespace ember
