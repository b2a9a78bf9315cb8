// Bindings: ember.Generator, the global seeding functions, the random factories (rand, randn,
// randint, randperm, normal, bernoulli, multinomial) and the in-place samplers on Tensor.
#include "python/common.h"

namespace ember::python {
namespace {

// Seeds as PyTorch takes them: any int in [-2^63, 2^64); negatives wrap modulo 2^64.
uint64_t seed_from_py(py::handle obj) {
  py::int_ v = py::reinterpret_steal<py::int_>(PyNumber_Long(obj.ptr()));
  if (!v) throw py::error_already_set();
  py::int_ lo(-(py::int_(1).attr("__lshift__")(63))), hi(py::int_(1).attr("__lshift__")(64));
  if (v < lo || v >= hi)
    throw std::runtime_error("Overflow when unpacking long");
  return PyLong_AsUnsignedLongLongMask(v.ptr());
}

Generator gen_arg(py::handle obj) {
  if (obj.is_none()) return Generator();
  if (!py::isinstance<Generator>(obj))
    throw py::type_error("[ember] generator must be an ember.Generator, got " +
                         std::string(py::str(py::type::of(obj).attr("__name__"))));
  return obj.cast<Generator>();
}

TensorOptions options_from(std::optional<Dtype> dtype, py::object device, bool requires_grad) {
  TensorOptions o;
  o = o.dtype(dtype);
  if (!device.is_none()) o = o.device(device_from_py(device));
  return o.requires_grad(requires_grad);
}

// out=: write the result into `out` (same shape) and return it.
Tensor maybe_out(const Tensor& result, py::object out) {
  if (out.is_none()) return result;
  Tensor o = out.cast<Tensor>();
  EMBER_CHECK(o.sizes() == result.sizes(), Runtime, "[ember] out= expected shape ", shape_str(result.sizes()), ", got ",
              shape_str(o.sizes()));
  copy_(o, result);
  return o;
}

int64_t int_arg(py::handle h, const char* what) {
  if (py::isinstance<py::float_>(h) || !PyIndex_Check(h.ptr()))
    throw py::type_error(std::string("[ember.randint] ") + what + " must be an int, got " +
                         std::string(py::str(py::type::of(h).attr("__name__"))));
  return h.cast<int64_t>();
}

#define EMBER_RANDOM_FACTORY_KWARGS                                                                       \
  py::kw_only(), py::arg("generator") = py::none(), py::arg("out") = py::none(), py::arg("dtype") = py::none(), \
      py::arg("layout") = py::none(), py::arg("device") = py::none(), py::arg("pin_memory") = false,        \
      py::arg("requires_grad") = false
#define EMBER_RANDOM_LIKE_KWARGS                                                                          \
  py::kw_only(), py::arg("dtype") = py::none(), py::arg("layout") = py::none(), py::arg("device") = py::none(), \
      py::arg("requires_grad") = false, py::arg("memory_format") = py::none(), py::arg("generator") = py::none()

TensorOptions like_options(const Tensor& t, std::optional<Dtype> dtype, py::object device, bool rg) {
  TensorOptions o = options_from(dtype ? dtype : std::optional<Dtype>(t.dtype()), py::none(), rg);
  return o.device(device.is_none() ? t.device() : device_from_py(device));
}

}  // namespace

void bind_random(py::module_& m, TensorClass& cls) {
  // ---- Generator
  py::class_<Generator>(m, "Generator", "A Philox4x32-10 random number generator (seed, offset).")
      .def(py::init([](py::object device) {
             Device d = device.is_none() ? Device() : device_from_py(device);
             return Generator(kDefaultRngSeed, d);
           }), py::arg("device") = py::none())
      .def("manual_seed", [](Generator& g, py::handle seed) { g.manual_seed(seed_from_py(seed)); return g; },
           py::arg("seed"))
      .def("seed", [](Generator& g) { return g.seed(); })
      .def("initial_seed", [](const Generator& g) { return g.initial_seed(); })
      .def("get_state", [](const Generator& g) { return g.get_state(); })
      .def("set_state", [](Generator& g, const Tensor& s) { g.set_state(s); return g; }, py::arg("new_state"))
      .def("get_offset", [](const Generator& g) { return g.offset(); })
      .def("set_offset", [](Generator& g, uint64_t o) { g.set_offset(o); return g; }, py::arg("offset"))
      .def_property_readonly("device", [](const Generator& g) { return g.device(); })
      .def("__eq__", [](const Generator& a, py::handle b) {
        return py::isinstance<Generator>(b) && a.is_same(b.cast<Generator>());
      })
      .def("__hash__", [](py::handle self) { return py::hash(py::int_(reinterpret_cast<uintptr_t>(self.ptr()))); })
      .def(py::pickle(
          [](const Generator& g) {
            Tensor s = g.get_state();
            return py::make_tuple(g.device().str(), py::bytes(static_cast<const char*>(s.data_ptr()), size_t(s.numel())));
          },
          [](py::tuple st) {
            Generator g(kDefaultRngSeed, Device(st[0].cast<std::string>()));
            std::string bytes = st[1].cast<std::string>();
            Tensor s = empty({int64_t(bytes.size())}, TensorOptions(Dtype::UInt8));
            std::copy(bytes.begin(), bytes.end(), static_cast<char*>(s.data_ptr()));
            g.set_state(s);
            return g;
          }));
  m.attr("default_generator") = py::cast(default_generator());

  // ---- seeding
  m.def("manual_seed", [](py::handle seed) {
    manual_seed(seed_from_py(seed));
    return default_generator();
  }, py::arg("seed"));
  m.def("seed", []() { return seed(); });
  m.def("initial_seed", []() { return initial_seed(); });
  m.def("get_rng_state", []() { return get_rng_state(); });
  m.def("set_rng_state", [](const Tensor& s) { set_rng_state(s); }, py::arg("new_state"));

  // ---- factories
  m.def("rand", [](py::args size, py::object gen, py::object out, std::optional<Dtype> dtype, py::object, py::object device,
                   bool, bool rg) {
    return maybe_out(rand(shape_from_args(size, "rand"), gen_arg(gen), options_from(dtype, device, rg)), out);
  }, EMBER_RANDOM_FACTORY_KWARGS);
  m.def("rand", [](py::handle size, py::object gen, py::object out, std::optional<Dtype> dtype, py::object, py::object device,
                   bool, bool rg) {
    return maybe_out(rand(shape_from_sequence(size, "rand"), gen_arg(gen), options_from(dtype, device, rg)), out);
  }, py::arg("size"), EMBER_RANDOM_FACTORY_KWARGS);  // keyword form: rand(size=...)
  m.def("randn", [](py::args size, py::object gen, py::object out, std::optional<Dtype> dtype, py::object, py::object device,
                    bool, bool rg) {
    return maybe_out(randn(shape_from_args(size, "randn"), gen_arg(gen), options_from(dtype, device, rg)), out);
  }, EMBER_RANDOM_FACTORY_KWARGS);
  m.def("randn", [](py::handle size, py::object gen, py::object out, std::optional<Dtype> dtype, py::object, py::object device,
                    bool, bool rg) {
    return maybe_out(randn(shape_from_sequence(size, "randn"), gen_arg(gen), options_from(dtype, device, rg)), out);
  }, py::arg("size"), EMBER_RANDOM_FACTORY_KWARGS);  // keyword form: randn(size=...)
  m.def("rand_like", [](const Tensor& t, std::optional<Dtype> dtype, py::object, py::object device, bool rg, py::object,
                        py::object gen) {
    return rand_like(t, gen_arg(gen), like_options(t, dtype, device, rg));
  }, py::arg("input"), EMBER_RANDOM_LIKE_KWARGS);
  m.def("randn_like", [](const Tensor& t, std::optional<Dtype> dtype, py::object, py::object device, bool rg, py::object,
                         py::object gen) {
    return randn_like(t, gen_arg(gen), like_options(t, dtype, device, rg));
  }, py::arg("input"), EMBER_RANDOM_LIKE_KWARGS);
  // randint(high, size) or randint(low, high, size); low/high/size also as keywords.
  m.def("randint", [](py::args args, py::kwargs kw) {
    std::vector<py::object> pos;
    for (py::handle h : args) pos.push_back(py::reinterpret_borrow<py::object>(h));
    py::object low = py::int_(0), high, size;
    if (kw.contains("low")) low = kw["low"];
    if (kw.contains("high")) high = kw["high"];
    if (kw.contains("size")) size = kw["size"];
    if (pos.size() == 3) { low = pos[0]; high = pos[1]; size = pos[2]; }
    else if (pos.size() == 2 && !size) { high = pos[0]; size = pos[1]; }
    else if (pos.size() == 2) { low = pos[0]; high = pos[1]; }
    else if (pos.size() == 1 && size && !high) high = pos[0];
    else if (pos.size() == 1 && size) low = pos[0];
    else if (!pos.empty()) throw py::type_error("[ember.randint] expected (high, size) or (low, high, size)");
    if (!high || !size) throw py::type_error("[ember.randint] missing required arguments 'high' and 'size'");
    auto get = [&](const char* k) -> py::object { return kw.contains(k) ? py::object(kw[k]) : py::object(py::none()); };
    std::optional<Dtype> dtype;
    if (!get("dtype").is_none()) dtype = get("dtype").cast<Dtype>();
    bool rg = !get("requires_grad").is_none() && get("requires_grad").cast<bool>();
    Tensor r = randint(int_arg(low, "low"), int_arg(high, "high"), shape_from_sequence(size, "randint"),
                       gen_arg(get("generator")), options_from(dtype, get("device"), rg));
    return maybe_out(r, get("out"));
  });
  m.def("randint_like", [](const Tensor& t, py::args args, std::optional<Dtype> dtype, py::object, py::object device, bool rg,
                           py::object, py::object gen) {
    int64_t low = 0, high;
    if (args.size() == 1) high = int_arg(args[0], "high");
    else if (args.size() == 2) { low = int_arg(args[0], "low"); high = int_arg(args[1], "high"); }
    else throw py::type_error("[ember.randint_like] expected (input, high) or (input, low, high)");
    return randint_like(t, low, high, gen_arg(gen), like_options(t, dtype, device, rg));
  }, py::arg("input"), EMBER_RANDOM_LIKE_KWARGS);
  m.def("randint_like", [](const Tensor& t, py::object low, py::object high, std::optional<Dtype> dtype, py::object,
                           py::object device, bool rg, py::object, py::object gen) {  // keyword forms: low=, high=
    EMBER_CHECK(!high.is_none(), Type, "[ember.randint_like] expected (input, high) or (input, low, high)");
    return randint_like(t, low.is_none() ? 0 : int_arg(low, "low"), int_arg(high, "high"), gen_arg(gen),
                        like_options(t, dtype, device, rg));
  }, py::arg("input"), py::arg("low") = py::none(), py::arg("high") = py::none(), EMBER_RANDOM_LIKE_KWARGS);
  m.def("randperm", [](int64_t n, py::object gen, py::object out, std::optional<Dtype> dtype, py::object, py::object device,
                       bool, bool rg) {
    return maybe_out(randperm(n, gen_arg(gen), options_from(dtype, device, rg)), out);
  }, py::arg("n"), EMBER_RANDOM_FACTORY_KWARGS);
  m.def("normal", [](py::object mean, py::object std, py::object size, py::object gen, py::object out,
                     std::optional<Dtype> dtype, py::object, py::object device, bool, bool rg) {
    bool mt = py::isinstance<Tensor>(mean), st = py::isinstance<Tensor>(std);
    Generator g = gen_arg(gen);
    Tensor r;
    if (mt && st) r = normal(mean.cast<Tensor>(), std.cast<Tensor>(), g);
    else if (mt) r = normal(mean.cast<Tensor>(), std.cast<double>(), g);
    else if (st) r = normal(mean.cast<double>(), std.cast<Tensor>(), g);
    else {
      if (size.is_none()) throw py::type_error("[ember.normal] normal(float mean, float std) needs a size");
      r = normal(mean.cast<double>(), std.cast<double>(), shape_from_sequence(size, "normal"), g,
                 options_from(dtype, device, rg));
    }
    return maybe_out(r, out);
  }, py::arg("mean"), py::arg("std") = 1.0, py::arg("size") = py::none(), EMBER_RANDOM_FACTORY_KWARGS);
  m.def("bernoulli", [](const Tensor& input, py::object p, py::object gen, py::object out) {
    Generator g = gen_arg(gen);
    Tensor r;
    if (p.is_none()) r = bernoulli(input, g);
    else if (py::isinstance<Tensor>(p)) {
      r = empty(input.sizes(), TensorOptions(input.dtype()).device(input.device()));
      bernoulli_(r, p.cast<Tensor>(), g);
    } else r = bernoulli(input, p.cast<double>(), g);
    return maybe_out(r, out);
  }, py::arg("input"), py::arg("p") = py::none(), py::kw_only(), py::arg("generator") = py::none(),
     py::arg("out") = py::none());
  m.def("multinomial", [](const Tensor& input, int64_t n, bool replacement, py::object gen, py::object out) {
    return maybe_out(multinomial(input, n, replacement, gen_arg(gen)), out);
  }, py::arg("input"), py::arg("num_samples"), py::arg("replacement") = false, py::kw_only(),
     py::arg("generator") = py::none(), py::arg("out") = py::none());

  // ---- Tensor methods
  cls.def("uniform_", [](Tensor& t, double from, double to, py::object gen) -> Tensor& { return uniform_(t, from, to, gen_arg(gen)); },
          py::arg("from") = 0.0, py::arg("to") = 1.0, py::kw_only(), py::arg("generator") = py::none())
      .def("normal_", [](Tensor& t, double mean, double std, py::object gen) -> Tensor& { return normal_(t, mean, std, gen_arg(gen)); },
           py::arg("mean") = 0.0, py::arg("std") = 1.0, py::kw_only(), py::arg("generator") = py::none())
      .def("random_", [](Tensor& t, py::args args, py::kwargs kw) -> Tensor& {
            Generator g = kw.contains("generator") ? gen_arg(kw["generator"]) : Generator();
            py::object from = kw.contains("from") ? py::object(kw["from"]) : py::object(py::none());
            py::object to = kw.contains("to") ? py::object(kw["to"]) : py::object(py::none());
            if (args.size() == 1 && from.is_none() && to.is_none()) to = args[0];
            else if (args.size() == 1) from = args[0];
            else if (args.size() == 2) { from = args[0]; to = args[1]; }
            else if (args.size() > 2) throw py::type_error("[ember.random_] expected at most (from, to)");
            if (from.is_none() && to.is_none()) return random_(t, g);
            if (from.is_none()) return random_(t, 0, int_arg(to, "to"), g);
            std::optional<int64_t> top;
            if (!to.is_none()) top = int_arg(to, "to");
            return random_(t, int_arg(from, "from"), top, g);
          })
      .def("bernoulli_", [](Tensor& t, py::object p, py::object gen) -> Tensor& {
            if (py::isinstance<Tensor>(p)) return bernoulli_(t, p.cast<Tensor>(), gen_arg(gen));
            return bernoulli_(t, p.cast<double>(), gen_arg(gen));
          }, py::arg("p") = 0.5, py::kw_only(), py::arg("generator") = py::none())
      .def("bernoulli", [](const Tensor& t, py::object p, py::object gen) {
            if (p.is_none()) return bernoulli(t, gen_arg(gen));
            if (py::isinstance<Tensor>(p)) {
              Tensor r = empty(t.sizes(), TensorOptions(t.dtype()).device(t.device()));
              return bernoulli_(r, p.cast<Tensor>(), gen_arg(gen));
            }
            return bernoulli(t, p.cast<double>(), gen_arg(gen));
          }, py::arg("p") = py::none(), py::kw_only(), py::arg("generator") = py::none())
      .def("exponential_", [](Tensor& t, double l, py::object gen) -> Tensor& { return exponential_(t, l, gen_arg(gen)); },
           py::arg("lambd") = 1.0, py::kw_only(), py::arg("generator") = py::none())
      .def("geometric_", [](Tensor& t, double p, py::object gen) -> Tensor& { return geometric_(t, p, gen_arg(gen)); },
           py::arg("p"), py::kw_only(), py::arg("generator") = py::none())
      .def("cauchy_", [](Tensor& t, double m, double s, py::object gen) -> Tensor& { return cauchy_(t, m, s, gen_arg(gen)); },
           py::arg("median") = 0.0, py::arg("sigma") = 1.0, py::kw_only(), py::arg("generator") = py::none())
      .def("log_normal_", [](Tensor& t, double m, double s, py::object gen) -> Tensor& { return log_normal_(t, m, s, gen_arg(gen)); },
           py::arg("mean") = 1.0, py::arg("std") = 2.0, py::kw_only(), py::arg("generator") = py::none())
      .def("multinomial", [](const Tensor& t, int64_t n, bool replacement, py::object gen) {
            return multinomial(t, n, replacement, gen_arg(gen));
          }, py::arg("num_samples"), py::arg("replacement") = false, py::kw_only(), py::arg("generator") = py::none());
}

}  // namespace ember::python
