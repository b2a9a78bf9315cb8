"""Every op_db row: values against torch and NumPy, gradients against torch, float64 finite
differences, over dtypes and contiguous / transposed / strided layouts."""
import pytest

from helpers import check_op, finite_difference_check
from op_db import OPS

CASES = [pytest.param(op, dtype, si, lay, id=f"{op.name}-{dtype}-s{si}-{lay}")
         for op in OPS for dtype in op.dtypes for si in range(len(op.samples)) for lay in op.layouts]


@pytest.mark.parametrize("op,dtype,sample_index,layout_kind", CASES)
def test_op(op, dtype, sample_index, layout_kind):
    check_op(op, dtype, op.samples[sample_index], layout_kind)


GRAD_CASES = [pytest.param(op, si, id=f"{op.name}-s{si}") for op in OPS if op.differentiable and op.gradcheck
              and "float64" in op.dtypes for si in range(len(op.samples))]


@pytest.mark.parametrize("op,sample_index", GRAD_CASES)
def test_gradcheck(op, sample_index):
    finite_difference_check(op, op.samples[sample_index])
