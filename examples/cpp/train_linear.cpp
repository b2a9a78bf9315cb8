// Fit y = 3*x0 - 2*x1 + 0.5 with a linear model and a hand-written SGD loop, using only the
// public ember API. Prints the loss and exits non-zero if the fit did not converge.
#include <ember/ember.h>

#include <cmath>
#include <cstdio>

int main() {
  using namespace ember;
  const TensorOptions f64(Dtype::Float64);
  // 64 inputs on a grid in [-1, 1]^2 (deterministic: no random numbers needed).
  Tensor t = linspace(-1.0, 1.0, 8, f64);
  Tensor x0 = reshape(expand(unsqueeze(t, 1), {8, 8}), {64, 1});
  Tensor x1 = reshape(expand(unsqueeze(t, 0), {8, 8}), {64, 1});
  Tensor X = empty({64, 2}, f64);
  {
    double* px = X.data<double>();
    Tensor c0 = contiguous(x0), c1 = contiguous(x1);
    for (int i = 0; i < 64; ++i) {
      px[2 * i] = c0.data<double>()[i];
      px[2 * i + 1] = c1.data<double>()[i];
    }
  }
  Tensor true_w = empty({2, 1}, f64);
  true_w.data<double>()[0] = 3.0;
  true_w.data<double>()[1] = -2.0;
  Tensor Y = add(matmul(X, true_w), 0.5);

  Tensor w = zeros({2, 1}, f64);
  Tensor b = zeros({1}, f64);
  w.requires_grad_(true);
  b.requires_grad_(true);

  const double lr = 0.2;
  double loss_value = 0;
  for (int step = 0; step < 300; ++step) {
    Tensor pred = add(matmul(X, w), b);
    Tensor diff = sub(pred, Y);
    Tensor loss = mean(mul(diff, diff));
    autograd::backward({loss});
    {
      autograd::NoGradGuard no_grad;
      sub_(w, w.grad(), lr);
      sub_(b, b.grad(), lr);
    }
    w.set_grad(Tensor());
    b.set_grad(Tensor());
    loss_value = loss.item().to_double();
    if (step % 100 == 0) std::printf("step %3d  loss %.6f\n", step, loss_value);
  }
  Tensor wc = contiguous(w);
  double w0 = wc.data<double>()[0], w1 = wc.data<double>()[1], b0 = contiguous(b).data<double>()[0];
  std::printf("final loss %.3e  w = [%.4f, %.4f]  b = %.4f\n", loss_value, w0, w1, b0);
  bool ok = loss_value < 1e-6 && std::fabs(w0 - 3.0) < 1e-3 && std::fabs(w1 + 2.0) < 1e-3 && std::fabs(b0 - 0.5) < 1e-3;
  std::printf(ok ? "converged\n" : "did not converge\n");
  return ok ? 0 : 1;
}
