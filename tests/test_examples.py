"""The examples run end to end (real IDX loading, training, evaluation) on a small Fashion-MNIST-
format data set written here, so the test needs no download and no system package."""
import gzip
import os
import subprocess
import sys

import numpy as np
import pytest

import ember

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def write_idx(path, array):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    """Two learnable classes of 28x28 images (bright top half vs bright bottom half) plus noise."""
    root = tmp_path_factory.mktemp("fashion")
    rng = np.random.default_rng(0)
    for split, n in (("train", 600), ("t10k", 200)):
        labels = rng.integers(0, 2, n)
        images = rng.integers(0, 60, (n, 28, 28))
        images[labels == 0, :14] += 150
        images[labels == 1, 14:] += 150
        write_idx(os.path.join(root, f"{split}-images-idx3-ubyte.gz"), images)
        write_idx(os.path.join(root, f"{split}-labels-idx1-ubyte.gz"), labels)
    return str(root)


def run_example(script, data_root, *args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(os.path.dirname(ember.__file__))] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    res = subprocess.run([sys.executable, os.path.join(EXAMPLES, script), "--data-root", data_root, *args],
                         capture_output=True, text=True, cwd=EXAMPLES, env=env, timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    return res.stdout


@pytest.mark.parametrize("script", ["mnist_mlp.py", "mnist_lenet.py"])
def test_example_trains_and_evaluates(script, data_root):
    out = run_example(script, data_root, "--epochs", "2")
    assert "600 train / 200 test" in out
    acc = float(out.strip().splitlines()[-1].split()[-1])
    assert acc > 0.9, out  # the two classes are easy: a broken training loop stays near 0.5
