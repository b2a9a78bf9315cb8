"""Random numbers for the Python layer (nn.init fallbacks, samplers, random_split).

Until ember's C++ RNG exposes rand/randperm/uniform_, these draw from a NumPy Generator. Its seed
follows ember.manual_seed once this module is imported (ember.manual_seed is wrapped to reseed it).
The sequences are deterministic for a given seed but differ from torch's mt19937/Philox streams.
"""
import weakref

import numpy as np

import ember

_DEFAULT_SEED = 67280421310721
_state = {"gen": np.random.default_rng(_DEFAULT_SEED), "seed": _DEFAULT_SEED}
_per_generator = weakref.WeakKeyDictionary()


def reseed(seed):
    seed = int(seed) & ((1 << 64) - 1)
    _state["gen"] = np.random.default_rng(seed)
    _state["seed"] = seed
    _per_generator.clear()


def _install_seed_hook():
    orig = ember.manual_seed
    if getattr(orig, "_ember_py_hooked", False):
        return

    def manual_seed(seed):
        res = orig(seed)
        reseed(seed)
        return res

    manual_seed._ember_py_hooked = True
    manual_seed.__doc__ = orig.__doc__
    ember.manual_seed = manual_seed


_install_seed_hook()


def numpy_generator(generator=None):
    """The NumPy Generator that backs `generator` (an object with initial_seed()), or the global one."""
    if generator is None:
        return _state["gen"]
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, int):
        return np.random.default_rng(generator)
    try:
        g = _per_generator.get(generator)
    except TypeError:
        g = None
    if g is None:
        seed = generator.initial_seed() if hasattr(generator, "initial_seed") else generator.seed()
        g = np.random.default_rng(int(seed))
        try:
            _per_generator[generator] = g
        except TypeError:
            pass
    return g


def random_seed(generator=None):
    """A fresh 63-bit seed drawn from `generator` (torch's `torch.empty((), int64).random_()` idiom).

    With no generator and a C++ ember.randint available, the seed comes from ember's own RNG, so
    ember.manual_seed governs it even when called before this module was imported."""
    if generator is None and hasattr(ember, "randint"):
        return int(ember.randint(0, 2 ** 62, (1,)).item())
    return int(numpy_generator(generator).integers(0, 2 ** 63 - 1))


def randperm(n, generator=None):
    return numpy_generator(generator).permutation(n)
