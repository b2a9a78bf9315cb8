"""Batches from DataLoader workers through shared memory instead of pickles.

A worker writes every CPU tensor of a collated batch into one segment, a file under /dev/shm (one
memcpy per tensor, 64-byte aligned), and puts only small metadata on the result queue: the segment's
name, and for each tensor its dtype, shape and offset. The main process maps a segment the first time
it sees it, unlinks its name at once (the mappings outlive the name on Linux) and wraps each tensor
with NumPy + ember.from_numpy without a copy. When every tensor of a batch has died, the segment's
name goes back to its worker with the next index it is sent, and the worker writes a later batch into
it: pages are faulted in once per segment, not once per batch. Files are named
<prefix>_<worker>_<n> with a prefix unique to one DataLoader iterator, so
whatever a shutdown leaves behind (batches still queued at an early break, an exception, a killed
worker) is removed by unlinking <prefix>_* once the workers have stopped. No
multiprocessing.shared_memory, hence no resource_tracker bookkeeping or warnings. Where /dev/shm is
missing (not Linux), batches are pickled as before.
"""
import glob
import mmap
import os
import secrets
import weakref

import numpy as np

_ALIGN = 64
SHM_DIR = "/dev/shm"


def available():
    return os.path.isdir(SHM_DIR) and os.access(SHM_DIR, os.W_OK)


def create_mapping(path, size):
    """A new file of `size` bytes at `path` (O_EXCL, mode 0600), mapped read-write; removed again if
    sizing or mapping fails."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    try:
        os.ftruncate(fd, size)
        return mmap.mmap(fd, size)
    except BaseException:
        os.unlink(path)
        raise
    finally:
        os.close(fd)


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

    def __init__(self, name, size, metas, structure, new=True):
        self.name, self.size, self.metas, self.structure, self.new = name, size, metas, structure, new


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
    """Worker side: turns collated batches into ShmBatch messages, reusing segments the main process
    has released (fresh tmpfs pages cost a page fault each, many times the copy itself)."""

    def __init__(self, prefix, worker_id):
        self.prefix, self.worker_id, self.count = prefix, worker_id, 0
        self.maps = {}   # name -> mmap, kept mapped for reuse
        self.free = {}   # name -> size, released by the main process

    def release(self, names):
        for name in names:
            if name in self.maps:
                self.free[name] = len(self.maps[name])

    def _segment(self, size):
        fits = [(sz, n) for n, sz in self.free.items() if sz >= size]
        if fits:
            name = min(fits)[1]
            del self.free[name]
            return name, self.maps[name], False
        name = f"{self.prefix}_{self.worker_id}_{self.count}"
        self.count += 1
        mm = create_mapping(os.path.join(SHM_DIR, name), size)
        self.maps[name] = mm
        return name, mm, True

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
        name, mm, new = self._segment(size)
        for arr, off in zip(arrays, offsets):
            if arr.nbytes:
                np.copyto(np.ndarray(arr.shape, arr.dtype, buffer=mm, offset=off), arr)
        metas = [m + (off,) for m, off in zip(metas, offsets)]
        return ShmBatch(name, len(mm), metas, structure, new)


class Reader:
    """Main-process side: maps each segment once (and unlinks its name at once: the mappings outlive
    it), wraps batches without copying, and collects the segments whose tensors have all died so
    they can be handed back to their worker for reuse."""

    def __init__(self, num_workers):
        self.maps = {}
        self.freed = [[] for _ in range(num_workers)]

    def take_freed(self, worker_id):
        # pop from the same list (finalizers hold its append); each pop is atomic under the GIL
        lst, out = self.freed[worker_id], []
        while lst:
            out.append(lst.pop())
        return out

    def discard(self, batch):
        self._map(batch)
        self.freed[_worker_of(batch.name)].append(batch.name)

    def _map(self, batch):
        mm = self.maps.get(batch.name)
        if mm is None:
            path = os.path.join(SHM_DIR, batch.name)
            fd = os.open(path, os.O_RDWR)
            try:
                os.unlink(path)
                mm = mmap.mmap(fd, batch.size)
            finally:
                os.close(fd)
            self.maps[batch.name] = mm
        return mm

    def unpack(self, batch):
        import ember
        mm = self._map(batch)
        # one array over the segment owns the tensors' memory: when every tensor is gone, it dies and
        # the segment goes back to its worker (the tensors' NumPy bases all collapse to it)
        owner = np.ndarray((batch.size,), np.uint8, buffer=mm)
        weakref.finalize(owner, self.freed[_worker_of(batch.name)].append, batch.name)
        tensors = []
        for dtype, np_dtype, shape, off in batch.metas:
            dt = np.dtype(np_dtype)
            n = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
            arr = owner[off:off + n].view(dt).reshape(shape)
            t = ember.from_numpy(arr)
            if dtype == "bfloat16":
                t = t.view(ember.bfloat16)
            tensors.append(t)
        del owner
        return _replace(batch.structure, lambda x: tensors[x.i] if isinstance(x, _Ref) else x)


def _worker_of(name):
    return int(name.rsplit("_", 2)[1])
