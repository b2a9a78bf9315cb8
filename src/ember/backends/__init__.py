"""ember.backends: the flags PyTorch scripts set at the top (cudnn.benchmark, allow_tf32, ...).

ember's CPU kernels are deterministic and have no tuning modes, so these flags are recorded and
read back but change nothing; the `is_available()` answers are the truth for this build.
"""
import types

import ember


def _flags(name, **values):
    ns = types.SimpleNamespace(**values)
    ns.__name__ = f"ember.backends.{name}"
    return ns


cudnn = _flags("cudnn", enabled=True, benchmark=False, deterministic=False, allow_tf32=True,
               is_available=lambda: False, version=lambda: None)
mps = _flags("mps", is_available=lambda: False, is_built=lambda: False)
mkldnn = _flags("mkldnn", enabled=True, is_available=lambda: False)
openmp = _flags("openmp", is_available=lambda: False)
cpu = _flags("cpu", get_cpu_capability=lambda: {"avx512": "AVX512", "avx2": "AVX2"}.get(ember._C._cpu_isa(), "DEFAULT"))
class _CudaMatmulFlags:
    """ember.backends.cuda.matmul: allow_tf32 is passed on to the CUDA backend's cuBLAS calls."""

    def __init__(self):
        self._allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True

    @property
    def allow_tf32(self):
        return self._allow_tf32

    @allow_tf32.setter
    def allow_tf32(self, value):
        self._allow_tf32 = bool(value)
        backend = ember.cuda._backend
        if backend is not None:
            backend._set_allow_tf32(self._allow_tf32)


cuda = _flags("cuda", is_built=lambda: ember.cuda.is_available(), matmul=_CudaMatmulFlags())
