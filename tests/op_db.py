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
    _b("xlogy", FLOAT_ALL, low=0.2, high=3.0),
    OpInfo("xlogy_zeros", lambda lib, a, b: lib.xlogy(lib.relu(a - 1), b), BINARY_SHAPES, FLOAT, low=0.2, high=3.0),
    OpInfo("xlogy_scalar", lambda lib, a: lib.xlogy(a, 2.5), UNARY_SHAPES, FLOAT, low=0.2, high=3.0),
    OpInfo("xlogy_rscalar", lambda lib, b: lib.xlogy(2.0, b), UNARY_SHAPES, FLOAT, low=0.2, high=3.0),
    OpInfo("xlogy_method", lambda lib, a, b: a.xlogy(b), BINARY_SHAPES, FLOAT, low=0.2, high=3.0),
    OpInfo("special_xlogy", lambda lib, a, b: lib.special.xlogy(a, b), BINARY_SHAPES, FLOAT, low=0.2, high=3.0),
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
    OpInfo("sum_empty", lambda lib, a, **k: lib.sum(a, **k), [S((0, 3), dim=0), S((0, 3), dim=1), S((0, 3))], FLOAT + INT),
    OpInfo("sum_large", lambda lib, a, **k: lib.sum(a, **k), [S((3, 40000)), S((70000,), dim=0), S((300, 200), dim=0),
                                                               S((4, 30, 50), dim=(0, 2))], FLOAT, tol_scale=100,
           gradcheck=False),
    OpInfo("mean_method", lambda lib, a: a.mean(-1, True), [S((5, 7)), S(())], FLOAT),
    OpInfo("nansum", lambda lib, a, **k: lib.nansum(a, **k), [S((5, 7)), S((5, 7), dim=1)], FLOAT, tol_scale=10),
    OpInfo("nanmean", lambda lib, a, **k: lib.nanmean(a, **k), [S((5, 7)), S((5, 7), dim=0)], FLOAT, tol_scale=10),
    OpInfo("prod_all", lambda lib, a: lib.prod(a), UNARY_SHAPES, FLOAT + INT, low=0.5, high=1.5, tol_scale=10),
    OpInfo("prod_dim", lambda lib, a, **k: lib.prod(a, **k), [S((5, 7), dim=1), S((2, 3, 4), dim=0, keepdim=True),
                                                               S((), dim=0), S((300, 3), dim=0)],
           FLOAT + INT, low=0.5, high=1.5, tol_scale=10),
    OpInfo("prod_dtype", lambda lib, a: lib.prod(a, 1, dtype=lib.float64), [S((5, 7))], ("float32", "int32"),
           low=0.5, high=1.5, differentiable=False),
    OpInfo("max_all", lambda lib, a: lib.max(a), UNARY_SHAPES, ALL),
    OpInfo("min_all", lambda lib, a: a.min(), UNARY_SHAPES, ALL),
    OpInfo("max_dim", lambda lib, a, **k: lib.max(a, **k), [S((5, 7), dim=1), S((2, 3, 4), dim=-1, keepdim=True),
                                                             S((), dim=0), S((40, 3), dim=0)], NUMERIC),
    OpInfo("min_dim", lambda lib, a, **k: lib.min(a, **k), [S((5, 7), dim=0), S((2, 3, 4), dim=1, keepdim=True)], NUMERIC),
    OpInfo("max_dim_method", lambda lib, a: a.max(1)[0] + a.max(dim=1).values, [S((5, 7))], FLOAT),
    OpInfo("amax", lambda lib, a, **k: lib.amax(a, **k), [S((5, 7)), S((2, 3, 4), dim=(0, 2)),
                                                           S((2, 3, 4), dim=1, keepdim=True)], NUMERIC),
    OpInfo("amin", lambda lib, a, **k: lib.amin(a, **k), [S((5, 7)), S((2, 3, 4), dim=(-1, 0))], NUMERIC),
    OpInfo("argmax", lambda lib, a, **k: lib.argmax(a, **k), [S((5, 7)), S((5, 7), dim=1), S((2, 3, 4), dim=0, keepdim=True),
                                                               S(()), S((2, 3, 4), keepdim=True)], NUMERIC,
           differentiable=False),
    OpInfo("argmin", lambda lib, a, **k: lib.argmin(a, **k), [S((5, 7)), S((2, 3, 4), dim=-1)], NUMERIC, differentiable=False),
    OpInfo("var", lambda lib, a, **k: lib.var(a, **k), [S((5, 7)), S((5, 7), dim=1), S((2, 3, 4), dim=(0, 2), keepdim=True),
                                                         S((5, 7), dim=0, correction=0), S((5, 7), dim=1, unbiased=False)],
           FLOAT, tol_scale=10),
    OpInfo("std", lambda lib, a, **k: lib.std(a, **k), [S((5, 7)), S((5, 7), dim=1), S((2, 3, 4), dim=(0, 2), keepdim=True),
                                                         S((5, 7), dim=0, correction=2)], FLOAT, tol_scale=10),
    OpInfo("std_legacy", lambda lib, a: a.std(1, False) + a.var(0, True).sum(), [S((5, 7))], FLOAT, tol_scale=10),
    OpInfo("var_mean", lambda lib, a, **k: lib.var_mean(a, **k), [S((5, 7), dim=1), S((5, 7))], FLOAT, tol_scale=10),
    OpInfo("std_mean", lambda lib, a, **k: lib.std_mean(a, **k), [S((2, 3, 4), dim=(0, 1))], FLOAT, tol_scale=10),
    OpInfo("norm", lambda lib, a, **k: lib.norm(a, **k), [S((5, 7)), S((5, 7), p=1, dim=1), S((5, 7), p=float("inf"), dim=0),
                                                           S((2, 3, 4), p=3, dim=(1, 2), keepdim=True),
                                                           S((5, 7), p="fro", dim=(0, 1)), S((5, 7), p=-float("inf"))],
           FLOAT, tol_scale=10),
    OpInfo("norm_method", lambda lib, a: a.norm(dim=-1), [S((5, 7)), S((3,))], FLOAT, tol_scale=10),
    OpInfo("logsumexp", lambda lib, a, **k: lib.logsumexp(a, **k), [S((5, 7), dim=1), S((2, 3, 4), dim=(0, 2), keepdim=True),
                                                                     S((), dim=0)], FLOAT, tol_scale=10),
    OpInfo("count_nonzero", lambda lib, a, **k: lib.count_nonzero(a, **k), [S((5, 7)), S((5, 7), dim=1),
                                                                             S((2, 3, 4), dim=(0, 2))], ALL,
           differentiable=False, low=-1, high=1),
    OpInfo("any_all", lambda lib, a: (lib.any(a, 1), lib.all(a, 0), a.any(), a.all()), [S((5, 7))], ALL, differentiable=False,
           low=0, high=1),
    OpInfo("median_all", lambda lib, a: lib.median(a), UNARY_SHAPES, FLOAT + INT),
    OpInfo("median_dim", lambda lib, a, **k: lib.median(a, **k), [S((5, 7), dim=1), S((2, 3, 4), dim=0, keepdim=True),
                                                                   S((), dim=0)], FLOAT),
    OpInfo("mode", lambda lib, a, **k: lib.mode(a, **k), [S((5, 7), dim=1), S((2, 3, 4), dim=0), S((5, 7))], FLOAT + INT,
           low=0, high=3),
    OpInfo("cumsum", lambda lib, a, **k: lib.cumsum(a, **k), [S((5, 7), dim=1), S((2, 3, 4), dim=0), S((), dim=0)],
           NUMERIC + ("bool",), tol_scale=10),
    OpInfo("cumsum_dtype", lambda lib, a: a.cumsum(-1, dtype=lib.float64), [S((5, 7))], ("float32", "int32"),
           differentiable=False),
    OpInfo("cumprod", lambda lib, a, **k: lib.cumprod(a, **k), [S((5, 7), dim=1), S((2, 3, 4), dim=-1)], FLOAT + INT,
           low=0.5, high=1.5, tol_scale=10),
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
    OpInfo("unflatten", lambda lib, a, **k: a.unflatten(**k), [S((2, 6), dim=1, sizes=(2, 3)), S((4, 3), dim=-2, sizes=(-1, 2))], ALL),
    OpInfo("unbind", lambda lib, a, **k: lib.unbind(a, **k), [S((3, 4), dim=0), S((2, 3, 4), dim=-1)], ALL),
    OpInfo("split_int", lambda lib, a, **k: lib.split(a, 2, **k), [S((5, 3), dim=0), S((2, 3, 5), dim=-1)], ALL),
    OpInfo("split_sizes", lambda lib, a, **k: a.split([1, 0, 3], **k), [S((4, 3), dim=0), S((2, 3, 4), dim=-1)], ALL),
    OpInfo("chunk", lambda lib, a, **k: a.chunk(3, **k), [S((7, 2), dim=0), S((2, 5), dim=-1), S((2, 2), dim=1)], ALL),
    OpInfo("tensor_split_sections", lambda lib, a, **k: lib.tensor_split(a, 3, **k), [S((7, 2), dim=0), S((2, 2), dim=-1)]),
    OpInfo("tensor_split_indices", lambda lib, a, **k: a.tensor_split([1, 4, 9], **k), [S((6, 2), dim=0), S((2, 5), dim=-1)]),
    OpInfo("diagonal", lambda lib, a, **k: lib.diagonal(a, **k), [S((4, 5)), S((4, 5), offset=2), S((4, 5), offset=-1),
                                                                  S((2, 3, 4), offset=1, dim1=-1, dim2=0), S((3, 3), offset=5)], ALL),
    OpInfo("unfold", lambda lib, a, **k: a.unfold(**k), [S((7,), dimension=0, size=3, step=1), S((3, 8), dimension=-1, size=2, step=3),
                                                         S((5, 4), dimension=0, size=3, step=2), S((), dimension=0, size=1, step=1)], ALL),
    OpInfo("movedim", lambda lib, a, **k: lib.movedim(a, **k), [S((2, 3, 4), source=0, destination=-1),
                                                                S((2, 3, 4, 5), source=(0, -1), destination=(2, 0))], ALL),
    OpInfo("moveaxis", lambda lib, a: a.moveaxis(1, 0), [S((2, 3, 4))]),
    OpInfo("movedim_0d", lambda lib, a: lib.movedim(a, 0, -1), [S(())]),
    OpInfo("ravel", lambda lib, a: lib.ravel(a), [S((2, 3, 4)), S(())], ALL),
    OpInfo("t", lambda lib, a: a.t(), [S((3, 4)), S((4,)), S(())], ALL),
    OpInfo("T", lambda lib, a: a.T, [S((3, 4)), S((4,))], ALL),
    OpInfo("mT", lambda lib, a: a.mT, [S((3, 4)), S((2, 3, 4))], ALL),
    OpInfo("mH", lambda lib, a: a.mH, [S((2, 3, 4))]),
    OpInfo("H", lambda lib, a: a.H, [S((3, 4))]),
    OpInfo("adjoint", lambda lib, a: a.adjoint(), [S((2, 3, 4))]),
    OpInfo("squeeze_dims", lambda lib, a, **k: a.squeeze(**k), [S((3, 1, 1, 4), dim=(1, -2)), S((1, 3, 1), dim=(0, 1)),
                                                               S((1, 3, 1), dim=-1)], ALL),
    OpInfo("expand_as", lambda lib, a, b: a.expand_as(b), [S((4, 1), (3, 4, 5))]),
    OpInfo("view_as", lambda lib, a, b: a.contiguous().view_as(b), [S((3, 4), (2, 6))]),
    OpInfo("contiguous", lambda lib, a: a.contiguous(), UNARY_SHAPES, ALL),
    OpInfo("as_strided", lambda lib, a, **k: a.as_strided(**k), [S((4, 5), size=(2, 3), stride=(1, 2)),
                                                                 S((4, 5), size=(3, 2), stride=(5, 1), storage_offset=1),
                                                                 S((4, 5), size=(2, 3), stride=(0, 1)),
                                                                 S((4, 5), size=(3, 4), stride=(2, 1)),
                                                                 S((4, 5), size=(2, 3, 2), stride=(3, 1, 2), storage_offset=2)],
           layouts=("contiguous",)),
    OpInfo("as_strided_noncontig", lambda lib, a: a.transpose(0, 1).as_strided((2, 2), (3, 1), 1), [S((4, 5))]),
]

# ---- linalg
def _linear(lib):
    """nn.functional.linear: torch's, or ember's fused C++ op."""
    return lib.nn.functional.linear if lib.__name__ == "torch" else lib._C._ops.linear


OPS += [
    OpInfo("mm", lambda lib, a, b: lib.mm(a, b), [S((5, 7), (7, 3)), S((1, 4), (4, 1))], FLOAT, ref=np.matmul,
           tol_scale=10),
    OpInfo("matmul", lambda lib, a, b: lib.matmul(a, b),
           [S((4,), (4,)), S((3, 4), (4,)), S((4,), (4, 2)), S((2, 3, 4), (4, 5)), S((2, 1, 3, 4), (5, 4, 2)),
            S((3, 4), (2, 4, 5))], FLOAT, ref=np.matmul, tol_scale=10),
    OpInfo("bmm", lambda lib, a, b: lib.bmm(a, b), [S((3, 4, 5), (3, 5, 2))], FLOAT, ref=np.matmul, tol_scale=10),
    OpInfo("mm_int", lambda lib, a, b: lib.mm(a, b), [S((5, 7), (7, 3)), S((1, 4), (4, 1))], ("int64", "int32"),
           ref=np.matmul, differentiable=False, low=-9, high=9),
    OpInfo("matmul_int", lambda lib, a, b: lib.matmul(a, b), [S((2, 3, 4), (4, 5)), S((3, 4), (2, 4, 5))],
           ("int64", "int32"), ref=np.matmul, differentiable=False, low=-9, high=9),
    OpInfo("mm_big", lambda lib, a, b: lib.mm(a, b), [S((33, 70), (70, 45))], FLOAT, ref=np.matmul, tol_scale=30,
           gradcheck=False),
    OpInfo("addmm", lambda lib, c, a, b, **k: lib.addmm(c, a, b, **k),
           [S((5, 3), (5, 7), (7, 3)), S((3,), (5, 7), (7, 3)), S((), (4, 6), (6, 2)),
            S((5, 1), (5, 7), (7, 3), beta=0.5, alpha=2.0), S((5, 3), (5, 7), (7, 3), beta=0)],
           FLOAT, ref=lambda c, a, b, beta=1, alpha=1: beta * c + alpha * (a @ b), tol_scale=10),
    OpInfo("baddbmm", lambda lib, c, a, b, **k: lib.baddbmm(c, a, b, **k),
           [S((3, 4, 2), (3, 4, 5), (3, 5, 2)), S((2,), (3, 4, 5), (3, 5, 2), beta=-1.5, alpha=0.5)],
           FLOAT, ref=lambda c, a, b, beta=1, alpha=1: beta * c + alpha * (a @ b), tol_scale=10),
    OpInfo("addbmm", lambda lib, c, a, b, **k: lib.addbmm(c, a, b, **k),
           [S((4, 2), (3, 4, 5), (3, 5, 2)), S((2,), (3, 4, 5), (3, 5, 2), beta=0.5, alpha=2.0)],
           FLOAT, ref=lambda c, a, b, beta=1, alpha=1: beta * c + alpha * (a @ b).sum(0), tol_scale=10),
    OpInfo("addmv", lambda lib, c, a, b, **k: lib.addmv(c, a, b, **k),
           [S((5,), (5, 7), (7,)), S((), (5, 7), (7,), beta=0.5, alpha=2.0)],
           FLOAT, ref=lambda c, a, b, beta=1, alpha=1: beta * c + alpha * (a @ b), tol_scale=10),
    OpInfo("mv", lambda lib, a, b: lib.mv(a, b), [S((5, 7), (7,)), S((1, 3), (3,))], FLOAT, ref=np.matmul, tol_scale=10),
    OpInfo("dot", lambda lib, a, b: lib.dot(a, b), [S((7,), (7,)), S((1,), (1,))], FLOAT, ref=np.dot, tol_scale=10),
    OpInfo("vdot", lambda lib, a, b: lib.vdot(a, b), [S((7,), (7,))], FLOAT, ref=np.vdot, tol_scale=10),
    OpInfo("outer", lambda lib, a, b: lib.outer(a, b), [S((5,), (3,))], FLOAT + ("int64",), ref=np.outer),
    OpInfo("ger", lambda lib, a, b: lib.ger(a, b), [S((4,), (2,))], FLOAT, ref=np.outer),
    OpInfo("inner", lambda lib, a, b: lib.inner(a, b), [S((3, 4), (5, 4)), S((2, 3, 4), (4,)), S((), (3, 2))],
           FLOAT, ref=np.inner, tol_scale=10),
    OpInfo("kron", lambda lib, a, b: lib.kron(a, b), [S((2, 3), (4, 2)), S((2, 1, 2), (3, 1, 2))],
           FLOAT, ref=np.kron),
    OpInfo("tensordot", lambda lib, a, b, **k: lib.tensordot(a, b, **k),
           [S((2, 3, 4), (3, 4, 5)), S((2, 3, 4), (4, 2, 5), dims=([0, 2], [1, 0])), S((3, 4), (4, 5), dims=1),
            S((3,), (2,), dims=0)], FLOAT, ref=lambda a, b, dims=2: np.tensordot(a, b, axes=dims), tol_scale=10),
    OpInfo("matrix_power", lambda lib, a, **k: lib.matrix_power(a, **k),
           [S((4, 4), n=3), S((2, 3, 3), n=2), S((3, 3), n=0), S((3, 3), n=1), S((3, 3), n=6)], FLOAT,
           ref=lambda a, n: np.linalg.matrix_power(a, n), low=-1, high=1, tol_scale=10),
    OpInfo("trace", lambda lib, a: lib.trace(a), [S((4, 4)), S((3, 5)), S((5, 2))], FLOAT + ("int64",),
           ref=np.trace),
    OpInfo("einsum_mm", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), [S((5, 7), (7, 3))], FLOAT,
           ref=lambda a, b: np.einsum("ij,jk->ik", a, b), tol_scale=10),
    OpInfo("einsum_bmm", lambda lib, a, b: lib.einsum("bij,bjk->bik", a, b), [S((2, 3, 4), (2, 4, 5))], FLOAT,
           ref=lambda a, b: np.einsum("bij,bjk->bik", a, b), tol_scale=10),
    OpInfo("einsum_implicit", lambda lib, a, b: lib.einsum("ij,kj", a, b), [S((3, 4), (5, 4))], FLOAT,
           ref=lambda a, b: np.einsum("ij,kj", a, b), tol_scale=10),
    OpInfo("einsum_ellipsis", lambda lib, a, b: lib.einsum("...ij,...jk->...ik", a, b),
           [S((2, 3, 4), (4, 5)), S((2, 1, 3, 4), (5, 4, 2))], FLOAT,
           ref=lambda a, b: np.einsum("...ij,...jk->...ik", a, b), tol_scale=10),
    OpInfo("einsum_trace_diag", lambda lib, a: lib.einsum("ii->i", a) * lib.einsum("ii", a), [S((4, 4))], FLOAT,
           ref=lambda a: np.einsum("ii->i", a) * np.einsum("ii", a), tol_scale=10),
    OpInfo("einsum_sum_perm", lambda lib, a: lib.einsum("ijk->kj", a), [S((2, 3, 4))], FLOAT,
           ref=lambda a: np.einsum("ijk->kj", a), tol_scale=10),
    OpInfo("einsum_three", lambda lib, a, b, c: lib.einsum("ij,jk,kl->il", a, b, c),
           [S((3, 4), (4, 5), (5, 2))], FLOAT, ref=lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c), tol_scale=10),
    OpInfo("einsum_outer_batch", lambda lib, a, b: lib.einsum("bi,bj->bij", a, b), [S((3, 4), (3, 2))], FLOAT,
           ref=lambda a, b: np.einsum("bi,bj->bij", a, b), tol_scale=10),
    OpInfo("einsum_list", lambda lib, a, b: lib.einsum("i,i->", [a, b]), [S((6,), (6,))], FLOAT,
           ref=lambda a, b: np.einsum("i,i->", a, b), tol_scale=10),
    OpInfo("linear", lambda lib, x, w, b: _linear(lib)(x, w, b),
           [S((5, 4), (3, 4), (3,)), S((2, 5, 4), (3, 4), (3,)), S((4,), (3, 4), (3,))], FLOAT,
           ref=lambda x, w, b: x @ w.T + b, tol_scale=10),
    OpInfo("linear_nobias", lambda lib, x, w: _linear(lib)(x, w), [S((5, 4), (3, 4)), S((2, 5, 4), (3, 4))], FLOAT,
           ref=lambda x, w: x @ w.T, tol_scale=10),
]

# ---- indexing
def _setitem(x, key, v):
    y = x.clone()
    y[key] = v
    return y


def _index_put_(lib, x, v, accumulate):
    y = x.clone()
    rows = [0, 2, 0] if accumulate else [0, 2, 1]  # duplicates only where they accumulate
    y.index_put_((lib.tensor(rows), lib.tensor([1, 1, 1])), v, accumulate=accumulate)
    return y


def _one_hot(lib):
    return lib.nn.functional.one_hot if lib.__name__ == "torch" else lib._C._ops.one_hot


def _idx(lib, data):
    return lib.tensor(data, dtype=lib.int64)


OPS += [
    OpInfo("where", lambda lib, c, a, b: lib.where(c, a, b), [S((3, 4), (3, 4), (3, 4)), S((3, 1), (4,), (3, 4))],
           NUMERIC, input_dtypes={0: "bool"}, ref=np.where),
    OpInfo("where_cond", lambda lib, c: lib.where(c), [S((3, 4)), S((5,))], ALL, differentiable=False),
    OpInfo("nonzero", lambda lib, c: lib.nonzero(c), [S((3, 4)), S((2, 3, 4)), S(())], ALL, differentiable=False,
           ref=lambda c: np.argwhere(c)),
    OpInfo("nonzero_tuple", lambda lib, c: lib.nonzero(c, as_tuple=True), [S((3, 4))], ALL, differentiable=False),
    OpInfo("argwhere", lambda lib, c: lib.argwhere(c), [S((3, 4))], ("bool", "float32", "int64"), differentiable=False),
    # Tensor.__getitem__ with advanced indices (basic indexing is in the views section)
    OpInfo("getitem_int_tensor", lambda lib, x: x[_idx(lib, [2, 0, 2, -1])], [S((4, 3)), S((5,))], ALL),
    OpInfo("getitem_two_tensors", lambda lib, x: x[_idx(lib, [[0], [2]]), _idx(lib, [1, 0, 2])], [S((3, 4)), S((3, 3, 2))],
           ALL),
    OpInfo("getitem_separated", lambda lib, x: x[_idx(lib, [0, 1]), :, _idx(lib, [1, 0])], [S((2, 3, 4))], ALL),
    OpInfo("getitem_slice_list", lambda lib, x: x[1:, [3, 0, 0]], [S((3, 4))], ALL),
    OpInfo("getitem_mask", lambda lib, x, m: x[m], [S((3, 4), (3, 4)), S((3, 4), (3,))], ALL, input_dtypes={1: "bool"}),
    OpInfo("getitem_mask_mixed", lambda lib, x, m: x[None, ..., m, 1:], [S((2, 3, 4), (3,))], FLOAT, input_dtypes={1: "bool"}),
    OpInfo("setitem_tensor", lambda lib, x, v: _setitem(x, (_idx(lib, [2, 0]), slice(None)), v), [S((3, 4), (2, 4)), S((3, 4), (4,))],
           NUMERIC),
    OpInfo("setitem_mask", lambda lib, x, m, v: _setitem(x, m, v), [S((3, 4), (3, 4), ())], FLOAT, input_dtypes={1: "bool"}),
    OpInfo("setitem_mask_scalar", lambda lib, x, m: _setitem(x, m, 1.5), [S((3, 4), (3, 4)), S((3, 4), (3,))], FLOAT,
           input_dtypes={1: "bool"}),
    OpInfo("setitem_basic", lambda lib, x, v: _setitem(x, (slice(1, None), 1), v), [S((3, 4), (2,)), S((3, 4), ())], NUMERIC),
    OpInfo("index_put", lambda lib, x, v: _index_put_(lib, x, v, False), [S((3, 4), (3,)), S((3, 4), ())], NUMERIC),
    OpInfo("index_put_accumulate", lambda lib, x, v: _index_put_(lib, x, v, True), [S((3, 4), (3,)), S((3, 4), ())], NUMERIC),
    # along one dim
    OpInfo("index_select", lambda lib, x, **k: x.index_select(index=_idx(lib, [2, 0, 2]), **k),
           [S((3, 4), dim=1), S((3, 4, 2), dim=0), S((3, 4), dim=-1)], ALL),
    OpInfo("gather", lambda lib, x: lib.gather(x, 1, _idx(lib, [[0, 1, 1], [2, 0, 3], [1, 1, 1]])), [S((3, 4))], ALL),
    OpInfo("gather_dim0", lambda lib, x: x.gather(0, _idx(lib, [[[0, 1]], [[2, 2]]])), [S((3, 2, 2))], FLOAT),
    OpInfo("scatter", lambda lib, x, s: x.scatter(1, _idx(lib, [[0, 2], [1, 3], [3, 0]]), s), [S((3, 4), (3, 2))],
           ALL),
    OpInfo("scatter_value", lambda lib, x: x.scatter(0, _idx(lib, [[0, 2, 1, 1]]), 2.5), [S((3, 4))], FLOAT),
    OpInfo("scatter_add", lambda lib, x, s: x.scatter_add(0, _idx(lib, [[0, 1, 2, 0], [2, 2, 1, 0]]), s), [S((3, 4), (2, 4))],
           NUMERIC),
    OpInfo("scatter_reduce_sum", lambda lib, x, s, **k: x.scatter_reduce(0, _idx(lib, [[0, 1, 2, 0], [0, 2, 1, 0]]), s, "sum", **k),
           [S((3, 4), (2, 4)), S((3, 4), (2, 4), include_self=False)], FLOAT + INT),
    OpInfo("scatter_reduce_mean", lambda lib, x, s, **k: x.scatter_reduce(0, _idx(lib, [[0, 1, 2, 0], [0, 2, 1, 0]]), s, "mean", **k),
           [S((3, 4), (2, 4)), S((3, 4), (2, 4), include_self=False)], FLOAT),
    OpInfo("scatter_reduce_other", lambda lib, x, s, **k: x.scatter_reduce(0, _idx(lib, [[0, 1, 2, 0], [0, 2, 1, 0]]), s, **k),
           [S((3, 4), (2, 4), reduce=r, include_self=i) for r in ("prod", "amax", "amin") for i in (True, False)],
           FLOAT + ("int64", "int32"), differentiable=False),
    OpInfo("index_add", lambda lib, x, s: x.index_add(0, _idx(lib, [0, 2, 0]), s, alpha=2), [S((3, 4), (3, 4))], FLOAT + INT),
    OpInfo("index_add_dim1", lambda lib, x, s: lib.index_add(x, 1, _idx(lib, [3, 1]), s), [S((2, 4, 2), (2, 2, 2))], NUMERIC),
    OpInfo("index_copy", lambda lib, x, s: x.index_copy(1, _idx(lib, [3, 0]), s), [S((3, 4), (3, 2))], ALL),
    OpInfo("index_fill", lambda lib, x: x.index_fill(1, _idx(lib, [0, 2, -1]), -1.5), [S((3, 4)), S((2, 4, 2))], FLOAT),
    OpInfo("index_fill_tensor", lambda lib, x, v: x.index_fill(0, _idx(lib, [1]), v), [S((3, 4), ())], FLOAT),
    OpInfo("take_along_dim", lambda lib, x: lib.take_along_dim(x, _idx(lib, [[0], [2], [1]]), dim=1), [S((3, 4))], ALL),
    OpInfo("take_along_dim_flat", lambda lib, x: lib.take_along_dim(x, _idx(lib, [0, 5, 11])), [S((3, 4))],
           layouts=("contiguous",)),  # torch views the input as 1-d: only contiguous inputs work there
    # masks
    OpInfo("masked_fill", lambda lib, x, m: x.masked_fill(m, 0.5), [S((3, 4), (3, 4)), S((3, 4), (4,)), S((4,), (3, 4))],
           ALL, input_dtypes={1: "bool"}),
    OpInfo("masked_fill_tensor", lambda lib, x, m, v: lib.masked_fill(x, m, v), [S((3, 4), (3, 4), ())], FLOAT,
           input_dtypes={1: "bool"}),
    OpInfo("masked_select", lambda lib, x, m: lib.masked_select(x, m), [S((3, 4), (3, 4)), S((3, 4), (4,)), S((4,), (3, 1))],
           ALL, input_dtypes={1: "bool"}),
    OpInfo("masked_scatter", lambda lib, x, m, s: x.masked_scatter(m, s), [S((3, 4), (3, 4), (13,)), S((3, 4), (4,), (3, 4))],
           ALL, input_dtypes={1: "bool"}),
    # flat positions
    OpInfo("take", lambda lib, x: x.take(_idx(lib, [[0, -1], [5, 5]])), [S((3, 4)), S((2, 3, 4))], ALL),
    OpInfo("put", lambda lib, x, s: x.put(_idx(lib, [1, -2, 7]), s), [S((3, 4), (3,))], ALL),
    OpInfo("put_accumulate", lambda lib, x, s: x.put(_idx(lib, [[1, 1], [7, 1]]), s, accumulate=True), [S((3, 4), (2, 2))],
           NUMERIC),
    OpInfo("one_hot", lambda lib, x: _one_hot(lib)(x, 5), [S((4,)), S((2, 3))], ("int64",), low=0, high=4,
           differentiable=False),
    OpInfo("one_hot_infer", lambda lib, x: _one_hot(lib)(x), [S((6,))], ("int64",), low=0, high=3, differentiable=False),
]

# ---- softmax
SOFTMAX_SHAPES = [S((5, 7), dim=1), S((2, 3, 4), dim=0), S((2, 3, 4), dim=1), S((), dim=0), S((3, 70), dim=-1),
                  S((2, 5, 80), dim=1)]
OPS += [
    OpInfo("softmax", lambda lib, a, **k: lib.softmax(a, **k), SOFTMAX_SHAPES, FLOAT_ALL, low=-5, high=5, tol_scale=10),
    OpInfo("log_softmax", lambda lib, a, **k: lib.log_softmax(a, **k), SOFTMAX_SHAPES, FLOAT_ALL, low=-5, high=5,
           tol_scale=10),
    OpInfo("softmax_method", lambda lib, a: a.softmax(-1) + a.log_softmax(dim=0), [S((4, 6))], FLOAT, tol_scale=10),
    OpInfo("softmax_dtype", lambda lib, a: lib.softmax(a, 1, dtype=lib.float64), [S((4, 6))], ("float32",), tol_scale=10),
    OpInfo("softmax_large", lambda lib, a: lib.softmax(a * 100, -1), [S((4, 33))], FLOAT, tol_scale=10),
]

# ---- sort
OPS += [
    OpInfo("sort", lambda lib, a, **k: lib.sort(a, **k), [S((5, 7)), S((5, 7), dim=0), S((2, 3, 4), dim=1, descending=True),
                                                           S((), dim=0), S((3, 40), stable=True)], ALL),
    OpInfo("sort_method", lambda lib, a: a.sort(descending=True).values, [S((5, 7))], FLOAT),
    OpInfo("argsort", lambda lib, a, **k: lib.argsort(a, **k), [S((5, 7)), S((2, 3, 4), dim=0, descending=True)], NUMERIC,
           differentiable=False),
    OpInfo("msort", lambda lib, a: lib.msort(a), [S((5, 7))], FLOAT + INT),
    OpInfo("topk", lambda lib, a, **k: lib.topk(a, **k), [S((5, 7), k=3), S((2, 3, 4), k=2, dim=1, largest=False),
                                                           S((5, 7), k=0), S((4, 50), k=7)], FLOAT),
    OpInfo("kthvalue", lambda lib, a, **k: lib.kthvalue(a, **k), [S((5, 7), k=2), S((2, 3, 4), k=2, dim=0, keepdim=True),
                                                                   S((), k=1)], FLOAT),
    OpInfo("unique", lambda lib, a: lib.unique(a, return_inverse=True, return_counts=True), [S((5, 7)), S((0,)), S(())],
           INT + ("float32", "bool"), differentiable=False, low=0, high=4),
    OpInfo("unique_float", lambda lib, a: a.unique(), [S((5, 7))], FLOAT, differentiable=False),
]

# ---- joining (cat, stack, flip, roll, repeat, pad, ...)
def _pad(lib):
    return lib._C._ops.pad if lib.__name__ == "ember" else lib.nn.functional.pad


OPS += [
    OpInfo("cat", lambda lib, *ts, **k: lib.cat(ts, **k), [S((2, 3), (4, 3)), S((2, 3), (2, 1), (2, 4), dim=1),
                                                           S((2, 3, 4), (2, 3, 1), dim=-1), S((0,), (3, 2), (0,)),
                                                           S((3,), (4,), dim=-1)], ALL, ref=lambda *a, **k: np.concatenate(
                                                               [x for x in a if x.shape != (0,)], axis=k.get("dim", 0))),
    OpInfo("concat", lambda lib, a, b: lib.concat([a, b], dim=1), [S((2, 3), (2, 2))]),
    OpInfo("concatenate", lambda lib, a, b: lib.concatenate([a, b], axis=-1), [S((2, 3), (2, 2))]),
    OpInfo("cat_promote", lambda lib, a, b: lib.cat([a, b.to(lib.float64)]), [S((2, 3), (1, 3))], INT + ("float32", "bool")),
    OpInfo("stack", lambda lib, *ts, **k: lib.stack(ts, **k), [S((2, 3), (2, 3)), S((2, 3), (2, 3), (2, 3), dim=-1),
                                                               S((3,), (3,), dim=1), S((), ())], ALL,
           ref=lambda *a, **k: np.stack(a, axis=k.get("dim", 0))),
    OpInfo("hstack", lambda lib, *ts: lib.hstack(ts), [S((2, 3), (2, 1)), S((3,), (2,)), S((), (2,))], ALL),
    OpInfo("vstack", lambda lib, *ts: lib.vstack(ts), [S((2, 3), (1, 3)), S((3,), (3,)), S((3,), (2, 3))], ALL),
    OpInfo("dstack", lambda lib, *ts: lib.dstack(ts), [S((2, 3), (2, 3)), S((3,), (3,)), S((2, 3, 1), (2, 3))], ALL),
    OpInfo("column_stack", lambda lib, *ts: lib.column_stack(ts), [S((3,), (3, 2)), S((), (1, 2))], ALL),
    OpInfo("row_stack", lambda lib, *ts: lib.row_stack(ts), [S((3,), (2, 3))]),
    OpInfo("atleast_1d", lambda lib, a: lib.atleast_1d(a), [S(()), S((2, 3))], ALL),
    OpInfo("atleast_2d", lambda lib, a: lib.atleast_2d(a), [S(()), S((3,)), S((2, 3, 4))], ALL),
    OpInfo("atleast_3d", lambda lib, a: lib.atleast_3d(a), [S(()), S((3,)), S((2, 3)), S((1, 2, 3, 4))], ALL),
    OpInfo("flip", lambda lib, a, **k: lib.flip(a, **k), [S((3, 4), dims=(0,)), S((2, 3, 4), dims=(0, -1)), S((4,), dims=(-1,)),
                                                          S((2, 3), dims=())], ALL, ref=lambda a, dims: np.flip(a, dims)),
    OpInfo("flip_method", lambda lib, a: a.flip(1, 2), [S((2, 3, 4))]),
    OpInfo("flip_method_kw", lambda lib, a: a.flip(dims=(0, -1)) + a.flip((1,)), [S((2, 3, 4))]),
    OpInfo("tile_method", lambda lib, a: a.tile(2, 1) + a.tile(dims=(2, 1)), [S((2, 3))]),
    OpInfo("rot90", lambda lib, a, **k: lib.rot90(a, **k), [S((3, 4)), S((2, 3, 4), k=2, dims=(0, 2)), S((2, 3, 4), k=-1, dims=(-1, 1)),
                                                            S((3, 4), k=4)], ALL, ref=lambda a, k=1, dims=(0, 1): np.rot90(a, k, dims)),
    OpInfo("narrow_copy", lambda lib, a: lib.narrow_copy(a, -1, 1, 2), [S((3, 4)), S((2, 3, 4))], ALL),
    OpInfo("fliplr", lambda lib, a: lib.fliplr(a), [S((3, 4)), S((2, 3, 4))], ALL),
    OpInfo("flipud", lambda lib, a: lib.flipud(a), [S((3, 4)), S((5,))], ALL),
    OpInfo("roll", lambda lib, a, **k: lib.roll(a, **k), [S((3, 4), shifts=1, dims=0), S((2, 3, 4), shifts=(-1, 5), dims=(-1, 1)),
                                                          S((3, 4), shifts=5), S((3, 4), shifts=(1, 2), dims=(0, 0))], ALL,
           ref=lambda a, shifts, dims=None: np.roll(a, shifts, dims)),
    OpInfo("repeat", lambda lib, a, reps: a.repeat(*reps), [S((2, 3), reps=(2, 1)), S((2, 3), reps=(2, 1, 3)), S((3,), reps=(0, 2)),
                                                            S((), reps=(2, 3))], ALL, ref=lambda a, reps: np.tile(a, reps)),
    OpInfo("tile", lambda lib, a, **k: lib.tile(a, **k), [S((2, 3), dims=(2,)), S((2, 3), dims=(2, 1, 2))], ALL,
           ref=lambda a, dims: np.tile(a, dims)),
    OpInfo("repeat_interleave", lambda lib, a, **k: lib.repeat_interleave(a, **k),
           [S((2, 3), repeats=2), S((2, 3), repeats=3, dim=1), S((2, 3, 2), repeats=2, dim=-3)], ALL),
    OpInfo("repeat_interleave_tensor", lambda lib, a, r, **k: a.repeat_interleave(r.long(), **k) if r.dim() else
           a.repeat_interleave(r.long(), **k), [S((3, 2), (3,), dim=0), S((2, 4), (4,), dim=-1), S((2, 3), (), dim=1)],
           input_dtypes={1: "int64"}, low=0, high=3, layouts=("contiguous", "transposed")),
    OpInfo("tril", lambda lib, a, **k: lib.tril(a, **k), [S((4, 5)), S((3, 4), diagonal=1), S((2, 4, 3), diagonal=-1),
                                                          S((3, 3), diagonal=-5)], ALL, ref=lambda a, diagonal=0: np.tril(a, diagonal)),
    OpInfo("triu", lambda lib, a, **k: a.triu(**k), [S((4, 5)), S((3, 4), diagonal=2), S((2, 4, 3), diagonal=-1)], ALL, ref=lambda a, diagonal=0: np.triu(a, diagonal)),
    OpInfo("pad_constant", lambda lib, a, **k: _pad(lib)(a, **k),
           [S((3, 4), pad=(1, 2)), S((2, 3, 4), pad=(1, 0, 2, 1), value=1.5), S((2, 3, 4), pad=(-1, 2, 0, 1, 1, 1)),
            S((5,), pad=(-2, -1)), S((2, 3, 2, 2), pad=(1, 1, 1, 1, 1, 1, 1, 1))], NUMERIC),
    OpInfo("pad_reflect", lambda lib, a, **k: _pad(lib)(a, mode="reflect", **k),
           [S((2, 5), pad=(2, 3)), S((2, 3, 4), pad=(1, 3)), S((2, 3, 4), pad=(1, 2, 2, 0)), S((1, 2, 3, 4, 3), pad=(1, 2, 2, 0, 1, 1)),
            S((2, 5), pad=(-1, 2))]),
    OpInfo("pad_replicate", lambda lib, a, **k: _pad(lib)(a, mode="replicate", **k),
           [S((2, 5), pad=(2, 7)), S((2, 3, 4), pad=(1, 2, 3, 0)), S((2, 2, 3, 4), pad=(1, 2, 2, 0, 1, 1)),
            S((2, 3, 5), pad=(2, -2, 0, 1))]),
    OpInfo("pad_circular", lambda lib, a, **k: _pad(lib)(a, mode="circular", **k),
           [S((2, 5), pad=(2, 5)), S((2, 3, 4), pad=(1, 2, 3, 0)), S((2, 2, 3, 4), pad=(1, 2, 2, 0, 1, 1)),
            S((2, 5), pad=(-1, 2))]),
]

# ---- random / factories
# Random values differ from torch's (Philox vs mt19937); with std=0 normal is deterministic, which
# checks its values, layouts and gradient against torch. torch defines that gradient as zero (the
# samples are not reparameterised), so finite differences do not apply.
OPS += [
    OpInfo("normal_std0", lambda lib, a: lib.normal(a, 0.0), UNARY_SHAPES, FLOAT, ref=lambda a: a, gradcheck=False),
]

# ---- nn.functional

# ---- attention
def _sdpa(lib, q, k, v, m=None, **kw):
    return lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m, **kw)


_SDPA_SHAPES = [S((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)), S((4, 8), (5, 8), (5, 3)),
                S((2, 1, 4, 8), (3, 5, 8), (3, 5, 8))]
OPS += [
    OpInfo("sdpa", _sdpa, _SDPA_SHAPES),
    OpInfo("sdpa_causal", lambda lib, q, k, v: _sdpa(lib, q, k, v, is_causal=True), _SDPA_SHAPES),
    OpInfo("sdpa_scale", lambda lib, q, k, v: _sdpa(lib, q, k, v, scale=0.3), _SDPA_SHAPES),
    OpInfo("sdpa_float_mask", _sdpa, [S((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), (4, 5)),
                                      S((2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), (2, 1, 1, 5))]),
    OpInfo("sdpa_gqa", lambda lib, q, k, v: _sdpa(lib, q, k, v, enable_gqa=True),
           [S((2, 6, 4, 8), (2, 2, 5, 8), (2, 2, 5, 6)), S((4, 3, 8), (1, 5, 8), (1, 5, 8))]),
]

# ---- spatial (interpolate, grid_sample, affine_grid, unfold/fold, channel_shuffle)
def _interp(lib, a, **k):
    return lib.nn.functional.interpolate(a, **k)


def _grid_sample(lib, a, g, **k):
    return lib.nn.functional.grid_sample(a, g, **k)


OPS += [
    OpInfo("interpolate_nearest", _interp, [S((2, 3, 5, 7), scale_factor=1.7), S((2, 3, 7), size=11),
                                            S((1, 2, 3, 4, 5), scale_factor=(1.5, 0.6, 2))]),
    OpInfo("interpolate_nearest_exact", _interp, [S((2, 3, 5, 7), scale_factor=(1.7, 0.6), mode="nearest-exact")]),
    OpInfo("interpolate_linear", _interp, [S((2, 3, 7), scale_factor=1.6, mode="linear"),
                                           S((2, 3, 7), size=4, mode="linear", align_corners=True)]),
    OpInfo("interpolate_bilinear", _interp, [S((2, 3, 5, 7), scale_factor=(1.6, 0.7), mode="bilinear"),
                                             S((2, 3, 5, 7), size=(9, 4), mode="bilinear", align_corners=True)]),
    OpInfo("interpolate_bicubic", _interp, [S((2, 3, 5, 7), scale_factor=(1.6, 0.7), mode="bicubic"),
                                            S((2, 3, 5, 7), size=(9, 4), mode="bicubic", align_corners=True)], tol_scale=5),
    OpInfo("interpolate_trilinear", _interp, [S((1, 2, 3, 4, 5), scale_factor=1.5, mode="trilinear")]),
    OpInfo("grid_sample", _grid_sample,
           [S((2, 3, 5, 4), (2, 4, 3, 2), align_corners=False),
            S((2, 3, 5, 4), (2, 4, 3, 2), padding_mode="border", align_corners=True),
            S((2, 3, 5, 4), (2, 4, 3, 2), padding_mode="reflection", align_corners=False),
            S((2, 3, 5, 4), (2, 4, 3, 2), mode="nearest", padding_mode="reflection", align_corners=True)],
           low=-1.3, high=1.3),
    OpInfo("affine_grid", lambda lib, t, **k: lib.nn.functional.affine_grid(t, **k),
           [S((2, 2, 3), size=(2, 3, 4, 5), align_corners=False), S((1, 3, 4), size=(1, 1, 2, 3, 4), align_corners=True)]),
    OpInfo("unfold_fn", lambda lib, a, **k: lib.nn.functional.unfold(a, **k),
           [S((2, 3, 6, 5), kernel_size=(2, 3), padding=1, stride=(2, 1)), S((3, 5, 4), kernel_size=2, dilation=2)]),
    OpInfo("fold_fn", lambda lib, a, **k: lib.nn.functional.fold(a, **k),
           [S((2, 12, 12), output_size=(4, 5), kernel_size=2), S((6, 20), output_size=(6, 5), kernel_size=(2, 1),
                                                                 stride=(1, 1), padding=(0, 0), dilation=(2, 1))]),
    OpInfo("channel_shuffle", lambda lib, a, **k: lib.nn.functional.channel_shuffle(a, **k),
           [S((2, 6, 3, 4), groups=3), S((1, 4, 5), groups=2)]),
]

# ---- core audit (issue 2): forms the audit (tests/audit_issue2.py) found without a row
OPS += [
    OpInfo("bitwise_left_shift", lambda lib, a, b: lib.bitwise_left_shift(a, b), BINARY_SHAPES,
           ("int64", "int32", "int16", "uint8"), low=0, high=7, differentiable=False),
    OpInfo("bitwise_right_shift", lambda lib, a, b: lib.bitwise_right_shift(a, b), BINARY_SHAPES,
           ("int64", "int32", "int16", "int8"), low=0, high=50, differentiable=False),
    OpInfo("bitwise_left_shift_scalar", lambda lib, a: a.bitwise_left_shift(3), UNARY_SHAPES, ("int64", "int32"),
           low=-50, high=50, differentiable=False),
    OpInfo("cumsum_inplace", lambda lib, a: a.clone().cumsum_(-1), UNARY_SHAPES[:1] + UNARY_SHAPES[2:], FLOAT),
    OpInfo("cumprod_inplace", lambda lib, a: a.clone().cumprod_(0), UNARY_SHAPES[:1] + UNARY_SHAPES[2:], FLOAT),
    OpInfo("addmm_inplace", lambda lib, c, a, b: c.clone().addmm_(a, b, beta=0.5, alpha=1.5),
           [S((3, 5), (3, 4), (4, 5))], FLOAT),
    OpInfo("baddbmm_inplace", lambda lib, c, a, b: c.clone().baddbmm_(a, b, alpha=0.5), [S((2, 3, 5), (2, 3, 4), (2, 4, 5))],
           FLOAT),
    OpInfo("max_other", lambda lib, a, b: lib.max(a, other=b), BINARY_SHAPES, FLOAT + ("int64",)),
    OpInfo("min_binary", lambda lib, a, b: a.min(b), BINARY_SHAPES, FLOAT + ("int64",)),
    OpInfo("einsum_sublist", lambda lib, a, b: lib.einsum(a, [0, 1], b, [1, 2], [0, 2]), [S((3, 4), (4, 5))], FLOAT),
    OpInfo("t_inplace", lambda lib, a: (a * 1).t_(), [S((3, 4))], FLOAT),
    OpInfo("transpose_unsqueeze_inplace", lambda lib, a: (a * 1).transpose_(0, 2).unsqueeze_(1), [S((2, 3, 4))], FLOAT),
    OpInfo("squeeze_inplace", lambda lib, a: (a * 1).squeeze_(1), [S((3, 1, 4))], FLOAT),
]
