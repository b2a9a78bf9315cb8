"""An LSTM classifier on Fashion-MNIST that reads each image row by row (28 steps of 28 pixels):
a PyTorch script that runs with `import ember as torch`.

    python examples/lstm_classifier.py [--epochs 3] [--data-root DIR] [--limit N] [--plot curves.png]
                                       [--framework ember|torch]
"""
from common import base_parser, fashion_mnist_or_exit, import_framework, normalize_images, train_classifier

torch = import_framework()  # ember, unless --framework torch
nn = torch.nn
DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset


class RowLSTM(nn.Module):
    """Two stacked LSTM layers over the rows; the last hidden state goes to a linear classifier."""

    def __init__(self, input_size=28, hidden_size=128, num_layers=2, num_classes=10):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        out, (h_n, c_n) = self.lstm(x)
        return self.fc(out[:, -1])


def main():
    p = base_parser(__doc__, epochs=3, batch_size=64, lr=2e-3)
    p.add_argument("--data-root", default=None)
    p.add_argument("--limit", type=int, default=0, help="use only the first N samples of each split")
    p.add_argument("--hidden-size", type=int, default=128)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    (xtr, ytr), (xte, yte), root = fashion_mnist_or_exit(args.data_root, args.limit)
    train_set, test_set = (TensorDataset(torch.from_numpy(normalize_images(x)), torch.from_numpy(y))
                           for x, y in ((xtr, ytr), (xte, yte)))
    print(f"{torch.__name__}: data Fashion-MNIST ({root}), {len(train_set)} train / {len(test_set)} test")
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=1000)
    model = RowLSTM(hidden_size=args.hidden_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    clip = lambda: nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # noqa: E731
    history = train_classifier(torch, model, optimizer, train_loader, test_loader, args.epochs, args.quiet,
                               step_hook=clip)
    if args.plot:
        history.plot(args.plot)


if __name__ == "__main__":
    main()
