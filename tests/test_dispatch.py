"""The kernel table and the per-ISA kernels."""
import os
import subprocess
import sys

import pytest

import ember

# Subprocesses import the same ember as this process (an in-place build or the installed one).
_ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(
    [os.path.dirname(os.path.dirname(ember.__file__))] + [p for p in [os.environ.get("PYTHONPATH")] if p]))


def test_every_cpu_slot_is_filled():
    table = ember._C._kernel_table("cpu")
    assert len(table) > 10
    missing = [name for name, registered in table if not registered]
    assert not missing, f"CPU kernels missing for: {missing}"


def test_cuda_column_reports_missing_kernels_cleanly():
    # Without a CUDA build every CUDA slot is empty; asking for one must raise, not crash.
    table = dict(ember._C._kernel_table("cuda"))
    if ember.cuda.is_available():
        pytest.skip("CUDA build: covered by the CUDA tests")
    assert not any(table.values())
    with pytest.raises(RuntimeError):
        ember.zeros(2).to("cuda")


def _supported_isas():
    out = subprocess.run([sys.executable, "-c", "import ember; print(ember._C._cpu_isa())"],
                         env=_ENV, capture_output=True, text=True, check=True)
    best = out.stdout.strip()
    order = ["baseline", "avx2", "avx512"]
    return order[: order.index(best) + 1]


@pytest.mark.parametrize("isa", ["baseline", "avx2", "avx512"])
def test_op_table_on_each_isa(isa):
    """Run the op table with the hot kernels forced to one ISA (a subprocess: the choice is made once)."""
    if isa not in _supported_isas():
        pytest.skip(f"this CPU does not support {isa}")
    env = dict(_ENV, EMBER_CPU_ISA=isa)
    probe = subprocess.run([sys.executable, "-c", "import ember; print(ember._C._cpu_isa())"], env=env,
                           capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == isa
    here = os.path.dirname(__file__)
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                          os.path.join(here, "test_ops_generic.py"), "-k", "contiguous or strided"],
                         env=env, capture_output=True, text=True, cwd=here)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]


def test_unknown_isa_is_refused():
    env = dict(_ENV, EMBER_CPU_ISA="sse9")
    res = subprocess.run([sys.executable, "-c", "import ember; ember.ones(3) + 1"], env=env,
                         capture_output=True, text=True)
    assert res.returncode != 0 and "EMBER_CPU_ISA" in res.stderr
