"""Elementwise semantics the op table cannot express: type promotion against torch over a matrix
of operand kinds, in-place cast errors, integer division by zero, comparisons with broadcasting,
Python operators with numbers on both sides, and error types."""
import math
import operator

import numpy as np
import pytest
import torch

import ember

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


def pair(values, dtype, shape=(3,)):
    t = torch.tensor(values, dtype=getattr(torch, dtype)).reshape(shape)
    e = ember.from_numpy(t.float().numpy() if dtype == "bfloat16" else t.numpy()).to(getattr(ember, dtype))
    return e, t


def dt(x):
    return str(x.dtype).split(".")[-1]


def operands(kind, dtype):
    """kind: 'tensor' (dimensioned), 'zerodim' (0-dim tensor) or 'number' (a Python scalar)."""
    if kind == "number":
        v = {"bool": True, "float32": 1.5}.get(dtype, 2)
        return v, v
    shape = (3,) if kind == "tensor" else ()
    vals = [1, 0, 1] if dtype == "bool" else [1, 2, 3]
    vals = vals if kind == "tensor" else vals[:1]
    return pair(vals, dtype, shape)


BINOPS = {
    "add": operator.add, "mul": operator.mul, "truediv": operator.truediv, "pow": operator.pow,
    "maximum": None, "eq": operator.eq, "lt": operator.lt, "atan2": None, "remainder": operator.mod,
}

PROMO_CASES = [(a, b, ka, kb) for a in DTYPES for b in DTYPES for ka, kb in
               [("tensor", "tensor"), ("tensor", "zerodim"), ("zerodim", "tensor")]]
PROMO_CASES += [(a, b, "tensor", "number") for a in DTYPES for b in ("bool", "int64", "float32")]


@pytest.mark.parametrize("op", ["add", "mul", "eq", "maximum", "atan2", "remainder", "pow", "truediv"])
@pytest.mark.parametrize("a,b,ka,kb", PROMO_CASES, ids=lambda v: str(v))
def test_result_dtype_matches_torch(op, a, b, ka, kb):
    ea, ta = operands(ka, a)
    eb, tb = operands(kb, b)

    def run(lib, x, y):
        if op in ("maximum", "atan2"):
            if not isinstance(y, (torch.Tensor, ember.Tensor)):
                y = lib.tensor(y) if hasattr(lib, "tensor") else y
            return getattr(lib, op)(x, y)
        return BINOPS[op](x, y)

    try:
        expected = run(torch, ta, tb)
    except (RuntimeError, TypeError):
        with pytest.raises((RuntimeError, TypeError)):
            run(ember, ea, eb)
        return
    got = run(ember, ea, eb)
    assert dt(got) == dt(expected), f"{op}({a} {ka}, {b} {kb}): {got.dtype} != torch {expected.dtype}"
    np.testing.assert_allclose(got.double().numpy(), expected.double().numpy(), rtol=1e-2, atol=1e-2, equal_nan=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ["abs", "neg", "sign", "floor", "ceil", "round", "trunc", "sqrt", "sin", "exp2",
                                "reciprocal", "square", "sigmoid", "erfinv", "isinf", "isfinite", "logical_not",
                                "bitwise_not"])
def test_unary_dtype_matches_torch(op, dtype):
    e, t = pair([0, 1, 1] if dtype == "bool" else [0, 1, 2], dtype)
    try:
        expected = getattr(torch, op)(t)
    except (RuntimeError, TypeError):
        with pytest.raises((RuntimeError, TypeError)):
            getattr(ember, op)(e)
        return
    got = getattr(ember, op)(e)
    assert dt(got) == dt(expected), f"{op}({dtype}): {got.dtype} != torch {expected.dtype}"
    np.testing.assert_allclose(got.double().numpy(), expected.double().numpy(), rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("lo,hi", [(0, 2), (0.5, None), (None, 1.5), (True, None)])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "float16", "float32"])
def test_clamp_dtype(dtype, lo, hi):
    e, t = pair([0, 1, 3], dtype)
    try:
        expected = torch.clamp(t, lo, hi)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            ember.clamp(e, lo, hi)
        return
    got = ember.clamp(e, lo, hi)
    assert dt(got) == dt(expected)
    np.testing.assert_allclose(got.double().numpy(), expected.double().numpy())


def test_clamp_errors_and_min_greater_than_max():
    e, t = pair([0.0, 1.0, 3.0], "float32")
    with pytest.raises(RuntimeError):
        ember.clamp(e)
    assert ember.clamp(e, 2, 1).tolist() == torch.clamp(t, 2, 1).tolist()
    lo, tlo = pair([2.0, 2.0, 2.0], "float32")
    hi, thi = pair([1.0, 1.0, 1.0], "float32")
    assert ember.clamp(e, lo, hi).tolist() == torch.clamp(t, tlo, thi).tolist()


@pytest.mark.parametrize("method,arg", [("add_", 1.5), ("mul_", 0.5), ("div_", 2), ("pow_", 0.5), ("remainder_", 1.5),
                                        ("clamp_", 0.5), ("sin_", None), ("exp_", None), ("atan2_", 1)])
def test_inplace_float_result_into_int_raises(method, arg):
    e, t = pair([1, 2, 3], "int64")
    args = () if arg is None else (arg if method not in ("atan2_",) else ember.tensor([1, 1, 1]),)
    targs = () if arg is None else (arg if method not in ("atan2_",) else torch.tensor([1, 1, 1]),)
    with pytest.raises(RuntimeError):
        getattr(t, method)(*targs)
    with pytest.raises(RuntimeError):
        getattr(e, method)(*args)


def test_inplace_same_category_works():
    e, t = pair([1.0, 2.0, 3.0], "float16")
    e.pow_(2)
    t.pow_(2)
    assert dt(e) == "float16" and e.tolist() == t.tolist()
    e, t = pair([5, 7, 9], "int32")
    e %= 4
    t %= 4
    assert e.tolist() == t.tolist() and dt(e) == "int32"
    e, t = pair([1.0, -2.0, 3.0], "float32")
    e.eq_(ember.tensor([1.0, 0.0, 3.0]))
    t.eq_(torch.tensor([1.0, 0.0, 3.0]))
    assert e.tolist() == t.tolist() and dt(e) == "float32"


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8"])
@pytest.mark.parametrize("fn", [lambda lib, a, b: a // b, lambda lib, a, b: a % b, lambda lib, a, b: lib.fmod(a, b),
                                lambda lib, a, b: lib.remainder(a, 0), lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"),
                                lambda lib, a, b: lib.floor_divide(a, b)])
def test_integer_division_by_zero_raises(dtype, fn):
    a, _ = pair([1, 2, 3], dtype)
    b, _ = pair([1, 0, 1], dtype)
    with pytest.raises(RuntimeError):
        fn(ember, a, b)


def test_int_min_divided_by_minus_one_does_not_trap():
    a = ember.tensor([-2**63, 5], dtype=ember.int64)
    b = ember.tensor([-1, -1], dtype=ember.int64)
    ta, tb = torch.tensor([-2**63, 5]), torch.tensor([-1, -1])
    assert (a % b).tolist() == (ta % tb).tolist()
    assert ember.fmod(a, b).tolist() == torch.fmod(ta, tb).tolist()


def test_remainder_python_sign():
    for x in (-7, -3, 0, 3, 7):
        for y in (-3, 2, 5):
            assert int((ember.tensor([x]) % y).item()) == x % y
            assert float((ember.tensor([float(x)]) % float(y)).item()) == math.fmod(x, y) if x * y >= 0 else True
            assert float((ember.tensor([float(x)]) % float(y)).item()) == float(x % y)


def test_integer_negative_power_raises():
    with pytest.raises(RuntimeError):
        ember.tensor([1, 2]) ** -1
    assert (ember.tensor([1, 2]) ** -1.0).tolist() == [1.0, 0.5]
    assert (ember.tensor([1, -1, 2]) ** ember.tensor([-1, -3, -2])).tolist() == \
        (torch.tensor([1, -1, 2]) ** torch.tensor([-1, -3, -2])).tolist()


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons_broadcast(op):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, (4, 1, 3)).astype(np.float32)
    b = rng.integers(0, 3, (5, 1)).astype(np.int64)
    got = getattr(ember, op)(ember.from_numpy(a), ember.from_numpy(b))
    expected = getattr(torch, op)(torch.from_numpy(a), torch.from_numpy(b))
    assert got.dtype == ember.bool and tuple(got.shape) == tuple(expected.shape)
    assert (got.numpy() == expected.numpy()).all()


@pytest.mark.parametrize("op", [operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge,
                                operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
                                operator.mod, operator.pow])
@pytest.mark.parametrize("number", [2, 2.5, True])
def test_operators_with_numbers_both_sides(op, number):
    e, t = pair([1.0, 2.0, 3.0], "float32")
    for flip in (False, True):
        args_e = (number, e) if flip else (e, number)
        args_t = (number, t) if flip else (t, number)
        try:
            expected = op(*args_t)
        except RuntimeError:
            with pytest.raises(RuntimeError):
                op(*args_e)
            continue
        got = op(*args_e)
        assert dt(got) == dt(expected)
        np.testing.assert_allclose(got.double().numpy(), expected.double().numpy(), rtol=1e-6)


@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor, operator.lshift, operator.rshift])
def test_bitwise_operators_with_numbers(op):
    e, t = pair([1, 6, 12], "int32")
    for args_e, args_t in (((e, 3), (t, 3)), ((3, e), (3, t))):
        expected, got = op(*args_t), op(*args_e)
        assert dt(got) == dt(expected) and got.tolist() == expected.tolist()


def test_bitwise_on_float_raises():
    e = ember.tensor([1.0, 2.0])
    for f in (lambda: e & e, lambda: e | 1, lambda: ~e, lambda: e << 1):
        with pytest.raises(RuntimeError):
            f()


def test_eq_with_other_types_and_hash():
    e = ember.tensor([1, 2])
    assert (e == None) is False  # noqa: E711
    assert (e == "x") is False
    assert hash(e) == hash(e)
    assert len({e, e}) == 1


def test_isclose_allclose_equal():
    a = ember.tensor([1.0, float("nan"), float("inf"), 2.0])
    b = ember.tensor([1.0 + 1e-7, float("nan"), float("inf"), 2.1])
    ta, tb = torch.tensor([1.0, float("nan"), float("inf"), 2.0]), torch.tensor([1.0 + 1e-7, float("nan"), float("inf"), 2.1])
    assert ember.isclose(a, b).tolist() == torch.isclose(ta, tb).tolist()
    assert ember.isclose(a, b, equal_nan=True).tolist() == torch.isclose(ta, tb, equal_nan=True).tolist()
    assert ember.allclose(a[:1], b[:1]) is True
    assert ember.allclose(a, b) is False
    assert ember.equal(a[2:], a[2:]) is True
    assert ember.equal(ember.tensor([1, 2]), ember.tensor([1, 2, 3])) is False
    with pytest.raises(RuntimeError):
        ember.isclose(ember.tensor([1]), ember.tensor([1.0]))


def test_special_values():
    vals = [float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1e-40, 3.0]
    e, t = ember.tensor(vals), torch.tensor(vals)
    for op in ("isinf", "isfinite", "isposinf", "isneginf", "isnan", "sign", "abs", "exp", "sigmoid", "erfinv"):
        np.testing.assert_array_equal(getattr(ember, op)(e).numpy(), getattr(torch, op)(t).numpy(), err_msg=op)
    np.testing.assert_array_equal(ember.maximum(e, ember.zeros(7)).numpy(), torch.maximum(t, torch.zeros(7)).numpy())
    np.testing.assert_array_equal(ember.fmax(e, ember.zeros(7)).numpy(), torch.fmax(t, torch.zeros(7)).numpy())
    np.testing.assert_array_equal(ember.clamp(e, -1, 1).numpy(), torch.clamp(t, -1, 1).numpy())


def test_round_half_even_and_decimals():
    vals = [0.5, 1.5, 2.5, -0.5, -1.5, 1.2345, 123.456]
    e, t = ember.tensor(vals), torch.tensor(vals)
    assert ember.round(e).tolist() == torch.round(t).tolist()
    np.testing.assert_allclose(ember.round(e, decimals=2).numpy(), torch.round(t, decimals=2).numpy())
    np.testing.assert_allclose(e.round(decimals=-1).numpy(), t.round(decimals=-1).numpy())


def test_activation_inplace_and_grad_names():
    x = ember.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    y = x * 1
    ember.leaky_relu(y, 0.1, inplace=True) if hasattr(ember, "leaky_relu") else None
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.1, 1.0, 1.0])
    for name, node in [("abs", "AbsBackward0"), ("sin", "SinBackward0"), ("silu", "SiluBackward0")]:
        assert getattr(ember, name)(x).grad_fn.name() == node
    assert (x ** 2).grad_fn.name() == "PowBackward0"
    assert (2 ** x).grad_fn.name() == "PowBackward2"
    assert ember.maximum(x, x).grad_fn.name() == "MaximumBackward0"


def test_unary_inplace_rejects_int_for_float_ops():
    e = ember.tensor([1, 2, 3])
    with pytest.raises(RuntimeError):
        e.sqrt_()
    assert e.abs_().tolist() == [1, 2, 3]
    with pytest.raises(RuntimeError):
        ember.silu(e)


def test_double_backward_through_activation():
    x = ember.tensor([-1.0, 0.5, 2.0], dtype=ember.float64, requires_grad=True)
    tx = torch.tensor([-1.0, 0.5, 2.0], dtype=torch.float64, requires_grad=True)
    for fe, ft in [(lambda v: ember.gelu(v), torch.nn.functional.gelu), (lambda v: ember.sin(v) ** 3, lambda v: v.sin() ** 3),
                   (lambda v: ember.softplus(v, beta=2.0), lambda v: torch.nn.functional.softplus(v, beta=2.0))]:
        (g,) = ember.autograd.grad(fe(x).sum(), [x], create_graph=True)
        (gg,) = ember.autograd.grad(g.sum(), [x])
        (tg,) = torch.autograd.grad(ft(tx).sum(), [tx], create_graph=True)
        (tgg,) = torch.autograd.grad(tg.sum(), [tx])
        np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-6)
