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

# ---- random / factories

# ---- nn.functional
