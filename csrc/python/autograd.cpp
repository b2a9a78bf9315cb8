// Bindings: backward / grad, grad mode, tensor hooks, graph nodes (Tensor.grad_fn), and the bridge
// that makes ember.autograd.Function subclasses nodes of the C++ graph (PyFunctionNode).
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "autograd/engine.h"
#include "autograd/node.h"
#include "autograd/saved.h"
#include "python/common.h"

namespace ember::python {
namespace {

// grad_fn objects: each node name gets its own Python subclass of Node (created once, cached) so that
// type(t.grad_fn).__name__ is 'AddBackward0' as in torch; __slots__ = () adds no attributes.
PyObject* g_node_type = nullptr;

PyObject* node_subclass(const std::string& name) {
  static auto* cache = new std::unordered_map<std::string, PyObject*>();  // leaked: lives as long as the types
  auto it = cache->find(name);
  if (it != cache->end()) return it->second;
  py::dict ns;
  ns["__slots__"] = py::tuple();
  ns["__module__"] = py::str("ember.autograd.graph");
  py::object base = py::reinterpret_borrow<py::object>(g_node_type);
  py::object sub = py::reinterpret_borrow<py::object>(reinterpret_cast<PyObject*>(Py_TYPE(g_node_type)))(
      py::str(name), py::make_tuple(base), ns);
  return cache->emplace(name, sub.release().ptr()).first->second;
}

}  // namespace

py::object node_object(const std::shared_ptr<Node>& fn) {
  if (!fn) return py::none();
  static const py::detail::type_info* tinfo = py::detail::get_type_info(typeid(Node));
  // the object Python already holds for this node, if any (`t.grad_fn is t.grad_fn`, as in torch)
  if (py::handle existing = py::detail::find_registered_python_instance(fn.get(), tinfo))
    return py::reinterpret_steal<py::object>(existing);
  // a new instance of the node's subclass, made as pybind makes instances of Python subclasses
  auto* sub = reinterpret_cast<PyTypeObject*>(node_subclass(fn->name()));
  py::object obj = py::reinterpret_steal<py::object>(py::detail::make_new_instance(sub));
  auto* inst = reinterpret_cast<py::detail::instance*>(obj.ptr());
  inst->owned = true;
  inst->get_value_and_holder(tinfo).value_ptr() = fn.get();
  tinfo->init_instance(inst, &fn);  // registers the instance and copies the shared_ptr holder
  return obj;
}

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

// A tensor saved by ctx.save_for_backward: unpacking checks its version (in-place error) and
// whether the graph was already freed.
struct PySavedTensor {
  SavedTensor saved;
  std::weak_ptr<Node> owner;
  Tensor unpack() const {
    auto node = owner.lock();
    return saved.unpack(node.get());
  }
};

// Note [Python Function nodes]: Function.apply runs forward under no_grad, then _function_link
// makes the outputs outputs of one PyFunctionNode whose edges are the forward arguments (invalid
// for non-tensors and tensors that need no grad). The node holds ctx strongly; ctx never holds
// the node, so no reference cycle is made. The engine calls apply with the GIL held.
class PyFunctionNode final : public autograd::CustomFunctionNode {
 public:
  ~PyFunctionNode() override {
    if (!Py_IsInitialized()) {
      ctx_.release();
      backward_.release();
      return;
    }
    py::gil_scoped_acquire gil;
    ctx_ = py::object();
    backward_ = py::object();
  }
  std::string name() const override { return name_; }
  void release_saved() override {
    for (auto& s : saved_) s->saved.reset();
  }
  tensor_list apply(tensor_list&& grads) override;

  py::object ctx_, backward_;
  std::string name_;
  std::vector<int> output_slot_;     // per forward output: its input slot here, -1 for non-tensors
  std::vector<size_t> input_order_;  // edge j is forward argument input_order_[j]
  std::vector<bool> arg_is_tensor_;  // per forward argument
  std::vector<std::shared_ptr<PySavedTensor>> saved_;
};

tensor_list PyFunctionNode::apply(tensor_list&& grads) {
  py::gil_scoped_acquire gil;
  py::tuple args(output_slot_.size() + 1);
  args[0] = ctx_;
  for (size_t i = 0; i < output_slot_.size(); ++i) {
    int slot = output_slot_[i];
    py::object g = py::none();
    if (slot >= 0 && size_t(slot) < grads.size() && grads[slot].defined()) {
      g = py::cast(grads[slot]);
    } else if (slot >= 0 && materialize_grads) {
      const InputMeta& m = input_meta_[slot];
      g = py::cast(zeros(m.shape, TensorOptions(m.dtype).device(m.device)));
    }
    args[i + 1] = g;
  }
  py::object res = backward_(*args);
  py::tuple res_t = py::isinstance<py::tuple>(res) ? py::reinterpret_borrow<py::tuple>(res) : py::make_tuple(res);
  size_t n_in = arg_is_tensor_.size();
  size_t n_got = res_t.size();
  bool extras_none = true;
  for (size_t i = n_in; i < n_got; ++i) extras_none = extras_none && res_t[i].is_none();
  EMBER_CHECK(n_got == n_in || (n_got > n_in && extras_none), Runtime, "function ", name_,
              " returned an incorrect number of gradients (expected ", n_in, ", got ", n_got, ")");
  tensor_list out(next_edges_.size());
  for (size_t j = 0; j < next_edges_.size(); ++j) {
    size_t k = input_order_[j];
    py::handle r = res_t[k];
    if (r.is_none()) continue;
    EMBER_CHECK(arg_is_tensor_[k], Runtime, "function ", name_, " returned a gradient different than None at position ",
                k + 1, ", but the corresponding forward input was not a Variable");
    EMBER_CHECK(py::isinstance<Tensor>(r), Type, "function ", name_, " returned a gradient of type ",
                std::string(py::str(py::type::handle_of(r).attr("__name__"))), " at position ", k + 1, ", expected a Tensor or None");
    if (next_edges_[j].is_valid()) out[j] = r.cast<Tensor>();
  }
  return out;
}

std::unordered_set<TensorImpl*> impl_set(py::handle seq) {
  std::unordered_set<TensorImpl*> out;
  if (seq.is_none()) return out;
  for (py::handle h : seq)
    if (py::isinstance<Tensor>(h)) out.insert(h.cast<const Tensor&>().impl());
  return out;
}

// A new tensor header over t's storage (version counter shared), with no history: what an
// output that is an unmodified input becomes, so the input itself keeps its history.
Tensor alias_of(const Tensor& t) {
  Tensor a = t.detach();
  a.impl()->view_base_ = t.impl()->view_base_ ? t.impl()->view_base_ : t.impl_ptr();
  return a;
}

// Link the outputs of Function.forward into the graph (Note [Python Function nodes]).
py::tuple function_link(py::object ctx, py::object backward, const std::string& name, py::tuple args,
                        py::tuple outputs) {
  std::vector<Tensor> inputs(args.size());
  std::unordered_set<TensorImpl*> input_impls;
  bool any_req = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (!py::isinstance<Tensor>(args[i])) continue;
    inputs[i] = args[i].cast<Tensor>();
    input_impls.insert(inputs[i].impl());
    any_req = any_req || requires_grad(inputs[i]);
  }
  any_req = any_req && autograd::is_grad_enabled();
  auto dirty = impl_set(py::getattr(ctx, "dirty_tensors", py::none()));
  auto non_diff = impl_set(py::getattr(ctx, "non_differentiable", py::none()));
  bool materialize = py::getattr(ctx, "materialize_grads", py::bool_(true)).cast<bool>();

  std::unordered_set<TensorImpl*> output_impls;
  size_t n_tensor_out = 0;
  for (py::handle o : outputs)
    if (py::isinstance<Tensor>(o)) {
      output_impls.insert(o.cast<const Tensor&>().impl());
      ++n_tensor_out;
    }
  for (TensorImpl* d : dirty)
    EMBER_CHECK(output_impls.count(d), Runtime,
                "[ember.autograd.Function] Some elements marked as dirty during the forward method were not returned "
                "as output. The inputs that are modified inplace must all be outputs of the Function.");

  std::shared_ptr<PyFunctionNode> node;
  if (any_req) {
    node = std::make_shared<PyFunctionNode>();
    node->ctx_ = ctx;
    node->backward_ = backward;
    node->name_ = name;
    node->materialize_grads = materialize;
    std::vector<Edge> edges(args.size());
    node->input_order_.resize(args.size());
    for (size_t i = 0; i < args.size(); ++i) {
      node->input_order_[i] = i;
      node->arg_is_tensor_.push_back(inputs[i].defined());
      if (inputs[i].defined() && requires_grad(inputs[i])) edges[i] = gradient_edge(inputs[i]);
    }
    // rebase_history on a view routes the first edge to the view's base: put the dirty view first.
    for (size_t i = 0; i < args.size(); ++i)
      if (inputs[i].defined() && dirty.count(inputs[i].impl()) && inputs[i].impl()->view_base_ && i != 0) {
        std::swap(edges[0], edges[i]);
        std::swap(node->input_order_[0], node->input_order_[i]);
        break;
      }
    node->set_next_edges(std::move(edges));
  }

  py::list results;
  std::unordered_set<TensorImpl*> seen;
  std::vector<int> slots;
  for (py::handle o : outputs) {
    if (!py::isinstance<Tensor>(o)) {
      results.append(o);
      slots.push_back(-1);
      continue;
    }
    Tensor t = o.cast<Tensor>();
    TensorImpl* impl = t.impl();
    bool is_input = input_impls.count(impl) > 0;
    bool is_modified = dirty.count(impl) > 0;
    bool repeated = !seen.insert(impl).second;
    if (is_modified && !repeated) t.bump_version();
    if (!node) {
      slots.push_back(-1);
      results.append((is_input && !is_modified) || repeated ? py::cast(alias_of(t)) : py::reinterpret_borrow<py::object>(o));
      continue;
    }
    slots.push_back(int(node->num_inputs()));
    bool differentiable = !non_diff.count(impl) && t.is_floating_point();
    if (!differentiable) {
      node->add_input_metadata(t);
      if (is_input || repeated || t.requires_grad()) {
        Tensor a = alias_of(t);
        if (!is_input && !repeated) a.impl()->view_base_.reset();
        results.append(py::cast(a));
      } else {
        results.append(o);
      }
    } else if (is_modified && !repeated) {
      check_inplace(t, "autograd.Function");  // leaves, and views of leaves, that require grad
      EMBER_CHECK(!(t.impl()->view_base_ && n_tensor_out > 1), Runtime,
                  "[ember.autograd.Function] If your Function modifies inplace an input that is a view of another "
                  "Tensor, your Function cannot return more than one Tensor.");
      rebase_history(t, node);
      results.append(o);
    } else if (is_input || repeated || t.grad_fn() || t.requires_grad()) {
      Tensor a = alias_of(t);
      if (!is_input && !repeated) a.impl()->view_base_ = t.impl()->view_base_;
      set_history(a, node);
      results.append(py::cast(a));
    } else {
      set_history(t, node);
      results.append(o);
    }
  }
  if (node) node->output_slot_ = slots;

  // Saved tensors: recorded now, after any in-place write and with outputs known.
  py::object to_save = py::getattr(ctx, "to_save", py::none());
  py::list saved;
  std::vector<TensorImpl*> final_outputs;
  for (py::handle r : results)
    if (py::isinstance<Tensor>(r)) final_outputs.push_back(r.cast<const Tensor&>().impl());
  if (!to_save.is_none()) {
    size_t i = 0;
    for (py::handle h : to_save) {
      if (h.is_none()) {
        saved.append(py::none());
      } else {
        EMBER_CHECK(py::isinstance<Tensor>(h), Type, "save_for_backward can only save variables, but argument ", i,
                    " is of type ", std::string(py::str(py::type::handle_of(h).attr("__name__"))));
        Tensor t = h.cast<Tensor>();
        bool is_output = std::find(final_outputs.begin(), final_outputs.end(), t.impl()) != final_outputs.end();
        auto ps = std::make_shared<PySavedTensor>();
        ps->saved = SavedTensor(t, is_output && node);
        ps->owner = node;
        if (node) node->saved_.push_back(ps);
        saved.append(py::cast(ps));
      }
      ++i;
    }
  }
  ctx.attr("_saved") = py::tuple(saved);
  // Drop ctx's references to outputs: output -> node -> ctx -> output would be a cycle that
  // Python's collector cannot see through the C++ node.
  for (const char* attr : {"to_save", "dirty_tensors", "non_differentiable"})
    if (py::hasattr(ctx, attr)) py::delattr(ctx, attr);
  return py::tuple(results);
}

}  // namespace

void bind_autograd(py::module_& m, TensorClass& cls) {
  m.def("is_grad_enabled", &autograd::is_grad_enabled);
  m.def("_set_grad_enabled", &autograd::set_grad_enabled);
  m.def("is_inference_mode_enabled", &autograd::is_inference_mode_enabled);
  m.def("_set_inference_mode", &autograd::set_inference_mode);
  m.def("is_anomaly_enabled", &autograd::is_anomaly_enabled);
  m.def("_set_anomaly_enabled", &autograd::set_anomaly_enabled);
  m.def("_backward", [](py::handle tensors, py::handle grads, bool retain_graph, bool create_graph, py::handle inputs) {
    if (inputs.is_none())
      autograd::backward(tensor_list_from(tensors), tensor_list_from(grads), retain_graph, create_graph);
    else
      autograd::backward_to(tensor_list_from(tensors), tensor_list_from(grads), retain_graph, create_graph,
                            tensor_list_from(inputs));
  }, py::arg("tensors"), py::arg("grad_tensors") = py::none(), py::arg("retain_graph") = false,
     py::arg("create_graph") = false, py::arg("inputs") = py::none());
  m.def("_function_link", &function_link, py::arg("ctx"), py::arg("backward"), py::arg("name"), py::arg("args"),
        py::arg("outputs"));
  py::class_<PySavedTensor, std::shared_ptr<PySavedTensor>>(m, "_SavedTensor")
      .def("unpack", [](const PySavedTensor& s) -> py::object {
        Tensor t = s.unpack();
        return t.defined() ? py::cast(t) : py::none();
      });
  m.def("_grad", [](py::handle outputs, py::handle inputs, py::handle grad_outputs, bool retain_graph, bool create_graph,
                    bool allow_unused) {
    auto res = autograd::grad(tensor_list_from(outputs), tensor_list_from(inputs), tensor_list_from(grad_outputs),
                              retain_graph, create_graph, allow_unused);
    py::tuple out(res.size());
    for (size_t i = 0; i < res.size(); ++i) out[i] = res[i].defined() ? py::cast(res[i]) : py::none();
    return out;
  });

  py::class_<HookHandle, std::shared_ptr<HookHandle>>(m, "_HookHandle")
      .def("remove", &HookHandle::remove)
      .def("__enter__", [](std::shared_ptr<HookHandle> h) { return h; })
      .def("__exit__", [](HookHandle& h, py::args) { h.remove(); });

  cls.def("backward", [](const Tensor& t, py::object gradient, py::object retain_graph, bool create_graph, py::object inputs) {
        bool retain = retain_graph.is_none() ? create_graph : retain_graph.cast<bool>();
        std::vector<Tensor> grads;
        if (!gradient.is_none()) grads.push_back(gradient.cast<Tensor>());
        if (inputs.is_none()) autograd::backward({t}, grads, retain, create_graph);
        else autograd::backward_to({t}, grads, retain, create_graph, tensor_list_from(inputs));
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

  py::class_<Node, std::shared_ptr<Node>> node_cls(m, "Node");
  g_node_type = node_cls.ptr();
  node_cls
      .def("name", &Node::name)
      .def_property_readonly("next_functions", [](const Node& n) {
        py::tuple out(n.next_edges().size());
        for (size_t i = 0; i < n.next_edges().size(); ++i) {
          const Edge& e = n.next_edges()[i];
          out[i] = py::make_tuple(node_object(e.fn), e.input_nr);
        }
        return out;
      })
      .def_property_readonly("variable", [](const Node& n) -> py::object {
        if (auto* acc = dynamic_cast<const AccumulateGrad*>(&n)) return py::cast(acc->variable);
        throw py::attribute_error("'" + n.name() + "' object has no attribute 'variable'");
      })
      .def("__getattr__", [](const Node& n, const std::string& attr) -> py::object {
        // A Python Function's node exposes its ctx (saved_tensors, user attributes), as in torch.
        if (auto* fn = dynamic_cast<const PyFunctionNode*>(&n)) return fn->ctx_.attr(attr.c_str());
        throw py::attribute_error("'" + n.name() + "' object has no attribute '" + attr + "'");
      })
      .def("__repr__", [](const Node& n) {
        std::ostringstream os;
        os << "<" << n.name() << " object at " << static_cast<const void*>(&n) << ">";
        return os.str();
      });
}

}  // namespace ember::python
