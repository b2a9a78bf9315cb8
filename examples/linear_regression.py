"""Linear regression with nn.Linear and SGD on scikit-learn's bundled diabetes data (offline):
a PyTorch script that runs with `import ember as torch`. The final evaluation compares the
learned model's test R^2 with the closed-form least-squares solution.

    python examples/linear_regression.py [--epochs 100] [--plot curves.png] [--framework ember|torch]
"""
import numpy as np

from common import History, base_parser, import_framework, progress

torch = import_framework()  # ember, unless --framework torch
nn, F = torch.nn, torch.nn.functional
DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset


def r2(pred, y):
    return 1.0 - float(((pred - y) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def main():
    p = base_parser(__doc__, epochs=100, batch_size=32, lr=0.01)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    from sklearn.datasets import load_diabetes
    x, y = load_diabetes(return_X_y=True)
    order = np.random.default_rng(args.seed).permutation(len(x))
    x, y = x[order].astype(np.float32), y[order].astype(np.float32)
    split = int(0.8 * len(x))
    mu, sigma = x[:split].mean(0), x[:split].std(0)
    x = (x - mu) / sigma
    y_mean, y_std = y[:split].mean(), y[:split].std()
    t = (y - y_mean) / y_std
    xtr, ttr, xte, yte = x[:split], t[:split], x[split:], y[split:]
    print(f"{torch.__name__}: diabetes data, {len(xtr)} train / {len(xte)} test samples, {x.shape[1]} features")

    loader = DataLoader(TensorDataset(torch.from_numpy(xtr), torch.from_numpy(ttr[:, None])),
                        batch_size=args.batch_size, shuffle=True)
    model = nn.Linear(x.shape[1], 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, args.epochs // 3), gamma=0.3)
    history = History()
    xte_t = torch.from_numpy(xte)
    for epoch in progress(range(1, args.epochs + 1), desc="training", disable=args.quiet):
        history.start_epoch()
        running = 0.0
        for xb, tb in loader:
            optimizer.zero_grad()
            loss = F.mse_loss(model(xb), tb)
            loss.backward()
            optimizer.step()
            running += loss.item() * len(xb)
        scheduler.step()
        history.stop_clock()
        with torch.no_grad():
            pred = model(xte_t).numpy()[:, 0] * y_std + y_mean
        show = epoch % max(1, args.epochs // 10) == 0 or epoch == args.epochs
        history.end_epoch(epoch, show=show, train_loss=running / len(xtr), test_r2=r2(pred, yte))

    # Closed form on the same standardised features, for reference.
    a = np.hstack([xtr, np.ones((len(xtr), 1), np.float32)])
    coef = np.linalg.lstsq(a.astype(np.float64), ttr.astype(np.float64), rcond=None)[0]
    exact = (np.hstack([xte, np.ones((len(xte), 1))]) @ coef) * y_std + y_mean
    print(f"least-squares test R^2: {r2(exact, yte):.4f}")
    print(f"final test R^2: {history.metrics['test_r2'][-1]:.4f}")
    if args.plot:
        history.plot(args.plot)


if __name__ == "__main__":
    main()
