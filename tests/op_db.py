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
# Random values differ from torch's (Philox vs mt19937); with std=0 normal is deterministic, which
# checks its values, layouts and gradient against torch. torch defines that gradient as zero (the
# samples are not reparameterised), so finite differences do not apply.
OPS += [
    OpInfo("normal_std0", lambda lib, a: lib.normal(a, 0.0), UNARY_SHAPES, FLOAT, ref=lambda a: a, gradcheck=False),
]

# ---- nn.functional
