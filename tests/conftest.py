import os

import numpy as np
import pytest

# Worker subprocesses (every-ISA runs, examples) inherit PYTHONPATH, some with cwd=tests/: a relative
# entry such as `src` would then miss this checkout and import an installed ember instead.
if os.environ.get("PYTHONPATH"):
    os.environ["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in os.environ["PYTHONPATH"].split(os.pathsep) if p)

import ember  # noqa: E402

try:
    import torch  # the test oracle (CPU build 2.13.0); ember never imports it
    HAVE_TORCH = True
except ImportError:  # pragma: no cover - the CI installs it
    torch = None
    HAVE_TORCH = False


def pytest_configure(config):
    config.addinivalue_line("markers", "cuda: needs an NVIDIA GPU")
    config.addinivalue_line("markers", "torch: compares against PyTorch")


def pytest_collection_modifyitems(config, items):
    if ember.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="no CUDA device")
    for item in items:
        # The marker, not item.keywords: keywords also hold the folder names (a checkout in .../cuda/).
        if item.get_closest_marker("cuda") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seed():
    np.random.seed(0)
    ember.manual_seed(0)
    if HAVE_TORCH:
        torch.manual_seed(0)
    yield


@pytest.fixture(params=["cpu"] + (["cuda"] if ember.cuda.is_available() else []))
def device(request):
    return request.param


def require_torch():
    if os.environ.get("EMBER_REQUIRE_TORCH") and not HAVE_TORCH:
        pytest.fail("EMBER_REQUIRE_TORCH is set but torch is not importable")
    if not HAVE_TORCH:
        pytest.skip("torch not installed")
    return torch
