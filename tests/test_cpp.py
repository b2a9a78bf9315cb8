"""The C++ embedding contract: build and install the core (no Python module), then build
tests/cpp and examples/cpp against the installed package through find_package(ember) and run them.

Skipped only when cmake or a C++ compiler is missing. The core is built with
EMBER_CPU_DISPATCH=OFF (one ISA) and through ccache when available, to keep this short.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _compiler():
    for name in (os.environ.get("CXX"), "c++", "g++", "clang++"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _run(cmd, cwd=None, env=None, timeout=600):
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"command failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{proc.stdout[-6000:]}")
    return proc.stdout


@pytest.fixture(scope="module")
def installed_ember(tmp_path_factory):
    cmake = shutil.which("cmake")
    cxx = _compiler()
    if cmake is None:
        pytest.skip("cmake is not installed: cannot build the C++ embedding tests")
    if cxx is None:
        pytest.skip("no C++ compiler (c++, g++ or clang++) found: cannot build the C++ embedding tests")
    work = tmp_path_factory.mktemp("cpp")
    prefix = work / "prefix"
    env = dict(os.environ)
    env.setdefault("CCACHE_BASEDIR", str(ROOT.parent))
    common = [f"-DCMAKE_CXX_COMPILER={cxx}", "-DCMAKE_BUILD_TYPE=Release"]
    if shutil.which("ninja"):
        common += ["-G", "Ninja"]
    if shutil.which("ccache"):
        common.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
    _run([cmake, "-S", str(ROOT), "-B", str(work / "core"), *common, "-DEMBER_BUILD_PYTHON=OFF",
          "-DEMBER_CPU_DISPATCH=OFF", "-DEMBER_BUILD_TESTS=OFF", f"-DCMAKE_INSTALL_PREFIX={prefix}"], env=env)
    jobs = ["--parallel", str(max(1, os.cpu_count() or 1))]
    _run([cmake, "--build", str(work / "core"), "--target", "install", *jobs], env=env, timeout=1200)
    assert (prefix / "include" / "ember" / "ember.h").exists()
    config = list(prefix.glob("lib*/cmake/ember/emberConfig.cmake"))
    assert config, "emberConfig.cmake was not installed"

    def build(src, name):
        build_dir = work / name
        _run([cmake, "-S", str(ROOT / src), "-B", str(build_dir), *common, f"-DCMAKE_PREFIX_PATH={prefix}"], env=env)
        _run([cmake, "--build", str(build_dir), *jobs], env=env)
        return build_dir

    return build


def _exe(build_dir, name):
    path = build_dir / (name + (".exe" if sys.platform == "win32" else ""))
    assert path.exists(), f"{path} was not built"
    return str(path)


def test_cpp_embed(installed_ember):
    build_dir = installed_ember("tests/cpp", "tests_cpp")
    out = _run([_exe(build_dir, "test_embed")], timeout=120)
    assert "0 failed" in out, out


def test_cpp_example_train_linear(installed_ember):
    build_dir = installed_ember("examples/cpp", "example_cpp")
    out = _run([_exe(build_dir, "train_linear")], timeout=120)
    assert "converged" in out, out


def test_cpp_safetensors(installed_ember, tmp_path):
    """C++ loads a safetensors file written by Python and writes one Python (and the safetensors
    package, when installed) reads back."""
    import numpy as np

    import ember
    from ember.utils import safetensors as est

    src, out = tmp_path / "from_python.safetensors", tmp_path / "from_cpp.safetensors"
    est.save_file({"w": ember.arange(6, dtype=ember.float32).view(2, 3), "ids": ember.tensor([-3, 0, 7]),
                   "h": ember.tensor([0.5, -2.0], dtype=ember.float16),
                   "b": ember.tensor([1.5, -3.0], dtype=ember.bfloat16),
                   "flags": ember.tensor([True, False, True]), "d": ember.tensor(2.25, dtype=ember.float64)},
                  str(src), metadata={"format": "pt"})
    build_dir = installed_ember("tests/cpp", "tests_cpp")
    log = _run([_exe(build_dir, "test_serialize"), str(src), str(out)], timeout=120)
    assert " 0 failed" in log, log
    with est.safe_open(str(out), framework="pt") as f:
        assert f.metadata() == {"writer": "ember c++", "note": "quote\" and \\ and \n"}
        got = {k: f.get_tensor(k) for k in f.keys()}
    np.testing.assert_array_equal(got["cpp.weight"].numpy(), np.arange(12.0).reshape(3, 4).T)
    assert got["cpp.weight"].dtype == ember.float64
    assert got["cpp.count"].tolist() == [42, 42] and got["cpp.count"].dtype == ember.int32
    assert tuple(got["cpp.empty"].shape) == (0, 5)
    assert got["cpp.u8"].tolist() == [250, 251, 252, 253, 254, 255]
    # byte-identical to what ember's Python writer makes for the same tensors and metadata
    assert out.read_bytes() == est.save(got, metadata={"writer": "ember c++", "note": "quote\" and \\ and \n"})
