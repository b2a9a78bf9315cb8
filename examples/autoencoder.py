"""A fully connected autoencoder (784-256-32-256-784) on Fashion-MNIST: a PyTorch script that runs
with `import ember as torch`. It reports the reconstruction error on the test set.

    python examples/autoencoder.py [--epochs 5] [--data-root DIR] [--limit N] [--plot curves.png]
                                   [--framework ember|torch]
"""
from common import History, base_parser, fashion_mnist_or_exit, import_framework, progress

torch = import_framework()  # ember, unless --framework torch
nn, F = torch.nn, torch.nn.functional
DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset


class AutoEncoder(nn.Module):
    def __init__(self, code_size=32):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, code_size))
        self.decoder = nn.Sequential(nn.Linear(code_size, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


def test_mse(model, loader):
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for (x,) in loader:
            total += F.mse_loss(model(x), x, reduction="sum").item()
            count += x.numel()
    return total / count


def main():
    p = base_parser(__doc__, epochs=5, batch_size=128, lr=1e-3)
    p.add_argument("--data-root", default=None)
    p.add_argument("--limit", type=int, default=0, help="use only the first N samples of each split")
    p.add_argument("--code-size", type=int, default=32)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    (xtr, _), (xte, _), root = fashion_mnist_or_exit(args.data_root, args.limit)
    train_set, test_set = (TensorDataset(torch.from_numpy(x.reshape(len(x), -1)).float() / 255) for x in (xtr, xte))
    print(f"{torch.__name__}: data Fashion-MNIST ({root}), {len(train_set)} train / {len(test_set)} test")
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=1000)
    model = AutoEncoder(args.code_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    baseline = F.mse_loss(test_set.tensors[0], test_set.tensors[0].mean(0, keepdim=True).expand_as(test_set.tensors[0]))
    print(f"baseline (predict the mean image) test MSE: {baseline.item():.4f}")
    history = History()
    for epoch in range(1, args.epochs + 1):
        model.train()
        history.start_epoch()
        running, batches = 0.0, 0
        for (x,) in progress(train_loader, desc=f"epoch {epoch}", disable=args.quiet):
            optimizer.zero_grad()
            loss = F.mse_loss(model(x), x)
            loss.backward()
            optimizer.step()
            running += loss.item()
            batches += 1
        history.stop_clock()
        history.end_epoch(epoch, train_loss=running / batches, test_loss=test_mse(model, test_loader))
    print(f"final test MSE: {history.metrics['test_loss'][-1]:.4f}")
    if args.plot:
        history.plot(args.plot)


if __name__ == "__main__":
    main()
