// Random ops: factories (rand, randn, randint, randperm, normal, bernoulli, multinomial) and the
// in-place samplers (uniform_, normal_, random_, bernoulli_, exponential_, geometric_, cauchy_,
// log_normal_). Kernels write a contiguous buffer from (seed, offset, element index), so results
// do not depend on the thread count. In-place samplers have a zero gradient (UniformBackward0...).
#include <cmath>
#include <limits>

#include "ember/random.h"
#include "ops/op_utils.h"

namespace ember {
namespace {

Generator resolve(const Generator& gen, const Tensor& t, const char* op) {
  if (!gen.defined()) return default_generator(t.device());
  EMBER_CHECK(gen.device().type == t.device().type, Runtime, "[ember.", op, "] Expected a '",
              device_type_name(t.device().type), "' device type for generator but found '",
              device_type_name(gen.device().type), "'");
  return gen;
}

// Fill all of `t` through `stub`; a non-contiguous `t` gets a contiguous buffer copied in.
void run_random(const DispatchStub<RandomFn>& stub, const Tensor& t, RandomArgs args, const Generator& gen,
                const char* op) {
  int64_t n = t.numel();
  if (n == 0) return;
  Generator g = resolve(gen, t, op);
  auto [seed, offset] = g.reserve(uint64_t(n));  // at least one block per element: every kernel fits
  args.seed = seed;
  args.offset = offset;
  Tensor target = t.is_contiguous() ? t.detach() : empty(t.sizes(), TensorOptions(t.dtype()).device(t.device()));
  args.out = View(target);
  stub.get(t.device().type, t.dtype())(args);
  if (!target.shares_storage(t)) {
    autograd::NoGradGuard guard;
    Tensor d = t.detach();
    copy_(d, target);
  }
}

// The backward of an in-place sampler: the result does not depend on the old values.
struct SamplerBackward final : Node {
  std::string name_;
  std::string name() const override { return name_; }
  tensor_list apply(tensor_list&& grads) override { return {zeros_like(grads[0])}; }
};

Tensor& sampler_inplace(const DispatchStub<RandomFn>& stub, Tensor& t, const RandomArgs& args, const Generator& gen,
                        const char* op, const char* node_name) {
  check_inplace(t, op);
  auto node = make_grad_node<SamplerBackward>(t);
  run_random(stub, t, args, gen, op);
  t.bump_version();
  if (node) {
    node->name_ = node_name;
    rebase_history(t, node);
  }
  return t;
}

void check_floating(Dtype d, const char* op) {
  EMBER_CHECK(is_floating_point(d), Runtime, "[ember.", op, "] expected a floating point dtype, got ", dtype_name(d));
}

Tensor finish(Tensor t, const TensorOptions& o) {
  if (o.requires_grad_) t.requires_grad_(true);
  return t;
}

TensorOptions like(const Tensor& t, TensorOptions o) {
  if (!o.dtype_) o.dtype_ = t.dtype();
  if (o.device_ == Device() && !t.device().is_cpu()) o.device_ = t.device();
  return o;
}

// The largest integer every value up to which the dtype holds exactly (random_'s default top).
uint64_t dtype_top(Dtype d) {
  switch (d) {
    case Dtype::Bool: return 1;
    case Dtype::UInt8: return 255;
    case Dtype::Int8: return 127;
    case Dtype::Int16: return 32767;
    case Dtype::Int32: return 2147483647ull;
    case Dtype::Int64: return uint64_t(std::numeric_limits<int64_t>::max());
    case Dtype::Float16: return uint64_t(1) << 11;
    case Dtype::BFloat16: return uint64_t(1) << 8;
    case Dtype::Float32: return uint64_t(1) << 24;
    default: return uint64_t(1) << 53;
  }
}
int64_t dtype_bottom(Dtype d) {
  switch (d) {
    case Dtype::Int8: return -128;
    case Dtype::Int16: return -32768;
    case Dtype::Int32: return -2147483648ll;
    case Dtype::Int64: return std::numeric_limits<int64_t>::min();
    case Dtype::Float16: return -(int64_t(1) << 11);
    case Dtype::BFloat16: return -(int64_t(1) << 8);
    case Dtype::Float32: return -(int64_t(1) << 24);
    case Dtype::Float64: return -(int64_t(1) << 53);
    default: return 0;
  }
}

void fill_int_range(Tensor& t, int64_t from, int64_t to_inclusive, const Generator& gen, const char* op,
                    const char* node_name) {
  Dtype d = t.dtype();
  EMBER_CHECK(from >= dtype_bottom(d) && (to_inclusive < 0 || uint64_t(to_inclusive) <= dtype_top(d)), Runtime,
              "[ember.", op, "] expected the range [", from, ", ", to_inclusive, "] to fit in ", dtype_name(d));
  RandomArgs args;
  args.low = from;
  args.range = uint64_t(to_inclusive) - uint64_t(from) + 1;  // 0 when it is 2^64
  sampler_inplace(random_int_stub, t, args, gen, op, node_name);
}

double check_prob(double p, const char* op) {
  EMBER_CHECK(p >= 0 && p <= 1, Runtime, "[ember.", op, "] expects p to be in [0, 1], but got p=", p);
  return p;
}

}  // namespace

// ---- in place
Tensor& uniform_(Tensor& t, double from, double to, Generator gen) {
  check_floating(t.dtype(), "uniform_");
  EMBER_CHECK(from <= to, Runtime, "[ember.uniform_] expects to return a [from, to) range, but found from=", from,
              " > to=", to);
  EMBER_CHECK(std::isfinite(from) && std::isfinite(to) && std::isfinite(to - from), Runtime,
              "[ember.uniform_] expects a finite range, got from=", from, " to=", to);
  RandomArgs args;
  args.a = from;
  args.b = to;
  return sampler_inplace(uniform_stub, t, args, gen, "uniform_", "UniformBackward0");
}

Tensor& normal_(Tensor& t, double mean, double std, Generator gen) {
  check_floating(t.dtype(), "normal_");
  EMBER_CHECK(std >= 0, Runtime, "[ember.normal_] expects std >= 0.0, but found std ", std);
  RandomArgs args;
  args.a = mean;
  args.b = std;
  return sampler_inplace(normal_stub, t, args, gen, "normal_", "NormalBackward0");
}

Tensor& random_(Tensor& t, Generator gen) {
  fill_int_range(t, 0, int64_t(dtype_top(t.dtype())), gen, "random_", "RandomBackward0");
  return t;
}

Tensor& random_(Tensor& t, int64_t from, std::optional<int64_t> to, Generator gen) {
  if (to) {
    EMBER_CHECK(from < *to, Runtime, "[ember.random_] expects 'from' to be less than 'to', but got from=", from,
                " >= to=", *to);
    fill_int_range(t, from, *to - 1, gen, "random_", "RandomBackward2");
  } else {
    int64_t top = int64_t(dtype_top(t.dtype()));
    EMBER_CHECK(from <= top, Runtime, "[ember.random_] expects 'from' to be at most ", top, ", got ", from);
    fill_int_range(t, from, top, gen, "random_", "RandomBackward1");
  }
  return t;
}

Tensor& bernoulli_(Tensor& t, double p, Generator gen) {
  RandomArgs args;
  args.a = check_prob(p, "bernoulli_");
  return sampler_inplace(bernoulli_scalar_stub, t, args, gen, "bernoulli_", "BernoulliBackward1");
}

Tensor& bernoulli_(Tensor& t, const Tensor& p, Generator gen) {
  check_floating(p.dtype(), "bernoulli_");
  check_same_device("bernoulli_", t, p);
  Tensor pp = p.detach();
  if (pp.sizes() != t.sizes()) pp = expand(pp, t.sizes());
  pp = pp.contiguous();
  if (pp.device().is_cpu()) {
    Tensor pd = to_dtype(pp, Dtype::Float64);
    const double* q = pd.data<double>();
    for (int64_t i = 0; i < pd.numel(); ++i)
      EMBER_CHECK(q[i] >= 0 && q[i] <= 1, Runtime, "[ember.bernoulli_] expects all probabilities in [0, 1], got ", q[i]);
  }
  RandomArgs args;
  args.in[0] = View(pp);
  args.nin = 1;
  // pp must stay alive through the kernel: it does (a local here until return).
  check_inplace(t, "bernoulli_");
  auto node = make_grad_node<SamplerBackward>(t);
  run_random(bernoulli_tensor_stub, t, args, gen, "bernoulli_");
  t.bump_version();
  if (node) {
    node->name_ = "BernoulliBackward2";
    rebase_history(t, node);
  }
  return t;
}

Tensor& exponential_(Tensor& t, double lambd, Generator gen) {
  check_floating(t.dtype(), "exponential_");
  EMBER_CHECK(lambd > 0, Runtime, "[ember.exponential_] expects lambda > 0.0, but found lambda=", lambd);
  RandomArgs args;
  args.a = lambd;
  return sampler_inplace(exponential_stub, t, args, gen, "exponential_", "ExponentialBackward0");
}

Tensor& geometric_(Tensor& t, double p, Generator gen) {
  EMBER_CHECK(t.dtype() != Dtype::Bool, Runtime, "[ember.geometric_] not implemented for dtype bool");
  EMBER_CHECK(p > 0 && p < 1, Runtime, "[ember.geometric_] expects p to be in (0, 1), but got p=", p);
  RandomArgs args;
  args.a = p;
  return sampler_inplace(geometric_stub, t, args, gen, "geometric_", "GeometricBackward0");
}

Tensor& cauchy_(Tensor& t, double median, double sigma, Generator gen) {
  check_floating(t.dtype(), "cauchy_");
  EMBER_CHECK(sigma > 0, Runtime, "[ember.cauchy_] expects sigma > 0.0, but found sigma=", sigma);
  RandomArgs args;
  args.a = median;
  args.b = sigma;
  return sampler_inplace(cauchy_stub, t, args, gen, "cauchy_", "CauchyBackward0");
}

Tensor& log_normal_(Tensor& t, double mean, double std, Generator gen) {
  check_floating(t.dtype(), "log_normal_");
  EMBER_CHECK(std > 0, Runtime, "[ember.log_normal_] expects std > 0.0, but found std=", std);
  RandomArgs args;
  args.a = mean;
  args.b = std;
  return sampler_inplace(log_normal_stub, t, args, gen, "log_normal_", "LogNormalBackward0");
}

// ---- factories
Tensor rand(const Shape& shape, Generator gen, TensorOptions o) {
  check_floating(o.dtype_or_default(), "rand");
  Tensor t = empty(shape, o.requires_grad(false));
  uniform_(t, 0, 1, gen);
  return finish(t, o);
}

Tensor rand_like(const Tensor& x, Generator gen, TensorOptions o) { return rand(x.sizes(), gen, like(x, o)); }

Tensor randn(const Shape& shape, Generator gen, TensorOptions o) {
  check_floating(o.dtype_or_default(), "randn");
  Tensor t = empty(shape, o.requires_grad(false));
  normal_(t, 0, 1, gen);
  return finish(t, o);
}

Tensor randn_like(const Tensor& x, Generator gen, TensorOptions o) { return randn(x.sizes(), gen, like(x, o)); }

Tensor randint(int64_t low, int64_t high, const Shape& shape, Generator gen, TensorOptions o) {
  if (!o.dtype_) o = o.dtype(Dtype::Int64);
  EMBER_CHECK(!o.requires_grad_ || is_floating_point(*o.dtype_), Runtime,
              "[ember.randint] Only Tensors of floating point dtype can require gradients");
  Tensor t = empty(shape, o.requires_grad(false));
  EMBER_CHECK(low < high, Runtime, "[ember.randint] random_ expects 'from' to be less than 'to', but got from=", low,
              " >= to=", high);
  fill_int_range(t, low, high - 1, gen, "randint", "RandomBackward2");
  return finish(t, o);
}

Tensor randint_like(const Tensor& x, int64_t low, int64_t high, Generator gen, TensorOptions o) {
  return randint(low, high, x.sizes(), gen, like(x, o));
}

Tensor randperm(int64_t n, Generator gen, TensorOptions o) {
  EMBER_CHECK(n >= 0, Runtime, "[ember.randperm] n must be non-negative, got", n);
  Dtype d = o.dtype_ ? *o.dtype_ : Dtype::Int64;
  EMBER_CHECK(d == Dtype::Int64 || uint64_t(std::max<int64_t>(n - 1, 0)) <= dtype_top(d), Runtime,
              "[ember.randperm] n is too large for result tensor type: '", dtype_name(d), "'");
  Tensor idx = empty({n}, TensorOptions(Dtype::Int64));
  if (n > 0) {
    Generator g = gen.defined() ? gen : default_generator(o.device_);
    auto [seed, offset] = g.reserve(uint64_t(n));
    RandomArgs args;
    args.out = View(idx);
    args.seed = seed;
    args.offset = offset;
    randperm_stub.get(DeviceType::CPU, Dtype::Int64)(args);
  }
  Tensor out = d == Dtype::Int64 ? idx : to_dtype(idx, d);
  if (!o.device_.is_cpu()) out = to_device(out, o.device_);
  return finish(out, o);
}

// ---- normal with tensor parameters: mean + std * eps. As in PyTorch, the samples are not
// differentiable: the gradients to mean and std are zeros (NormalBackward1/2/3).
namespace {
struct NormalBackward final : Node {
  std::string name_;
  std::vector<Shape> shapes;  // of the tensor inputs, in order
  std::string name() const override { return name_; }
  tensor_list apply(tensor_list&& grads) override {
    tensor_list out;
    for (size_t i = 0; i < shapes.size(); ++i)
      out.push_back(should_compute_output(i) ? zeros(shapes[i], TensorOptions(grads[0].dtype()).device(grads[0].device()))
                                             : Tensor());
    return out;
  }
};

void check_std(const Tensor& std) {
  if (!std.device().is_cpu() || std.numel() == 0) return;
  Tensor s = to_dtype(std.detach().contiguous(), Dtype::Float64);
  const double* q = s.data<double>();
  for (int64_t i = 0; i < s.numel(); ++i)
    EMBER_CHECK(q[i] >= 0, Runtime, "[ember.normal] expects all elements of std >= 0.0, got ", q[i]);
}

Tensor normal_impl(const Tensor* mean, double mean_v, const Tensor* std, double std_v, const Generator& gen,
                   const char* node_name) {
  Dtype dt = mean && std ? promote_types(mean->dtype(), std->dtype()) : (mean ? mean->dtype() : std->dtype());
  check_floating(dt, "normal");
  if (std) check_std(*std);
  else EMBER_CHECK(std_v >= 0, Runtime, "[ember.normal] expects std >= 0.0, but found std ", std_v);
  if (mean && std) check_same_device("normal", *mean, *std);
  Shape shape = mean && std ? broadcast_shapes(mean->sizes(), std->sizes(), "normal") : (mean ? mean->sizes() : std->sizes());
  Device dev = mean ? mean->device() : std->device();
  Tensor eps = randn(shape, gen, TensorOptions(dt).device(dev));
  Tensor out;
  {
    autograd::NoGradGuard guard;
    Tensor scaled = std ? mul(eps, std->detach()) : mul(eps, Scalar(std_v));
    out = mean ? add(scaled, mean->detach()) : add(scaled, Scalar(mean_v));
    if (out.dtype() != dt) out = to_dtype(out, dt);
  }
  std::shared_ptr<NormalBackward> node;
  if (mean && std) node = make_grad_node<NormalBackward>(*mean, *std);
  else if (mean) node = make_grad_node<NormalBackward>(*mean);
  else node = make_grad_node<NormalBackward>(*std);
  if (node) {
    node->name_ = node_name;
    if (mean) node->shapes.push_back(mean->sizes());
    if (std) node->shapes.push_back(std->sizes());
    set_history(out, node);
  }
  return out;
}
}  // namespace

Tensor normal(const Tensor& mean, const Tensor& std, Generator gen) {
  return normal_impl(&mean, 0, &std, 0, gen, "NormalBackward3");
}
Tensor normal(const Tensor& mean, double std, Generator gen) {
  return normal_impl(&mean, 0, nullptr, std, gen, "NormalBackward1");
}
Tensor normal(double mean, const Tensor& std, Generator gen) {
  return normal_impl(nullptr, mean, &std, 0, gen, "NormalBackward2");
}
Tensor normal(double mean, double std, const Shape& shape, Generator gen, TensorOptions o) {
  check_floating(o.dtype_or_default(), "normal");
  Tensor t = empty(shape, o.requires_grad(false));
  normal_(t, mean, std, gen);
  return finish(t, o);
}

Tensor bernoulli(const Tensor& p, Generator gen) {
  check_floating(p.dtype(), "bernoulli");
  Tensor out = empty(p.sizes(), TensorOptions(p.dtype()).device(p.device()));
  autograd::NoGradGuard guard;
  bernoulli_(out, p, gen);
  return out;
}

Tensor bernoulli(const Tensor& input, double p, Generator gen) {
  Tensor out = empty(input.sizes(), TensorOptions(input.dtype()).device(input.device()));
  autograd::NoGradGuard guard;
  bernoulli_(out, p, gen);
  return out;
}

Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement, Generator gen) {
  EMBER_CHECK(probs.dim() == 1 || probs.dim() == 2, Runtime, "[ember.multinomial] prob_dist must be 1 or 2 dim, got ",
              probs.dim());
  EMBER_CHECK(is_floating_point(probs.dtype()), Runtime,
              "[ember.multinomial] only supports floating-point dtypes for input, got ", dtype_name(probs.dtype()));
  EMBER_CHECK(num_samples > 0, Runtime, "[ember.multinomial] cannot sample n_sample <= 0 samples");
  int64_t cols = probs.size(-1), rows = probs.dim() == 2 ? probs.size(0) : 1;
  EMBER_CHECK(replacement || num_samples <= cols, Runtime,
              "[ember.multinomial] cannot sample n_sample > prob_dist.size(-1) samples without replacement");
  EMBER_CHECK(cols > 0, Runtime, "[ember.multinomial] prob_dist has no categories");
  Tensor p = to_dtype(to_device(probs.detach(), Device()).contiguous(), Dtype::Float64, /*copy=*/false).contiguous();
  const double* q = p.data<double>();
  for (int64_t r = 0; r < rows; ++r) {
    double total = 0;
    int64_t nonzero = 0;
    for (int64_t j = 0; j < cols; ++j) {
      double v = q[r * cols + j];
      EMBER_CHECK(std::isfinite(v) && v >= 0, Runtime,
                  "[ember.multinomial] probability tensor contains either `inf`, `nan` or element < 0");
      total += v;
      nonzero += v > 0;
    }
    EMBER_CHECK(total > 0, Runtime, "[ember.multinomial] invalid multinomial distribution (sum of probabilities <= 0)");
    EMBER_CHECK(replacement || nonzero >= num_samples, Runtime,
                "[ember.multinomial] invalid multinomial distribution (with replacement=False, not enough non-negative "
                "category to sample)");
  }
  Shape shape = probs.dim() == 2 ? Shape{rows, num_samples} : Shape{num_samples};
  Tensor out = empty(shape, TensorOptions(Dtype::Int64));
  if (rows > 0) {
    Generator g = resolve(gen, probs, "multinomial");
    int64_t draws = rows * (replacement ? num_samples : cols);
    auto [seed, offset] = g.reserve(uint64_t(draws));
    RandomArgs args;
    args.out = View(out);
    args.in[0] = View(p);
    args.nin = 1;
    args.seed = seed;
    args.offset = offset;
    args.flag = replacement;
    args.rows = rows;
    args.cols = cols;
    multinomial_stub.get(DeviceType::CPU, Dtype::Float64)(args);
  }
  return probs.device().is_cpu() ? out : to_device(out, probs.device());
}

}  // namespace ember
