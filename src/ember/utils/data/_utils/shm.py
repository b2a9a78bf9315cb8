"""Batches from DataLoader workers through shared memory instead of pickles.

A worker writes every CPU tensor of a collated batch into one file under /dev/shm (one memcpy per
tensor, 64-byte aligned) and puts only small metadata on the result queue: the file name, and for
each tensor its dtype, shape and offset. The main process maps the file, unlinks it at once (the
mapping outlives the name on Linux) and wraps each tensor with NumPy + ember.from_numpy without a
copy; the tensors keep the mapping alive through their NumPy base, and it is unmapped when the last
one dies. Files are named <prefix>_<worker>_<n> with a prefix unique to one DataLoader iterator, so
whatever a shutdown leaves behind (batches still queued at an early break, an exception, a killed
worker) is removed by unlinking <prefix>_* once the workers have stopped. No
multiprocessing.shared_memory, hence no resource_tracker bookkeeping or warnings. Where /dev/shm is
missing (not Linux), batches are pickled as before.
"""
import glob
import mmap
import os
import secrets

import numpy as np

_ALIGN = 64
SHM_DIR = "/dev/shm"


def available():
    return os.path.isdir(SHM_DIR) and os.access(SHM_DIR, os.W_OK)


def new_prefix():
    return f"ember_dl_{os.getpid()}_{secrets.token_hex(4)}"


def cleanup(prefix):
    """Unlink every segment of one iterator (call after its workers have stopped)."""
    removed = 0
    for path in glob.glob(os.path.join(SHM_DIR, glob.escape(prefix) + "_*")):
        try:
            os.unlink(path)
            removed += 1
        except FileNotFoundError:
            pass
    return removed


class _Ref:
    """Stands for tensor number `i` of a shared-memory batch inside the batch's structure."""
    __slots__ = ("i",)

    def __init__(self, i):
        self.i = i


class ShmBatch:
    """What crosses the queue: the batch structure with tensors replaced by _Ref, and the segment."""

    def __init__(self, name, size, metas, structure):
        self.name, self.size, self.metas, self.structure = name, size, metas, structure


def _replace(data, fn):
    """Rebuild a nested batch with fn applied to its leaves (same container rules as collate)."""
    if isinstance(data, dict):
        try:
            return type(data)((k, _replace(v, fn)) for k, v in data.items())
        except TypeError:
            return {k: _replace(v, fn) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(_replace(d, fn) for d in data))
    if isinstance(data, (list, tuple)):
        try:
            return type(data)(_replace(d, fn) for d in data)
        except TypeError:
            return [_replace(d, fn) for d in data]
    return fn(data)


class Writer:
    """Worker side: turns collated batches into ShmBatch messages."""

    def __init__(self, prefix, worker_id):
        self.prefix, self.worker_id, self.count = prefix, worker_id, 0

    def pack(self, data):
        import ember
        arrays, metas = [], []

        def take(x):
            if not isinstance(x, ember.Tensor) or x.device.type != "cpu":
                return x
            t = x.detach()
            dtype = str(t.dtype).split(".")[-1]
            if t.dtype == ember.bfloat16:
                t = t.view(ember.int16)
            arr = t.numpy()
            arrays.append(arr)
            metas.append((dtype, arr.dtype.str, tuple(arr.shape)))
            return _Ref(len(arrays) - 1)

        structure = _replace(data, take)
        if not arrays:
            return None
        offsets, size = [], 0
        for arr in arrays:
            offsets.append(size)
            size += -(-max(arr.nbytes, 1) // _ALIGN) * _ALIGN
        name = f"{self.prefix}_{self.worker_id}_{self.count}"
        self.count += 1
        path = os.path.join(SHM_DIR, name)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        try:
            os.ftruncate(fd, size)
            with mmap.mmap(fd, size) as mm:
                for arr, off in zip(arrays, offsets):
                    if arr.nbytes:
                        dst = np.ndarray(arr.shape, arr.dtype, buffer=mm, offset=off)
                        np.copyto(dst, arr)
                        del dst
        except BaseException:
            os.close(fd)
            os.unlink(path)
            raise
        os.close(fd)
        metas = [m + (off,) for m, off in zip(metas, offsets)]
        return ShmBatch(name, size, metas, structure)


def unpack(batch):
    """Main-process side: map the segment, unlink its name, rebuild the batch around zero-copy tensors."""
    import ember
    path = os.path.join(SHM_DIR, batch.name)
    fd = os.open(path, os.O_RDWR)
    try:
        os.unlink(path)
        mm = mmap.mmap(fd, batch.size)
    finally:
        os.close(fd)
    tensors = []
    for dtype, np_dtype, shape, off in batch.metas:
        arr = np.ndarray(shape, np.dtype(np_dtype), buffer=mm, offset=off)
        t = ember.from_numpy(arr)  # shares the mapping; arr (and through it mm) lives as long as t
        if dtype == "bfloat16":
            t = t.view(ember.bfloat16)
        tensors.append(t)
    return _replace(batch.structure, lambda x: tensors[x.i] if isinstance(x, _Ref) else x)
