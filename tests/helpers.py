"""check_op: one op on one sample, forward and backward, against PyTorch (when installed) and
NumPy, plus float64 finite differences. Used by test_ops_generic.py through op_db.py."""
import numpy as np

import ember

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

TOLERANCES = {  # (rtol, atol) per dtype name
    "float64": (1e-7, 1e-9),
    "float32": (1e-5, 1e-6),
    "float16": (1e-3, 1e-3),
    "bfloat16": (1.6e-2, 1e-2),
}


def tol(dtype_name, op):
    rtol, atol = TOLERANCES.get(dtype_name, (0, 0))
    return rtol * op.tol_scale, atol * op.tol_scale


def make_array(shape, dtype_name, low, high, rng):
    if dtype_name == "bool":
        return np.asarray(rng.random(shape) > 0.5)
    if dtype_name in ("float16", "bfloat16", "float32", "float64"):
        a = rng.uniform(low, high, size=shape)
        return a.astype(np.float32 if dtype_name == "bfloat16" else dtype_name)
    lo, hi = max(int(low), -100), max(int(high), int(low) + 1)
    if dtype_name == "uint8":
        lo = max(lo, 0)
    return rng.integers(lo, hi + 1, size=shape).astype(dtype_name)


def layout(arr, kind):
    """The same values as `arr` in another memory layout: contiguous, transposed (non-contiguous) or
    strided (every other element)."""
    if kind == "contiguous" or arr.ndim == 0:
        return arr
    if kind == "transposed" and arr.ndim >= 2:
        return np.ascontiguousarray(np.swapaxes(arr, -1, -2)).swapaxes(-1, -2)
    # strided: embed in a twice-as-long buffer along the last dim
    big = np.zeros(arr.shape[:-1] + (arr.shape[-1] * 2,), dtype=arr.dtype)
    big[..., ::2] = arr
    return big[..., ::2]


def to_ember(arr, dtype_name, requires_grad=False):
    t = ember.from_numpy(arr)
    if dtype_name == "bfloat16":
        t = t.to(ember.bfloat16)
    if requires_grad:
        t = t.detach().requires_grad_(True)
    return t


def to_torch(arr, dtype_name, requires_grad=False):
    t = torch.from_numpy(arr)  # keeps the layout (strides) of arr
    if dtype_name == "bfloat16":
        t = t.to(torch.bfloat16)
    if requires_grad:
        t = t.detach().requires_grad_(True)
    return t


def as_numpy(x):
    if isinstance(x, ember.Tensor):
        x = x.detach()
        if x.dtype == ember.bfloat16:
            x = x.float()
        return x.numpy()
    if torch is not None and isinstance(x, torch.Tensor):
        x = x.detach()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.numpy(force=True)  # force: torch returns ZeroTensor gradients for some ops (sgn)
    return np.asarray(x)


def flatten_outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def assert_close(actual, expected, rtol, atol, what):
    a, e = as_numpy(actual), as_numpy(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != expected {e.shape}"
    if a.dtype == np.bool_ or e.dtype == np.bool_ or np.issubdtype(e.dtype, np.integer):
        np.testing.assert_array_equal(a, e, err_msg=what)
    else:
        np.testing.assert_allclose(a.astype(np.float64), e.astype(np.float64), rtol=rtol, atol=atol,
                                   equal_nan=True, err_msg=what)


def check_op(op, dtype_name, sample, layout_kind, seed=0):
    """Run `op` on one sample in both libraries; compare outputs (and dtypes), then gradients."""
    rng = np.random.default_rng(seed)
    arrays = [layout(make_array(s, op.input_dtype(i, dtype_name), op.low, op.high, rng), layout_kind)
              for i, s in enumerate(sample.shapes)]
    differentiable = op.differentiable and dtype_name in ("float32", "float64")
    grad_mask = [differentiable and op.input_dtype(i, dtype_name) == dtype_name for i in range(len(arrays))]
    e_in = [to_ember(a, op.input_dtype(i, dtype_name), g) for i, (a, g) in enumerate(zip(arrays, grad_mask))]
    e_out = flatten_outputs(op.fn(ember, *e_in, **sample.kwargs))
    rtol, atol = tol(dtype_name, op)
    compared = False
    if torch is not None:
        t_in = [to_torch(a, op.input_dtype(i, dtype_name), g) for i, (a, g) in enumerate(zip(arrays, grad_mask))]
        t_out = flatten_outputs(op.fn(torch, *t_in, **sample.kwargs))
        assert len(e_out) == len(t_out)
        for i, (eo, to) in enumerate(zip(e_out, t_out)):
            if isinstance(to, torch.Tensor):
                assert str(eo.dtype).split(".")[-1] == str(to.dtype).split(".")[-1], \
                    f"{op.name} output {i}: dtype {eo.dtype} != torch {to.dtype}"
            assert_close(eo, to, rtol, atol, f"{op.name} output {i} vs torch")
        compared = True
        if any(grad_mask):
            diff_outs = [(eo, to) for eo, to in zip(e_out, t_out)
                         if isinstance(to, torch.Tensor) and to.requires_grad]
            grads_np = [rng.standard_normal(as_numpy(to).shape).astype(as_numpy(to).dtype) for _, to in diff_outs]
            e_grads = ember.autograd.grad([eo for eo, _ in diff_outs], [t for t, g in zip(e_in, grad_mask) if g],
                                          [ember.from_numpy(g.copy()) for g in grads_np], allow_unused=True)
            t_grads = torch.autograd.grad([to for _, to in diff_outs], [t for t, g in zip(t_in, grad_mask) if g],
                                          [torch.from_numpy(g.copy()) for g in grads_np], allow_unused=True)
            for i, (eg, tg) in enumerate(zip(e_grads, t_grads)):
                if tg is None:
                    assert eg is None or not np.any(as_numpy(eg)), f"{op.name} grad {i}: torch has none"
                    continue
                assert eg is not None, f"{op.name} grad {i}: ember returned None, torch did not"
                assert_close(eg, tg, rtol * 10, atol * 10, f"{op.name} grad of input {i} vs torch")
    if op.ref is not None:
        expected = flatten_outputs(op.ref(*[a.astype(np.float32) if op.input_dtype(i, dtype_name) == "bfloat16" else a
                                            for i, a in enumerate(arrays)], **sample.kwargs))
        for i, (eo, ex) in enumerate(zip(e_out, expected)):
            assert_close(eo, np.asarray(ex), max(rtol, 1e-6) * 10, max(atol, 1e-6) * 10, f"{op.name} output {i} vs numpy")
        compared = True
    assert compared, f"{op.name}: no reference to compare with (install torch or add ref=)"


def finite_difference_check(op, sample, seed=0, eps=1e-6, rtol=1e-4, atol=1e-6):
    """float64 gradcheck: analytical vector-Jacobian products vs central differences."""
    rng = np.random.default_rng(seed)
    arrays = [make_array(s, op.input_dtype(i, "float64"), op.low, op.high, rng) for i, s in enumerate(sample.shapes)]
    grad_idx = [i for i in range(len(arrays)) if op.input_dtype(i, "float64") == "float64"]
    inputs = [to_ember(a, op.input_dtype(i, "float64"), i in grad_idx) for i, a in enumerate(arrays)]
    outs = [o for o in flatten_outputs(op.fn(ember, *inputs, **sample.kwargs)) if o.requires_grad]
    if not outs:
        return
    vs = [rng.standard_normal(tuple(o.shape)) for o in outs]
    analytical = ember.autograd.grad(outs, [inputs[i] for i in grad_idx], [ember.from_numpy(v) for v in vs],
                                     allow_unused=True)

    def scalar_fn(arrs):
        ins = [to_ember(a, op.input_dtype(i, "float64")) for i, a in enumerate(arrs)]
        with ember.no_grad():
            res = [o for o in flatten_outputs(op.fn(ember, *ins, **sample.kwargs)) if o.is_floating_point()]
        return sum(float((as_numpy(o) * v).sum()) for o, v in zip(res, vs))

    for gi, i in enumerate(grad_idx):
        numeric = np.zeros_like(arrays[i])
        flat = numeric.reshape(-1)
        for j in range(arrays[i].size):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[i].reshape(-1)[j] += eps
            minus[i].reshape(-1)[j] -= eps
            flat[j] = (scalar_fn(plus) - scalar_fn(minus)) / (2 * eps)
        got = np.zeros_like(numeric) if analytical[gi] is None else as_numpy(analytical[gi])
        np.testing.assert_allclose(got, numeric, rtol=rtol * op.tol_scale, atol=atol * op.tol_scale * 10,
                                   err_msg=f"{op.name}: gradient of input {i} vs finite differences")
