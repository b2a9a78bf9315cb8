"""DataLoader throughput: ember vs torch.utils.data in one process, synthetic 3x32x32 float32 images
(held in one NumPy array, one sample per __getitem__, default collate), batch 64, num_workers 0/1/2.
ember is timed with batches through shared memory (the default) and, for comparison, with the old
pickled path. Then: does a 2-worker ember loader keep a LeNet training step fed?

    python benchmarks/bench_data.py [--samples 8192] [--repeats 3]

Figures: batches/s in steady state (first batch excluded, so worker start-up is not counted) and
per epoch including start-up; medians over repeats, the loaders' epochs interleaved.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

import ember
from harness import machine, table

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
from ember.utils.data import DataLoader, Dataset  # noqa: E402
from ember.utils.data._utils import shm as _shm  # noqa: E402


class EmberImages(Dataset):
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return ember.from_numpy(self.x[i]), int(self.y[i])


class TorchImages(torch.utils.data.Dataset):
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return torch.from_numpy(self.x[i]), int(self.y[i])


def epoch(loader):
    start = time.perf_counter()
    first = None
    n = 0
    for xb, yb in loader:
        if first is None:
            first = time.perf_counter()
        n += 1
    end = time.perf_counter()
    return (n - 1) / (end - first), n / (end - start)


def handoff_cost(repeats=200):
    """Per-batch cost of handing a collated batch (64x3x32x32 float32 + 64 int64) from worker to main
    and reading it once, both halves run in this process: shared memory (write a reused segment,
    wrap) vs pickling."""
    import pickle
    from ember.utils.data._utils import worker as _worker
    batch = [ember.randn(64, 3, 32, 32), ember.arange(64)]
    writer, reader = _shm.Writer(_shm.new_prefix(), 0), _shm.Reader(1)

    def via_shm():  # as in the loader: a released segment goes back to the worker with its next index
        out = reader.unpack(writer.pack(batch))
        out[0].sum()
        del out
        writer.release(reader.take_freed(0))

    def via_pickle():
        out = _worker.unpack(pickle.loads(pickle.dumps(_worker.pack(batch), protocol=pickle.HIGHEST_PROTOCOL)))
        out[0].sum()

    res = []
    for fn in (via_shm, via_pickle):
        fn()
        t = time.perf_counter()
        for _ in range(repeats):
            fn()
        res.append((time.perf_counter() - t) / repeats)
    _shm.cleanup(writer.prefix)
    return res


def lenet_step_time(steps=30):
    from ember.vision.models import LeNet
    model = LeNet(in_channels=3)
    opt = ember.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = ember.randn(64, 3, 32, 32)
    y = ember.randint(0, 10, (64,))
    loss_fn = ember.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    for _ in range(3):
        step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=8192)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.samples, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, args.samples)
    eds, tds = EmberImages(x, y), TorchImages(x, y)
    print(f"machine: {machine()}, {os.cpu_count()} CPUs; {args.samples} samples of 3x32x32 float32, batch 64")
    rows = []
    shm_available = _shm.available
    results = {}

    for nw in (0, 1, 2):
        kw = {"batch_size": 64, "shuffle": True, "num_workers": nw}
        makers = {"torch": lambda: torch.utils.data.DataLoader(tds, **kw), "ember": lambda: DataLoader(eds, **kw)}
        if nw > 0:
            makers["pickled"] = makers["ember"]  # with _shm.available() False: batches pickled
        runs = {k: [] for k in makers}
        for _ in range(args.repeats):  # interleaved, so load changes on the machine hit all alike
            for k, make in makers.items():
                if k == "pickled":
                    _shm.available = lambda: False
                try:
                    runs[k].append(epoch(make()))
                finally:
                    _shm.available = shm_available
        med = {k: (float(np.median([r[0] for r in v])), float(np.median([r[1] for r in v]))) for k, v in runs.items()}
        (t_steady, t_epoch), (e_steady, e_epoch) = med["torch"], med["ember"]
        row = [nw, f"{t_steady:.0f}", f"{e_steady:.0f}", f"{e_steady / t_steady:.2f}",
               f"{med['pickled'][0]:.0f}" if nw > 0 else "-", f"{t_epoch:.0f}", f"{e_epoch:.0f}"]
        rows.append(row)
        results[nw] = e_steady
    print(table(rows, ["workers", "torch b/s", "ember b/s (shm)", "ember/torch", "ember b/s (pickled)",
                       "torch b/s incl. start", "ember b/s incl. start"]))
    t_shm, t_pickle = handoff_cost()
    print(f"\nhand-off of one batch (786 KB), both halves in one process: shared memory {t_shm * 1e6:.0f} us, "
          f"pickled {t_pickle * 1e6:.0f} us")
    step = lenet_step_time()
    print(f"\nLeNet (3x32x32) SGD training step, batch 64, ember, {ember.get_num_threads()} threads: "
          f"{step * 1e3:.2f} ms -> needs {1 / step:.0f} batches/s; 2-worker loader gives {results[2]:.0f} b/s "
          f"({'keeps it fed' if results[2] > 1 / step else 'does NOT keep up'}, x{results[2] * step:.1f})")


if __name__ == "__main__":
    main()
