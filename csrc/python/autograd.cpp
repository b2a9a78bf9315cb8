// Bindings: backward / grad, grad mode, tensor hooks, and graph nodes (Tensor.grad_fn).
#include "autograd/node.h"
#include "python/common.h"

namespace ember::python {
namespace {

std::vector<Tensor> tensor_list_from(py::handle obj) {
  std::vector<Tensor> out;
  if (obj.is_none()) return out;
  if (py::isinstance<Tensor>(obj)) return {obj.cast<Tensor>()};
  for (py::handle h : obj) out.push_back(h.is_none() ? Tensor() : h.cast<Tensor>());
  return out;
}

// Handle returned by register_hook; remove() detaches the hook.
struct HookHandle {
  std::function<void()> remover;
  bool removed = false;
  void remove() {
    if (!removed && remover) remover();
    removed = true;
  }
};

GradHook wrap_hook(py::function fn) {
  return [fn](const Tensor& g) -> Tensor {
    py::object r = fn(g);
    if (r.is_none()) return Tensor();
    return r.cast<Tensor>();
  };
}

}  // namespace

void bind_autograd(py::module_& m, TensorClass& cls) {
  m.def("is_grad_enabled", &autograd::is_grad_enabled);
  m.def("_set_grad_enabled", &autograd::set_grad_enabled);
  m.def("is_inference_mode_enabled", &autograd::is_inference_mode_enabled);
  m.def("_set_inference_mode", &autograd::set_inference_mode);
  m.def("is_anomaly_enabled", &autograd::is_anomaly_enabled);
  m.def("_set_anomaly_enabled", &autograd::set_anomaly_enabled);
  m.def("_backward", [](py::handle tensors, py::handle grads, bool retain_graph, bool create_graph) {
    autograd::backward(tensor_list_from(tensors), tensor_list_from(grads), retain_graph, create_graph);
  }, py::arg("tensors"), py::arg("grad_tensors") = py::none(), py::arg("retain_graph") = false,
     py::arg("create_graph") = false);
  m.def("_grad", [](py::handle outputs, py::handle inputs, py::handle grad_outputs, bool retain_graph, bool create_graph,
                    bool allow_unused) {
    auto res = autograd::grad(tensor_list_from(outputs), tensor_list_from(inputs), tensor_list_from(grad_outputs),
                              retain_graph, create_graph, allow_unused);
    py::tuple out(res.size());
    for (size_t i = 0; i < res.size(); ++i) out[i] = res[i].defined() ? py::cast(res[i]) : py::none();
    return out;
  });

  py::class_<HookHandle, std::shared_ptr<HookHandle>>(m, "_HookHandle")
      .def("remove", &HookHandle::remove);

  cls.def("backward", [](const Tensor& t, py::object gradient, py::object retain_graph, bool create_graph, py::object inputs) {
        EMBER_CHECK(inputs.is_none(), NotImplemented, "[ember.backward] the inputs= argument is not supported yet");
        bool retain = retain_graph.is_none() ? create_graph : retain_graph.cast<bool>();
        autograd::backward({t}, gradient.is_none() ? std::vector<Tensor>{} : std::vector<Tensor>{gradient.cast<Tensor>()},
                           retain, create_graph);
      }, py::arg("gradient") = py::none(), py::arg("retain_graph") = py::none(), py::arg("create_graph") = false,
      py::arg("inputs") = py::none());

  cls.def("register_hook", [](Tensor& t, py::function fn) {
    EMBER_CHECK(t.requires_grad(), Runtime, "[ember.register_hook] cannot register a hook on a tensor that doesn't require gradient");
    auto handle = std::make_shared<HookHandle>();
    if (t.is_leaf()) {
      auto& hooks = t.impl()->autograd().leaf_hooks;
      int id = next_hook_handle();
      hooks.push_back({id, wrap_hook(fn)});
      std::weak_ptr<TensorImpl> weak = t.impl_ptr();
      handle->remover = [weak, id] {
        if (auto impl = weak.lock()) {
          auto& hs = impl->autograd().leaf_hooks;
          for (auto it = hs.begin(); it != hs.end(); ++it)
            if (it->first == id) { hs.erase(it); break; }
        }
      };
    } else {
      std::weak_ptr<Node> node = t.grad_fn();
      int id = t.grad_fn()->add_pre_hook(t.output_nr(), wrap_hook(fn));
      handle->remover = [node, id] {
        if (auto n = node.lock()) n->remove_pre_hook(id);
      };
    }
    return handle;
  }, py::arg("hook"));

  py::class_<Node, std::shared_ptr<Node>>(m, "Node")
      .def("name", &Node::name)
      .def_property_readonly("next_functions", [](const Node& n) {
        py::tuple out(n.next_edges().size());
        for (size_t i = 0; i < n.next_edges().size(); ++i) {
          const Edge& e = n.next_edges()[i];
          out[i] = py::make_tuple(e.fn ? py::cast(e.fn) : py::object(py::none()), e.input_nr);
        }
        return out;
      })
      .def_property_readonly("variable", [](const Node& n) -> py::object {
        if (auto* acc = dynamic_cast<const AccumulateGrad*>(&n)) return py::cast(acc->variable);
        throw py::attribute_error("'" + n.name() + "' object has no attribute 'variable'");
      })
      .def("__repr__", [](const Node& n) {
        std::ostringstream os;
        os << "<" << n.name() << " object at " << static_cast<const void*>(&n) << ">";
        return os.str();
      });
}

}  // namespace ember::python
