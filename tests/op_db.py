"""The op table: one row per op (or op variant). `fn(lib, *inputs, **kwargs)` is called with
lib = ember and lib = torch, so the same line exercises both APIs. Samples list input shapes
(include broadcasting); test_ops_generic runs every row over dtypes and memory layouts, checks
values against torch and `ref` (NumPy), gradients against torch, and float64 finite differences.

Adding an op is adding a row. Keep each family in its section."""
from dataclasses import dataclass, field

import numpy as np

FLOAT = ("float32", "float64")
FLOAT_ALL = ("float32", "float64", "float16", "bfloat16")
INT = ("int64", "int32", "int16", "int8", "uint8")
NUMERIC = FLOAT_ALL + INT
ALL = NUMERIC + ("bool",)


@dataclass
class Sample:
    shapes: tuple
    kwargs: dict = field(default_factory=dict)


@dataclass
class OpInfo:
    name: str
    fn: callable                        # fn(lib, *inputs, **kwargs)
    samples: list
    dtypes: tuple = FLOAT
    ref: callable = None                # NumPy reference: ref(*arrays, **kwargs)
    differentiable: bool = True
    low: float = -2.0                   # input value range
    high: float = 2.0
    tol_scale: float = 1.0
    input_dtypes: dict = field(default_factory=dict)  # input index -> fixed dtype (e.g. an index tensor)
    gradcheck: bool = True              # float64 finite differences
    layouts: tuple = ("contiguous", "transposed", "strided")

    def input_dtype(self, i, dtype):
        return self.input_dtypes.get(i, dtype)


def S(*shapes, **kwargs):
    return Sample(tuple(shapes), kwargs)


UNARY_SHAPES = [S((5, 7)), S(()), S((2, 3, 4))]
BINARY_SHAPES = [S((5, 7), (5, 7)), S((5, 7), (7,)), S((3, 1, 4), (1, 5, 4)), S((), (3, 4))]

OPS = []

# ---- binary
OPS += [
    OpInfo("add", lambda lib, a, b: lib.add(a, b), BINARY_SHAPES, NUMERIC, ref=np.add),
    OpInfo("add_alpha", lambda lib, a, b: lib.add(a, b, alpha=2), BINARY_SHAPES, FLOAT + INT, ref=lambda a, b: a + 2 * b),
    OpInfo("add_scalar", lambda lib, a: a + 2.5, UNARY_SHAPES, NUMERIC),
    OpInfo("sub", lambda lib, a, b: lib.sub(a, b), BINARY_SHAPES, NUMERIC, ref=np.subtract),
    OpInfo("rsub_scalar", lambda lib, a: 3 - a, UNARY_SHAPES, NUMERIC),
    OpInfo("mul", lambda lib, a, b: lib.mul(a, b), BINARY_SHAPES, ALL, ref=np.multiply),
    OpInfo("mul_scalar", lambda lib, a: a * 1.5, UNARY_SHAPES, NUMERIC),
    OpInfo("div", lambda lib, a, b: lib.div(a, b), BINARY_SHAPES, FLOAT_ALL, ref=np.true_divide, low=0.5, high=2.0),
    OpInfo("div_int", lambda lib, a, b: a / b, BINARY_SHAPES, INT, low=1, high=9, differentiable=False),
    OpInfo("div_trunc", lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"), BINARY_SHAPES, FLOAT + ("int64", "int32"),
           low=1, high=9, gradcheck=False),
    OpInfo("div_floor", lambda lib, a, b: lib.div(a, b, rounding_mode="floor"), BINARY_SHAPES, FLOAT + ("int64", "int32"),
           low=1, high=9, gradcheck=False),
    OpInfo("rdiv_scalar", lambda lib, a: 2 / a, UNARY_SHAPES, FLOAT, low=0.5, high=2.0),
]

def _b(name, dtypes=FLOAT, shapes=BINARY_SHAPES, **kw):
    return OpInfo(name, lambda lib, a, b, _n=name: getattr(lib, _n)(a, b), shapes, dtypes, **kw)


CMP_SHAPES = BINARY_SHAPES
OPS += [
    _b("remainder", FLOAT_ALL + ("int64", "int32", "int8"), low=1, high=9, gradcheck=False),
    OpInfo("remainder_neg", lambda lib, a, b: lib.remainder(a - 5, b - 4.5), BINARY_SHAPES, FLOAT, low=1, high=9, gradcheck=False),
    OpInfo("remainder_int_neg", lambda lib, a, b: lib.remainder(a - 5, b - 10), BINARY_SHAPES, ("int64", "int32"),
           low=1, high=9, differentiable=False),
    OpInfo("mod_scalar", lambda lib, a: a % 3, UNARY_SHAPES, FLOAT + ("int64",), low=-9, high=9, gradcheck=False),
    OpInfo("rmod_scalar", lambda lib, a: 7 % a, UNARY_SHAPES, FLOAT + ("int64",), low=1, high=9, differentiable=False),
    _b("fmod", FLOAT_ALL + ("int64", "int32"), low=1, high=9, gradcheck=False),
    OpInfo("fmod_neg", lambda lib, a, b: lib.fmod(a - 5, b), BINARY_SHAPES, FLOAT + ("int64",), low=1, high=9, gradcheck=False),
    OpInfo("floor_divide", lambda lib, a, b: lib.floor_divide(a - 5, b), BINARY_SHAPES, FLOAT + ("int64", "int32"),
           low=1, high=9, differentiable=False),
    _b("pow", FLOAT_ALL, low=0.5, high=2.0),
    OpInfo("pow_int", lambda lib, a, b: lib.pow(a, b), BINARY_SHAPES, INT, low=0, high=4),
    OpInfo("pow_scalar", lambda lib, a: a ** 3, UNARY_SHAPES, FLOAT_ALL + INT, low=-2, high=2),
    OpInfo("pow_scalar_frac", lambda lib, a: a ** 0.5, UNARY_SHAPES, FLOAT_ALL, low=0.5, high=2),
    OpInfo("pow_int_float_scalar", lambda lib, a: a ** 0.5, UNARY_SHAPES, INT, low=0, high=9),
    OpInfo("rpow_scalar", lambda lib, a: 2 ** a, UNARY_SHAPES, FLOAT_ALL + ("int64",), low=0, high=4),
    OpInfo("rpow_float_scalar", lambda lib, a: 1.5 ** a, UNARY_SHAPES, FLOAT + ("int64",), low=0, high=4),
    OpInfo("torch_pow_scalar_base", lambda lib, a: lib.pow(3, a), UNARY_SHAPES, FLOAT, low=-1, high=2),
    _b("atan2", FLOAT_ALL, low=-3, high=3),
    _b("hypot", FLOAT, low=-3, high=3),
    _b("maximum", NUMERIC + ("bool",)), _b("minimum", NUMERIC + ("bool",)),
    _b("fmax", FLOAT_ALL + ("int64",)), _b("fmin", FLOAT_ALL + ("int64",)),
    _b("copysign", FLOAT),
    OpInfo("lerp", lambda lib, a, b: lib.lerp(a, b, 0.3), BINARY_SHAPES, FLOAT_ALL),
    OpInfo("lerp_tensor", lambda lib, a, b, w: lib.lerp(a, b, w), [S((5, 7), (5, 7), (5, 7)), S((3, 1), (4,), (3, 4))],
           FLOAT_ALL),
    OpInfo("floordiv_scalar", lambda lib, a: a // 2, UNARY_SHAPES, FLOAT + INT, low=-9, high=9, differentiable=False),
    OpInfo("rfloordiv_scalar", lambda lib, a: 7 // a, UNARY_SHAPES, FLOAT + ("int64",), low=1, high=9, differentiable=False),
] + [OpInfo(n, lambda lib, a, b, _n=n: getattr(lib, _n)(a, b), CMP_SHAPES, ALL, low=-2, high=2, differentiable=False)
     for n in ("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor")] + [
    OpInfo("eq_op_scalar", lambda lib, a: a == 1, UNARY_SHAPES, NUMERIC, low=0, high=2, differentiable=False),
    OpInfo("lt_op_float_scalar", lambda lib, a: a < 0.5, UNARY_SHAPES, NUMERIC, differentiable=False),
    OpInfo("ge_op_rscalar", lambda lib, a: 0.5 <= a, UNARY_SHAPES, NUMERIC, differentiable=False),
    OpInfo("ne_op", lambda lib, a, b: a != b, CMP_SHAPES, NUMERIC, low=0, high=2, differentiable=False),
    OpInfo("gt_mixed", lambda lib, a, b: a > b.double(), CMP_SHAPES, INT + FLOAT, differentiable=False),
    OpInfo("bitwise_and", lambda lib, a, b: a & b, BINARY_SHAPES, INT + ("bool",), low=-50, high=50, differentiable=False),
    OpInfo("bitwise_or", lambda lib, a, b: a | b, BINARY_SHAPES, INT + ("bool",), low=-50, high=50, differentiable=False),
    OpInfo("bitwise_xor", lambda lib, a, b: lib.bitwise_xor(a, b), BINARY_SHAPES, INT + ("bool",), low=-50, high=50,
           differentiable=False),
    OpInfo("and_scalar", lambda lib, a: 6 & a, UNARY_SHAPES, INT, low=-50, high=50, differentiable=False),
    OpInfo("lshift", lambda lib, a, b: a << b, BINARY_SHAPES, ("int64", "int32", "int16", "uint8"), low=0, high=7,
           differentiable=False),
    OpInfo("rshift", lambda lib, a, b: a >> b, BINARY_SHAPES, ("int64", "int32", "int8"), low=-50, high=50,
           differentiable=False, input_dtypes={}),
    OpInfo("rshift_scalar", lambda lib, a: a >> 2, UNARY_SHAPES, INT, low=-50, high=50, differentiable=False),
    OpInfo("isclose", lambda lib, a, b: lib.isclose(a, a + b * 1e-6), BINARY_SHAPES, FLOAT, differentiable=False),
    OpInfo("isclose_tol", lambda lib, a, b: lib.isclose(a, b, rtol=0.5, atol=0.1), BINARY_SHAPES, FLOAT + ("int64",),
           differentiable=False),
]

# ---- unary
OPS += [
    OpInfo("neg", lambda lib, a: lib.neg(a), UNARY_SHAPES, NUMERIC, ref=np.negative),
    OpInfo("exp", lambda lib, a: lib.exp(a), UNARY_SHAPES, FLOAT_ALL + INT, ref=lambda a: np.exp(a.astype(np.float64))),
    OpInfo("log", lambda lib, a: lib.log(a), UNARY_SHAPES, FLOAT_ALL, ref=np.log, low=0.1, high=3.0),
    OpInfo("sqrt", lambda lib, a: lib.sqrt(a), UNARY_SHAPES, FLOAT_ALL, ref=np.sqrt, low=0.1, high=3.0),
    OpInfo("tanh", lambda lib, a: lib.tanh(a), UNARY_SHAPES, FLOAT_ALL, ref=np.tanh),
    OpInfo("sigmoid", lambda lib, a: lib.sigmoid(a), UNARY_SHAPES, FLOAT_ALL, ref=lambda a: 1 / (1 + np.exp(-a))),
    OpInfo("relu", lambda lib, a: lib.relu(a), UNARY_SHAPES, FLOAT_ALL + INT, ref=lambda a: np.maximum(a, 0)),
]

def _nn(lib, name):
    """nn.functional's op in torch; ember.nn.functional's when it exists, else ember's flat namespace."""
    try:
        f = getattr(lib.nn.functional, name, None)
    except ImportError:
        f = None
    return f if f is not None else getattr(lib, name)


def _u(name, dtypes=FLOAT_ALL, **kw):
    return OpInfo(name, lambda lib, a, _n=name: getattr(lib, _n)(a), UNARY_SHAPES, dtypes, **kw)


def _a(name, dtypes=FLOAT_ALL, kwargs=None, **kw):
    kwargs = kwargs or {}
    return OpInfo(name + ("_" + "_".join(f"{k}{v}" for k, v in kwargs.items()) if kwargs else ""),
                  lambda lib, a, _n=name, _k=kwargs: _nn(lib, _n)(a, **_k), UNARY_SHAPES, dtypes, **kw)


FI = FLOAT_ALL + INT
OPS += [
    _u("abs", NUMERIC, ref=np.abs, gradcheck=False),
    _u("sign", NUMERIC, ref=np.sign),
    _u("reciprocal", FI, low=0.5, high=2.0),
    # integer inputs promote to float32; rows keep INT only where libm and torch agree exactly
    _u("exp2", FI), _u("expm1"), _u("sin", FI), _u("cos"), _u("atan", FI), _u("sinh", FI),
    _u("cosh"), _u("asinh", FI), _u("erf", FI), _u("erfc"),
    _u("log2", FLOAT_ALL, low=0.1, high=3.0), _u("log10", FLOAT_ALL, low=0.1, high=3.0),
    _u("log1p", FLOAT_ALL, low=-0.5, high=3.0), _u("rsqrt", FLOAT_ALL, low=0.2, high=3.0),
    _u("tan", FLOAT_ALL, low=-1.2, high=1.2), _u("asin", FLOAT_ALL, low=-0.9, high=0.9),
    _u("acos", FLOAT_ALL, low=-0.9, high=0.9), _u("acosh", FLOAT_ALL, low=1.2, high=3.0),
    _u("atanh", FLOAT_ALL, low=-0.9, high=0.9), _u("erfinv", FLOAT_ALL, low=-0.95, high=0.95),
    OpInfo("sqrt_int", lambda lib, a: lib.sqrt(a), UNARY_SHAPES, INT, low=0, high=9),
    _u("floor", NUMERIC, low=-3, high=3), _u("ceil", NUMERIC, low=-3, high=3), _u("trunc", NUMERIC, low=-3, high=3),
    _u("round", NUMERIC, low=-3, high=3), _u("frac", FLOAT_ALL, low=-3, high=3), _u("square", NUMERIC),
    OpInfo("round_decimals", lambda lib, a: lib.round(a, decimals=2), UNARY_SHAPES, FLOAT, low=-3, high=3),
    OpInfo("round_neg_decimals", lambda lib, a: lib.round(a, decimals=-1), UNARY_SHAPES, FLOAT, low=-300, high=300),
    _a("silu"), _a("mish"), _a("softsign", FI), _a("logsigmoid", FLOAT), _a("selu"), _a("hardswish", FLOAT, low=-5, high=5),
    _a("hardsigmoid", FLOAT, low=-5, high=5), _a("gelu"), _a("gelu", kwargs={"approximate": "tanh"}),
    _a("softplus"), _a("softplus", FLOAT, kwargs={"beta": 2.0, "threshold": 1.0}),
    _a("leaky_relu"), _a("leaky_relu", FLOAT, kwargs={"negative_slope": 0.2}),
    _a("elu"), _a("elu", FLOAT, kwargs={"alpha": 0.5}), _a("celu", FLOAT, kwargs={"alpha": 2.0}),
    _a("hardtanh", FLOAT_ALL + ("int64", "int32")), _a("hardtanh", FLOAT, kwargs={"min_val": -0.5, "max_val": 1.5}),
    _a("relu6", FLOAT, low=-3, high=9),
    OpInfo("threshold", lambda lib, a: _nn(lib, "threshold")(a, 0.5, -1.0), UNARY_SHAPES, FLOAT_ALL),
    OpInfo("clamp", lambda lib, a: lib.clamp(a, -0.5, 0.7), UNARY_SHAPES, FLOAT_ALL + INT, low=-3, high=3),
    OpInfo("clamp_min", lambda lib, a: lib.clamp(a, min=-0.5), UNARY_SHAPES, FLOAT_ALL),
    OpInfo("clip_max", lambda lib, a: a.clip(max=0.5), UNARY_SHAPES, FLOAT_ALL),
    OpInfo("clamp_int_float_bound", lambda lib, a: lib.clamp(a, min=0.5), UNARY_SHAPES, INT, low=-3, high=3),
    OpInfo("clamp_tensor", lambda lib, a, lo, hi: lib.clamp(a, lo - 1, hi + 1),
           [S((5, 7), (5, 7), (7,)), S((3, 4), (), (3, 1))], FLOAT),
    OpInfo("clamp_tensor_min", lambda lib, a, lo: lib.clamp(a, min=lo), [S((5, 7), (7,))], FLOAT),
    OpInfo("isinf", lambda lib, a: lib.isinf(a / 0), UNARY_SHAPES, FLOAT_ALL, differentiable=False),
    OpInfo("isfinite", lambda lib, a: lib.isfinite(lib.log(a)), UNARY_SHAPES, FLOAT_ALL, differentiable=False),
    OpInfo("isposinf", lambda lib, a: lib.isposinf(a / 0), UNARY_SHAPES, FLOAT, differentiable=False),
    OpInfo("isneginf", lambda lib, a: lib.isneginf(a / 0), UNARY_SHAPES, FLOAT, differentiable=False),
    OpInfo("isinf_int", lambda lib, a: lib.isinf(a), UNARY_SHAPES, INT, differentiable=False),
    OpInfo("logical_not", lambda lib, a: lib.logical_not(a), UNARY_SHAPES, ALL, low=-1, high=1, differentiable=False),
    OpInfo("bitwise_not", lambda lib, a: lib.bitwise_not(a), UNARY_SHAPES, INT + ("bool",), differentiable=False),
    OpInfo("invert", lambda lib, a: ~a, UNARY_SHAPES, INT + ("bool",), differentiable=False),
    OpInfo("abs_op", lambda lib, a: abs(a), UNARY_SHAPES, FLOAT, gradcheck=False),
]

# ---- reduce
OPS += [
    OpInfo("sum_all", lambda lib, a: lib.sum(a), UNARY_SHAPES, NUMERIC, ref=lambda a: np.sum(a), tol_scale=10),
    OpInfo("sum_dim", lambda lib, a, **k: lib.sum(a, **k), [S((5, 7), dim=1), S((2, 3, 4), dim=(0, 2)),
                                                             S((2, 3, 4), dim=-1, keepdim=True)], NUMERIC, tol_scale=10),
    OpInfo("mean", lambda lib, a, **k: lib.mean(a, **k), [S((5, 7)), S((5, 7), dim=0), S((2, 3, 4), dim=(1, 2), keepdim=True)],
           FLOAT_ALL, tol_scale=10),
]

# ---- shape / views
OPS += [
    OpInfo("view", lambda lib, a: a.contiguous().view(-1, 4), [S((3, 4)), S((2, 2, 4))]),
    OpInfo("reshape", lambda lib, a: a.reshape(4, -1), [S((3, 4)), S((2, 2, 4))], ALL),
    OpInfo("permute", lambda lib, a: a.permute(2, 0, 1), [S((2, 3, 4))], ALL),
    OpInfo("transpose", lambda lib, a: a.transpose(0, -1), [S((2, 3, 4)), S((3, 5))], ALL),
    OpInfo("expand", lambda lib, a: a.expand(3, 4, 5), [S((4, 1)), S((1, 5))], ALL),
    OpInfo("squeeze_unsqueeze", lambda lib, a: a.unsqueeze(1).squeeze(), [S((3, 1, 4))]),
    OpInfo("select", lambda lib, a: a.select(1, -2), [S((3, 4, 2))], ALL),
    OpInfo("slice", lambda lib, a: a[1:, ::2], [S((4, 6)), S((3, 5, 2))], ALL),
    OpInfo("narrow", lambda lib, a: a.narrow(0, 1, 2), [S((4, 3))]),
    OpInfo("flatten", lambda lib, a: a.flatten(1), [S((2, 3, 4))]),
    OpInfo("clone", lambda lib, a: a.clone(), UNARY_SHAPES, ALL),
    OpInfo("to_float64", lambda lib, a: a.to(lib.float64), UNARY_SHAPES, FLOAT_ALL + INT),
]

# ---- linalg
OPS += [
    OpInfo("mm", lambda lib, a, b: lib.mm(a, b), [S((5, 7), (7, 3)), S((1, 4), (4, 1))], FLOAT, ref=np.matmul,
           tol_scale=10),
    OpInfo("matmul", lambda lib, a, b: lib.matmul(a, b),
           [S((4,), (4,)), S((3, 4), (4,)), S((4,), (4, 2)), S((2, 3, 4), (4, 5)), S((2, 1, 3, 4), (5, 4, 2)),
            S((3, 4), (2, 4, 5))], FLOAT, ref=np.matmul, tol_scale=10),
    OpInfo("bmm", lambda lib, a, b: lib.bmm(a, b), [S((3, 4, 5), (3, 5, 2))], FLOAT, ref=np.matmul, tol_scale=10),
]

# ---- indexing
OPS += [
    OpInfo("where", lambda lib, c, a, b: lib.where(c, a, b), [S((3, 4), (3, 4), (3, 4)), S((3, 1), (4,), (3, 4))],
           NUMERIC, input_dtypes={0: "bool"}, ref=np.where),
]

# ---- softmax

# ---- sort

# ---- joining (cat, stack, flip, roll, repeat, pad, ...)

# ---- random / factories

# ---- nn.functional
