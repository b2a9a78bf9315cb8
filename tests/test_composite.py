"""Composite ops (ember/_composite.py, ember/linalg.py) and process switches (finfo, iinfo,
backends, compile, ...): values and gradients against torch through the op-table harness, float64
finite differences, and targeted semantics and error checks."""
import math

import numpy as np
import pytest
import torch

import ember
from helpers import check_op, finite_difference_check
from op_db import ALL, BINARY_SHAPES, FLOAT, FLOAT_ALL, INT, UNARY_SHAPES, OpInfo, S

INF = math.inf
TERNARY = [S((5, 7), (5, 7), (7,)), S((3, 1, 4), (1, 5, 4), (3, 5, 1)), S((), (2, 3), (3,))]

OPS = [
    OpInfo("addcmul", lambda lib, a, b, c: lib.addcmul(a, b, c, value=0.5), TERNARY, FLOAT_ALL),
    OpInfo("addcmul_int", lambda lib, a, b, c: lib.addcmul(a, b, c, value=2), TERNARY, INT, differentiable=False),
    OpInfo("addcmul_method", lambda lib, a, b, c: a.addcmul(b, c), TERNARY, FLOAT),
    OpInfo("addcmul_", lambda lib, a, b, c: (a * 1).addcmul_(b, c, value=-1.5), [TERNARY[0]], FLOAT),
    OpInfo("addcdiv", lambda lib, a, b, c: lib.addcdiv(a, b, c, value=2), TERNARY, FLOAT_ALL, low=0.5, high=2.0),
    OpInfo("addcdiv_", lambda lib, a, b, c: (a * 1).addcdiv_(b, c), [TERNARY[0]], FLOAT, low=0.5, high=2.0),
    OpInfo("logaddexp", lambda lib, a, b: lib.logaddexp(a, b), BINARY_SHAPES, FLOAT, ref=np.logaddexp, low=-30, high=30),
    OpInfo("logaddexp2", lambda lib, a, b: lib.logaddexp2(a, b), BINARY_SHAPES, FLOAT, ref=np.logaddexp2, low=-30,
           high=30),
    OpInfo("sgn", lambda lib, a: lib.sgn(a), UNARY_SHAPES, FLOAT + INT),
    OpInfo("signbit", lambda lib, a: lib.signbit(a), UNARY_SHAPES, ALL, ref=np.signbit, differentiable=False),
    OpInfo("signbit_zero", lambda lib, a: lib.signbit(a * 0 - 0.0), UNARY_SHAPES, FLOAT, differentiable=False),
    OpInfo("deg2rad", lambda lib, a: lib.deg2rad(a), UNARY_SHAPES, FLOAT + ("int64",), ref=np.deg2rad, low=-360,
           high=360),
    OpInfo("rad2deg", lambda lib, a: a.rad2deg(), UNARY_SHAPES, FLOAT, ref=np.rad2deg),
    OpInfo("nan_to_num", lambda lib, a: lib.nan_to_num(lib.log(a)), UNARY_SHAPES, FLOAT_ALL, low=-1, high=1,
           gradcheck=False),
    OpInfo("nan_to_num_args", lambda lib, a: (a * 0 + 1 / a).nan_to_num(nan=1.5, posinf=7.0, neginf=-3.0),
           UNARY_SHAPES, FLOAT, low=-1, high=1, differentiable=False),
    OpInfo("heaviside", lambda lib, a, b: lib.heaviside(lib.round(a), b), BINARY_SHAPES, FLOAT + ("int64",),
           differentiable=False),
    OpInfo("sinc", lambda lib, a: lib.sinc(a), UNARY_SHAPES, FLOAT, ref=np.sinc),
    OpInfo("sinc_at_zero", lambda lib, a: lib.sinc(a * 0), UNARY_SHAPES, FLOAT),
    OpInfo("logit", lambda lib, a: lib.logit(a), UNARY_SHAPES, FLOAT, low=0.05, high=0.95),
    OpInfo("logit_eps", lambda lib, a: lib.logit(a, eps=0.2), UNARY_SHAPES, FLOAT, low=0.05, high=0.95,
           gradcheck=False),
    OpInfo("diag_vector", lambda lib, a: lib.diag(a, 1), [S((4,)), S((1,))], ALL),
    OpInfo("diag_matrix", lambda lib, a: lib.diag(a, -1), [S((4, 5)), S((3, 3))], ALL),
    OpInfo("diag_embed", lambda lib, a: lib.diag_embed(a, 1, 0, 2), [S((2, 3)), S((4, 2, 3))], FLOAT + INT),
    OpInfo("diff", lambda lib, a: lib.diff(a, n=2, dim=0), [S((5, 3)), S((4,))], FLOAT + INT),
    OpInfo("diff_pre_append", lambda lib, a, b, c: lib.diff(a, dim=-1, prepend=b, append=c),
           [S((3, 4), (3, 2), (3, 1))], FLOAT),
    OpInfo("diff_bool", lambda lib, a: lib.diff(a > 0), [S((3, 6))], FLOAT, differentiable=False),
    OpInfo("cartesian_prod", lambda lib, a, b, c: lib.cartesian_prod(a, b, c), [S((3,), (2,), (4,))], FLOAT + INT),
    OpInfo("block_diag", lambda lib, a, b, c: lib.block_diag(a, b, c), [S((2, 3), (4,), ()), S((1, 1), (2, 2), (3, 1))],
           FLOAT + INT),
    OpInfo("meshgrid_ij", lambda lib, a, b: lib.meshgrid(a, b, indexing="ij"), [S((3,), (4,))], FLOAT),
    OpInfo("meshgrid_xy", lambda lib, a, b, c: lib.meshgrid(a, b, c, indexing="xy"), [S((3,), (4,), (2,))], FLOAT),
    OpInfo("broadcast_tensors", lambda lib, a, b: lib.broadcast_tensors(a, b), BINARY_SHAPES, FLOAT + INT),
    OpInfo("broadcast_to", lambda lib, a: lib.broadcast_to(a, (2, 5, 7)), [S((5, 7)), S((1, 7)), S(())], FLOAT),
    OpInfo("cdist_p2", lambda lib, a, b: lib.cdist(a, b), [S((5, 3), (4, 3)), S((2, 5, 3), (2, 6, 3))], FLOAT),
    OpInfo("cdist_p1", lambda lib, a, b: lib.cdist(a, b, p=1), [S((5, 3), (4, 3))], FLOAT),
    OpInfo("cdist_pinf", lambda lib, a, b: lib.cdist(a, b, p=INF), [S((5, 3), (4, 3))], FLOAT),
    OpInfo("dist", lambda lib, a, b: lib.dist(a, b, 3), BINARY_SHAPES[:3], FLOAT),
    OpInfo("cross", lambda lib, a, b: lib.cross(a, b, dim=1), [S((4, 3, 2), (4, 3, 2)), S((3, 3), (1, 3))], FLOAT),
    OpInfo("linalg_cross", lambda lib, a, b: lib.linalg.cross(a, b), [S((4, 3), (4, 3))], FLOAT),
    OpInfo("vector_norm", lambda lib, a: lib.linalg.vector_norm(a), UNARY_SHAPES, FLOAT),
    OpInfo("vector_norm_ord", lambda lib, a: [lib.linalg.vector_norm(a, o, dim=-1, keepdim=True)
                                              for o in (1, 3, 0.5, INF, -INF)], [S((5, 7)), S((2, 3, 4))], FLOAT,
           gradcheck=False),
    OpInfo("vector_norm_ord0", lambda lib, a: lib.linalg.vector_norm(lib.round(a), 0, dim=0), [S((5, 7))], FLOAT,
           differentiable=False),
    OpInfo("vector_norm_ord3", lambda lib, a: lib.linalg.vector_norm(a, 3, dim=(0, 2)), [S((2, 3, 4))], FLOAT),
    OpInfo("matrix_norm", lambda lib, a: [lib.linalg.matrix_norm(a, o) for o in ("fro", 1, -1, INF, -INF)],
           [S((5, 7)), S((2, 3, 4))], FLOAT, gradcheck=False),
    OpInfo("matrix_norm_keepdim", lambda lib, a: lib.linalg.matrix_norm(a, 1, dim=(0, 2), keepdim=True),
           [S((2, 3, 4))], FLOAT, gradcheck=False),
    OpInfo("linalg_norm", lambda lib, a: [lib.linalg.norm(a), lib.linalg.norm(a, dim=1), lib.linalg.norm(a, "fro")],
           [S((5, 7))], FLOAT),
    OpInfo("vecdot", lambda lib, a, b: lib.linalg.vecdot(a, b), BINARY_SHAPES[:3], FLOAT),
    OpInfo("multi_dot", lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]), [S((3,), (3, 4), (4, 2)),
                                                                                S((2, 3), (3, 4), (4,))], FLOAT),
]


@pytest.mark.parametrize("op,dtype", [pytest.param(op, d, id=f"{op.name}-{d}") for op in OPS for d in op.dtypes])
@pytest.mark.parametrize("layout_kind", ["contiguous", "transposed", "strided"])
def test_op(op, dtype, layout_kind):
    for sample in op.samples:
        check_op(op, dtype, sample, layout_kind)


@pytest.mark.parametrize("op", [pytest.param(op, id=op.name) for op in OPS
                                if op.differentiable and op.gradcheck and "float64" in op.dtypes])
def test_gradcheck(op):
    for sample in op.samples:
        finite_difference_check(op, sample)


def test_counting_ops_match_torch():
    x = np.array([0, 3, 3, 1, 7, 3])
    w = np.array([0.5, 1.0, 2.0, -1.0, 0.25, 1.0], dtype=np.float32)
    for kw in ({}, {"minlength": 10}):
        np.testing.assert_array_equal(ember.bincount(ember.tensor(x), **kw).numpy(),
                                      torch.bincount(torch.tensor(x), **kw).numpy())
    e = ember.tensor(x).bincount(ember.tensor(w))
    t = torch.tensor(x).bincount(torch.tensor(w))
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    np.testing.assert_allclose(e.numpy(), t.numpy())
    assert ember.bincount(ember.tensor([], dtype=ember.int64)).shape == (0,)
    with pytest.raises(RuntimeError, match="bincount"):
        ember.bincount(ember.tensor([1, -1]))
    with pytest.raises(RuntimeError, match="bincount"):
        ember.bincount(ember.tensor([[1]]))
    a = np.random.default_rng(0).integers(0, 200, (7, 9))
    for test in (np.array([3, 5, 150, 3]), np.arange(0, 200, 3)):
        for invert in (False, True):
            np.testing.assert_array_equal(
                ember.isin(ember.tensor(a), ember.tensor(test), invert=invert).numpy(),
                torch.isin(torch.tensor(a), torch.tensor(test), invert=invert).numpy())
    assert ember.isin(ember.tensor([1, 2]), 2).tolist() == [False, True]


def test_index_builders_match_torch():
    for args in ((4, 5), (5, 3, 1), (4, 4, -2), (0, 3)):
        for name in ("tril_indices", "triu_indices"):
            np.testing.assert_array_equal(getattr(ember, name)(*args).numpy(), getattr(torch, name)(*args).numpy())


def test_logaddexp_special_values():
    vals = [-INF, INF, 0.0, 1e30, -1e30, math.nan]
    a = np.array([[x for x in vals for _ in vals]])
    b = np.array([[y for _ in vals for y in vals]])
    for name in ("logaddexp", "logaddexp2"):
        got = getattr(ember, name)(ember.tensor(a), ember.tensor(b)).numpy()
        want = getattr(torch, name)(torch.tensor(a), torch.tensor(b)).numpy()
        np.testing.assert_array_equal(got, want)


def test_finfo_iinfo_match_torch():
    for name in ("float32", "float64", "float16", "bfloat16"):
        e, t = ember.finfo(getattr(ember, name)), torch.finfo(getattr(torch, name))
        for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
            assert getattr(e, attr) == getattr(t, attr), (name, attr)
        assert e.dtype == t.dtype
    assert ember.finfo().eps == torch.finfo().eps
    for name in ("uint8", "int8", "int16", "int32", "int64"):
        e, t = ember.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
        assert (e.bits, e.min, e.max, e.dtype) == (t.bits, t.min, t.max, t.dtype)
    with pytest.raises(TypeError):
        ember.finfo(ember.int32)
    with pytest.raises(TypeError):
        ember.iinfo(ember.float32)


def test_errors_name_the_op():
    with pytest.raises(RuntimeError, match="addcdiv"):
        ember.addcdiv(ember.zeros(2), ember.tensor([1, 2]), ember.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="heaviside"):
        ember.heaviside(ember.zeros(2), ember.zeros(2, dtype=ember.float64))
    with pytest.raises(RuntimeError, match="cdist"):
        ember.cdist(ember.zeros(3, 2), ember.zeros(3, 4))
    with pytest.raises(RuntimeError, match="cross"):
        ember.cross(ember.zeros(3, 2), ember.zeros(3, 2), dim=1)
    with pytest.raises(RuntimeError, match="diag"):
        ember.diag(ember.zeros(2, 2, 2))
    with pytest.raises(ValueError, match="meshgrid"):
        ember.meshgrid(ember.zeros(2), indexing="yx")
    with pytest.raises(NotImplementedError, match="singular values"):
        ember.linalg.matrix_norm(ember.zeros(2, 2), 2)
    with pytest.raises(RuntimeError, match="must be 1D or 2D"):
        ember.linalg.norm(ember.zeros(2, 2, 2), 1)


def test_process_switches():
    model = ember.nn.Linear(2, 2)
    assert ember.compile(model) is model
    assert ember.compile()(model.forward) == model.forward
    ember.set_float32_matmul_precision("high")
    assert ember.get_float32_matmul_precision() == "high"
    ember.set_float32_matmul_precision("highest")
    with pytest.raises(RuntimeError):
        ember.set_float32_matmul_precision("fast")
    ember.use_deterministic_algorithms(True)
    assert ember.are_deterministic_algorithms_enabled()
    ember.use_deterministic_algorithms(False)
    ember.backends.cudnn.benchmark = True  # scripts set these; they must be plain attributes
    assert ember.backends.cudnn.benchmark is True
    ember.backends.cudnn.benchmark = False
    assert not ember.backends.mps.is_available() and not ember.backends.cudnn.is_available()
    assert ember.backends.cpu.get_cpu_capability() in ("AVX512", "AVX2", "DEFAULT")
    assert ember.get_default_device() == ember.device("cpu")
    ember.set_default_device("cpu")
    with pytest.raises(RuntimeError):
        ember.set_default_device("cuda")
    assert not hasattr(ember, "no_such_submodule")
