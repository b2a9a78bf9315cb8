"""Worker subprocesses started from tests/ (every-ISA runs, examples) import this checkout's ember,
not an installed one: conftest.py makes PYTHONPATH absolute."""
import os
import subprocess
import sys

import ember


def test_child_with_cwd_tests_imports_this_ember():
    out = subprocess.run([sys.executable, "-c", "import ember; print(ember.__file__)"], cwd=os.path.dirname(__file__),
                         capture_output=True, text=True, check=True).stdout.strip()
    assert os.path.realpath(os.path.dirname(out)) == os.path.realpath(os.path.dirname(ember.__file__)), out
