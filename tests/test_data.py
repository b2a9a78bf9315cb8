"""utils.data: datasets, samplers, collation, DataLoader (single process and num_workers=2)."""
import collections
import gc
import time

import numpy as np
import pytest

import ember
from ember.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset,
                              RandomSampler, SequentialSampler, Subset, SubsetRandomSampler, TensorDataset,
                              WeightedRandomSampler, default_collate, default_convert, get_worker_info,
                              random_split)
from conftest import require_torch


class Range(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i


class Failing(Range):
    def __getitem__(self, i):
        if i == 5:
            raise ValueError("sample 5 is broken")
        return i


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


Point = collections.namedtuple("Point", ["x", "y"])


def _vals(batches):
    return [b.tolist() for b in batches]


# ---------------------------------------------------------------- datasets
def test_tensor_concat_subset_chain():
    x = ember.arange(10.0).view(5, 2)
    y = ember.arange(5)
    ds = TensorDataset(x, y)
    assert len(ds) == 5 and ds[1][0].tolist() == [2.0, 3.0] and int(ds[1][1]) == 1
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(x, ember.arange(4))
    cat = Range(3) + Range(4)
    assert isinstance(cat, ConcatDataset) and len(cat) == 7
    assert [cat[i] for i in range(7)] == [0, 1, 2, 0, 1, 2, 3] and cat[-1] == 3
    with pytest.raises(ValueError):
        cat[-8]
    with pytest.raises(AssertionError):
        ConcatDataset([])
    sub = Subset(Range(10), [9, 3, 4])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [9, 3, 4]
    chain = Stream(3) + Stream(2)
    assert isinstance(chain, ChainDataset) and list(chain) == [0, 1, 2, 0, 1] and len(chain) == 5


def test_random_split():
    parts = random_split(Range(10), [3, 7])
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    parts = random_split(Range(10), [0.5, 0.3, 0.2])
    assert [len(p) for p in parts] == [5, 3, 2]
    parts = random_split(Range(11), [0.5, 0.5])
    assert [len(p) for p in parts] == [6, 5]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        random_split(Range(10), [3, 3])
    a = random_split(Range(20), [10, 10], generator=np.random.default_rng(7))[0].indices
    b = random_split(Range(20), [10, 10], generator=np.random.default_rng(7))[0].indices
    assert a == b


# ---------------------------------------------------------------- samplers
def test_samplers():
    assert list(SequentialSampler(Range(4))) == [0, 1, 2, 3]
    r = list(RandomSampler(Range(10)))
    assert sorted(r) == list(range(10))
    rs = RandomSampler(Range(10), replacement=True, num_samples=50)
    draws = list(rs)
    assert len(draws) == 50 == len(rs) and all(0 <= d < 10 for d in draws)
    over = list(RandomSampler(Range(4), num_samples=10))
    assert len(over) == 10 and sorted(over[:4]) == [0, 1, 2, 3]
    with pytest.raises(TypeError):
        RandomSampler(Range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler(Range(3), num_samples=0)
    sub = list(SubsetRandomSampler([10, 20, 30]))
    assert sorted(sub) == [10, 20, 30]
    w = WeightedRandomSampler([0.0, 0.0, 1.0, 0.0], 20)
    assert list(w) == [2] * 20
    w = WeightedRandomSampler(ember.tensor([0.5, 0.5, 0.0]), 2, replacement=False)
    assert sorted(w) == [0, 1]
    with pytest.raises(ValueError):
        WeightedRandomSampler([1.0], 0)
    bs = BatchSampler(SequentialSampler(Range(10)), 3, drop_last=False)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]] and len(bs) == 4
    bs = BatchSampler(SequentialSampler(Range(10)), 3, drop_last=True)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]] and len(bs) == 3
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(SequentialSampler(Range(3)), 0, False)


def test_seeded_shuffle_is_deterministic():
    class Gen:  # anything with initial_seed() works as a generator
        def __init__(self, s):
            self.s = s

        def initial_seed(self):
            return self.s

    a = [list(RandomSampler(Range(50), generator=Gen(3))) for _ in range(1)]
    b = [list(RandomSampler(Range(50), generator=Gen(3))) for _ in range(1)]
    assert a == b
    g = Gen(5)
    s = RandomSampler(Range(50), generator=g)
    e1, e2 = list(s), list(s)
    assert e1 != e2  # the generator advances between epochs
    ember.manual_seed(11)
    x = [b.tolist() for b in DataLoader(Range(30), batch_size=4, shuffle=True)]
    ember.manual_seed(11)
    y = [b.tolist() for b in DataLoader(Range(30), batch_size=4, shuffle=True)]
    ember.manual_seed(12)
    z = [b.tolist() for b in DataLoader(Range(30), batch_size=4, shuffle=True)]
    assert x == y and x != z
    assert sorted(sum(x, [])) == list(range(30))


# ---------------------------------------------------------------- collate
def test_default_collate_types():
    torch = require_torch()
    from torch.utils.data import default_collate as tcollate
    samples = [
        {"a": np.ones((2, 3), dtype=np.float32) * i, "b": i, "c": float(i) / 2, "s": f"s{i}",
         "t": (i, np.int64(i)), "p": Point(i, [i, i + 1]), "n": np.float64(i)}
        for i in range(3)
    ]
    ours = default_collate(samples)
    theirs = tcollate(samples)
    assert set(ours) == set(theirs)
    np.testing.assert_array_equal(ours["a"].numpy(), theirs["a"].numpy())
    assert ours["a"].dtype == ember.float32
    assert ours["b"].tolist() == theirs["b"].tolist() and ours["b"].dtype == ember.int64
    assert ours["c"].dtype == ember.float64 and ours["c"].tolist() == theirs["c"].tolist()
    assert ours["s"] == theirs["s"] == ["s0", "s1", "s2"]
    assert isinstance(ours["t"], list) and [t.tolist() for t in ours["t"]] == [t.tolist() for t in theirs["t"]]
    assert isinstance(ours["p"], Point) and ours["p"].x.tolist() == [0, 1, 2]
    assert [t.tolist() for t in ours["p"].y] == [t.tolist() for t in theirs["p"].y]
    assert ours["n"].dtype == ember.float64
    t = default_collate([ember.ones(2), ember.zeros(2)])
    assert tuple(t.shape) == (2, 2) and t.tolist() == [[1, 1], [0, 0]]
    assert default_collate([[1, 2], [3, 4]])[0].tolist() == [1, 3]
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        default_collate([object(), object()])
    with pytest.raises(TypeError):
        default_collate([np.array(["a"]), np.array(["b"])])
    conv = default_convert({"a": np.ones(2), "b": [np.zeros(1)], "c": "x", "d": (np.ones(1),)})
    assert isinstance(conv["a"], ember.Tensor) and isinstance(conv["b"][0], ember.Tensor) and conv["c"] == "x"
    assert isinstance(conv["d"], list)


# ---------------------------------------------------------------- DataLoader, single process
def test_dataloader_batching():
    dl = DataLoader(Range(10), batch_size=4)
    assert _vals(dl) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] and len(dl) == 3
    dl = DataLoader(Range(10), batch_size=4, drop_last=True)
    assert _vals(dl) == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(dl) == 2
    dl = DataLoader(Range(3), batch_size=None)
    assert [int(b) for b in dl] == [0, 1, 2]
    dl = DataLoader(Range(6), batch_sampler=BatchSampler(SequentialSampler(Range(6)), 2, False))
    assert _vals(dl) == [[0, 1], [2, 3], [4, 5]]
    dl = DataLoader(Range(5), batch_size=2, sampler=[4, 3, 2, 1, 0])
    assert _vals(dl) == [[4, 3], [2, 1], [0]]
    dl = DataLoader(Range(5), batch_size=2, collate_fn=lambda b: sum(b))
    assert list(dl) == [1, 5, 4]
    x, y = ember.arange(12.0).view(6, 2), ember.arange(6)
    batches = list(DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True))
    assert [tuple(b[0].shape) for b in batches] == [(4, 2), (2, 2)]
    got = sorted(sum((b[1].tolist() for b in batches), []))
    assert got == list(range(6))
    for b in batches:
        np.testing.assert_array_equal(b[0].numpy(), np.stack([x[int(i)].numpy() for i in b[1]]))
    dl = DataLoader(Stream(7), batch_size=3)
    assert _vals(dl) == [[0, 1, 2], [3, 4, 5], [6]] and len(dl) == 3
    assert _vals(DataLoader(Stream(7), batch_size=3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]


def test_dataloader_argument_errors():
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(Range(3), sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive with batch_size"):
        DataLoader(Range(3), batch_size=2, batch_sampler=[[0]])
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(Range(3), num_workers=-1)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified in multiprocessing"):
        DataLoader(Range(3), prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(Range(3), persistent_workers=True)
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="timeout option should be non-negative"):
        DataLoader(Range(3), timeout=-1)
    dl = DataLoader(Range(3))
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        dl.batch_size = 4
    with pytest.raises(ValueError, match="sample 5 is broken"):
        list(DataLoader(Failing(8), batch_size=2))


# ---------------------------------------------------------------- DataLoader, worker processes
def test_workers_map_style_in_order():
    x, y = ember.arange(40.0).view(20, 2), ember.arange(20)
    dl = DataLoader(TensorDataset(x, y), batch_size=3, num_workers=2)
    batches = list(dl)
    assert [b[1].tolist() for b in batches] == [list(range(i, min(i + 3, 20))) for i in range(0, 20, 3)]
    assert batches[0][0].dtype == ember.float32 and batches[0][1].dtype == ember.int64
    np.testing.assert_array_equal(batches[-1][0].numpy(), x.numpy()[18:])
    dl = DataLoader(Range(20), batch_size=4, num_workers=2, shuffle=True, drop_last=True, prefetch_factor=3)
    got = _vals(dl)
    assert len(got) == 5 and all(len(b) == 4 for b in got) and len(set(sum(got, []))) == 20


def test_workers_dict_collate_and_init_fn():
    class Dicts(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            info = get_worker_info()
            return {"i": i, "w": info.id, "seed": info.seed, "name": f"n{i}", "arr": np.full(2, i)}

    dl = DataLoader(Dicts(), batch_size=2, num_workers=2, worker_init_fn=lambda wid: None)
    batches = list(dl)
    assert [b["i"].tolist() for b in batches] == [[0, 1], [2, 3], [4, 5]]
    assert [b["w"].tolist() for b in batches] == [[0, 0], [1, 1], [0, 0]]  # round robin over workers
    seeds = {b["w"].tolist()[0]: b["seed"].tolist()[0] for b in batches}
    assert seeds[1] == seeds[0] + 1
    assert batches[1]["name"] == ["n2", "n3"] and batches[2]["arr"].tolist() == [[4, 4], [5, 5]]
    assert get_worker_info() is None


def test_workers_iterable_sharding():
    dl = DataLoader(Stream(10), batch_size=3, num_workers=2)
    got = _vals(dl)
    assert got == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]]
    assert sorted(sum(got, [])) == list(range(10))
    assert _vals(DataLoader(Stream(10), batch_size=3, num_workers=2, drop_last=True)) == [[0, 2, 4], [1, 3, 5]]


def test_worker_exception_reraised_with_traceback():
    dl = DataLoader(Failing(10), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as ei:
        list(dl)
    msg = str(ei.value)
    assert "Caught ValueError in DataLoader worker process 0" in msg
    assert "Traceback (most recent call last)" in msg and "sample 5 is broken" in msg


def test_workers_shutdown_on_break_and_gc():
    it = iter(DataLoader(Range(100), batch_size=2, num_workers=2))
    next(it)
    workers = list(it._workers)
    assert all(w.is_alive() for w in workers)
    del it
    gc.collect()
    deadline = time.time() + 10
    while any(w.is_alive() for w in workers) and time.time() < deadline:
        time.sleep(0.05)
    assert not any(w.is_alive() for w in workers)
    # after an exception the workers are gone too
    it = iter(DataLoader(Failing(10), batch_size=2, num_workers=2))
    workers = list(it._workers)
    with pytest.raises(ValueError):
        list(it)
    it._shutdown_workers()
    assert not any(w.is_alive() for w in workers)


def test_persistent_workers_and_in_order_false():
    dl = DataLoader(Range(9), batch_size=2, num_workers=2, persistent_workers=True)
    first = _vals(dl)
    workers = list(dl._iterator._workers)
    second = _vals(dl)
    assert first == second == [[0, 1], [2, 3], [4, 5], [6, 7], [8]]
    assert list(dl._iterator._workers) == workers and all(w.is_alive() for w in workers)
    dl._iterator._shutdown_workers()
    dl = DataLoader(Stream(8), batch_size=2, num_workers=2, persistent_workers=True)
    assert sorted(sum(_vals(dl), [])) == list(range(8))
    assert sorted(sum(_vals(dl), [])) == list(range(8))
    dl._iterator._shutdown_workers()
    got = _vals(DataLoader(Range(12), batch_size=3, num_workers=2, in_order=False))
    assert sorted(sum(got, [])) == list(range(12))


@pytest.mark.skipif(not (hasattr(ember, "set_num_threads") or hasattr(ember._C, "set_num_threads")),
                    reason="needs ember.set_num_threads (workers must run single-threaded after fork)")
def test_workers_run_large_ops_after_parent_used_threads():
    big = ember.ones(2000, 2000)
    assert float((big * 2).sum()) == 8e6  # the parent starts its OpenMP pool

    class Big(Range):
        def __getitem__(self, i):
            return (ember.ones(1000, 1000) * i).sum()

    got = [b.tolist() for b in DataLoader(Big(4), batch_size=2, num_workers=2, timeout=60)]
    assert got == [[0.0, 1e6], [2e6, 3e6]]


def test_worker_timeout():
    class Slow(Range):
        def __getitem__(self, i):
            time.sleep(3)
            return i

    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.5 seconds"):
        list(DataLoader(Slow(4), batch_size=1, num_workers=1, timeout=0.5))
