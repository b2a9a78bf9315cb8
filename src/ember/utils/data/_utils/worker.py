"""The DataLoader worker process loop, WorkerInfo/get_worker_info and exception wrapping."""
import os
import queue
import random
import sys
import traceback

MP_STATUS_CHECK_INTERVAL = 5.0

_worker_info = None


class WorkerInfo:
    """What get_worker_info() returns inside a worker: id, num_workers, seed, dataset."""

    _initialized = False

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs.keys())
        self._initialized = True

    def __setattr__(self, key, val):
        if self._initialized:
            raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")
        return super().__setattr__(key, val)

    def __repr__(self):
        items = [f"{k}={getattr(self, k)}" for k in self.__keys]
        return f"{self.__class__.__name__}({', '.join(items)})"


def get_worker_info():
    """Inside a DataLoader worker: its WorkerInfo; in the main process: None."""
    return _worker_info


class ExceptionWrapper:
    """Carries an exception and its formatted traceback across processes."""

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exception


class _KeyErrorMessage(str):
    def __repr__(self):
        return self


class _IterableDatasetStopIteration:
    def __init__(self, worker_id):
        self.worker_id = worker_id


class _ResumeIteration:
    def __init__(self, seed=None):
        self.seed = seed


class _MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn

    def fetch(self, possibly_batched_index):
        if self.auto_collation:
            if callable(getattr(self.dataset, "__getitems__", None)):
                data = self.dataset.__getitems__(possibly_batched_index)
            else:
                data = [self.dataset[idx] for idx in possibly_batched_index]
        else:
            data = self.dataset[possibly_batched_index]
        return self.collate_fn(data)


class _IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset_iter = iter(dataset)
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last
        self.ended = False

    def fetch(self, possibly_batched_index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in possibly_batched_index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if len(data) == 0 or (self.drop_last and len(data) < len(possibly_batched_index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


class _TensorPayload:
    """A tensor as (NumPy array, dtype) for the trip through a multiprocessing queue."""

    def __init__(self, t):
        import ember
        self.dtype = str(t.dtype).split(".")[-1]
        src = t.detach()
        if t.dtype == ember.bfloat16:
            src = src.float()
        self.array = src.cpu().numpy().copy()

    def unpack(self):
        import ember
        t = ember.from_numpy(self.array)
        dtype = getattr(ember, self.dtype)
        return t.to(dtype=dtype) if t.dtype != dtype else t


def pack(data):
    """Replace the tensors in a (nested) batch by picklable payloads."""
    import ember
    if isinstance(data, ember.Tensor):
        return _TensorPayload(data)
    if isinstance(data, dict):
        try:
            return type(data)((k, pack(v)) for k, v in data.items())
        except TypeError:
            return {k: pack(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(pack(d) for d in data))
    if isinstance(data, (list, tuple)):
        try:
            return type(data)(pack(d) for d in data)
        except TypeError:
            return [pack(d) for d in data]
    return data


def unpack(data):
    if isinstance(data, _TensorPayload):
        return data.unpack()
    if isinstance(data, dict):
        try:
            return type(data)((k, unpack(v)) for k, v in data.items())
        except TypeError:
            return {k: unpack(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(unpack(d) for d in data))
    if isinstance(data, (list, tuple)):
        try:
            return type(data)(unpack(d) for d in data)
        except TypeError:
            return [unpack(d) for d in data]
    return data


def create_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last):
    cls = _IterableFetcher if is_iterable else _MapFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


def _seed_worker(seed):
    random.seed(seed)
    import ember
    ember.manual_seed(seed & ((1 << 63) - 1))
    from ember.utils import _random
    _random.reseed(seed)


def _single_thread():
    """Workers run ember ops single-threaded (as torch does): after fork, the parent's OpenMP thread
    pool is unusable in the child, and a multi-threaded region there would deadlock."""
    import ember
    fn = getattr(ember, "set_num_threads", None) or getattr(ember._C, "set_num_threads", None)
    if fn is not None:
        fn(1)


def worker_loop(is_iterable, dataset, index_queue, data_queue, done_event, auto_collation, collate_fn, drop_last,
                base_seed, init_fn, worker_id, num_workers, persistent_workers, parent_pid, shm_prefix=None):
    """Runs in each worker process: fetch the batches asked for on index_queue, put them on data_queue
    (tensors through shared memory when shm_prefix is given, see shm.py; pickled otherwise)."""
    global _worker_info
    writer = None
    if shm_prefix is not None:
        from ember.utils.data._utils import shm
        writer = shm.Writer(shm_prefix, worker_id)
    try:
        _single_thread()
        seed = base_seed + worker_id
        _seed_worker(seed)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_exception = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_exception = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
        iteration_end = False
        while True:
            try:
                r = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent_pid:
                    break  # the main process died
                continue
            if isinstance(r, _ResumeIteration):
                data_queue.put((r, None))
                iteration_end = False
                if r.seed is not None:
                    _seed_worker(r.seed + worker_id)
                fetcher = create_fetcher(is_iterable, dataset, auto_collation, collate_fn, drop_last)
                continue
            if r is None:
                break
            if len(r) > 2 and writer is not None:
                writer.release(r[2])  # shared-memory segments the main process is done with
            if done_event.is_set() or iteration_end:
                continue
            idx, index = r[0], r[1]
            if init_exception is not None:
                data = init_exception
                init_exception = None
            else:
                try:
                    data = fetcher.fetch(index)
                    packed = writer.pack(data) if writer is not None else None
                    data = packed if packed is not None else pack(data)
                except Exception as e:
                    if isinstance(e, StopIteration) and is_iterable:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            data_queue.put((idx, data))
            del data, idx, index, r
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()
