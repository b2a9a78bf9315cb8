// The embedding contract: a C++ program that uses only the public headers (ember/ember.h) builds a
// small model, runs forward and backward, checks the gradients against finite differences, and
// checks that bad input raises ember::Error with the right kind. Exits non-zero on any failure.
#include <ember/ember.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace {

int g_failures = 0;
int g_checks = 0;

void check(bool ok, const std::string& what) {
  ++g_checks;
  if (!ok) {
    ++g_failures;
    std::printf("FAIL: %s\n", what.c_str());
  }
}

bool close(double a, double b, double tol = 1e-6) { return std::fabs(a - b) <= tol * (1.0 + std::fabs(b)); }

// Element i of a contiguous float64 tensor.
double at(const ember::Tensor& t, int64_t i) { return t.contiguous().data<double>()[i]; }

ember::Tensor from_values(const std::vector<double>& v, const ember::Shape& shape) {
  ember::Tensor t = ember::empty(shape, ember::TensorOptions(ember::Dtype::Float64));
  double* p = t.data<double>();
  for (size_t i = 0; i < v.size(); ++i) p[i] = v[i];
  return t;
}

// A two-layer model: loss = mean(tanh(x @ w1 + b1) @ w2).
ember::Tensor model_loss(const ember::Tensor& x, const ember::Tensor& w1, const ember::Tensor& b1,
                         const ember::Tensor& w2) {
  ember::Tensor h = ember::tanh(ember::add(ember::matmul(x, w1), b1));
  ember::Tensor out = ember::matmul(h, w2);
  return ember::mean(ember::mul(out, out));
}

void test_basic_tensors() {
  ember::Tensor a = ember::ones({2, 3}, ember::TensorOptions(ember::Dtype::Float32));
  check(a.dim() == 2 && a.size(0) == 2 && a.size(1) == 3 && a.numel() == 6, "ones shape");
  check(a.dtype() == ember::Dtype::Float32, "ones dtype");
  ember::Tensor r = ember::arange(0, 6, 1, ember::TensorOptions(ember::Dtype::Float64));
  check(r.numel() == 6 && close(at(r, 5), 5.0), "arange values");
  ember::Tensor v = ember::view(r, {2, 3});
  check(v.shares_storage(r), "view shares storage");
  ember::Tensor t = ember::transpose(v, 0, 1);
  check(!t.is_contiguous() && close(at(t, 1), 3.0), "transpose is a strided view");
  ember::Tensor s = ember::sum(v, {1});
  check(close(at(s, 0), 3.0) && close(at(s, 1), 12.0), "sum over a dim");
  ember::Tensor f = ember::full({3}, 2.5, ember::TensorOptions(ember::Dtype::Float64));
  check(close(ember::sum(f).item().to_double(), 7.5), "full + item");
}

void test_model_gradients() {
  ember::Tensor x = from_values({0.1, -0.4, 0.7, 0.3, 0.9, -0.2}, {3, 2});
  ember::Tensor w1 = from_values({0.5, -0.3, 0.8, 0.2, 0.1, -0.6}, {2, 3});
  ember::Tensor b1 = from_values({0.05, -0.1, 0.2}, {3});
  ember::Tensor w2 = from_values({0.3, -0.7, 0.4}, {3, 1});
  std::vector<ember::Tensor*> params = {&w1, &b1, &w2};
  for (auto* p : params) p->requires_grad_(true);

  ember::Tensor loss = model_loss(x, w1, b1, w2);
  check(loss.requires_grad() && !loss.is_leaf(), "loss is a non-leaf that requires grad");
  check(loss.grad_fn() != nullptr && ember::node_name(*loss.grad_fn()) == "MeanBackward0",
        "loss.grad_fn is MeanBackward0");
  ember::autograd::backward({loss});

  // Central finite differences on every parameter element.
  const double eps = 1e-6;
  for (size_t k = 0; k < params.size(); ++k) {
    ember::Tensor& p = *params[k];
    ember::Tensor g = p.grad();
    check(g.defined() && g.sizes() == p.sizes(), "grad defined with the parameter's shape");
    if (!g.defined()) continue;
    for (int64_t i = 0; i < p.numel(); ++i) {
      ember::autograd::NoGradGuard no_grad;
      double* data = p.data<double>();
      double orig = data[i];
      data[i] = orig + eps;
      double up = model_loss(x, w1, b1, w2).item().to_double();
      data[i] = orig - eps;
      double down = model_loss(x, w1, b1, w2).item().to_double();
      data[i] = orig;
      double numeric = (up - down) / (2 * eps);
      check(close(at(g, i), numeric, 1e-5), "param " + std::to_string(k) + "[" + std::to_string(i) +
                                                "] analytical " + std::to_string(at(g, i)) + " vs numerical " +
                                                std::to_string(numeric));
    }
  }

  // autograd::grad leaves .grad alone and agrees with backward.
  ember::Tensor before = w2.grad().clone();
  auto grads = ember::autograd::grad({model_loss(x, w1, b1, w2)}, {w2});
  check(grads.size() == 1 && close(at(grads[0], 0), at(before, 0)), "autograd::grad matches backward");
  check(close(at(w2.grad(), 0), at(before, 0)), "autograd::grad does not accumulate");

  // Second backward accumulates into .grad.
  ember::autograd::backward({model_loss(x, w1, b1, w2)});
  check(close(at(w2.grad(), 1), 2 * at(before, 1)), "grads accumulate over two backwards");
}

void test_higher_order() {
  // d/dx (x*x*x) = 3x^2, d2/dx2 = 6x.
  ember::Tensor x = from_values({2.0}, {1});
  x.requires_grad_(true);
  ember::Tensor y = ember::sum(ember::mul(ember::mul(x, x), x));
  auto g = ember::autograd::grad({y}, {x}, {}, false, /*create_graph=*/true);
  check(close(at(g[0], 0), 12.0), "first derivative of x^3");
  auto g2 = ember::autograd::grad({ember::sum(g[0])}, {x});
  check(close(at(g2[0], 0), 12.0), "second derivative of x^3 at 2 is 12");
}

template <class F> void expect_error(F&& f, ember::ErrorKind kind, const std::string& what) {
  try {
    f();
    check(false, what + ": no error raised");
  } catch (const ember::Error& e) {
    check(e.kind() == kind, what + ": wrong error kind (" + e.what() + ")");
    check(std::string(e.what()).size() > 0, what + ": empty message");
  } catch (const std::exception& e) {
    check(false, what + ": not an ember::Error: " + e.what());
  }
}

void test_errors() {
  ember::Tensor a = ember::ones({2, 3});
  ember::Tensor b = ember::ones({4, 5});
  expect_error([&] { ember::add(a, b); }, ember::ErrorKind::Runtime, "broadcast mismatch");
  expect_error([&] { ember::mm(a, a); }, ember::ErrorKind::Runtime, "mm shape mismatch");
  expect_error([&] { a.size(5); }, ember::ErrorKind::Index, "size() dim out of range");
  expect_error([&] { ember::view(a, {7}); }, ember::ErrorKind::Runtime, "view to a wrong numel");
  expect_error([&] { a.item(); }, ember::ErrorKind::Runtime, "item() of a 6-element tensor");
  // Backward twice without retain_graph.
  ember::Tensor w = ember::ones({3}, ember::TensorOptions(ember::Dtype::Float64));
  w.requires_grad_(true);
  ember::Tensor y = ember::sum(ember::exp(w));
  ember::autograd::backward({y});
  expect_error([&] { ember::autograd::backward({y}); }, ember::ErrorKind::Runtime, "second backward");
  // In-place change of a saved tensor (exp saves its output).
  ember::Tensor e = ember::exp(ember::mul(w, 2.0));
  ember::Tensor z = ember::sum(e);
  {
    ember::autograd::NoGradGuard g;
    ember::add_(e, 1.0);
  }
  expect_error([&] { ember::autograd::backward({z}); }, ember::ErrorKind::Runtime, "saved tensor modified in place");
  // A leaf that requires grad used in place.
  expect_error([&] { ember::add_(w, 1.0); }, ember::ErrorKind::Runtime, "in-place on a leaf requiring grad");
  // Integer tensors cannot require grad.
  ember::Tensor i = ember::zeros({2}, ember::TensorOptions(ember::Dtype::Int64));
  expect_error([&] { i.requires_grad_(true); }, ember::ErrorKind::Runtime, "requires_grad on an integer tensor");
}

}  // namespace

int main() {
  const std::vector<std::pair<const char*, std::function<void()>>> tests = {
      {"basic_tensors", test_basic_tensors},
      {"model_gradients", test_model_gradients},
      {"higher_order", test_higher_order},
      {"errors", test_errors},
  };
  for (auto& [name, fn] : tests) {
    try {
      fn();
    } catch (const std::exception& e) {
      ++g_failures;
      std::printf("FAIL: %s raised %s\n", name, e.what());
    }
  }
  std::printf("ember %s: %d checks, %d failed\n", EMBER_VERSION_STRING, g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
