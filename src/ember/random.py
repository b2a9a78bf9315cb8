"""ember.random: seeding and RNG state of the default generator (as torch.random)."""
import contextlib

from ember import _C

Generator = _C._ops.Generator
default_generator = _C._ops.default_generator


def manual_seed(seed):
    """Seed every default generator; returns the CPU default generator."""
    return _C._ops.manual_seed(int(seed))


def seed():
    """Seed from a non-deterministic source; returns the seed."""
    return _C._ops.seed()


def initial_seed():
    return _C._ops.initial_seed()


def get_rng_state():
    """The CPU default generator's state as a uint8 tensor."""
    return _C._ops.get_rng_state()


def set_rng_state(new_state):
    _C._ops.set_rng_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type="cuda"):
    """Restore the CPU default generator's state on exit."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


__all__ = ["manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state", "fork_rng", "Generator",
           "default_generator"]
