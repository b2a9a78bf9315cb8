"""A small transformer encoder that learns to reverse sequences of digits (a synthetic task with an
exact answer): a PyTorch script that runs with `import ember as torch`. The final evaluation reports
token and whole-sequence accuracy on held-out sequences.

    python examples/transformer_seq.py [--epochs 5] [--seq-len 12] [--plot curves.png]
                                       [--framework ember|torch]
"""

import numpy as np

from common import History, base_parser, import_framework, progress

torch = import_framework()  # ember, unless --framework torch
nn, F = torch.nn, torch.nn.functional
DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset


class Reverser(nn.Module):
    """Token + learned position embeddings, a TransformerEncoder, and a per-position classifier."""

    def __init__(self, vocab, seq_len, d_model=64, nhead=4, layers=2, dim_feedforward=128):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model)
        self.pos = nn.Parameter(torch.randn(1, seq_len, d_model))
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=0.0, batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab)

    def forward(self, tokens):
        x = self.embed(tokens) + self.pos[:, :tokens.shape[1]]
        return self.head(self.norm(self.encoder(x)))


def make_split(rng, n, seq_len, vocab):
    x = rng.integers(0, vocab, (n, seq_len))
    return torch.from_numpy(x), torch.from_numpy(np.ascontiguousarray(x[:, ::-1]))


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)).item()
        hit = logits.argmax(-1) == y
        return loss, hit.float().mean().item(), hit.all(1).float().mean().item()


def main():
    p = base_parser(__doc__, epochs=5, batch_size=64, lr=3e-3)
    p.add_argument("--seq-len", type=int, default=12)
    p.add_argument("--vocab", type=int, default=10)
    p.add_argument("--train-size", type=int, default=10000)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    xtr, ytr = make_split(rng, args.train_size, args.seq_len, args.vocab)
    xte, yte = make_split(rng, 2000, args.seq_len, args.vocab)
    print(f"{torch.__name__}: reverse {args.seq_len} digits, {len(xtr)} train / {len(xte)} test sequences")
    loader = DataLoader(TensorDataset(xtr, ytr), batch_size=args.batch_size, shuffle=True)
    model = Reverser(args.vocab, args.seq_len)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=args.epochs * len(loader))
    history = History()
    for epoch in range(1, args.epochs + 1):
        model.train()
        history.start_epoch()
        running, batches = 0.0, 0
        for x, y in progress(loader, desc=f"epoch {epoch}", disable=args.quiet):
            optimizer.zero_grad()
            logits = model(x)
            loss = F.cross_entropy(logits.reshape(-1, args.vocab), y.reshape(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            running += loss.item()
            batches += 1
        history.stop_clock()
        test_loss, token_acc, seq_acc = evaluate(model, xte, yte)
        history.end_epoch(epoch, train_loss=running / batches, test_loss=test_loss, token_accuracy=token_acc,
                          sequence_accuracy=seq_acc)
    print(f"final token accuracy: {token_acc:.4f}, sequence accuracy: {seq_acc:.4f}")
    if args.plot:
        history.plot(args.plot)


if __name__ == "__main__":
    main()
