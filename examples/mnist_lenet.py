"""LeNet-5 on Fashion-MNIST, a PyTorch script with `import ember as torch`.

    python examples/mnist_lenet.py [--epochs 3] [--data-root DIR] [--limit N] [--plot curves.png]

Data: the standard Fashion-MNIST IDX files (Debian: apt-get install dataset-fashion-mnist, or --data-root).
"""
import argparse
import sys
import time

import ember as torch
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.data import DataLoader, TensorDataset
from ember.vision import datasets

from common import evaluate, find_fashion_mnist, plot_curves, progress

MEAN, STD = 0.2860, 0.3530


class LeNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def tensors(ds, limit):
    n = min(limit or len(ds), len(ds))
    x = (ds.data[:n].float() / 255 - MEAN) / STD
    return TensorDataset(x.reshape(n, 1, 28, 28), ds.targets[:n])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--data-root", default=None)
    p.add_argument("--limit", type=int, default=0, help="use only the first N samples of each split")
    p.add_argument("--plot", default=None)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    root = find_fashion_mnist(args.data_root)
    if root is None:
        sys.exit("Fashion-MNIST not found: apt-get install dataset-fashion-mnist, or pass --data-root")
    train_set = tensors(datasets.FashionMNIST(root, train=True), args.limit)
    test_set = tensors(datasets.FashionMNIST(root, train=False), args.limit)
    print(f"data: Fashion-MNIST ({root}), {len(train_set)} train / {len(test_set)} test")
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=1000)
    model = LeNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    history = {"train_loss": [], "test_loss": [], "test_acc": []}
    for epoch in range(1, args.epochs + 1):
        model.train()
        start, running, batches = time.perf_counter(), 0.0, 0
        for x, y in progress(train_loader, desc=f"epoch {epoch}"):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            running += loss.item()
            batches += 1
        elapsed = time.perf_counter() - start
        test_loss, test_acc = evaluate(model, test_loader)
        for k, v in (("train_loss", running / batches), ("test_loss", test_loss), ("test_acc", test_acc)):
            history[k].append(v)
        print(f"epoch {epoch}: train loss {running / batches:.4f}  test loss {test_loss:.4f}  "
              f"test accuracy {test_acc:.4f}  ({elapsed:.1f} s)")
    print(f"final test accuracy: {history['test_acc'][-1]:.4f}")
    if args.plot:
        plot_curves(history, args.plot)


if __name__ == "__main__":
    main()
