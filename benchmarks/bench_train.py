"""Whole training steps per second (forward, loss, backward, optimizer step): ember vs PyTorch in
one process, same initial weights (copied through numpy), same batches, 1 and 2 threads, medians
over steps after warm-up. ratio = ember steps/s / torch steps/s (> 1: ember is faster).

    PYTHONPATH=src python benchmarks/bench_train.py [--threads 1,2] [--models lenet,mlp,resnet18,lstm]
                                                   [--steps 20] [--profile resnet18] [--clock wall|cpu]

--profile MODEL prints a per-module time breakdown of one ember and one torch step (forward of
each leaf module timed by wrapping it, backward and optimizer step timed as a whole; CPU time of
the process with one thread, wall time otherwise).
"""
import argparse
import os
import time

import numpy as np
import torch

import ember
from harness import machine, set_threads, table


# ---- models, written once against a torch-shaped namespace `lib` (ember or torch)

def lenet(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84),
                         nn.ReLU(), nn.Linear(84, 10))


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                         nn.Linear(64, 10))


def resnet18(lib, num_classes=10):
    """torchvision's ResNet-18 structure (BasicBlock, [2, 2, 2, 2]) written inline."""
    nn = lib.nn

    class BasicBlock(nn.Module):
        def __init__(self, inplanes, planes, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.downsample = None
            if stride != 1 or inplanes != planes:
                self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                                                nn.BatchNorm2d(planes))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + identity)

    class ResNet18(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            layers, inplanes = [], 64
            for planes, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
                layers.append(nn.Sequential(BasicBlock(inplanes, planes, stride), BasicBlock(planes, planes)))
                inplanes = planes
            self.layer1, self.layer2, self.layer3, self.layer4 = layers
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512, num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(lib.flatten(self.avgpool(x), 1))

    return ResNet18()


# ---- LSTM classifier slot: runs once ember.nn.LSTM exists (another branch is adding it).
def lstm_classifier(lib):
    nn = lib.nn

    class LSTMClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(28, 128, num_layers=2, batch_first=True)
            self.fc = nn.Linear(128, 10)

        def forward(self, x):  # x: [batch, 28, 28] (rows of an image as a sequence)
            out, _ = self.lstm(x)
            return self.fc(out[:, -1])

    return LSTMClassifier()


MODELS = {  # name: (builder, input shape, optimizer)
    "lenet": (lenet, (64, 3, 32, 32), "sgd"),
    "mlp": (mlp, (64, 1, 28, 28), "adam"),
    "resnet18": (resnet18, (16, 3, 64, 64), "sgd"),
    "lstm": (lstm_classifier, (64, 28, 28), "adam"),
}


def available(name):
    return name != "lstm" or hasattr(ember.nn, "LSTM")


def copy_weights(e_model, t_model):
    e_state, t_state = e_model.state_dict(), t_model.state_dict()
    assert list(e_state) == list(t_state), "ember and torch models differ in structure"
    with ember.no_grad():
        for key, t in t_state.items():
            e_state[key].copy_(ember.from_numpy(t.detach().numpy().copy()))


def make_pair(name, seed=0):
    build, shape, opt = MODELS[name]
    torch.manual_seed(seed)
    t_model = build(torch)
    e_model = build(ember)
    copy_weights(e_model, t_model)
    if opt == "sgd":
        t_opt = torch.optim.SGD(t_model.parameters(), lr=0.01, momentum=0.9)
        e_opt = ember.optim.SGD(e_model.parameters(), lr=0.01, momentum=0.9)
    else:
        t_opt = torch.optim.Adam(t_model.parameters(), lr=1e-3)
        e_opt = ember.optim.Adam(e_model.parameters(), lr=1e-3)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.integers(0, 10, shape[0]).astype(np.int64)
    return (e_model, e_opt, ember.from_numpy(x.copy()), ember.from_numpy(y.copy())), \
           (t_model, t_opt, torch.from_numpy(x.copy()), torch.from_numpy(y.copy()))


def step_fn(lib, model, opt, x, y):
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def time_steps(step, steps, warmup=3, clock=time.perf_counter):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = clock()
        step()
        times.append(clock() - t0)
    return float(np.median(times))


def bench(names, threads_list, steps, cpu_clock=False):
    rows = []
    for threads in threads_list:
        set_threads(ember, torch, threads)
        clock = time.process_time if cpu_clock and threads == 1 else time.perf_counter
        for name in names:
            if not available(name):
                rows.append((name, threads, "-", "-", "-", "nn.LSTM not in ember yet"))
                continue
            (em, eo, ex, ey), (tm, to, tx, ty) = make_pair(name)
            e_loss0 = float(step_fn(ember, em, eo, ex, ey)().item())
            t_loss0 = float(step_fn(torch, tm, to, tx, ty)().item())
            te = time_steps(step_fn(ember, em, eo, ex, ey), steps, clock=clock)
            tt = time_steps(step_fn(torch, tm, to, tx, ty), steps, clock=clock)
            rows.append((name, threads, f"{1 / te:.1f}", f"{1 / tt:.1f}", f"{tt / te:.2f}",
                         f"first loss {e_loss0:.4f} / {t_loss0:.4f}"))
    return rows


# ---- profile: time each leaf module's forward (wrapping forward), backward and step as wholes

def profile(name, threads, steps=10):
    set_threads(ember, torch, threads)
    # one thread: CPU time of the process (robust on a shared machine); more: wall time
    clock = time.process_time if threads == 1 else time.perf_counter
    out = {}
    for lib, pair in zip((ember, torch), make_pair(name)):
        model, opt, x, y = pair
        acc = {}

        def wrap(mod, key):
            inner = mod.forward

            def timed(*args, **kwargs):
                t0 = clock()
                r = inner(*args, **kwargs)
                acc[key] = acc.get(key, 0.0) + clock() - t0
                return r
            mod.forward = timed

        for mname, mod in model.named_modules():
            if len(list(mod.children())) == 0:
                wrap(mod, f"{type(mod).__name__}")
        loss_fn = lib.nn.CrossEntropyLoss()
        for i in range(steps + 2):
            if i == 2:
                acc.clear()
            opt.zero_grad()
            t0 = clock()
            loss = loss_fn(model(x), y)
            t1 = clock()
            loss.backward()
            t2 = clock()
            opt.step()
            t3 = clock()
            if i >= 2:
                for k, v in (("= forward total", t1 - t0), ("= backward total", t2 - t1), ("= optimizer step", t3 - t2)):
                    acc[k] = acc.get(k, 0.0) + v
        out[lib.__name__] = {k: v / steps for k, v in acc.items()}
    keys = sorted(set(out["ember"]) | set(out["torch"]), key=lambda k: -out["ember"].get(k, 0.0))
    rows = [(k, f"{out['ember'].get(k, 0) * 1e3:.2f}", f"{out['torch'].get(k, 0) * 1e3:.2f}") for k in keys]
    print(f"\nProfile of one {name} training step, {threads} thread(s), ms (forward rows: summed over "
          f"module instances of that type)\n")
    print(table(rows, ["part", "ember ms", "torch ms"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--models", default="lenet,mlp,resnet18,lstm")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--profile", default="")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="cpu: process CPU time for the 1-thread rows (robust on a loaded machine)")
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    print(f"machine: {machine()}; torch {torch.__version__}; ember {ember.__version__}; "
          f"load average {os.getloadavg()[0]:.1f}; clock {args.clock}")
    if args.profile:
        for t in threads:
            profile(args.profile, t)
        return
    rows = bench(args.models.split(","), threads, args.steps, args.clock == "cpu")
    print("\nTraining steps per second (median step after 3 warm-up steps; ratio = torch time / ember time)\n")
    print(table(rows, ["model", "thr", "ember steps/s", "torch steps/s", "ratio", "check"]))


if __name__ == "__main__":
    main()
