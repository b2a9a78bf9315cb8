"""Tensor.share_memory_() / is_shared(): CPU storage moved into a /dev/shm segment.

share_memory_() copies the tensor's values into a fresh file under /dev/shm (the directory the
DataLoader's worker batches use, see utils/data/_utils/shm.py), maps it MAP_SHARED and points the
tensor at the mapping (`t.data = ...`, so a Parameter stays the same object). Processes forked
afterwards (multiprocessing's default on Linux) inherit the mapping, so writes on either side are
seen by the other, as with torch. Tensors sent through multiprocessing queues/pipes (ForkingPickler,
also with 'spawn') travel as the segment's name plus offset/shape/strides and are mapped again by the
receiver. The segment's name is unlinked when the creating process's last tensor over it dies (or at
its exit), so a receiver must map it before then, as with torch's file_system strategy.

Differences from torch: the shared copy is contiguous, and views taken *before* share_memory_() keep
the old storage (ember has no storage object to swap under them). A tensor that is already shared, or
not on the CPU, is returned unchanged.
"""
import mmap
import os
import secrets
import threading
import weakref

import numpy as np

from ember.utils.data._utils import shm as _shm

_lock = threading.Lock()
_segments = {}  # base address -> (size, name)
_registered = [False]


def _segment_of(t):
    """(base, size, name) of the segment holding t's first element, or None."""
    if t.device.type != "cpu":
        return None
    ptr = t.data_ptr()
    with _lock:
        for base, (size, name) in _segments.items():
            if base <= ptr < base + size or (size == 0 and ptr == base):
                return base, size, name
    return None


def is_shared(t):
    return _segment_of(t) is not None


def _unlink(base, path, pid):
    with _lock:
        _segments.pop(base, None)
    if os.getpid() == pid:  # forked children inherit the finalizer: only the creator unlinks
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def _map_new(nbytes):
    if not _shm.available():
        raise RuntimeError("[ember.Tensor.share_memory_] expected a writable /dev/shm, got none on this system")
    name = f"ember_shm_{os.getpid()}_{secrets.token_hex(6)}"
    path = os.path.join(_shm.SHM_DIR, name)
    size = -(-max(nbytes, 1) // 64) * 64  # whole 64-byte lines: every dtype views the mapping evenly
    return name, path, _shm.create_mapping(path, size)


def _wrap(mm, dtype_name, np_dtype, shape, strides, offset, size, name, creator=None):
    """A tensor over the mapping, its segment recorded; `creator` = (path, pid) unlinks the name when it dies."""
    import ember
    owner = np.ndarray((size,), np.uint8, buffer=mm)
    usable = (size - offset) // np_dtype.itemsize * np_dtype.itemsize
    typed = owner[offset:offset + usable].view(np_dtype)
    arr = np.lib.stride_tricks.as_strided(typed, shape=shape, strides=strides) if shape else typed[:1].reshape(())
    base = owner.ctypes.data
    with _lock:
        _segments[base] = (size, name)
    if creator is not None:
        weakref.finalize(owner, _unlink, base, *creator)
    else:
        weakref.finalize(owner, _forget, base)
    del owner
    t = ember.from_numpy(arr)
    if dtype_name == "bfloat16":
        t = t.view(ember.bfloat16)
    return t


def _forget(base):
    with _lock:
        _segments.pop(base, None)


def share_memory_(t):
    import ember
    if t.device.type != "cpu" or is_shared(t):
        return t
    src = t.detach()
    dtype_name = str(src.dtype).split(".")[-1]
    if src.dtype == ember.bfloat16:
        src = src.contiguous().view(ember.int16)
    arr = np.ascontiguousarray(src.numpy())
    name, path, mm = _map_new(arr.nbytes)
    shared = _wrap(mm, dtype_name, arr.dtype, arr.shape, arr.strides, 0, len(mm), name,
                   (path, os.getpid()))
    if arr.nbytes:
        np.copyto(np.ndarray(arr.shape, arr.dtype, buffer=mm), arr)
    with ember.no_grad():
        t.data = shared
    _register_reducers()
    return t


# ---- multiprocessing: shared tensors travel by segment name
def _rebuild_shared(name, size, dtype_name, np_dtype_str, shape, strides, offset, requires_grad):
    path = os.path.join(_shm.SHM_DIR, name)
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        raise RuntimeError(f"[ember.multiprocessing] shared tensor segment {name} is gone: the sending process "
                           "freed the tensor before this one received it") from None
    try:
        mm = mmap.mmap(fd, size)
    finally:
        os.close(fd)
    t = _wrap(mm, dtype_name, np.dtype(np_dtype_str), tuple(shape), tuple(strides), offset, size, name)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _reduce_tensor(t):
    seg = _segment_of(t)
    if seg is None or t.grad_fn is not None:
        return t.__reduce_ex__(2)
    import ember
    base, size, name = seg
    d = t.detach()
    dtype_name = str(d.dtype).split(".")[-1]
    view = d.view(ember.int16) if d.dtype == ember.bfloat16 else d
    np_dtype = view.numpy().dtype
    item = np_dtype.itemsize
    return (_rebuild_shared, (name, size, dtype_name, np_dtype.str, tuple(view.shape),
                              tuple(s * item for s in view.stride()), t.data_ptr() - base, t.requires_grad))


def _reduce_parameter(p):
    from ember.nn.parameter import _rebuild_parameter
    if _segment_of(p) is None:
        return p.__reduce_ex__(2)
    return (_rebuild_parameter, (p.detach(), p.requires_grad))


def _register_reducers():
    if _registered[0]:
        return
    from multiprocessing.reduction import ForkingPickler
    import ember
    from ember.nn.parameter import Parameter
    ForkingPickler.register(ember.Tensor, _reduce_tensor)
    ForkingPickler.register(Parameter, _reduce_parameter)
    _registered[0] = True
