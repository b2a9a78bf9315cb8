"""A GAN on a 2-D toy distribution (eight Gaussians on a ring): a PyTorch script that runs with
`import ember as torch`. The final evaluation counts how many of the eight modes the generator
covers and what fraction of its samples land near a mode.

    python examples/gan_2d.py [--epochs 6] [--steps 500] [--plot curves.png] [--framework ember|torch]
"""
import math

import numpy as np

from common import History, base_parser, import_framework, progress

torch = import_framework()  # ember, unless --framework torch
nn, F = torch.nn, torch.nn.functional

MODES = np.array([[2 * math.cos(2 * math.pi * k / 8), 2 * math.sin(2 * math.pi * k / 8)] for k in range(8)],
                 dtype=np.float32)
MODE_STD = 0.05
NEAR = 4 * MODE_STD  # a sample within this distance of a mode counts as "near" it


def real_batch(rng, n):
    return torch.from_numpy(MODES[rng.integers(0, 8, n)] + rng.normal(0, MODE_STD, (n, 2)).astype(np.float32))


def mlp(n_in, n_out, hidden=128):
    return nn.Sequential(nn.Linear(n_in, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
                         nn.Linear(hidden, n_out))


def mode_stats(samples):
    """(modes covered, fraction of samples near a mode); a mode counts as covered with >= 1% of samples."""
    d = np.linalg.norm(samples[:, None, :] - MODES[None], axis=2)
    nearest, dist = d.argmin(1), d.min(1)
    near = dist < NEAR
    counts = np.bincount(nearest[near], minlength=8)
    return int((counts >= 0.01 * len(samples)).sum()), float(near.mean())


def main():
    p = base_parser(__doc__, epochs=6, batch_size=256, lr=1e-3)
    p.add_argument("--steps", type=int, default=500, help="generator steps per epoch")
    p.add_argument("--latent", type=int, default=8)
    args = p.parse_args()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    G, D = mlp(args.latent, 2), mlp(2, 1)
    opt_g = torch.optim.Adam(G.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=args.lr, betas=(0.5, 0.999))
    ones, zeros = torch.ones(args.batch_size, 1), torch.zeros(args.batch_size, 1)
    history = History()
    print(f"{torch.__name__}: 8-Gaussian ring, {args.steps} steps of batch {args.batch_size} per epoch")
    for epoch in range(1, args.epochs + 1):
        history.start_epoch()
        d_sum, g_sum = 0.0, 0.0
        for _ in progress(range(args.steps), desc=f"epoch {epoch}", disable=args.quiet):
            fake = G(torch.randn(args.batch_size, args.latent))
            opt_d.zero_grad()
            d_loss = (F.binary_cross_entropy_with_logits(D(real_batch(rng, args.batch_size)), ones)
                      + F.binary_cross_entropy_with_logits(D(fake.detach()), zeros))
            d_loss.backward()
            opt_d.step()
            opt_g.zero_grad()
            g_loss = F.binary_cross_entropy_with_logits(D(fake), ones)  # non-saturating generator loss
            g_loss.backward()
            opt_g.step()
            d_sum += d_loss.item()
            g_sum += g_loss.item()
        history.stop_clock()
        with torch.no_grad():
            samples = G(torch.randn(4000, args.latent)).numpy()
        covered, near = mode_stats(samples)
        history.end_epoch(epoch, d_loss=d_sum / args.steps, g_loss=g_sum / args.steps, modes_covered=covered,
                          near_fraction=near)
    print(f"final modes covered: {covered}/8, samples near a mode: {near:.4f}")
    if args.plot:
        history.plot(args.plot)


if __name__ == "__main__":
    main()
