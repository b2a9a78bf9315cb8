"""The examples under ember and under PyTorch, one after the other in one run, on the same machine:
epoch times (training pass only, evaluation excluded) and final metrics.

    python benchmarks/bench_examples.py [--only mnist_mlp,mnist_lenet] [--threads 2] [--cifar-root DIR]
                                        [--clock wall|cpu] [--epochs N]

Each example is the same script; `--framework torch` swaps `import ember as torch` for PyTorch.
Runs alternate frameworks per example so both see the same machine load. Prints a Markdown table.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")

# (script, extra arguments, the final-metric line prefix)
RUNS = [
    ("mnist_mlp.py", [], "final test accuracy"),
    ("mnist_lenet.py", [], "final test accuracy"),
    ("lstm_classifier.py", [], "final test accuracy"),
    ("autoencoder.py", [], "final test MSE"),
    ("gan_2d.py", [], "final modes covered"),
    ("transformer_seq.py", [], "final token accuracy"),
    ("linear_regression.py", [], "final test R^2"),
    ("cifar_cnn.py", ["--data-root", "{cifar}"], "final test accuracy"),
]
EPOCH = re.compile(r"^epoch \d+: .*\(([\d.]+) s\)$")


def run(script, args, framework, threads, clock="wall"):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), EMBER_NUM_THREADS=str(threads), EXAMPLES_CLOCK=clock,
               PYTHONPATH=os.pathsep.join([os.path.join(ROOT, "src")] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    res = subprocess.run([sys.executable, script, "--quiet", "--framework", framework, *args], cwd=EXAMPLES,
                         capture_output=True, text=True, env=env)
    if res.returncode != 0:
        raise RuntimeError(f"{script} under {framework} failed:\n{res.stdout[-1500:]}\n{res.stderr[-3000:]}")
    return res.stdout


def summarise(out, final_prefix):
    times = [float(m.group(1)) for m in map(EPOCH.match, out.splitlines()) if m]
    final = [ln for ln in out.splitlines() if ln.startswith(final_prefix)][-1]
    return times, final[len(final_prefix):].strip(" :")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default="", help="comma-separated script names (without .py)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--cifar-root", default=None, help="CIFAR-10 folder; the CIFAR example is skipped without it")
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                   help="cpu: epoch times in process CPU time (steadier on a loaded machine; use with --threads 1)")
    p.add_argument("--epochs", type=int, default=0, help="override each example's default epoch count")
    args = p.parse_args()
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    print(f"threads: {args.threads}; clock: {args.clock}; load average {os.getloadavg()[0]:.1f}; "
          f"epoch time = median over epochs of the training pass\n")
    print("| example | ember epoch (s) | torch epoch (s) | torch / ember | ember final | torch final |")
    print("|---|---|---|---|---|---|")
    for script, extra, final_prefix in RUNS:
        name = script[:-3]
        if only and name not in only:
            continue
        if "{cifar}" in extra:
            if not args.cifar_root:
                continue
            extra = [a.replace("{cifar}", args.cifar_root) for a in extra]
        results = {}
        for framework in ("ember", "torch"):
            ex = extra + (["--epochs", str(args.epochs)] if args.epochs else [])
            results[framework] = summarise(run(script, ex, framework, args.threads, args.clock), final_prefix)
        (et, ef), (tt, tf) = results["ember"], results["torch"]
        em, tm = statistics.median(et), statistics.median(tt)
        print(f"| {name} | {em:.2f} | {tm:.2f} | {tm / em:.2f}x | {ef} | {tf} |", flush=True)


if __name__ == "__main__":
    main()
