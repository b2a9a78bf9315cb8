"""DataLoader workers hand batches back through /dev/shm: same batches as num_workers=0, zero-copy
tensors that outlive the loader, no segment left behind after a normal end, an early break, a worker
exception, a KeyboardInterrupt or interpreter exit, and no resource_tracker warnings. Also: seeded
shuffles in torch's order, and pin_memory's warning."""
import collections
import gc
import os
import subprocess
import sys

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader, Dataset, RandomSampler, SubsetRandomSampler, random_split
from ember.utils.data._utils import shm
from conftest import require_torch

pytestmark = pytest.mark.skipif(not shm.available(), reason="needs a writable /dev/shm")

Pair = collections.namedtuple("Pair", "x y")


class Images(Dataset):
    def __init__(self, n=40):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        rng = np.random.default_rng(i)
        img = ember.from_numpy(rng.standard_normal((3, 8, 8)).astype(np.float32))
        return {"img": img, "label": i % 10, "half": ember.full((2,), float(i)).to(ember.bfloat16),
                "pair": Pair(ember.tensor([i, -i]), ember.tensor(i % 2 == 0)), "name": f"s{i}"}


class Broken(Images):
    def __getitem__(self, i):
        if i == 13:
            raise ValueError("sample 13 is broken")
        return super().__getitem__(i)


def segments():
    return {f for f in os.listdir(shm.SHM_DIR) if f.startswith(f"ember_dl_{os.getpid()}_")}


@pytest.fixture
def no_leaks():
    before = segments()
    yield
    gc.collect()
    assert segments() - before == set()


def flat(batch):
    return [batch["img"].numpy(), batch["label"].numpy(), batch["half"].float().numpy(), batch["pair"].x.numpy(),
            batch["pair"].y.numpy(), batch["name"]]


def test_batches_equal_single_process(no_leaks, monkeypatch):
    calls = []
    real = shm.Reader.unpack
    monkeypatch.setattr(shm.Reader, "unpack", lambda self, b: calls.append(b.name) or real(self, b))
    g = ember.Generator().manual_seed(3)
    ref = [flat(b) for b in DataLoader(Images(), batch_size=6, shuffle=True, generator=g)]
    for nw in (1, 2):
        g = ember.Generator().manual_seed(3)
        got = list(DataLoader(Images(), batch_size=6, shuffle=True, generator=g, num_workers=nw))
        assert got[0]["half"].dtype == ember.bfloat16 and got[0]["pair"].y.dtype == ember.bool
        assert isinstance(got[0]["pair"], Pair)
        for a, b in zip(ref, [flat(x) for x in got], strict=True):
            for u, v in zip(a, b):
                np.testing.assert_array_equal(u, v)
    assert len(calls) == 2 * len(ref)  # every batch came through shared memory


def test_tensors_outlive_loader(no_leaks):
    it = iter(DataLoader(Images(12), batch_size=4, num_workers=2))
    batches = list(it)
    del it
    gc.collect()
    want = [flat(b) for b in DataLoader(Images(12), batch_size=4)]
    for a, b in zip(want, [flat(x) for x in batches]):
        np.testing.assert_array_equal(a[0], b[0])
    batches[0]["img"].add_(1)  # writable memory
    assert np.allclose(batches[0]["img"].numpy(), want[0][0] + 1)


def test_no_leak_on_early_break(no_leaks):
    loader = DataLoader(Images(200), batch_size=4, num_workers=2, prefetch_factor=4)
    for i, _ in enumerate(loader):
        if i == 2:
            break
    del loader, _
    gc.collect()


def test_no_leak_on_worker_exception(no_leaks):
    with pytest.raises(ValueError, match="sample 13 is broken"):
        for _ in DataLoader(Broken(60), batch_size=2, num_workers=2, prefetch_factor=4):
            pass


def test_no_leak_on_keyboard_interrupt(no_leaks):
    with pytest.raises(KeyboardInterrupt):
        for i, _ in enumerate(DataLoader(Images(200), batch_size=4, num_workers=2, prefetch_factor=4)):
            if i == 1:
                raise KeyboardInterrupt


def test_no_leak_persistent_workers(no_leaks):
    loader = DataLoader(Images(30), batch_size=4, num_workers=2, persistent_workers=True)
    for _ in range(2):
        assert len(list(loader)) == 8
    for i, _ in enumerate(loader):  # a partial epoch, then the next one starts
        if i == 1:
            break
    assert len(list(loader)) == 8
    del loader
    gc.collect()


SCRIPT = """
import sys
sys.path.insert(0, {src!r})
import numpy as np
import ember
from ember.utils.data import DataLoader, TensorDataset
ds = TensorDataset(ember.from_numpy(np.zeros((400, 3, 16, 16), np.float32)), ember.arange(400))
loader = DataLoader(ds, batch_size=8, num_workers=2, prefetch_factor=4)
it = iter(loader)
next(it)
print("prefix", it._shm_prefix, flush=True)
{ending}
"""


@pytest.mark.parametrize("ending", ["raise KeyboardInterrupt", "sys.exit(0)", "pass"])
def test_no_leak_and_no_warning_at_exit(ending):
    src = os.path.dirname(os.path.dirname(ember.__file__))  # the ember this test process imported
    p = subprocess.run([sys.executable, "-c", SCRIPT.format(src=os.path.abspath(src), ending=ending)],
                       capture_output=True, text=True, timeout=120)
    prefix = p.stdout.split("prefix ")[1].split()[0]
    assert not [f for f in os.listdir(shm.SHM_DIR) if f.startswith(prefix)]
    assert "resource_tracker" not in p.stderr and "leaked" not in p.stderr
    if ending == "raise KeyboardInterrupt":
        assert "KeyboardInterrupt" in p.stderr
    else:
        assert p.returncode == 0, p.stderr


def test_pin_memory_warns_without_accelerator():
    if ember.cuda.is_available():
        pytest.skip("has an accelerator")
    for nw in (0, 2):
        with pytest.warns(UserWarning, match="no accelerator is found"):
            out = list(DataLoader(Images(8), batch_size=4, pin_memory=True, num_workers=nw))
        assert len(out) == 2


# ---- torch's shuffle order for the same seed
def test_seeded_order_equals_torch():
    torch = require_torch()
    import torch.utils.data as tud
    data = list(range(103))
    for seed in (0, 7, 2 ** 40 + 3):
        ember.manual_seed(seed)
        torch.manual_seed(seed)
        for _ in range(2):  # two epochs: the default stream advances the same way
            a = [b.tolist() for b in DataLoader(data, batch_size=10, shuffle=True)]
            b = [b.tolist() for b in tud.DataLoader(data, batch_size=10, shuffle=True)]
            assert a == b
        eg, tg = ember.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)
        for _ in range(2):
            a = [b.tolist() for b in DataLoader(data, batch_size=10, shuffle=True, generator=eg, num_workers=2)]
            b = [b.tolist() for b in tud.DataLoader(data, batch_size=10, shuffle=True, generator=tg)]
            assert a == b
        eg, tg = ember.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)
        assert list(RandomSampler(data, replacement=True, num_samples=70, generator=eg)) == \
            list(tud.RandomSampler(data, replacement=True, num_samples=70, generator=tg))
        assert list(RandomSampler(data, num_samples=250, generator=eg)) == \
            list(tud.RandomSampler(data, num_samples=250, generator=tg))
        assert list(SubsetRandomSampler([5, 9, 2, 8, 1], generator=eg)) == \
            list(tud.SubsetRandomSampler([5, 9, 2, 8, 1], generator=tg))
        ember.manual_seed(seed)
        torch.manual_seed(seed)
        assert [s.indices for s in random_split(data, [0.3, 0.7])] == \
            [s.indices for s in tud.random_split(data, [0.3, 0.7])]


def test_segments_reused_but_never_while_held(no_leaks, monkeypatch):
    names = []
    real = shm.Reader.unpack
    monkeypatch.setattr(shm.Reader, "unpack", lambda self, b: names.append(b.name) or real(self, b))
    ref = [b["img"].numpy().copy() for b in DataLoader(Images(120), batch_size=2)]
    kept = {}
    for i, b in enumerate(DataLoader(Images(120), batch_size=2, num_workers=2)):
        if i % 3 == 0:
            kept[i] = b["img"][1:]  # a view keeps the batch's memory alive
        b = None  # refcounting frees the batch here (no cycles)
    assert len(names) == 60
    assert len(set(names)) <= 20 + 12  # released segments were written again ...
    for i, view in kept.items():  # ... but none that a live tensor still uses
        np.testing.assert_array_equal(view.numpy(), ref[i][1:])


def test_one_worker_cycles_few_segments(no_leaks, monkeypatch):
    names = []
    real = shm.Reader.unpack
    monkeypatch.setattr(shm.Reader, "unpack", lambda self, b: names.append(b.name) or real(self, b))
    for nw in (1, 2):
        names.clear()
        for b in DataLoader(Images(80), batch_size=2, num_workers=nw):
            pass
        assert len(names) == 40 and len(set(names)) <= 6 * nw  # prefetch 2 per worker + the batch in hand
