"""A small CNN (three conv-BN-ReLU-pool blocks) on CIFAR-10: a PyTorch script that runs with
`import ember as torch`.

    python examples/cifar_cnn.py --data-root DIR [--epochs 5] [--limit N] [--plot curves.png]
                                 [--framework ember|torch]

Data: CIFAR-10 in its python-batch layout (DIR/cifar-10-batches-py/data_batch_1..5 and test_batch),
as torchvision's CIFAR10 and ember.vision.datasets.CIFAR10 download it.
"""
import os
import sys

import numpy as np

from common import base_parser, import_framework, load_cifar10, train_classifier

torch = import_framework()  # ember, unless --framework torch
nn, F = torch.nn, torch.nn.functional
DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset

MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32).reshape(1, 3, 1, 1)
STD = np.array([0.2470, 0.2435, 0.2616], dtype=np.float32).reshape(1, 3, 1, 1)


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.MaxPool2d(2))


class CifarCNN(nn.Module):
    def __init__(self, num_classes=10, width=32):
        super().__init__()
        self.features = nn.Sequential(block(3, width), block(width, 2 * width), block(2 * width, 4 * width))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(4 * width * 4 * 4, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


class RandomFlipCrop:
    """Batch-level augmentation: random horizontal flips and 4-pixel padded random crops."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def __call__(self, x):
        n = len(x)
        flip = self.rng.random(n) < 0.5
        x = np.where(flip[:, None, None, None], x[..., ::-1], x)
        padded = np.pad(x, ((0, 0), (0, 0), (4, 4), (4, 4)))
        dy, dx = self.rng.integers(0, 9, n), self.rng.integers(0, 9, n)
        rows = dy[:, None] + np.arange(32)[None]
        cols = dx[:, None] + np.arange(32)[None]
        return padded[np.arange(n)[:, None, None, None], np.arange(3)[None, :, None, None],
                      rows[:, None, :, None], cols[:, None, None, :]]


def main():
    p = base_parser(__doc__, epochs=5, batch_size=64, lr=2e-3)
    p.add_argument("--data-root", default=None, help="folder holding cifar-10-batches-py")
    p.add_argument("--limit", type=int, default=0, help="use only the first N samples of each split")
    p.add_argument("--no-augment", action="store_true")
    args = p.parse_args()
    if not args.data_root or not os.path.isdir(args.data_root):
        sys.exit("CIFAR-10 not found: pass --data-root DIR with DIR/cifar-10-batches-py "
                 "(ember.vision.datasets.CIFAR10(DIR, download=True) fetches it when online)")
    torch.manual_seed(args.seed)
    (xtr, ytr), (xte, yte) = load_cifar10(args.data_root, args.limit)
    xtr = (xtr.astype(np.float32) / 255 - MEAN) / STD
    xte = (xte.astype(np.float32) / 255 - MEAN) / STD
    print(f"{torch.__name__}: data CIFAR-10 ({args.data_root}), {len(xtr)} train / {len(xte)} test")
    augment = None if args.no_augment else RandomFlipCrop(args.seed)

    class Augmented:
        """Re-draws the augmentation at the start of every epoch."""

        def __iter__(self):
            x = augment(xtr) if augment else xtr
            ds = TensorDataset(torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(ytr))
            return iter(DataLoader(ds, batch_size=args.batch_size, shuffle=True))

        def __len__(self):
            return (len(xtr) + args.batch_size - 1) // args.batch_size

    test_loader = DataLoader(TensorDataset(torch.from_numpy(xte), torch.from_numpy(yte)), batch_size=500)
    model = CifarCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    history = train_classifier(torch, model, optimizer, Augmented(), test_loader, args.epochs, args.quiet)
    if args.plot:
        history.plot(args.plot)


if __name__ == "__main__":
    main()
