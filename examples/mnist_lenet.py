"""LeNet-5 on Fashion-MNIST: a PyTorch script that runs with `import ember as torch`.

    python examples/mnist_lenet.py [--epochs 3] [--data-root DIR] [--limit N] [--plot curves.png]
                                   [--framework ember|torch]

Data: the standard Fashion-MNIST IDX files (Debian: apt-get install dataset-fashion-mnist, or --data-root).
"""
from common import base_parser, fashion_mnist_or_exit, import_framework, normalize_images, train_classifier

torch = import_framework()  # ember, unless --framework torch
nn, F = torch.nn, torch.nn.functional
DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset


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


def main():
    p = base_parser(__doc__, epochs=3, batch_size=64, lr=2e-3)
    p.add_argument("--data-root", default=None)
    p.add_argument("--limit", type=int, default=0, help="use only the first N samples of each split")
    args = p.parse_args()
    torch.manual_seed(args.seed)
    (xtr, ytr), (xte, yte), root = fashion_mnist_or_exit(args.data_root, args.limit)
    train_set, test_set = (TensorDataset(torch.from_numpy(normalize_images(x)[:, None]), torch.from_numpy(y))
                           for x, y in ((xtr, ytr), (xte, yte)))
    print(f"{torch.__name__}: data Fashion-MNIST ({root}), {len(train_set)} train / {len(test_set)} test")
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=1000)
    model = LeNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    history = train_classifier(torch, model, optimizer, train_loader, test_loader, args.epochs, args.quiet)
    if args.plot:
        history.plot(args.plot)


if __name__ == "__main__":
    main()
