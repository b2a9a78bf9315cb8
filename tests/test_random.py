"""The random number generator and the random ops. Values differ from torch (torch uses mt19937),
so these check distributions (moments, KS distances), ranges, dtypes, reproducibility, stream
independence and thread-count independence."""
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import ember
from conftest import require_torch

FLOATS = [ember.float32, ember.float64, ember.float16, ember.bfloat16]


def ks_uniform(x):
    x = np.sort(np.asarray(x, dtype=np.float64))
    n = len(x)
    cdf = np.arange(1, n + 1) / n
    return max(np.max(cdf - x), np.max(x - (cdf - 1 / n)))


def ks_normal(x):
    x = np.sort(np.asarray(x, dtype=np.float64))
    n = len(x)
    phi = 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
    cdf = np.arange(1, n + 1) / n
    return max(np.max(cdf - phi), np.max(phi - (cdf - 1 / n)))


def npy(t):
    return t.float().numpy() if t.dtype in (ember.bfloat16, ember.float16) else t.numpy()


# ---- generator and seeding
def test_philox_known_answer():
    # Random123's published test vector: counter 0, key 0 -> first words 0x6627e8d5, ...; our
    # uniform24 takes the top 24 bits: 0x6627e8d5 >> 8 = 0x6627e8.
    g = ember.Generator().manual_seed(0)
    x = ember.rand(4, generator=g)
    words = [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
    np.testing.assert_array_equal(x.numpy(), np.array([(w >> 8) / 2**24 for w in words], dtype=np.float32))


def test_manual_seed_reproducible():
    ember.manual_seed(123)
    a = ember.rand(100)
    b = ember.randn(7, 3)
    ember.manual_seed(123)
    np.testing.assert_array_equal(a.numpy(), ember.rand(100).numpy())
    np.testing.assert_array_equal(b.numpy(), ember.randn(7, 3).numpy())


def test_different_seeds_and_calls_differ():
    ember.manual_seed(1)
    a = ember.rand(1000).numpy()
    b = ember.rand(1000).numpy()
    ember.manual_seed(2)
    c = ember.rand(1000).numpy()
    assert not np.array_equal(a, b) and not np.array_equal(a, c)
    assert abs(np.corrcoef(a, c)[0, 1]) < 0.1


def test_manual_seed_returns_generator_and_initial_seed():
    g = ember.manual_seed(42)
    assert isinstance(g, ember.Generator)
    assert ember.initial_seed() == 42
    ember.manual_seed(-1)
    assert ember.initial_seed() == 2**64 - 1
    with pytest.raises(RuntimeError):
        ember.manual_seed(2**64)
    s = ember.seed()
    assert ember.initial_seed() == s and 0 <= s < 2**64


def test_rng_state_round_trip():
    ember.manual_seed(7)
    ember.rand(10)
    state = ember.get_rng_state()
    assert state.dtype == ember.uint8 and state.dim() == 1
    a = ember.randn(50)
    ember.rand(3)
    ember.set_rng_state(state)
    np.testing.assert_array_equal(a.numpy(), ember.randn(50).numpy())
    with pytest.raises(TypeError):
        ember.set_rng_state(ember.zeros(16))
    with pytest.raises(RuntimeError):
        ember.set_rng_state(ember.zeros(3, dtype=ember.uint8))


def test_generator_object():
    g = ember.Generator()
    assert g.device == ember.device("cpu")
    assert g.initial_seed() == 67280421310721
    assert g.manual_seed(5) is not None and g.initial_seed() == 5
    a = ember.rand(20, generator=g)
    g2 = ember.Generator().manual_seed(5)
    np.testing.assert_array_equal(a.numpy(), ember.rand(20, generator=g2).numpy())
    st = g.get_state()
    b = ember.randn(10, generator=g)
    g.set_state(st)
    np.testing.assert_array_equal(b.numpy(), ember.randn(10, generator=g).numpy())
    new = g.seed()
    assert g.initial_seed() == new
    import pickle
    g3 = pickle.loads(pickle.dumps(g))
    np.testing.assert_array_equal(ember.rand(5, generator=g3).numpy(), ember.rand(5, generator=g).numpy())
    assert g3 != g and g == g


def test_generator_independent_of_global():
    ember.manual_seed(0)
    expected = ember.rand(10).numpy()
    ember.manual_seed(0)
    g = ember.Generator().manual_seed(99)
    ember.rand(1000, generator=g)
    ember.randn(5, generator=g)
    np.testing.assert_array_equal(expected, ember.rand(10).numpy())


def test_generator_type_error():
    with pytest.raises(TypeError):
        ember.rand(3, generator=5)


def test_default_generator():
    ember.default_generator.manual_seed(11)
    assert ember.initial_seed() == 11


@pytest.mark.parametrize("op", ["rand", "randn", "randn32", "randint", "bernoulli", "randperm", "multinomial"])
def test_thread_count_independent(op):
    code = f"""
import ember, numpy as np, sys, hashlib
g = ember.Generator().manual_seed(3)
n = 300_000
if "{op}" == "rand": x = ember.rand(n, generator=g)
elif "{op}" == "randn": x = ember.randn(n, dtype=ember.float64, generator=g)
elif "{op}" == "randn32": x = ember.randn(n + 5, generator=g)
elif "{op}" == "randint": x = ember.randint(-5, 1000, (n,), generator=g)
elif "{op}" == "bernoulli": x = ember.bernoulli(ember.full((n,), 0.3), generator=g)
elif "{op}" == "randperm": x = ember.randperm(n, generator=g)
else: x = ember.multinomial(ember.rand(2000, 50, generator=g), 20, generator=g)
sys.stdout.write(hashlib.sha256(x.numpy().tobytes()).hexdigest())
"""
    outs = []
    for threads in ("1", "2", "3"):
        env = dict(os.environ, OMP_NUM_THREADS=threads, PYTHONPATH=os.pathsep.join(sys.path))
        outs.append(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout)
    assert outs[0] == outs[1] == outs[2]


def test_set_num_threads_same_numbers():
    set_threads = getattr(ember, "set_num_threads", None) or getattr(ember._C, "set_num_threads", None)
    if set_threads is None:
        pytest.skip("ember.set_num_threads is not bound; test_thread_count_independent covers thread counts")
    old = ember.get_num_threads()
    try:
        set_threads(1)
        a = ember.randn(200_000, generator=ember.Generator().manual_seed(1)).numpy()
        set_threads(2)
        b = ember.randn(200_000, generator=ember.Generator().manual_seed(1)).numpy()
    finally:
        set_threads(old)
    np.testing.assert_array_equal(a, b)


# ---- distributions
@pytest.mark.parametrize("dtype", FLOATS)
def test_rand_distribution(dtype):
    x = ember.rand(20000, dtype=dtype)
    assert x.dtype == dtype and x.shape == (20000,)
    v = npy(x)
    assert v.min() >= 0 and v.max() < 1
    assert abs(v.mean() - 0.5) < 0.01 and abs(v.var() - 1 / 12) < 0.005
    assert ks_uniform(v) < (0.02 if dtype != ember.bfloat16 else 0.01 + 2**-8)


@pytest.mark.parametrize("dtype", FLOATS)
def test_randn_distribution(dtype):
    x = ember.randn(4, 5000, dtype=dtype)
    assert x.dtype == dtype and x.shape == (4, 5000)
    v = npy(x).ravel()
    assert abs(v.mean()) < 0.03 and abs(v.var() - 1) < 0.04
    assert ks_normal(v) < 0.02


def test_default_dtype_and_shapes():
    assert ember.rand(2, 3).dtype == ember.float32
    assert ember.rand((2, 3)).shape == (2, 3)
    assert ember.rand([]).shape == ()
    assert ember.randn(0).shape == (0,)
    assert ember.randint(10, (3,)).dtype == ember.int64
    assert ember.randperm(5).dtype == ember.int64
    t = ember.rand(3, requires_grad=True)
    assert t.requires_grad and t.is_leaf


def test_like_variants():
    base = ember.zeros(3, 4, dtype=ember.float64)
    assert ember.rand_like(base).dtype == ember.float64 and ember.rand_like(base).shape == (3, 4)
    assert ember.randn_like(base, dtype=ember.float32).dtype == ember.float32
    r = ember.randint_like(base, 5)
    assert r.dtype == ember.float64 and (r.numpy() >= 0).all() and (r.numpy() < 5).all()
    r = ember.randint_like(ember.zeros(100, dtype=ember.int32), 3, 7)
    assert r.dtype == ember.int32 and set(r.numpy().tolist()) == {3, 4, 5, 6}


def test_rand_integer_dtype_errors():
    with pytest.raises(RuntimeError):
        ember.rand(3, dtype=ember.int64)
    with pytest.raises(RuntimeError):
        ember.randn(3, dtype=ember.int32)


def test_randint_range_and_uniformity():
    x = ember.randint(-3, 7, (50000,)).numpy()
    assert x.min() == -3 and x.max() == 6
    counts = np.bincount(x + 3)
    assert np.all(np.abs(counts / 50000 - 0.1) < 0.01)
    y = ember.randint(2**40, 2**40 + 3, (1000,)).numpy()
    assert set(y.tolist()) == {2**40, 2**40 + 1, 2**40 + 2}
    big = ember.randint(-2**62, 2**62, (1000,)).numpy()
    assert (big < 0).any() and (big > 0).any()


def test_randint_signatures_and_errors():
    assert ember.randint(5, size=(2, 2)).shape == (2, 2)
    assert ember.randint(low=2, high=5, size=(4,)).shape == (4,)
    assert ember.randint(0, 3, (2,), dtype=ember.uint8).dtype == ember.uint8
    with pytest.raises(RuntimeError):
        ember.randint(5, 5, (3,))
    with pytest.raises(RuntimeError):
        ember.randint(0, 300, (3,), dtype=ember.uint8)
    with pytest.raises(TypeError):
        ember.randint(0.5, 3, (2,))


def test_randperm():
    for n in (0, 1, 2, 10, 1000):
        p = ember.randperm(n).numpy()
        assert sorted(p.tolist()) == list(range(n))
    p = ember.randperm(10, dtype=ember.float32)
    assert p.dtype == ember.float32 and sorted(p.numpy().tolist()) == list(range(10))
    # every position roughly uniform
    first = [ember.randperm(4)[0].item() for _ in range(2000)]
    assert np.all(np.abs(np.bincount(first, minlength=4) / 2000 - 0.25) < 0.05)
    with pytest.raises(RuntimeError):
        ember.randperm(-1)


def test_normal_variants():
    x = ember.normal(2.0, 3.0, size=(20000,))
    v = x.numpy()
    assert abs(v.mean() - 2) < 0.1 and abs(v.std() - 3) < 0.1
    mean = ember.tensor([0.0, 100.0])
    y = ember.normal(mean, 0.5)
    assert y.shape == (2,) and abs(y[1].item() - 100) < 5
    std = ember.tensor([1e-6, 1e-6], dtype=ember.float64)
    z = ember.normal(5.0, std)
    assert z.dtype == ember.float64 and np.allclose(z.numpy(), 5, atol=1e-3)
    w = ember.normal(ember.zeros(1000, 2), ember.tensor([1.0, 10.0]))
    assert w.shape == (1000, 2) and w.numpy()[:, 1].std() > 5 * w.numpy()[:, 0].std()
    with pytest.raises(RuntimeError):
        ember.normal(0.0, -1.0, size=(3,))
    with pytest.raises(RuntimeError):
        ember.normal(ember.zeros(3), ember.tensor([1.0, -1.0, 1.0]))


def test_normal_gradients_are_zero_as_torch():
    torch = require_torch()
    mean = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    std = ember.tensor([0.5, 1.0, 2.0], requires_grad=True)
    out = ember.normal(mean, std)
    assert out.grad_fn.name() == "NormalBackward3"
    out.sum().backward()
    tm = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ts = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)
    torch.normal(tm, ts).sum().backward()
    np.testing.assert_array_equal(mean.grad.numpy(), tm.grad.numpy())
    np.testing.assert_array_equal(std.grad.numpy(), ts.grad.numpy())
    assert ember.normal(mean, 1.0).grad_fn.name() == type(torch.normal(tm, 1.0).grad_fn).__name__
    assert ember.normal(0.0, std).grad_fn.name() == type(torch.normal(0.0, ts).grad_fn).__name__


def test_bernoulli():
    p = ember.full((20000,), 0.3)
    x = ember.bernoulli(p)
    assert x.dtype == ember.float32 and set(np.unique(x.numpy()).tolist()) <= {0.0, 1.0}
    assert abs(x.numpy().mean() - 0.3) < 0.015
    probs = ember.tensor([0.0, 1.0] * 100, dtype=ember.float64)
    y = ember.bernoulli(probs)
    np.testing.assert_array_equal(y.numpy(), probs.numpy())
    z = ember.bernoulli(ember.zeros(10000, dtype=ember.int32), 0.75)
    assert z.dtype == ember.int32 and abs(z.numpy().mean() - 0.75) < 0.02
    assert ember.bernoulli(ember.zeros(5), 0.0).sum().item() == 0
    assert ember.bernoulli(ember.zeros(5), 1.0).sum().item() == 5
    m = ember.zeros(3, 4).t().bernoulli_(ember.full((4, 3), 1.0))  # non-contiguous output
    assert m.numpy().sum() == 12
    with pytest.raises(RuntimeError):
        ember.bernoulli(ember.tensor([0.5, 1.5]))
    with pytest.raises(RuntimeError):
        ember.zeros(3).bernoulli_(-0.1)
    with pytest.raises(RuntimeError):
        ember.bernoulli(ember.tensor([1, 0]))


def test_bernoulli_generator_reproducible():
    g1, g2 = ember.Generator().manual_seed(4), ember.Generator().manual_seed(4)
    a = ember._C._ops.bernoulli(ember.empty(1000), 0.5, generator=g1)
    b = ember.empty(1000).bernoulli_(0.5, generator=g2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("replacement", [True, False])
def test_multinomial(replacement):
    probs = ember.tensor([[0.1, 0.0, 0.6, 0.3], [1.0, 1.0, 1.0, 1.0]])
    n = 4000 if replacement else 3
    s = ember.multinomial(probs, n, replacement=replacement)
    assert s.dtype == ember.int64 and s.shape == (2, n)
    v = s.numpy()
    assert (v[0] != 1).all()
    if replacement:
        freq = np.bincount(v[0], minlength=4) / n
        np.testing.assert_allclose(freq, [0.1, 0.0, 0.6, 0.3], atol=0.03)
    else:
        for row in v:
            assert len(set(row.tolist())) == n
    one = ember.multinomial(ember.tensor([0.2, 0.8]), 1)
    assert one.shape == (1,)


def test_multinomial_without_replacement_distribution():
    probs = ember.tensor([0.7, 0.2, 0.1]).expand(6000, 3)
    first = ember.multinomial(probs, 2).numpy()[:, 0]
    np.testing.assert_allclose(np.bincount(first, minlength=3) / 6000, [0.7, 0.2, 0.1], atol=0.03)


def test_multinomial_errors():
    with pytest.raises(RuntimeError):
        ember.multinomial(ember.tensor([0.5, 0.5]), 3)
    with pytest.raises(RuntimeError):
        ember.multinomial(ember.tensor([0.5, 0.0, 0.0]), 2)
    with pytest.raises(RuntimeError):
        ember.multinomial(ember.tensor([-1.0, 2.0]), 1)
    with pytest.raises(RuntimeError):
        ember.multinomial(ember.tensor([0.0, 0.0]), 1, True)
    with pytest.raises(RuntimeError):
        ember.multinomial(ember.tensor([0.5, 0.5]), 0)
    with pytest.raises(RuntimeError):
        ember.multinomial(ember.ones(2, 2, 2), 1)


# ---- in-place samplers
def test_uniform_():
    t = ember.empty(10000, dtype=ember.float64).uniform_(-2, 5)
    v = t.numpy()
    assert v.min() >= -2 and v.max() < 5 and abs(v.mean() - 1.5) < 0.1
    with pytest.raises(RuntimeError):
        ember.empty(3).uniform_(2, 1)
    with pytest.raises(RuntimeError):
        ember.empty(3, dtype=ember.int64).uniform_()


def test_inplace_noncontiguous_and_views():
    base = ember.zeros(6, 8)
    view = base[:, ::2]
    view.uniform_(1, 2)
    b = base.numpy()
    assert (b[:, ::2] >= 1).all() and (b[:, 1::2] == 0).all()
    t = ember.zeros(4, 5).t()
    t.normal_()
    assert (t.numpy() != 0).all()


def test_normal_():
    t = ember.empty(20000).normal_(3, 0.5)
    assert abs(t.numpy().mean() - 3) < 0.02 and abs(t.numpy().std() - 0.5) < 0.02
    with pytest.raises(RuntimeError):
        ember.empty(3).normal_(0, -1)


@pytest.mark.parametrize("dtype", [ember.int64, ember.int32, ember.int16, ember.int8, ember.uint8, ember.bool,
                                   ember.float32, ember.float64, ember.float16])
def test_random_(dtype):
    if dtype == ember.bool:
        with pytest.raises(RuntimeError):
            ember.empty(3, dtype=dtype).random_(3, 9)
        b = ember.empty(1000, dtype=dtype).random_().numpy()
        assert b.any() and not b.all()
        return
    v = ember.empty(5000, dtype=dtype).random_(3, 9).float().numpy()
    assert v.min() == 3 and v.max() == 8
    u = ember.empty(5000, dtype=dtype).random_(4).float().numpy()
    assert u.min() == 0 and u.max() == 3
    w = ember.empty(5000, dtype=dtype).random_().double().numpy()
    assert w.min() >= 0 and w.max() > 0


def test_random_default_ranges():
    u8 = ember.empty(10000, dtype=ember.uint8).random_().numpy()
    assert u8.max() == 255 and u8.min() == 0
    f = ember.empty(10000, dtype=ember.float16).random_().float().numpy()
    assert f.max() <= 2048 and (f == np.round(f)).all()
    i64 = ember.empty(1000, dtype=ember.int64).random_().numpy()
    assert (i64 >= 0).all() and i64.max() > 2**60
    with pytest.raises(RuntimeError):
        ember.empty(3).random_(5, 2)


def test_exponential_geometric_cauchy_log_normal():
    e = ember.empty(20000, dtype=ember.float64).exponential_(2.0).numpy()
    assert (e > 0).all() and abs(e.mean() - 0.5) < 0.02
    g = ember.empty(20000).geometric_(0.25).numpy()
    assert (g >= 1).all() and (g == np.round(g)).all() and abs(g.mean() - 4) < 0.15
    c = ember.empty(20001, dtype=ember.float64).cauchy_(1.0, 2.0).numpy()
    assert abs(np.median(c) - 1) < 0.1
    ln = ember.empty(20000, dtype=ember.float64).log_normal_(0.0, 0.5).numpy()
    assert (ln > 0).all() and abs(np.log(ln).std() - 0.5) < 0.02
    with pytest.raises(RuntimeError):
        ember.empty(3).exponential_(-1)
    with pytest.raises(RuntimeError):
        ember.empty(3).geometric_(1.5)


def test_inplace_autograd_rules():
    leaf = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError):
        leaf.uniform_()
    with ember.no_grad():
        leaf.normal_()
    assert leaf.requires_grad and leaf.grad_fn is None
    x = leaf * 2
    x.uniform_()
    assert x.grad_fn.name() == "UniformBackward0"
    x.sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), np.zeros(3))
    v0 = x._version
    x.bernoulli_(0.5)
    assert x._version > v0 and x.grad_fn.name() == "BernoulliBackward1"


def test_out_argument():
    out = ember.empty(5)
    r = ember.rand(5, out=out)
    assert r.data_ptr() == out.data_ptr() and (out.numpy() < 1).all()


def _nth_rand4(seed, n):
    g = ember.Generator().manual_seed(seed)
    for _ in range(n - 1):
        ember.rand(4, generator=g)
    return ember.rand(4, generator=g).numpy()


def test_random_submodule():
    import ember.random as er
    er.manual_seed(5)
    np.testing.assert_array_equal(ember.rand(4).numpy(), _nth_rand4(5, 1))
    st = er.get_rng_state()
    b = ember.rand(4)
    er.set_rng_state(st)
    np.testing.assert_array_equal(b.numpy(), ember.rand(4).numpy())
    assert er.initial_seed() == 5
    with er.fork_rng():
        ember.rand(100)
    np.testing.assert_array_equal(ember.rand(4).numpy(), _nth_rand4(5, 3))
