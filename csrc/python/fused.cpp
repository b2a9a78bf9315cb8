// Bindings for the fused training ops: losses, embedding and dropout into ember._C._nn, optimizer
// steps into ember._C._optim, CPU allocator statistics into ember._C._cpu.
#include "core/allocator.h"
#include "ember/nn/functional.h"
#include "ember/optim.h"
#include "python/common.h"

namespace ember::python {
namespace {

namespace F = ember::nn::functional;
namespace O = ember::optim;

Tensor opt_tensor(py::handle obj) { return obj.is_none() ? Tensor() : obj.cast<Tensor>(); }

// A sequence of tensors, None entries allowed (undefined tensors).
O::TensorList tensor_list(py::handle obj) {
  O::TensorList out;
  if (obj.is_none()) return out;
  for (py::handle h : obj) out.push_back(opt_tensor(h));
  return out;
}

}  // namespace

void bind_fused(py::module_& m) {
  py::module_ nn = m.attr("_nn").cast<py::module_>();
  nn.def("nll_loss", [](const Tensor& input, const Tensor& target, py::handle weight, const std::string& reduction,
                        int64_t ignore_index) {
    return F::nll_loss(input, target, opt_tensor(weight), reduction, ignore_index);
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean",
     py::arg("ignore_index") = -100);
  nn.def("cross_entropy", [](const Tensor& input, const Tensor& target, py::handle weight, const std::string& reduction,
                             int64_t ignore_index, double label_smoothing) {
    return F::cross_entropy(input, target, opt_tensor(weight), reduction, ignore_index, label_smoothing);
  }, py::arg("input"), py::arg("target"), py::arg("weight") = py::none(), py::arg("reduction") = "mean",
     py::arg("ignore_index") = -100, py::arg("label_smoothing") = 0.0);
  nn.def("embedding", &F::embedding, py::arg("weight"), py::arg("indices"), py::arg("padding_idx") = -1,
         py::arg("scale_grad_by_freq") = false, py::arg("sparse") = false);
  nn.def("dropout", &F::dropout, py::arg("input"), py::arg("p") = 0.5, py::arg("train") = true);
  nn.def("dropout_", [](Tensor& input, double p, bool train) -> Tensor& { return F::dropout_(input, p, train); },
         py::arg("input"), py::arg("p") = 0.5, py::arg("train") = true);

  py::module_ optim = m.def_submodule("_optim", "fused optimizer steps behind ember.optim");
  optim.def("sgd_", [](py::handle params, py::handle grads, py::handle bufs, double lr, double momentum,
                       double dampening, double weight_decay, bool nesterov, bool maximize) {
    O::TensorList p = tensor_list(params), g = tensor_list(grads), b = tensor_list(bufs);
    py::gil_scoped_release release;
    return O::sgd_(p, g, b, lr, momentum, dampening, weight_decay, nesterov, maximize);
  }, py::arg("params"), py::arg("grads"), py::arg("momentum_buffers"), py::arg("lr"), py::arg("momentum"),
     py::arg("dampening"), py::arg("weight_decay"), py::arg("nesterov"), py::arg("maximize"));
  optim.def("adam_", [](py::handle params, py::handle grads, py::handle m1, py::handle m2, py::handle mmax,
                        py::handle steps, double lr, double beta1, double beta2, double weight_decay, double eps,
                        bool amsgrad, bool maximize, bool decoupled) {
    O::TensorList p = tensor_list(params), g = tensor_list(grads), a = tensor_list(m1), b = tensor_list(m2),
                  c = tensor_list(mmax), s = tensor_list(steps);
    py::gil_scoped_release release;
    O::adam_(p, g, a, b, c, s, lr, beta1, beta2, weight_decay, eps, amsgrad, maximize, decoupled);
  }, py::arg("params"), py::arg("grads"), py::arg("exp_avgs"), py::arg("exp_avg_sqs"), py::arg("max_exp_avg_sqs"),
     py::arg("state_steps"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("weight_decay"),
     py::arg("eps"), py::arg("amsgrad"), py::arg("maximize"), py::arg("decoupled_weight_decay"));
  optim.def("rmsprop_", [](py::handle params, py::handle grads, py::handle sq, py::handle ga, py::handle bufs,
                           py::handle steps, double lr, double alpha, double eps, double weight_decay,
                           double momentum, bool centered, bool maximize) {
    O::TensorList p = tensor_list(params), g = tensor_list(grads), a = tensor_list(sq), b = tensor_list(ga),
                  c = tensor_list(bufs), s = tensor_list(steps);
    py::gil_scoped_release release;
    O::rmsprop_(p, g, a, b, c, s, lr, alpha, eps, weight_decay, momentum, centered, maximize);
  }, py::arg("params"), py::arg("grads"), py::arg("square_avgs"), py::arg("grad_avgs"), py::arg("momentum_buffers"),
     py::arg("state_steps"), py::arg("lr"), py::arg("alpha"), py::arg("eps"), py::arg("weight_decay"),
     py::arg("momentum"), py::arg("centered"), py::arg("maximize"));
  optim.def("adagrad_", [](py::handle params, py::handle grads, py::handle sums, py::handle steps, double lr,
                           double lr_decay, double weight_decay, double eps, bool maximize) {
    O::TensorList p = tensor_list(params), g = tensor_list(grads), a = tensor_list(sums), s = tensor_list(steps);
    py::gil_scoped_release release;
    O::adagrad_(p, g, a, s, lr, lr_decay, weight_decay, eps, maximize);
  }, py::arg("params"), py::arg("grads"), py::arg("state_sums"), py::arg("state_steps"), py::arg("lr"),
     py::arg("lr_decay"), py::arg("weight_decay"), py::arg("eps"), py::arg("maximize"));

  py::module_ cpu = m.def_submodule("_cpu", "CPU allocator statistics");
  cpu.def("memory_stats", [] {
    MemoryStats s = cpu_memory_stats();
    py::dict d;
    d["allocated_bytes.current"] = s.allocated_bytes;
    d["allocated_bytes.peak"] = s.peak_allocated_bytes;
    d["cached_bytes.current"] = s.cached_bytes;
    d["cached_bytes.peak"] = s.peak_cached_bytes;
    d["reserved_bytes.current"] = s.allocated_bytes + s.cached_bytes;
    d["num_allocs"] = s.num_allocs;
    d["num_frees"] = s.num_frees;
    d["num_cache_hits"] = s.num_cache_hits;
    d["num_alloc_retries"] = s.num_alloc_retries;
    return d;
  });
  cpu.def("empty_cache", &cpu_empty_cache);
  cpu.def("reset_peak_memory_stats", &cpu_reset_peak_memory_stats);
}

}  // namespace ember::python
