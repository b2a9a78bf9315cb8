"""An MLP (784-128-64-10) on Fashion-MNIST: a PyTorch script that runs with `import ember as torch`.

    python examples/mnist_mlp.py [--epochs 3] [--data-root DIR] [--limit N] [--plot curves.png]
                                 [--framework ember|torch]

Data: the standard Fashion-MNIST IDX files (Debian: apt-get install dataset-fashion-mnist, or
--data-root). Where none are present it falls back to scikit-learn's bundled 8x8 digits, so the
script always runs offline.
"""
import numpy as np

from common import base_parser, import_framework, load_fashion_mnist, normalize_images, train_classifier

torch = import_framework()  # ember, unless --framework torch
nn = torch.nn
DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset


def load_data(data_root, limit):
    data = load_fashion_mnist(data_root, limit)
    if data is not None:
        (xtr, ytr), (xte, yte), root = data
        sets = [TensorDataset(torch.from_numpy(normalize_images(x).reshape(len(x), -1)), torch.from_numpy(y))
                for x, y in ((xtr, ytr), (xte, yte))]
        return sets[0], sets[1], 784, f"Fashion-MNIST ({root})"
    from sklearn.datasets import load_digits
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
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
    p = base_parser(__doc__, epochs=3, batch_size=64, lr=1e-3)
    p.add_argument("--data-root", default=None)
    p.add_argument("--limit", type=int, default=0, help="use only the first N samples of each split")
    args = p.parse_args()

    torch.manual_seed(args.seed)
    train_set, test_set, in_features, name = load_data(args.data_root, args.limit)
    print(f"{torch.__name__}: data {name}, {len(train_set)} train / {len(test_set)} test samples")
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=1000)
    model = MLP(in_features)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    history = train_classifier(torch, model, optimizer, train_loader, test_loader, args.epochs, args.quiet)
    if args.plot:
        history.plot(args.plot)


if __name__ == "__main__":
    main()
