"""torch's CPU random stream for the samplers, so a seeded DataLoader shuffles exactly as torch's.

torch's CPU generator is a 32-bit mt19937 seeded with (seed & 0xffffffff); NumPy's legacy MT19937
seeding is the same init_genrand, and random_raw() returns the engine's 32-bit outputs. On top of it
this module reproduces what the samplers call: random_() on int64 (random64() % 2**63), randint
(random() % range for ranges below 2**32) and randperm (the swap loop torch runs for n < 2**32 / 20).

The global stream stands for torch's default generator: it restarts from ember.initial_seed() each
time ember.manual_seed is called. It is separate from ember's Philox generator, so other random ops
(ember.randn, ...) do not advance it as they would advance torch's; the orders agree when the
samplers are the only consumers between seeding and iterating, the usual `manual_seed(s); for x in
loader` pattern. An ember.Generator passed as `generator` gets its own stream from its initial_seed().
"""
import weakref

import numpy as np

import ember
from ember.utils import _random

_global = {"key": None, "bg": None}
_per_generator = weakref.WeakKeyDictionary()
_fallback = {}


def _engine(seed):
    bg = np.random.MT19937()
    bg._legacy_seeding(int(seed) & 0xFFFFFFFF)
    return bg


def _seed_of(generator):
    if hasattr(generator, "initial_seed"):
        return int(generator.initial_seed())
    return int(generator.seed())


def engine(generator=None):
    """The MT19937 stream standing for `generator` (None: torch's default generator)."""
    if generator is None:
        key = _random._state["gen"]  # replaced on every ember.manual_seed
        if _global["key"] is not key:
            seed = ember.initial_seed() if hasattr(ember, "initial_seed") else _random._state["seed"]
            _global["key"], _global["bg"] = key, _engine(seed)
        return _global["bg"]
    if isinstance(generator, int):
        return _engine(generator)
    if isinstance(generator, np.random.Generator):  # accepted for convenience: a stream seeded from it
        return _engine(int(generator.integers(0, 2 ** 32)))
    seed = _seed_of(generator)
    try:
        entry = _per_generator.get(generator)
    except TypeError:
        entry = _fallback.get(id(generator))
    if entry is None or entry[0] != seed:
        entry = (seed, _engine(seed))
        try:
            _per_generator[generator] = entry
        except TypeError:
            _fallback[id(generator)] = entry
    return entry[1]


def random64(bg):
    hi, lo = bg.random_raw(2).tolist()
    return (hi << 32) | lo


def random_seed(generator=None):
    """torch.empty((), dtype=torch.int64).random_(generator=generator).item()"""
    return random64(engine(generator)) % (1 << 63)


def randint(bg, high, size):
    """torch.randint(high=high, size=(size,), generator=...) for 0 < high."""
    if high >= 1 << 32:
        raw = [random64(bg) for _ in range(size)]
        return [r % high for r in raw]
    return (bg.random_raw(size) % np.uint64(high)).astype(np.int64).tolist()


def randperm(bg, n):
    """torch.randperm(n, generator=...) on CPU."""
    if n >= (2 ** 32 - 1) // 20:
        raise NotImplementedError("randperm emulation covers n < 2**32 / 20")
    r = list(range(n))
    if n < 2:
        return r
    z = (bg.random_raw(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)).tolist()
    for i, zi in enumerate(z):
        j = zi + i
        r[i], r[j] = r[j], r[i]
    return r


def multinomial_replacement(bg, weights, n):
    """torch.multinomial(weights (float64, 1-D), n, replacement=True, generator=...) on CPU, n > 1:
    the normalised cumulative sum (last bucket forced to 1), one 53-bit uniform double per sample
    from random64(), and the first bucket whose cumulative value is >= it."""
    cum = np.cumsum(np.asarray(weights, dtype=np.float64))
    cum = cum / cum[-1]
    cum[-1] = 1.0
    raw = bg.random_raw(2 * n).reshape(n, 2)
    r64 = (raw[:, 0] << np.uint64(32)) | raw[:, 1]
    u = (r64 & np.uint64((1 << 53) - 1)).astype(np.float64) * (2.0 ** -53)
    return np.searchsorted(cum, u, side="left").tolist()
