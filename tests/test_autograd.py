"""Autograd semantics beyond the per-op gradient rows: the graph (leaves, accumulation,
retain_graph, hooks, retain_grad), higher-order gradients, autograd.grad, grad modes, in-place
rules and CopySlices, custom Functions, gradcheck, anomaly mode, backward(inputs=).

Where an answer can be computed by PyTorch the test runs the same code on both (`both`)."""
import threading

import numpy as np
import pytest
import torch

import ember
from ember.autograd import Function, gradcheck, gradgradcheck

LIBS = {"ember": ember, "torch": torch}


def np_of(t):
    if t is None:
        return None
    return t.detach().numpy()


def both(fn, rtol=1e-7, atol=1e-9):
    """Run fn(lib) for ember and torch and compare the (nested) tensors it returns."""
    got, want = fn(ember), fn(torch)
    _compare(got, want, rtol, atol)
    return got


def _compare(got, want, rtol, atol):
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want)
        for g, w in zip(got, want):
            _compare(g, w, rtol, atol)
    elif want is None:
        assert got is None
    elif isinstance(want, torch.Tensor):
        assert isinstance(got, ember.Tensor), type(got)
        assert tuple(got.shape) == tuple(want.shape)
        np.testing.assert_allclose(np_of(got), np_of(want), rtol=rtol, atol=atol)
    else:
        assert got == want


def t64(lib, values, requires_grad=False):
    return lib.tensor(values, dtype=lib.float64, requires_grad=requires_grad)


# ---------------------------------------------------------------- leaves, accumulation, retain_graph

def test_leaves_and_non_leaves():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    c = ember.tensor([1.0, 2.0])
    y = x * 2
    assert x.is_leaf and c.is_leaf and not y.is_leaf
    assert x.grad_fn is None and y.grad_fn.name() == "MulBackward0"
    assert y.requires_grad and not c.requires_grad
    assert not (c * 2).requires_grad and (c * 2).is_leaf
    acc = y.grad_fn.next_functions[0][0]
    assert acc.name() == "AccumulateGrad"
    v = acc.variable  # the same tensor (a new Python wrapper: ember wraps handles, not objects)
    assert v.is_leaf and v.requires_grad and v.data_ptr() == x.data_ptr() and v.shape == x.shape


def test_grad_accumulates_over_two_backwards():
    def fn(lib):
        x = t64(lib, [1.0, -2.0, 3.0], True)
        (x * x).sum().backward()
        first = x.grad.clone()
        (x * x).sum().backward()
        return first, x.grad
    first, second = both(fn)
    np.testing.assert_allclose(np_of(second), 2 * np_of(first))


def test_retain_graph():
    x = t64(ember, [1.0, 2.0], True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    g1 = x.grad.clone()
    y.backward()
    np.testing.assert_allclose(np_of(x.grad), 2 * np_of(g1))
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_implicit_grad_only_for_scalars_and_shape_check():
    x = t64(ember, [1.0, 2.0], True)
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(ember.ones(3, dtype=ember.float64))
    (x * 2).backward(t64(ember, [1.0, 10.0]))
    np.testing.assert_allclose(np_of(x.grad), [2.0, 20.0])


def test_backward_without_requires_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.ones(2).sum().backward()


def test_grad_assignment_checks():
    x = ember.zeros(2, 3, requires_grad=True)
    x.grad = ember.ones(2, 3)
    x.grad = None
    assert x.grad is None
    with pytest.raises(RuntimeError):
        x.grad = ember.ones(3)


# ---------------------------------------------------------------- hooks, retain_grad

def test_leaf_hook_modifies_grad_and_remove():
    def fn(lib):
        x = t64(lib, [1.0, 2.0], True)
        seen = []
        h = x.register_hook(lambda g: (seen.append(g.clone()), g * 10)[1])
        (x * x).sum().backward()
        first = x.grad.clone()
        h.remove()
        x.grad = None
        (x * x).sum().backward()
        return first, x.grad, seen[0]
    first, second, seen = both(fn)
    np.testing.assert_allclose(np_of(first), [20.0, 40.0])
    np.testing.assert_allclose(np_of(second), [2.0, 4.0])


def test_non_leaf_hook_and_none_return():
    def fn(lib):
        x = t64(lib, [1.0, 2.0, 3.0], True)
        y = x * x
        calls = []
        y.register_hook(lambda g: calls.append(1))  # returns None: grad unchanged
        h = y.register_hook(lambda g: g * 3)
        y.sum().backward(retain_graph=True)
        first = x.grad.clone()
        h.remove()
        y.sum().backward()
        return first, x.grad, len(calls)
    first, second, ncalls = both(fn)
    assert ncalls == 2
    np.testing.assert_allclose(np_of(first), [6.0, 12.0, 18.0])


def test_hook_handle_as_context_manager():
    x = t64(ember, [1.0], True)
    with x.register_hook(lambda g: g * 5):
        (x * 1).sum().backward()
    (x * 1).sum().backward()
    np.testing.assert_allclose(np_of(x.grad), [6.0])


def test_register_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError):
        ember.ones(2).register_hook(lambda g: g)


def test_retain_grad_sees_hook_modified_grad():
    def fn(lib):
        x = t64(lib, [1.0, 2.0], True)
        y = x * 3
        y.retain_grad()
        y.register_hook(lambda g: g * 2)
        (y * y).sum().backward()
        return y.grad, x.grad
    both(fn)


def test_retain_grad():
    def fn(lib):
        x = t64(lib, [1.0, 2.0], True)
        y = x * 3
        y.retain_grad()
        z = (y * y).sum()
        z.backward()
        return y.grad, x.grad, y.retains_grad
    got = both(fn)
    assert got[2] is True
    assert not ember.tensor([1.0], requires_grad=True).retains_grad


# ---------------------------------------------------------------- higher order

def cube(x):
    return x * x * x


def test_second_derivative_of_cube():
    def fn(lib):
        x = t64(lib, [0.5, -1.5, 2.0], True)
        (g,) = lib.autograd.grad(cube(x).sum(), x, create_graph=True)
        assert g.requires_grad
        (g2,) = lib.autograd.grad(g.sum(), x)
        return g, g2
    g, g2 = both(fn)
    np.testing.assert_allclose(np_of(g), 3 * np.array([0.5, -1.5, 2.0]) ** 2)
    np.testing.assert_allclose(np_of(g2), 6 * np.array([0.5, -1.5, 2.0]))


def test_create_graph_backward_gives_differentiable_grad():
    def fn(lib):
        x = t64(lib, [1.0, 2.0], True)
        cube(x).sum().backward(create_graph=True)
        gx = x.grad
        assert gx.requires_grad
        (g2,) = lib.autograd.grad(gx.sum(), x)
        return gx, g2
    both(fn)


@pytest.mark.parametrize("name,fn,low,high", [
    ("tanh", lambda x: x.tanh(), -2, 2),
    ("sigmoid", lambda x: x.sigmoid(), -2, 2),
    ("exp", lambda x: x.exp(), -1, 1),
    ("log", lambda x: x.log(), 0.5, 2),
    ("sqrt", lambda x: x.sqrt(), 0.5, 2),
    ("mul_div", lambda x: (x * x) / (x + 3), -1, 1),
    ("matmul", lambda x: (x @ x.t()).sum(1), -1, 1),
    ("mean_sub", lambda x: (x - x.mean()) * x, -1, 1),
])
def test_gradcheck_and_gradgradcheck_on_ops(name, fn, low, high):
    rng = np.random.default_rng(1)
    x = ember.from_numpy(rng.uniform(low, high, size=(3, 4))).requires_grad_(True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_gradcheck_two_inputs_and_failure_modes():
    rng = np.random.default_rng(2)
    a = ember.from_numpy(rng.standard_normal((2, 3))).requires_grad_(True)
    b = ember.from_numpy(rng.standard_normal((3, 2))).requires_grad_(True)
    assert gradcheck(lambda a, b: a @ b, (a, b))
    assert gradgradcheck(lambda a, b: (a @ b).tanh(), (a, b))

    class WrongGrad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    assert gradcheck(WrongGrad.apply, (a,), raise_exception=False) is False
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gradcheck(WrongGrad.apply, (a,))
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda x: x * 2, (a.detach(),))


# ---------------------------------------------------------------- autograd.grad

def test_autograd_grad_basic_and_no_accumulation():
    def fn(lib):
        x = t64(lib, [1.0, 2.0], True)
        w = t64(lib, [3.0, -1.0], True)
        y = (x * w).exp().sum()
        gx, gw = lib.autograd.grad(y, (x, w))
        assert x.grad is None and w.grad is None
        (gv,) = lib.autograd.grad(x * w, x, grad_outputs=t64(lib, [1.0, 0.5]))
        return gx, gw, gv
    both(fn)


def test_autograd_grad_allow_unused():
    x = t64(ember, [1.0, 2.0], True)
    z = t64(ember, [1.0, 2.0], True)
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        ember.autograd.grad(y, (x, z), retain_graph=True)
    gx, gz = ember.autograd.grad(y, (x, z), allow_unused=True, retain_graph=True)
    assert gz is None
    np.testing.assert_allclose(np_of(gx), [2.0, 4.0])
    gx, gz = ember.autograd.grad(y, (x, z), materialize_grads=True)
    np.testing.assert_allclose(np_of(gz), [0.0, 0.0])


def test_autograd_grad_input_without_grad_raises():
    x = t64(ember, [1.0], True)
    c = t64(ember, [1.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.autograd.grad((x * c).sum(), c)


# ---------------------------------------------------------------- grad modes

def test_no_grad_enable_grad_context_managers():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        y = x * 2
        with ember.enable_grad():
            assert ember.is_grad_enabled()
            z = x * 2
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad


def test_grad_modes_as_decorators():
    @ember.no_grad()
    def f(x):
        return x * 2

    @ember.no_grad
    def f_bare(x):
        return x * 2

    @ember.enable_grad()
    def g(x):
        return x * 2

    @ember.set_grad_enabled(False)
    def h(x):
        return x * 2

    @ember.inference_mode()
    def i(x):
        assert ember.is_inference_mode_enabled()
        return x * 2

    @ember.inference_mode
    def i_bare(x):
        return x * 2

    x = ember.ones(2, requires_grad=True)
    assert not i_bare(x).requires_grad
    assert ember.is_grad_enabled()  # applying the set_grad_enabled decorator changed nothing
    assert not f(x).requires_grad and not f_bare(x).requires_grad and not h(x).requires_grad
    assert not i(x).requires_grad and not ember.is_inference_mode_enabled()
    with ember.no_grad():
        assert g(x).requires_grad
    assert ember.is_grad_enabled()


def test_set_grad_enabled_function_and_context():
    x = ember.ones(2, requires_grad=True)
    ember.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        ember.set_grad_enabled(True)
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    with ember.inference_mode():
        assert not (x * 2).requires_grad and ember.is_inference_mode_enabled()
    with ember.inference_mode(False):
        assert (x * 2).requires_grad


def test_grad_mode_is_restored_after_exception():
    with pytest.raises(ValueError):
        with ember.no_grad():
            raise ValueError("boom")
    assert ember.is_grad_enabled()


def test_grad_mode_is_thread_local():
    seen = {}

    def worker():
        seen["enabled"] = ember.is_grad_enabled()
        with ember.no_grad():
            seen["inner"] = ember.is_grad_enabled()

    with ember.no_grad():
        th = threading.Thread(target=worker)
        th.start()
        th.join()
        assert not ember.is_grad_enabled()
    assert seen == {"enabled": True, "inner": False}
    th = threading.Thread(target=worker)
    th.start()
    th.join()
    assert ember.is_grad_enabled()


# ---------------------------------------------------------------- detach, requires_grad_

def test_detach_and_detach_():
    x = t64(ember, [1.0, 2.0], True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d._shares_storage(y)
    y.detach_()
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None


def test_requires_grad_rules():
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad_(False)
    y.requires_grad_(True)  # already requires grad: allowed
    with pytest.raises(RuntimeError, match="floating point"):
        ember.zeros(2, dtype=ember.int64).requires_grad_()
    c = ember.ones(2)
    assert c.requires_grad_().requires_grad and c.requires_grad
    c.requires_grad = False
    assert not c.requires_grad


# ---------------------------------------------------------------- in-place rules

def test_inplace_on_leaf_requiring_grad_raises():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x[0].mul_(2)
    with ember.no_grad():
        x.add_(1)  # allowed: that is how optimizers update parameters
    np.testing.assert_allclose(np_of(x), [2.0, 2.0, 2.0])


def test_modified_saved_tensor_raises():
    x = t64(ember, [1.0, 2.0], True)
    y = x.exp()  # saves its output
    z = y.sum()
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()

    a = t64(ember, [1.0, 2.0], True)
    b = a * 1
    c = (b * b).sum()  # saves b
    b.add_(1)
    assert b._version == 1
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        c.backward()


def test_inplace_on_non_leaf_gradients():
    def fn(lib):
        x = t64(lib, [1.0, 2.0, 3.0], True)
        y = x * 2
        y.mul_(x)  # y = 2x^2
        y.add_(x)
        y.exp_()
        y.sum().backward()
        return y, x.grad
    both(fn)


def test_inplace_op_reading_its_own_input_raises_like_torch():
    for lib in (ember, torch):
        x = t64(lib, [1.0, 2.0], True)
        y = x * 2
        y.mul_(y)  # the op's own backward needs the overwritten value
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


@pytest.mark.parametrize("case", ["select", "slice", "transpose_row", "two_views", "view_then_use_base"])
def test_inplace_on_views_of_non_leaves_copyslices(case):
    def fn(lib):
        x = t64(lib, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], True)
        w = t64(lib, [0.5, -1.0, 2.0], True)
        y = x * 1.5
        if case == "select":
            y[0].mul_(w)
        elif case == "slice":
            y[:, 1:].mul_(y[:, :2].exp())
        elif case == "transpose_row":
            y.t()[1].mul_(t64(lib, [3.0, 4.0]))
        elif case == "two_views":
            y[0].add_(w)
            y[1].mul_(w)
        elif case == "view_then_use_base":
            v = y[1]
            v.mul_(v.exp())
        out = (y * y).sum()
        names.append(y.grad_fn.name())
        out.backward()
        return y, x.grad, w.grad
    names = []
    both(fn)
    assert names[0] == "CopySlices"


def test_view_of_leaf_inplace_raises():
    x = ember.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        x[0].add_(1)


# ---------------------------------------------------------------- Function

class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


def make_scale_fn(lib):
    class ScaleAdd(lib.autograd.Function):
        """out = x * k + y; k is a Python number."""

        @staticmethod
        def forward(ctx, x, k, y):
            ctx.k = k
            ctx.save_for_backward(x, y)
            return x * k + y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            assert ctx.needs_input_grad == (True, False, y.requires_grad)
            return g * ctx.k, None, g if ctx.needs_input_grad[2] else None
    return ScaleAdd


def test_function_forward_backward_vs_torch():
    def fn(lib):
        f = make_scale_fn(lib)
        x = t64(lib, [1.0, 2.0], True)
        y = t64(lib, [0.5, 0.5], True)
        out = f.apply(x, 3.0, y)
        (out * out).sum().backward()
        assert type(out.grad_fn).__name__ in ("ScaleAddBackward", "Node")
        z = t64(lib, [1.0, 1.0])
        out2 = f.apply(x, 2.0, z)
        out2.sum().backward()
        return out, x.grad, y.grad, out2
    both(fn)


def test_function_node_name_and_ctx_attributes():
    f = make_scale_fn(ember)
    x = t64(ember, [1.0, 2.0], True)
    out = f.apply(x, 4.0, t64(ember, [0.0, 0.0]))
    assert out.grad_fn.name() == "ScaleAddBackward"
    assert "ScaleAddBackward" in repr(out.grad_fn)
    assert out.grad_fn.k == 4.0  # ctx attributes are reachable from grad_fn, as in torch
    assert len(out.grad_fn.saved_tensors) == 2
    assert out.grad_fn.next_functions[0][0].name() == "AccumulateGrad"
    assert out.grad_fn.next_functions[1][0] is None


def test_function_wrong_number_of_grads():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    x = t64(ember, [1.0], True)
    with pytest.raises(RuntimeError, match=r"function BadBackward returned an incorrect number of gradients "
                                           r"\(expected 2, got 1\)"):
        Bad.apply(x, x).sum().backward()

    class ExtraNone(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, None  # trailing Nones are allowed

    x = t64(ember, [1.0], True)
    ExtraNone.apply(x).sum().backward()
    np.testing.assert_allclose(np_of(x.grad), [2.0])


def test_function_grad_for_non_tensor_input_raises():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g, g

    x = t64(ember, [1.0], True)
    with pytest.raises(RuntimeError, match="forward input was not a Variable"):
        Bad.apply(x, 2.0).sum().backward()


def test_function_wrong_grad_shape_raises():
    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return ember.ones(5, dtype=ember.float64)

    x = t64(ember, [1.0, 2.0], True)
    with pytest.raises(RuntimeError, match="BadShapeBackward returned an invalid gradient at index 0"):
        BadShape.apply(x).sum().backward()

    class NotATensor(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return "grad"

    with pytest.raises(TypeError):
        NotATensor.apply(x).sum().backward()


def test_function_non_tensor_outputs_and_int_outputs():
    class Mixed(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, 7, ember.zeros(2, dtype=ember.int64)

        @staticmethod
        def backward(ctx, g, g_int, g_idx):
            assert g_int is None
            return g * 2

    x = t64(ember, [1.0, 2.0], True)
    y, k, idx = Mixed.apply(x)
    assert k == 7 and not idx.requires_grad and y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(np_of(x.grad), [2.0, 2.0])


def test_function_python_exception_propagates_unchanged():
    class MyError(Exception):
        pass

    err = MyError("raised in backward")

    class Raiser(Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            raise err

    x = t64(ember, [1.0], True)
    with pytest.raises(MyError) as info:
        (Raiser.apply(x) * 2).sum().backward()
    assert info.value is err
    # The engine is still usable afterwards.
    (x * 2).sum().backward()
    np.testing.assert_allclose(np_of(x.grad), [2.0])


def test_function_saved_tensor_modified_inplace_raises():
    x = t64(ember, [1.0, 2.0], True)
    a = x * 1
    out = Cube.apply(a)
    a.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_function_saved_tensors_freed_after_backward():
    x = t64(ember, [1.0, 2.0], True)
    out = Cube.apply(x).sum()
    out.backward()
    with pytest.raises(RuntimeError, match="second time"):
        out.backward()
    x.grad = None
    out = Cube.apply(x).sum()
    out.backward(retain_graph=True)
    out.backward()
    np.testing.assert_allclose(np_of(x.grad), 2 * 3 * np.array([1.0, 4.0]))


def test_function_saves_its_output():
    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    x = t64(ember, [0.0, 1.0], True)
    y = Exp.apply(x)
    y.sum().backward(retain_graph=True)
    np.testing.assert_allclose(np_of(x.grad), np.exp([0.0, 1.0]))
    assert gradcheck(Exp.apply, (x,)) and gradgradcheck(Exp.apply, (x,))
    with ember.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_function_double_backward():
    def fn(lib):
        class LibCube(lib.autograd.Function):
            forward = Cube.forward
            backward = Cube.backward
        x = t64(lib, [0.5, -2.0], True)
        y = LibCube.apply(x).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (g2,) = lib.autograd.grad(g.sum(), x)
        return g, g2
    g, g2 = both(fn)
    np.testing.assert_allclose(np_of(g2), 6 * np.array([0.5, -2.0]))
    x = t64(ember, [0.3, 0.7, -1.2], True)
    assert gradcheck(Cube.apply, (x,)) and gradgradcheck(Cube.apply, (x,))


def test_function_mark_dirty():
    class AddOne_(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    def fn(lib):
        cls = AddOne_ if lib is ember else type("AddOne_", (torch.autograd.Function,),
                                                 {"forward": AddOne_.forward, "backward": AddOne_.backward})
        x = t64(lib, [1.0, 2.0], True)
        a = x * 2
        v0 = a._version
        out = cls.apply(a)
        assert out is a and a._version > v0
        name = a.grad_fn.name()
        (out * out).sum().backward()
        # in-place through a view of a non-leaf (CopySlices)
        x2 = t64(lib, [[1.0, 2.0], [3.0, 4.0]], True)
        b = x2 * 3
        cls.apply(b[1])
        (b * b).sum().backward()
        return out, x.grad, name, b, x2.grad
    got = both(fn)
    assert got[2] == "AddOne_Backward"

    x = t64(ember, [1.0], True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        AddOne_.apply(x)
    x = t64(ember, [[1.0, 2.0]], True)
    with pytest.raises(RuntimeError, match="view of a leaf Variable that requires grad"):
        AddOne_.apply(x[0])
    assert x.is_leaf


def test_function_mark_dirty_view_not_first_argument():
    # torch's CopySlices assumes the modified view is the Function's first argument (it mixes up
    # gradients otherwise), so the reference is torch with the arguments in that order.
    def fn(lib):
        first = lib is torch

        class MulInto_(lib.autograd.Function):
            """x *= w in place."""

            @staticmethod
            def forward(ctx, p, q):
                x, w = (p, q) if first else (q, p)
                ctx.save_for_backward(w, x.clone())
                x.mul_(w)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                w, x_old = ctx.saved_tensors
                gx, gw = g * w, (g * x_old).sum(0, keepdim=True)
                return (gx, gw) if first else (gw, gx)

        a = t64(lib, [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], True)
        w = t64(lib, [[-1.0, 0.5]], True)
        y = a * 2
        if first:
            MulInto_.apply(y[1:], w)
        else:
            MulInto_.apply(w, y[1:])
        (y * y).sum().backward()
        return y, a.grad, w.grad
    y, a_grad, w_grad = both(fn)
    np.testing.assert_allclose(np_of(a_grad)[1:], 8 * np.array([[3.0, 4.0], [5.0, 6.0]]) * np.array([1.0, 0.25]))


def test_function_mark_dirty_must_return_input():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    a = t64(ember, [1.0], True) * 1
    with pytest.raises(RuntimeError, match="marked as dirty"):
        Bad.apply(a)


def test_function_returning_input_makes_alias():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = t64(ember, [1.0, 2.0], True)
    y = Identity.apply(x)
    assert y is not x and x.is_leaf and y.grad_fn.name() == "IdentityBackward"
    assert y._shares_storage(x)
    y.sum().backward()
    np.testing.assert_allclose(np_of(x.grad), [2.0, 2.0])


def test_function_non_differentiable_and_materialize_grads():
    received = {}

    def make(materialize):
        class MaxAndArg(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(materialize)
                m = x.sum(0)
                idx = (x * 0).sum(0)  # a float tensor standing in for indices
                ctx.mark_non_differentiable(idx)
                ctx.save_for_backward(x)
                return m, idx

            @staticmethod
            def backward(ctx, g_m, g_idx):
                received[materialize] = (g_m, g_idx)
                (x,) = ctx.saved_tensors
                return ember.ones_like(x) * g_m if g_m is not None else None
        return MaxAndArg

    x = ember.ones(2, 3, dtype=ember.float64, requires_grad=True)
    m, idx = make(True).apply(x)
    assert m.requires_grad and not idx.requires_grad
    m.sum().backward()
    g_m, g_idx = received[True]
    assert g_idx is not None and np.all(np_of(g_idx) == 0)
    np.testing.assert_allclose(np_of(x.grad), np.ones((2, 3)))

    class TwoOut(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            received["two"] = (g1, g2)
            out = 0
            if g1 is not None:
                out = out + g1 * 2
            if g2 is not None:
                out = out + g2 * 3
            return out

    x = t64(ember, [1.0, 2.0], True)
    a, b = TwoOut.apply(x)
    a.sum().backward()
    assert received["two"][1] is None
    np.testing.assert_allclose(np_of(x.grad), [2.0, 2.0])


def test_function_setup_context_style_and_vjp():
    class Mul(Function):
        @staticmethod
        def forward(x, y):
            return x * y

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(*inputs)

        @staticmethod
        def vjp(ctx, g):
            x, y = ctx.saved_tensors
            return g * y, g * x

    a = t64(ember, [1.0, 2.0], True)
    b = t64(ember, [3.0, 4.0], True)
    Mul.apply(a, b).sum().backward()
    np.testing.assert_allclose(np_of(a.grad), [3.0, 4.0])
    np.testing.assert_allclose(np_of(b.grad), [1.0, 2.0])
    assert gradcheck(Mul.apply, (a, b))


def test_once_differentiable():
    from ember.autograd.function import once_differentiable

    class Sq(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x

    x = t64(ember, [1.0, 3.0], True)
    (g,) = ember.autograd.grad(Sq.apply(x).sum(), x)
    np.testing.assert_allclose(np_of(g), [2.0, 6.0])
    y = Sq.apply(x)
    (g,) = ember.autograd.grad(y, x, grad_outputs=ember.ones_like(y).requires_grad_(), create_graph=True)
    with pytest.raises(RuntimeError, match="marked with @once_differentiable"):
        g.sum().backward()


def test_function_ctx_is_freed_with_the_graph():
    import gc
    import weakref
    refs = []

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            refs.append(weakref.ref(ctx))
            y = x.exp()
            ctx.save_for_backward(x, y)
            ctx.mark_non_differentiable()
            return y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y

    x = ember.ones(3, requires_grad=True)
    y = Exp.apply(x)
    y.sum().backward()
    del y
    gc.collect()
    assert refs[-1]() is None
    z = Exp.apply(x * 1) * 2
    gc.collect()
    assert refs[-1]() is not None  # held by z's graph
    del z
    gc.collect()
    assert refs[-1]() is None


def test_function_without_grad():
    x = t64(ember, [1.0, 2.0], True)
    with ember.no_grad():
        y = Cube.apply(x)
    assert not y.requires_grad and y.grad_fn is None
    z = Cube.apply(t64(ember, [1.0]))
    assert not z.requires_grad


def test_function_legacy_call_and_kwargs_raise():
    with pytest.raises(RuntimeError, match="Legacy autograd function"):
        Cube()(ember.ones(1))
    with pytest.raises(TypeError):
        Cube.apply(x=ember.ones(1))


def test_function_inside_a_graph_and_gradcheck():
    f = make_scale_fn(ember)
    rng = np.random.default_rng(3)
    x = ember.from_numpy(rng.standard_normal((2, 3))).requires_grad_(True)
    y = ember.from_numpy(rng.standard_normal((2, 3))).requires_grad_(True)
    assert gradcheck(lambda x, y: f.apply(x.tanh(), 2.5, y * y).exp(), (x, y))


# ---------------------------------------------------------------- Variable

def test_variable_legacy_alias():
    from ember.autograd import Variable
    v = Variable(ember.ones(2), requires_grad=True)
    assert isinstance(v, ember.Tensor) and v.requires_grad
    (v * 3).sum().backward()
    np.testing.assert_allclose(np_of(v.grad), [3.0, 3.0])
    assert not Variable(ember.ones(2)).requires_grad
    assert isinstance(ember.ones(1), Variable) and not isinstance(1.0, Variable)
    with pytest.raises(TypeError):
        Variable([1.0, 2.0])


# ---------------------------------------------------------------- anomaly mode

def test_detect_anomaly_names_the_node():
    x = t64(ember, [0.0, 1.0], True)
    with ember.autograd.detect_anomaly():
        assert ember.autograd.is_anomaly_enabled()
        y = (x.log() * 0).sum()  # LogBackward0 computes 0 / 0
        with pytest.raises(RuntimeError, match=r"Function 'LogBackward0' returned nan values in its 0th output"):
            y.backward()
    assert not ember.autograd.is_anomaly_enabled()
    # Without anomaly mode the NaN flows into .grad silently, as in torch.
    (x.log() * 0).sum().backward()
    assert np.isnan(np_of(x.grad)[0])


def test_set_detect_anomaly_and_custom_function_nan():
    class NanBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = t64(ember, [1.0], True)
    ember.autograd.set_detect_anomaly(True)
    try:
        with pytest.raises(RuntimeError, match="Function 'NanBackwardBackward' returned nan"):
            NanBackward.apply(x).sum().backward()
    finally:
        ember.autograd.set_detect_anomaly(False)
    with ember.autograd.set_detect_anomaly(True):
        assert ember.autograd.is_anomaly_enabled()
    assert not ember.autograd.is_anomaly_enabled()


# ---------------------------------------------------------------- backward(inputs=)

def test_backward_inputs_only_accumulates_into_given():
    def fn(lib):
        x = t64(lib, [1.0, 2.0], True)
        w = t64(lib, [3.0, 4.0], True)
        b = t64(lib, [0.5, 0.5], True)
        loss = ((x * w + b).tanh()).sum()
        loss.backward(inputs=[w], retain_graph=True)
        state1 = (x.grad, w.grad.clone(), b.grad)
        lib.autograd.backward(loss, inputs=(x, b))
        return state1, x.grad, w.grad, b.grad
    both(fn)


def test_backward_inputs_non_leaf_and_errors():
    def fn(lib):
        x = t64(lib, [1.0, 2.0], True)
        h = x * 3
        loss = (h * h).sum()
        loss.backward(inputs=[h])
        return h.grad, x.grad
    both(fn)
    x = t64(ember, [1.0, 2.0], True)
    with pytest.raises(RuntimeError, match="cannot be empty"):
        (x * 2).sum().backward(inputs=[])
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * 2).sum().backward(inputs=[ember.ones(2)])


# ---------------------------------------------------------------- functional

def test_functional_jacobian_hessian_vjp():
    F = ember.autograd.functional
    x = t64(ember, [1.0, 2.0], False)
    jac = F.jacobian(lambda x: x * x * x, x)
    np.testing.assert_allclose(np_of(jac), np.diag(3 * np.array([1.0, 4.0])))
    hess = F.hessian(lambda x: (x * x * x).sum(), x)
    np.testing.assert_allclose(np_of(hess), np.diag(6 * np.array([1.0, 2.0])))
    out, v = F.vjp(lambda x: x * 2, x, t64(ember, [1.0, 3.0]))
    np.testing.assert_allclose(np_of(v), [2.0, 6.0])
    want = torch.autograd.functional.jacobian(lambda a, b: a * b.exp(), (t64(torch, [1.0, 2.0]), t64(torch, [0.5, 1.5])))
    got = F.jacobian(lambda a, b: a * b.exp(), (t64(ember, [1.0, 2.0]), t64(ember, [0.5, 1.5])))
    for g, w in zip(got, want):
        np.testing.assert_allclose(np_of(g), np_of(w))
