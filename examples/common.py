"""Shared by the examples: finding the data, a progress bar that works without tqdm, plotting."""
import os
import sys

import ember
import ember.nn.functional as F

FASHION_MNIST_DIRS = ["/usr/share/datasets/fashion-mnist", os.path.expanduser("~/.ember/data")]


def find_fashion_mnist(data_root=None):
    """The first folder holding the Fashion-MNIST IDX files, or None."""
    candidates = [data_root] if data_root else FASHION_MNIST_DIRS
    for root in candidates:
        if root and any(os.path.exists(os.path.join(d, "t10k-labels-idx1-ubyte" + gz))
                        for d in (root, os.path.join(root, "FashionMNIST", "raw")) for gz in ("", ".gz")):
            return root
    return None


def progress(iterable, desc="", total=None, disable=False):
    try:
        from tqdm import tqdm
        return tqdm(iterable, desc=desc, total=total, disable=disable, leave=False, file=sys.stdout)
    except ImportError:
        return iterable


def plot_curves(history, path):
    """Save loss/accuracy per epoch to a PNG (needs matplotlib; prints a note otherwise)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("--plot needs matplotlib (pip install matplotlib); skipping the plot")
        return
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    epochs = range(1, len(history["train_loss"]) + 1)
    axes[0].plot(epochs, history["train_loss"], label="train")
    if history.get("test_loss"):
        axes[0].plot(epochs, history["test_loss"], label="test")
    axes[0].set_xlabel("epoch"); axes[0].set_ylabel("loss"); axes[0].legend()
    axes[1].plot(epochs, history["test_acc"], label="test accuracy")
    axes[1].set_xlabel("epoch"); axes[1].set_ylabel("accuracy"); axes[1].legend()
    fig.tight_layout()
    fig.savefig(path)
    print(f"saved {path}")


def evaluate(model, loader):
    """(mean cross-entropy, accuracy) of a classifier over a loader, in eval mode without grad."""
    model.eval()
    correct, total, loss_sum = 0, 0, 0.0
    with ember.no_grad():
        for x, y in loader:
            out = model(x)
            loss_sum += F.cross_entropy(out, y, reduction="sum").item()
            correct += (out.argmax(1) == y).sum().item()
            total += y.shape[0]
    return loss_sum / total, correct / total
