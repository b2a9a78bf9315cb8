"""Shared by the examples: choosing the framework, finding and reading the data, a progress bar,
the training loop's bookkeeping, evaluation and plotting.

Every example is a PyTorch script that imports ember in torch's place. `--framework torch` runs the
very same script under PyTorch instead, which is how benchmarks/bench_examples.py times the two
side by side on the same machine.
"""
import argparse
import gzip
import importlib
import os
import pickle
import sys
import time

import numpy as np

FASHION_MNIST_DIRS = ["/usr/share/datasets/fashion-mnist", os.path.expanduser("~/.ember/data")]
FASHION_MEAN, FASHION_STD = 0.2860, 0.3530
# Epoch clock: wall time, or process CPU time with EXAMPLES_CLOCK=cpu (benchmarks/bench_examples.py
# --clock cpu; steadier than wall time on a shared machine, comparable at one thread).
_clock = time.process_time if os.environ.get("EXAMPLES_CLOCK") == "cpu" else time.perf_counter


def import_framework():
    """`import ember as torch`, or PyTorch itself when the command line says `--framework torch`."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--framework", choices=["ember", "torch"], default="ember")
    name = pre.parse_known_args()[0].framework
    return importlib.import_module(name)


def base_parser(doc, epochs, batch_size, lr):
    """The options every example shares."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--framework", choices=["ember", "torch"], default="ember",
                   help="run this script under ember (default) or PyTorch, for comparison")
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--batch-size", type=int, default=batch_size)
    p.add_argument("--lr", type=float, default=lr)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plot", default=None, help="save loss/metric curves to this PNG (needs matplotlib)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


# ---- data ----

def find_fashion_mnist(data_root=None):
    """The first folder holding the Fashion-MNIST IDX files, or None."""
    candidates = [data_root] if data_root else FASHION_MNIST_DIRS
    for root in candidates:
        if root and _idx_dir(root) is not None:
            return root
    return None


def _idx_dir(root):
    for d in (root, os.path.join(root, "FashionMNIST", "raw")):
        if any(os.path.exists(os.path.join(d, "t10k-labels-idx1-ubyte" + gz)) for gz in ("", ".gz")):
            return d
    return None


def read_idx(path):
    """One IDX file (optionally gzipped) as a NumPy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_fashion_mnist(data_root=None, limit=0):
    """((train_images, train_labels), (test_images, test_labels)) as uint8 / int64 arrays, or None."""
    root = find_fashion_mnist(data_root)
    if root is None:
        return None
    d = _idx_dir(root)

    def split(prefix):
        def file(kind):
            name = os.path.join(d, f"{prefix}-{kind}")
            return name if os.path.exists(name) else name + ".gz"
        x, y = read_idx(file("images-idx3-ubyte")), read_idx(file("labels-idx1-ubyte")).astype(np.int64)
        n = min(limit or len(x), len(x))
        return x[:n], y[:n]
    return split("train"), split("t10k"), root


def fashion_mnist_or_exit(data_root, limit):
    data = load_fashion_mnist(data_root, limit)
    if data is None:
        sys.exit("Fashion-MNIST not found: apt-get install dataset-fashion-mnist, or pass --data-root DIR")
    return data


def normalize_images(x):
    """uint8 images to float32 with Fashion-MNIST's mean and std."""
    return ((x.astype(np.float32) / 255.0) - FASHION_MEAN) / FASHION_STD


def load_cifar10(data_root, limit=0):
    """CIFAR-10 in its python-batch layout (cifar-10-batches-py/data_batch_1..5, test_batch)."""
    d = os.path.join(data_root, "cifar-10-batches-py")
    if not os.path.isdir(d):
        d = data_root

    def batches(names):
        xs, ys = [], []
        for name in names:
            with open(os.path.join(d, name), "rb") as f:
                entry = pickle.load(f, encoding="latin1")
            xs.append(np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
            ys.append(np.asarray(entry["labels"], dtype=np.int64))
        x, y = np.concatenate(xs), np.concatenate(ys)
        n = min(limit or len(x), len(x))
        return x[:n], y[:n]
    return batches([f"data_batch_{i}" for i in range(1, 6)]), batches(["test_batch"])


# ---- training bookkeeping ----

def progress(iterable, desc="", total=None, disable=False):
    """tqdm when installed, the bare iterable otherwise."""
    try:
        from tqdm import tqdm
        return tqdm(iterable, desc=desc, total=total, disable=disable, leave=False, file=sys.stdout)
    except ImportError:
        return iterable


class History:
    """Per-epoch metrics; prints one line per epoch in a fixed format that bench_examples.py parses."""

    def __init__(self):
        self.metrics = {}
        self._start = None
        self._elapsed = None

    def start_epoch(self):
        self._start, self._elapsed = _clock(), None

    def stop_clock(self):
        """End the timed part of the epoch (training); evaluation after this is not counted."""
        self._elapsed = _clock() - self._start

    def end_epoch(self, epoch, show=True, **metrics):
        if self._elapsed is None:
            self.stop_clock()
        elapsed = self._elapsed
        for k, v in metrics.items():
            self.metrics.setdefault(k, []).append(v)
        if not show:
            return elapsed
        fields = "  ".join(f"{k.replace('_', ' ')} {v:.4f}" for k, v in metrics.items())
        print(f"epoch {epoch}: {fields}  ({elapsed:.2f} s)", flush=True)
        return elapsed

    def plot(self, path):
        plot_curves(self.metrics, path)


def plot_curves(metrics, path):
    """Loss curves on the left, every other metric on the right, per epoch, saved to a PNG."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("--plot needs matplotlib (pip install matplotlib); skipping the plot")
        return
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for name, values in metrics.items():
        ax = axes[0] if "loss" in name else axes[1]
        ax.plot(range(1, len(values) + 1), values, marker="o", label=name.replace("_", " "))
    for ax, label in zip(axes, ("loss", "metric")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        if ax.lines:
            ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    print(f"saved {path}")


def evaluate(torch, model, loader):
    """(mean cross-entropy, accuracy) of a classifier over a loader, in eval mode without grad."""
    model.eval()
    correct, total, loss_sum = 0, 0, 0.0
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            loss_sum += torch.nn.functional.cross_entropy(out, y, reduction="sum").item()
            correct += (out.argmax(1) == y).sum().item()
            total += y.shape[0]
    return loss_sum / total, correct / total


def train_classifier(torch, model, optimizer, train_loader, test_loader, epochs, quiet=False, step_hook=None):
    """The standard loop: cross-entropy, backward, step; evaluate after every epoch."""
    F = torch.nn.functional
    history = History()
    for epoch in range(1, epochs + 1):
        model.train()
        history.start_epoch()
        running, batches = 0.0, 0
        for x, y in progress(train_loader, desc=f"epoch {epoch}", disable=quiet):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            if step_hook is not None:
                step_hook()
            optimizer.step()
            running += loss.item()
            batches += 1
        history.stop_clock()
        test_loss, test_acc = evaluate(torch, model, test_loader)
        history.end_epoch(epoch, train_loss=running / batches, test_loss=test_loss, test_accuracy=test_acc)
    print(f"final test accuracy: {history.metrics['test_accuracy'][-1]:.4f}")
    return history
