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


# ---- float32 transcendental kernels (isa/vec_math.h): ulp error against a float64 reference over
# dense grids and special values, thread-count and layout independence, each ISA path.
def _grid(lo, hi, n=1 << 18, logs=True):
    g = [np.linspace(lo, hi, n)]
    if logs:  # magnitudes from tiny to large, both signs, clipped into [lo, hi]
        m = np.logspace(-30, np.log10(max(abs(lo), abs(hi), 1e-30)), 20001)
        g += [m, -m]
    x = np.concatenate(g).astype(np.float32)
    return x[(x >= lo) & (x <= hi)]


def _f64(fn):
    return lambda x: fn(torch.from_numpy(x.astype(np.float64))).numpy()


_SQRT1_2 = 0.7071067811865476
# name -> (ember fn, float64 reference, domain, max ulp)
MATH_CASES = {
    "sin": (ember.sin, _f64(torch.sin), (-1e5, 1e5), 1.0),
    "cos": (ember.cos, _f64(torch.cos), (-1e5, 1e5), 1.0),
    "sin_small": (ember.sin, _f64(torch.sin), (-10.0, 10.0), 1.0),
    "cos_small": (ember.cos, _f64(torch.cos), (-10.0, 10.0), 1.0),
    "tan": (ember.tan, _f64(torch.tan), (-1e4, 1e4), 1.0),
    "erf": (ember.erf, _f64(torch.erf), (-6.0, 6.0), 1.0),
    "erfc": (ember.erfc, _f64(torch.erfc), (-6.0, 12.0), 1.0),
    "expm1": (ember.expm1, _f64(torch.expm1), (-90.0, 88.0), 1.0),
    "exp2": (ember.exp2, _f64(torch.exp2), (-150.0, 127.9), 1.0),
    "log": (ember.log, _f64(torch.log), (1e-38, 3e38), 1.0),
    "log2": (ember.log2, _f64(torch.log2), (1e-38, 3e38), 1.0),
    "log10": (ember.log10, _f64(torch.log10), (1e-38, 3e38), 1.0),
    "log1p": (ember.log1p, _f64(torch.log1p), (-0.999999, 1e30), 1.0),
    "sinh": (ember.sinh, _f64(torch.sinh), (-89.0, 89.0), 1.0),
    "cosh": (ember.cosh, _f64(torch.cosh), (-89.0, 89.0), 1.0),
    "asinh": (ember.asinh, _f64(torch.asinh), (-1e30, 1e30), 1.0),
    "acosh": (ember.acosh, _f64(torch.acosh), (1.0, 1e30), 1.0),
    "atanh": (ember.atanh, _f64(torch.atanh), (-0.999999, 0.999999), 1.0),
    "atan": (ember.atan, _f64(torch.atan), (-1e30, 1e30), 1.0),
    "asin": (ember.asin, _f64(torch.asin), (-1.0, 1.0), 1.0),
    "acos": (ember.acos, _f64(torch.acos), (-1.0, 1.0), 1.0),
    "gelu": (lambda v: ember.nn.functional.gelu(v),
             _f64(lambda t: 0.5 * t * torch.erfc(-t * _SQRT1_2)), (-20.0, 20.0), 1.0),
    # reference x * sigmoid(2 y): torch's 0.5 x (1 + tanh(y)) cancels to 0 for x < -7 even in float64
    "gelu_tanh": (lambda v: ember.nn.functional.gelu(v, approximate="tanh"),
                  _f64(lambda t: t * torch.sigmoid(1.5957691216057308 * (t + 0.044715 * t ** 3))), (-10.0, 10.0), 1.0),
    "logsigmoid": (ember.logsigmoid, _f64(torch.nn.functional.logsigmoid), (-100.0, 100.0), 1.0),
    "mish": (ember.mish, _f64(torch.nn.functional.mish), (-60.0, 60.0), 1.0),
}


def _ulp_error(got, ref):
    ref32 = np.abs(ref).astype(np.float32)
    spacing = np.spacing(np.where(np.isinf(ref32), np.float32(3e38), ref32)).astype(np.float64)
    both_inf = np.isinf(got) & np.isinf(ref) & (np.sign(got) == np.sign(ref))
    err = np.abs(got.astype(np.float64) - ref) / spacing
    return np.where(both_inf, 0.0, err)


@pytest.mark.parametrize("name", list(MATH_CASES))
def test_math_accuracy_ulp(name):
    fn, ref_fn, (lo, hi), max_ulp = MATH_CASES[name]
    x = _grid(lo, hi)
    got = fn(ember.from_numpy(x)).numpy()
    ref = ref_fn(x)
    err = _ulp_error(got, ref)
    worst = int(np.argmax(err))
    assert err[worst] <= max_ulp, f"{name}: {err[worst]:.2f} ulp at x={x[worst]!r}: got {got[worst]!r}, want {ref[worst]!r}"


_SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 1e-40, 1e-30, -1e-30, 0.5, -0.5, 1.0, -1.0,
                     2.0, -2.0, 1.5707964, 3.1415927, -3.1415927, 4.712389, 1e5, -1e5, 1.6e6, 2e6, -3e7, 1e10, 1e30,
                     -1e30, 3e38, -3e38, 88.7, 89.5, -104.0, 127.0, 128.0, -150.0, 0.9999999, -0.9999999, 10.0, 11.0,
                     30.0, -30.0], dtype=np.float32)
_SPECIAL_OPS = ["sin", "cos", "tan", "erf", "erfc", "expm1", "exp2", "log", "log2", "log10", "log1p", "sinh", "cosh",
                "asinh", "acosh", "atanh", "atan", "asin", "acos", "logsigmoid", "mish"]
_SPECIAL_NN = [("gelu", {}), ("gelu", {"approximate": "tanh"})]


def _compare_special(got, want, x, what, rtol=4e-7):
    nan_g, nan_w = np.isnan(got), np.isnan(want)
    assert (nan_g == nan_w).all(), f"{what}: NaN at {x[nan_g != nan_w]}"
    ok = ~nan_w
    g, w = got[ok], want[ok]
    inf_w = np.isinf(w)
    assert (g[inf_w] == w[inf_w]).all(), f"{what}: inf mismatch at {x[ok][inf_w]}: {g[inf_w]} vs {w[inf_w]}"
    # atol: deep in the denormals torch's float32 formulas flush to 0 where ember keeps the value
    np.testing.assert_allclose(g[~inf_w], w[~inf_w], rtol=rtol, atol=1e-40, err_msg=what)


def test_math_special_values_match_torch():
    x = _SPECIAL
    for op in _SPECIAL_OPS:
        got = getattr(ember, op)(ember.from_numpy(x)).numpy()
        want = getattr(torch.nn.functional if op in ("logsigmoid", "mish") else torch, op)(torch.from_numpy(x)).numpy()
        _compare_special(got, want, x, op)
    for op, kw in _SPECIAL_NN:
        got = getattr(ember.nn.functional, op)(ember.from_numpy(x), **kw).numpy()
        want = getattr(torch.nn.functional, op)(torch.from_numpy(x), **kw).numpy()
        # torch's float32 gelu(inf) is NaN and gelu(3e38) overflows; ember gives inf and 3e38
        want = np.where(x == np.inf, np.float32(np.inf), want)
        want = np.where((x > 1e38) & (x < np.inf), x, want)
        # torch's float32 0.5 x (1 + erf) cancels for x < 0 (ember's erfc form is exact to 1 ulp, above)
        _compare_special(got, want, x, f"{op}{kw}", rtol=1e-4)


def test_math_special_remainder_fmod_xlogy():
    r = np.random.default_rng(3)
    a = np.concatenate([r.uniform(-1e4, 1e4, 5000), r.uniform(-3, 3, 5000), _SPECIAL]).astype(np.float32)
    b = np.concatenate([r.uniform(-50, 50, 5000), r.uniform(-1, 1, 5000), _SPECIAL[::-1]]).astype(np.float32)
    ea, eb, ta, tb = ember.from_numpy(a), ember.from_numpy(b), torch.from_numpy(a), torch.from_numpy(b)
    for op in ("remainder", "fmod"):
        np.testing.assert_array_equal(getattr(ember, op)(ea, eb).numpy(), getattr(torch, op)(ta, tb).numpy(), err_msg=op)
        np.testing.assert_array_equal(getattr(ember, op)(ea, 1.5).numpy(), getattr(torch, op)(ta, 1.5).numpy(), err_msg=op)
        np.testing.assert_array_equal(getattr(ember, op)(ea[::3], eb[::3]).numpy(),
                                      getattr(torch, op)(ta[::3], tb[::3]).numpy(), err_msg=op)
    # quotients past 2^29 (the scalar lanes) and up to 1e41: exact, as NumPy's float32 fmod
    # (torch's vector path returns NaN for some of these)
    big_a = np.concatenate([r.uniform(-3e38, 3e38, 2000), r.uniform(-1e12, 1e12, 2000)]).astype(np.float32)
    big_b = np.concatenate([r.uniform(-1e-3, 1e-3, 2000), r.uniform(0.5, 2.0, 2000)]).astype(np.float32)
    eb_a, eb_b = ember.from_numpy(big_a), ember.from_numpy(big_b)
    np.testing.assert_array_equal(ember.fmod(eb_a, eb_b).numpy(), np.fmod(big_a, big_b))
    np.testing.assert_array_equal(ember.remainder(eb_a, eb_b).numpy(), np.remainder(big_a, big_b))
    got, want = ember.xlogy(ea, eb).numpy(), torch.xlogy(ta, tb).numpy()
    _compare_special(got, want, a, "xlogy")


def test_math_results_independent_of_threads_and_layout():
    r = np.random.default_rng(4)
    x = np.concatenate([r.uniform(-30, 30, 100003), _SPECIAL]).astype(np.float32)
    e = ember.from_numpy(x)
    n = ember.get_num_threads()
    try:
        for op in ("sin", "erf", "log1p", "expm1", "atan", "tan"):
            f = getattr(ember, op)
            ember.set_num_threads(1)
            one = f(e).numpy()
            ember.set_num_threads(2)
            two = f(e).numpy()
            np.testing.assert_array_equal(one, two, err_msg=op)
            np.testing.assert_array_equal(f(e[1::3]).numpy(), one[1::3], err_msg=op)  # strided and tail lanes
            np.testing.assert_array_equal(f(e[5:]).numpy(), one[5:], err_msg=op)      # shifted vector boundaries
    finally:
        ember.set_num_threads(n)


@pytest.mark.parametrize("isa", ["baseline", "avx2", "avx512"])
def test_math_on_each_isa(isa):
    """The accuracy tests above with the hot kernels forced to one ISA (a subprocess each)."""
    import os
    import subprocess
    import sys
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(os.path.dirname(ember.__file__))] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    best = subprocess.run([sys.executable, "-c", "import ember; print(ember._C._cpu_isa())"], env=env,
                          capture_output=True, text=True, check=True).stdout.strip()
    order = ["baseline", "avx2", "avx512"]
    if order.index(isa) > order.index(best):
        pytest.skip(f"this CPU does not support {isa}")
    env["EMBER_CPU_ISA"] = isa
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", __file__,
                          "-k", "math_accuracy or math_special or math_results"], env=env, capture_output=True,
                         text=True, cwd=os.path.dirname(__file__))
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]


# ---- xlogy and ember.special
def test_xlogy_semantics_match_torch():
    xs = [0.0, 0.0, 0.0, -0.0, 1.5, -2.0, float("nan"), 0.0, 3.0, float("inf"), 2.0]
    ys = [0.0, float("nan"), float("inf"), 2.0, 0.0, -1.0, 2.0, -1.0, float("inf"), 0.5, 1.0]
    for dtype in ("float32", "float64"):
        e = ember.tensor(xs, dtype=getattr(ember, dtype)), ember.tensor(ys, dtype=getattr(ember, dtype))
        t = torch.tensor(xs, dtype=getattr(torch, dtype)), torch.tensor(ys, dtype=getattr(torch, dtype))
        np.testing.assert_array_equal(ember.xlogy(*e).numpy(), torch.xlogy(*t).numpy())
        np.testing.assert_array_equal(e[0].xlogy(e[1]).numpy(), t[0].xlogy(t[1]).numpy())
        a = e[0].clone()
        a.xlogy_(e[1])
        np.testing.assert_array_equal(a.numpy(), torch.xlogy(*t).numpy())
    # dtypes: integers promote to float, numbers on either side
    ei, ti = ember.tensor([0, 1, 2]), torch.tensor([0, 1, 2])
    for fe, ft in [(lambda: ember.xlogy(ei, ei), lambda: torch.xlogy(ti, ti)),
                   (lambda: ember.xlogy(2, ei), lambda: torch.xlogy(2, ti)),
                   (lambda: ember.xlogy(ei, 3.0), lambda: torch.xlogy(ti, 3.0)),
                   (lambda: ember.special.xlogy(ei > 0, ei), lambda: torch.special.xlogy(ti > 0, ti))]:
        r, w = fe(), ft()
        assert str(r.dtype) == str(w.dtype).replace("torch", "ember")
        np.testing.assert_allclose(r.numpy(), w.numpy())
    with pytest.raises(TypeError):
        ember.xlogy(1.0, 2.0)
    with pytest.raises(RuntimeError):
        ember.tensor([1, 2]).xlogy_(ember.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError):
        ember.xlogy(ember.ones(2, 3), ember.ones(4))


def test_xlogy_gradients_at_zero_and_broadcast():
    x = ember.tensor([[0.0, 1.5, 2.0]], requires_grad=True)
    y = ember.tensor([[0.5], [2.0]], requires_grad=True)
    tx = torch.tensor([[0.0, 1.5, 2.0]], requires_grad=True)
    ty = torch.tensor([[0.5], [2.0]], requires_grad=True)
    out = ember.xlogy(x, y)
    assert out.grad_fn.name() == "XlogyBackward0"
    out.sum().backward()
    torch.xlogy(tx, ty).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-6)


def test_special_aliases():
    x = ember.tensor([-1.0, 0.25, 0.5])
    t = torch.tensor([-1.0, 0.25, 0.5])
    for name in ("expit", "erf", "erfc", "erfinv", "log1p", "expm1", "exp2", "ndtr"):
        np.testing.assert_allclose(getattr(ember.special, name)(x).numpy(), getattr(torch.special, name)(t).numpy(),
                                   rtol=1e-6, atol=1e-7, err_msg=name)
    m, tm = ember.tensor([[1.0, 2.0], [3.0, 0.5]]), torch.tensor([[1.0, 2.0], [3.0, 0.5]])
    np.testing.assert_allclose(ember.special.logsumexp(m, 1).numpy(), torch.special.logsumexp(tm, 1).numpy(), rtol=1e-6)
    np.testing.assert_allclose(ember.special.softmax(m, 0).numpy(), torch.special.softmax(tm, 0).numpy(), rtol=1e-6)
    np.testing.assert_allclose(ember.special.log_softmax(m, 1).numpy(), torch.special.log_softmax(tm, 1).numpy(),
                               rtol=1e-5)
