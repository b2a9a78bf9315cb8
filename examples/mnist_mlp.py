"""An MLP (784-128-64-10) on Fashion-MNIST, written as a PyTorch script with `import ember as torch`.

    python examples/mnist_mlp.py [--epochs 3] [--data-root DIR] [--plot curves.png]

Data: the standard Fashion-MNIST IDX files (Debian: apt-get install dataset-fashion-mnist, or
--data-root). Where none are present it falls back to scikit-learn's bundled 8x8 digits, so the
script always runs offline.
"""
import argparse
import time

import numpy as np

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.data import DataLoader, TensorDataset
from ember.vision import datasets, transforms

from common import evaluate, find_fashion_mnist, plot_curves, progress


def load_data(data_root, limit):
    root = find_fashion_mnist(data_root)
    if root is not None:
        tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.2860,), (0.3530,))])
        train = datasets.FashionMNIST(root, train=True, transform=tf)
        test = datasets.FashionMNIST(root, train=False, transform=tf)
        # Whole-dataset tensors: one transform pass, then fast batching.
        def to_tensors(ds, n):
            n = min(n or len(ds), len(ds))
            xs = (ds.data[:n].float() / 255 - 0.2860) / 0.3530
            return TensorDataset(xs.reshape(n, -1), ds.targets[:n])
        return to_tensors(train, limit), to_tensors(test, limit), 784, f"Fashion-MNIST ({root})"
    from sklearn.datasets import load_digits
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    split = int(0.8 * len(x))
    return (TensorDataset(torch.from_numpy(x[:split]), torch.from_numpy(y[:split])),
            TensorDataset(torch.from_numpy(x[split:]), torch.from_numpy(y[split:])), 64, "scikit-learn digits")


class MLP(nn.Module):
    def __init__(self, in_features):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(in_features, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                                 nn.Linear(64, 10))

    def forward(self, x):
        return self.net(x)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--data-root", default=None)
    p.add_argument("--limit", type=int, default=0, help="use only the first N samples of each split")
    p.add_argument("--plot", default=None, help="save loss/accuracy curves to this PNG")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    torch.manual_seed(args.seed)
    train_set, test_set, in_features, name = load_data(args.data_root, args.limit)
    print(f"data: {name}, {len(train_set)} train / {len(test_set)} test samples")
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=1000)
    model = MLP(in_features)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    criterion = nn.CrossEntropyLoss()
    history = {"train_loss": [], "test_loss": [], "test_acc": []}
    for epoch in range(1, args.epochs + 1):
        model.train()
        start, running, batches = time.perf_counter(), 0.0, 0
        for x, y in progress(train_loader, desc=f"epoch {epoch}"):
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            running += loss.item()
            batches += 1
        elapsed = time.perf_counter() - start
        test_loss, test_acc = evaluate(model, test_loader)
        history["train_loss"].append(running / batches)
        history["test_loss"].append(test_loss)
        history["test_acc"].append(test_acc)
        print(f"epoch {epoch}: train loss {running / batches:.4f}  test loss {test_loss:.4f}  "
              f"test accuracy {test_acc:.4f}  ({elapsed:.1f} s)")
    print(f"final test accuracy: {history['test_acc'][-1]:.4f}")
    if args.plot:
        plot_curves(history, args.plot)


if __name__ == "__main__":
    main()
