"""op_db rows on the further dtypes torch accepts for them (tests/op_dtypes_extra.py, written by
tests/audit_issue2.py): values and dtypes against torch and NumPy, gradients against torch for float32 /
float64, over every sample and layout, plus float64 finite differences for rows that gain float64."""
import pytest

from helpers import check_op, finite_difference_check
from op_db import OPS
from op_dtypes_extra import EXTRA_DTYPES

ROWS = {op.name: op for op in OPS}
CASES = [pytest.param(ROWS[name], dtype, si, lay, id=f"{name}-{dtype}-s{si}-{lay}")
         for name, dtypes in EXTRA_DTYPES.items() if name in ROWS for dtype in dtypes
         for si in range(len(ROWS[name].samples)) for lay in ROWS[name].layouts]


@pytest.mark.parametrize("op,dtype,sample_index,layout_kind", CASES)
def test_op_extra_dtype(op, dtype, sample_index, layout_kind):
    check_op(op, dtype, op.samples[sample_index], layout_kind)


GRAD_CASES = [pytest.param(ROWS[name], si, id=f"{name}-s{si}") for name, dtypes in EXTRA_DTYPES.items()
              if name in ROWS and "float64" in dtypes and ROWS[name].differentiable and ROWS[name].gradcheck
              for si in range(len(ROWS[name].samples))]


@pytest.mark.parametrize("op,sample_index", GRAD_CASES)
def test_gradcheck_extra_float64(op, sample_index):
    finite_difference_check(op, op.samples[sample_index])
