"""ember.save / ember.load: PyTorch's checkpoint format, both ways.

A checkpoint is an uncompressed zip archive `<name>/...` holding `data.pkl` (a protocol-2 pickle in
which every storage is a persistent id `('storage', <torch storage type>, key, location, numel)`
and every tensor is rebuilt by `torch._utils._rebuild_tensor_v2`), one raw little-endian record
`data/<key>` per storage (64-byte aligned), and the small records `.format_version`,
`.storage_alignment`, `byteorder`, `version` and `.data/serialization_id`. ember writes the same
records, in the same order, with the same zip layout as torch 2.13, so for the same tensors the two
files are byte-identical. Views of one storage save that storage once and share it again on load.

Loading is safe by default (`weights_only=True`): an allow-list unpickler accepts only tensors,
Parameters, containers, primitives, Size, dtypes and devices and refuses any other global with
`pickle.UnpicklingError` before anything is called. Saving to a path is atomic: a temporary file in
the same directory, fsync, then `os.replace`.
"""
import collections
import contextlib
import io
import os
import pickle
import struct
import sys
import tempfile
import zipfile
import zlib

import numpy as np

from ember import _C

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "TypedStorage", "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = 2
_ALIGNMENT = 64

# ember dtype name -> (torch legacy storage class name, NumPy dtype used to view raw bytes)
_STORAGE_NAMES = {
    "float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
    "bfloat16": "BFloat16Storage", "int8": "CharStorage", "int16": "ShortStorage", "int32": "IntStorage",
    "int64": "LongStorage", "uint8": "ByteStorage", "bool": "BoolStorage",
}
_NP_VIEW = {"float32": np.float32, "float64": np.float64, "float16": np.float16, "bfloat16": np.int16,
            "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64, "uint8": np.uint8,
            "bool": np.bool_}

_CUDA_UNAVAILABLE = ("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. "
                     "If you are running on a CPU-only machine, please use torch.load with "
                     "map_location=torch.device('cpu') to map your storages to the CPU.")


def _dtype_name(dtype):
    return str(dtype).split(".")[-1]


def _dtype(name):
    return getattr(_C, name)


# ---------------------------------------------------------------------------------------------------
# torch's global names, as ember writes them and reads them back
# ---------------------------------------------------------------------------------------------------
class _TorchName:
    """A torch global (module, name) that ember's pickler writes as a GLOBAL opcode."""

    __slots__ = ("module", "name")

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __repr__(self):
        return f"{self.module}.{self.name}"

    def __call__(self, *args, **kwargs):  # callable only so the pickler accepts it in a reduce tuple
        raise RuntimeError(f"{self} is a placeholder for torch's function in ember's pickles")


_NAMES = {}


def _torch_name(module, name):
    key = (module, name)
    if key not in _NAMES:
        _NAMES[key] = _TorchName(module, name)  # one object per name, so the pickle memo reuses it
    return _NAMES[key]


class _StorageType:
    """What `torch.FloatStorage` (etc.) and `torch.UntypedStorage` unpickle to."""

    def __init__(self, name, dtype_name):
        self.name, self.dtype_name = name, dtype_name

    def __repr__(self):
        return f"torch.{self.name}"


_STORAGE_TYPES = {name: _StorageType(name, dt) for dt, name in _STORAGE_NAMES.items()}
_STORAGE_TYPES["UntypedStorage"] = _StorageType("UntypedStorage", "uint8")


class TypedStorage:
    """A loaded storage as handed to a callable `map_location(storage, location)`.

    It wraps a 1-D tensor over the storage's elements; `.cpu()`, `.cuda()` and `.to()` return
    moved copies as torch's storages do.
    """

    def __init__(self, tensor):
        self._tensor = tensor

    @property
    def device(self):
        return self._tensor.device

    @property
    def dtype(self):
        return self._tensor.dtype

    def size(self):
        return self._tensor.numel()

    __len__ = size

    def nbytes(self):
        return self._tensor.numel() * self._tensor.element_size()

    def element_size(self):
        return self._tensor.element_size()

    def tolist(self):
        return self._tensor.tolist()

    def cpu(self):
        return TypedStorage(self._tensor.cpu())

    def cuda(self, device=None, non_blocking=False):
        return TypedStorage(_move(self._tensor, "cuda" if device is None else _device_str(device, "cuda")))

    def to(self, device, non_blocking=False):
        return TypedStorage(_move(self._tensor, str(device)))

    def __repr__(self):
        return f"TypedStorage(dtype={self.dtype}, device={self.device}, size={self.size()})"


def _device_str(device, default_type):
    if isinstance(device, int):
        return f"{default_type}:{device}"
    return str(device)


def _move(tensor, location):
    location = str(location)
    if location.startswith("cuda"):
        import ember.cuda
        if not ember.cuda.is_available():
            raise RuntimeError(_CUDA_UNAVAILABLE)
    elif location != "cpu" and not location.startswith("cpu:"):
        raise RuntimeError(f"don't know how to restore data location of a storage with location '{location}'")
    target = _C.device(location)
    return tensor if tensor.device == target else tensor.to(target)


# ---- rebuild functions (the callables torch's pickles name)
def _as_tensor(storage, offset, size, stride):
    base = storage._tensor if isinstance(storage, TypedStorage) else storage
    with _no_grad():
        t = base.as_strided(tuple(size), tuple(stride), offset)
    t.detach_()  # a leaf, not a view of the internal storage tensor
    return t


def _no_grad():
    from ember.autograd.grad_mode import no_grad
    return no_grad()


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _as_tensor(storage, storage_offset, size, stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    if isinstance(storage, _Storage):  # an UntypedStorage holds bytes
        storage = storage.typed("uint8")
    t = _as_tensor(storage, storage_offset, size, stride)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    if isinstance(storage, _Storage):
        storage = storage.typed(_dtype_name(dtype))
    return _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    from ember.nn.parameter import Parameter
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    p = _rebuild_parameter(data, requires_grad, backward_hooks)
    _set_state(p, state)
    return p


def _set_state(obj, state):
    if isinstance(state, tuple):
        state = {**(state[0] or {}), **(state[1] or {})}
    for k, v in (state or {}).items():
        setattr(obj, k, v)


def _rebuild_from_type_v2(func, new_type, args, state):
    ret = func(*args)
    from ember.nn.parameter import Parameter
    if new_type is Parameter and not isinstance(ret, Parameter):
        ret = Parameter(ret, ret.requires_grad)
    _set_state(ret, state)
    return ret


def _get_layout(name):
    if name != "torch.strided":
        raise RuntimeError(f"ember supports only the strided layout, got {name}")
    return "strided"


def _size_class():
    from ember._size import Size
    return Size


def _parameter_class():
    from ember.nn.parameter import Parameter
    return Parameter


def _torch_globals():
    """(module, name) -> the ember object a torch checkpoint's global stands for."""
    g = {
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
        ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
        ("torch.serialization", "_get_layout"): _get_layout,
        ("torch", "Size"): _size_class(),
        ("torch", "device"): _C.device,
        ("torch", "Tensor"): _C.Tensor,
        ("torch.nn.parameter", "Parameter"): _parameter_class(),
        ("torch", "UntypedStorage"): _STORAGE_TYPES["UntypedStorage"],
        ("torch.storage", "UntypedStorage"): _STORAGE_TYPES["UntypedStorage"],
    }
    for dt, name in _STORAGE_NAMES.items():
        g[("torch", name)] = _STORAGE_TYPES[name]
        g[("torch", dt)] = _dtype(dt)
    return g


def _safe_builtins():
    import _codecs
    g = {("collections", "OrderedDict"): collections.OrderedDict, ("collections", "Counter"): collections.Counter,
         ("_codecs", "encode"): _codecs.encode, ("builtins", "set"): set, ("builtins", "frozenset"): frozenset,
         ("builtins", "bytearray"): bytearray, ("builtins", "complex"): complex}
    # ember's own names (plain pickles of ember objects)
    g[("ember._size", "Size")] = _size_class()
    for mod in ("ember", "ember._C"):
        g[(mod, "device")] = _C.device
        for dt in _STORAGE_NAMES:
            g[(mod, dt)] = _dtype(dt)
    return g


_user_safe_globals = []


def add_safe_globals(safe_globals):
    """Allow these classes/functions (or `(obj, "module.name")` pairs) in `weights_only` loads."""
    _user_safe_globals.extend(safe_globals)


def get_safe_globals():
    return list(_user_safe_globals)


def clear_safe_globals():
    _user_safe_globals.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    n = len(_user_safe_globals)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        del _user_safe_globals[n:]


def _user_globals():
    out = {}
    for item in _user_safe_globals:
        if isinstance(item, tuple):
            obj, full = item
            module, _, name = full.rpartition(".")
        else:
            obj, module, name = item, item.__module__, item.__qualname__
        out[(module, name)] = obj
    return out


# ---------------------------------------------------------------------------------------------------
# save
# ---------------------------------------------------------------------------------------------------
class _StorageRef:
    """Stands for one storage in the pickle; persistent_id turns it into torch's tuple."""

    __slots__ = ("pid",)

    def __init__(self, pid):
        self.pid = pid


_STORAGE = "storage"
_CPU = "cpu"


class _Pickler(pickle._Pickler):
    """The pure-Python pickler (so torch's globals can be written without importing torch), with
    ember tensors, Parameters, dtypes, devices and Size written under torch's names."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.storages = {}  # key -> tensor over the whole storage
        self._keys = {}  # storage identity -> key
        self._dtypes = {}

    def persistent_id(self, obj):
        return obj.pid if type(obj) is _StorageRef else None

    def _storage_ref(self, t):
        ident, nbytes = _C._storage_info(t)
        dt = _dtype_name(t.dtype)
        if ident in self._dtypes and self._dtypes[ident] != dt:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same data as different types")
        self._dtypes[ident] = dt
        key = self._keys.setdefault(ident, str(len(self._keys)))
        numel = nbytes // t.element_size()
        if key not in self.storages:
            self.storages[key] = t
        location = _CPU if t.device.type == "cpu" else str(t.device)
        return _StorageRef((_STORAGE, _torch_name("torch", _STORAGE_NAMES[dt]), key, location, numel))

    def reducer_override(self, obj):
        if isinstance(obj, _C.Tensor):
            if isinstance(obj, _parameter_class()):
                return (_torch_name("torch._utils", "_rebuild_parameter"),
                        (obj.detach(), obj.requires_grad, collections.OrderedDict()))
            return (_torch_name("torch._utils", "_rebuild_tensor_v2"),
                    (self._storage_ref(obj), obj.storage_offset(), tuple(obj.size()), tuple(obj.stride()),
                     obj.requires_grad, collections.OrderedDict()))
        if type(obj) is _C.device:
            args = (obj.type,) if obj.index is None else (obj.type, obj.index)
            return (_torch_name("torch", "device"), args)
        if type(obj) is _size_class():
            return (_torch_name("torch", "Size"), (tuple(obj),))
        return NotImplemented

    def _save_global_name(self, module, name, obj):
        if self.proto >= 4:
            self.save(module)
            self.save(name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + module.encode("utf-8") + b"\n" + name.encode("utf-8") + b"\n")
        self.memoize(obj)

    def _save_torch_name(self, obj):
        self._save_global_name(obj.module, obj.name, obj)

    def _save_dtype(self, obj):
        self._save_global_name("torch", _dtype_name(obj), obj)

    dispatch[_TorchName] = _save_torch_name
    dispatch[_C.dtype] = _save_dtype


class _ZipWriter:
    """Writes a zip archive exactly as torch's PyTorchStreamWriter (miniz) does: stored records,
    a 'FB' extra field padding each record's data to 64 bytes, data descriptors, zip64 end records."""

    def __init__(self, f, archive_name):
        self.f = f
        self.prefix = archive_name + "/"
        self.pos = 0
        self.entries = []  # (full name, crc, size, header offset)
        self.names = []
        self.crcs = []

    def _write(self, b):
        self.f.write(b)
        self.pos += len(b)

    def write_record(self, name, data):
        data = memoryview(data).cast("B")
        full = (self.prefix + name).encode("utf-8")
        size = data.nbytes
        if size >= 0xFFFFFFFF or self.pos >= 0xFFFFFFFF:
            raise RuntimeError("[ember.save] records or archives of 4 GiB and more are not supported yet")
        start = self.pos + 30 + len(full) + 4
        pad = (-start) % _ALIGNMENT
        offset = self.pos
        self._write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, 0x0808, 0, 0, 0, 0, 0, 0, len(full), pad + 4))
        self._write(full + b"FB" + struct.pack("<H", pad) + b"Z" * pad)
        crc = zlib.crc32(data) & 0xFFFFFFFF
        if size:
            self._write(data)
        if size >= 8 and bytes(data[:4]) == b"PK\x07\x08":  # torch's writer mistakes this for a descriptor
            self.crcs.append(struct.unpack("<I", bytes(data[4:8]))[0])
        self._write(struct.pack("<IIII", 0x08074B50, crc, size, size))
        self.crcs.append(crc)
        self.entries.append((full, crc, size, offset))
        self.names.append(name)

    def finish(self):
        self.write_record("version", b"3\n")
        if "byteorder" not in self.names:  # torch's writer adds it at the end when the caller did not
            self.write_record("byteorder", sys.byteorder.encode())
        self.write_record(".data/serialization_id", _C._serialization_id(self.names, self.crcs).encode())
        cd_start = self.pos
        for full, crc, size, offset in self.entries:
            self._write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, 0, 0x0808, 0, 0, 0, crc, size, size,
                                    len(full), 0, 0, 0, 0, 0, offset) + full)
        cd_size = self.pos - cd_start
        n = len(self.entries)
        eocd64 = self.pos
        self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 0x002D, 0, 0, n, n, cd_size, cd_start))
        self._write(struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1))
        self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(n, 0xFFFF), min(n, 0xFFFF), cd_size,
                                min(cd_start, 0xFFFFFFFF), 0))


def _archive_name(path):
    base = os.path.basename(path)
    name = base.rsplit(".", 1)[0] if "." in base else base
    return name or "archive"


def _storage_bytes(t):
    """The bytes of the tensor's whole storage, without copying when it is on the CPU."""
    if t.device.type != "cpu":
        ident, nbytes = _C._storage_info(t)
        whole = t.as_strided((nbytes // t.element_size(),), (1,), 0).cpu()
        return _C._storage_bytes(whole)
    return _C._storage_bytes(t)


def _write_checkpoint(obj, f, archive_name, pickle_protocol, byteorder=True):
    buf = io.BytesIO()
    pickler = _Pickler(buf, pickle_protocol)
    pickler.dump(obj)
    zw = _ZipWriter(f, archive_name)
    zw.write_record("data.pkl", buf.getvalue())
    zw.write_record(".format_version", b"1")
    zw.write_record(".storage_alignment", str(_ALIGNMENT).encode())
    if byteorder:
        zw.write_record("byteorder", sys.byteorder.encode())
    for key, t in pickler.storages.items():
        zw.write_record(f"data/{key}", _storage_bytes(t))
    zw.finish()


def _atomic_write(path, write):
    """Run write(fileobj) into a temporary file beside `path`, then rename it over `path`."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {directory} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save `obj` in PyTorch's checkpoint format (torch.load reads it; ember.load reads torch's).

    `f` is a path (written atomically) or a binary file-like object with `write`.
    """
    if pickle_module is not pickle:
        raise ValueError("[ember.save] only the standard pickle module is supported")
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("[ember.save] the legacy (pre-1.6) format is not written; ember.load reads it")
    if isinstance(f, (str, os.PathLike)):
        name = _archive_name(os.fspath(f))
        _atomic_write(f, lambda fh: _write_checkpoint(obj, fh, name, pickle_protocol, not _disable_byteorder_record))
        return
    if not hasattr(f, "write"):
        raise AttributeError(f"expected 'f' to be string, path, or a file-like object with a 'write' attribute, "
                             f"got {type(f).__name__}")
    _write_checkpoint(obj, f, "archive", pickle_protocol, not _disable_byteorder_record)
    if hasattr(f, "flush"):
        f.flush()


# ---------------------------------------------------------------------------------------------------
# load
# ---------------------------------------------------------------------------------------------------
class _Storage:
    """One loaded storage: its raw bytes (NumPy uint8, possibly a memory map) and saved location.
    `typed(dtype)` views the bytes as that dtype (zero copy) and restores them per map_location."""

    def __init__(self, raw, location, swap, map_location):
        self.raw, self.location, self.swap, self.map_location = raw, location, swap, map_location
        self._typed = {}

    def typed(self, dtype_name):
        if dtype_name not in self._typed:
            if dtype_name not in _NP_VIEW:
                raise RuntimeError(f"[ember.load] ember has no dtype torch.{dtype_name}")
            raw = self.raw
            np_dt = np.dtype(_NP_VIEW[dtype_name])
            if raw.ctypes.data % np_dt.itemsize:
                raw = raw.copy()
            arr = raw.view(np_dt)
            if self.swap and np_dt.itemsize > 1:
                arr.byteswap(inplace=True)
            t = _C._ops.from_numpy(arr)
            if dtype_name == "bfloat16":
                t = t.view(_C.bfloat16)
            self._typed[dtype_name] = TypedStorage(_restore(t, self.location, self.map_location))
        return self._typed[dtype_name]


def _weights_only_error(full_path):
    return pickle.UnpicklingError(
        "Weights only load failed. In ember (as in PyTorch 2.6+) `weights_only=True` is the default: the "
        "unpickler accepts only tensors, parameters, containers, primitives, Size, dtypes and devices. "
        "Re-running `ember.load` with `weights_only=False` will likely succeed, but it can execute arbitrary code; "
        "do it only if you trust the source of the checkpoint.\n\n"
        f"WeightsUnpickler error: Unsupported global: GLOBAL {full_path} was not an allowed global by default. "
        f"Please use `ember.serialization.add_safe_globals([{full_path}])` or the "
        f"`ember.serialization.safe_globals([{full_path}])` context manager to allowlist this global if you trust "
        "this class/function.")


_TORCH_ONLY_DTYPES = {"uint16", "uint32", "uint64", "complex32", "complex64", "complex128", "cfloat", "cdouble",
                      "chalf", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz",
                      "float8_e8m0fnu", "float4_e2m1fn_x2", "qint8", "quint8", "qint32", "quint4x2", "quint2x4",
                      "bits8", "bits16", "bits1x8", "bits2x4", "bits4x2", "uint1", "uint2", "uint3", "uint4",
                      "uint5", "uint6", "uint7", "int1", "int2", "int3", "int4", "int5", "int6", "int7"}


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, load_storage, weights_only, **kwargs):
        super().__init__(file, **kwargs)
        self._load_storage = load_storage
        self._weights_only = weights_only
        self._globals = {**_safe_builtins(), **_torch_globals()}

    def find_class(self, module, name):
        import _compat_pickle
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        key = (module, name)
        if key in self._globals:
            return self._globals[key]
        user = _user_globals()
        if key in user:
            return user[key]
        if module == "torch" and name in _TORCH_ONLY_DTYPES:
            raise RuntimeError(f"[ember.load] ember has no dtype torch.{name}")
        if self._weights_only:
            raise _weights_only_error(f"{module}.{name}")
        if module == "torch" or module.startswith("torch."):
            raise pickle.UnpicklingError(
                f"[ember.load] the checkpoint uses {module}.{name}, which has no ember counterpart (a whole "
                "torch model or another torch object); save its state_dict() with torch and load that instead")
        return super().find_class(module, name)

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] not in ("storage", b"storage"):
            raise pickle.UnpicklingError(f"[ember.load] unsupported persistent id {pid!r}")
        storage_type, key, location, numel = pid[1:5]
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"[ember.load] unsupported storage type {storage_type!r}")
        return self._load_storage(storage_type.dtype_name, str(key), str(location), int(numel),
                                  storage_type.name == "UntypedStorage")


def _restore(tensor, location, map_location):
    if map_location is None:
        return _move(tensor, location)
    if isinstance(map_location, dict):
        return _move(tensor, map_location.get(location, location))
    if isinstance(map_location, (str, _C.device)):
        return _move(tensor, str(map_location))
    if callable(map_location):
        result = map_location(TypedStorage(tensor), location)
        if result is None:
            return _move(tensor, location)
        if isinstance(result, TypedStorage):
            return result._tensor
        if isinstance(result, _C.Tensor):
            return result
        raise TypeError(f"[ember.load] map_location returned {type(result).__name__}, expected a storage or None")
    raise ValueError(f"[ember.load] map_location should be None, a str, an ember.device, a dict or a callable, "
                     f"got {type(map_location).__name__}")


class _Archive:
    """Random access to the records of a (zip) checkpoint, optionally through a memory map."""

    def __init__(self, f, mmap_path):
        self.f = f
        self.zf = zipfile.ZipFile(f)
        names = self.zf.namelist()
        pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
        if not pkl:
            raise RuntimeError("[ember.load] not a PyTorch checkpoint: the archive has no <name>/data.pkl record")
        self.prefix = pkl[0][: -len("data.pkl")]
        self.map = np.memmap(mmap_path, dtype=np.uint8, mode="c") if mmap_path else None

    def has(self, name):
        try:
            self.zf.getinfo(self.prefix + name)
            return True
        except KeyError:
            return False

    def read(self, name):
        return self.zf.read(self.prefix + name)

    def _data_offset(self, info):
        self.f.seek(info.header_offset)
        header = self.f.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise RuntimeError(f"[ember.load] corrupt zip local header for {info.filename}")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        return info.header_offset + 30 + name_len + extra_len

    def raw(self, name, nbytes):
        info = self.zf.getinfo(self.prefix + name)
        if info.file_size != nbytes:
            raise RuntimeError(f"[ember.load] record {name} holds {info.file_size} bytes, expected {nbytes}")
        if info.compress_type == zipfile.ZIP_STORED:
            offset = self._data_offset(info)
            if self.map is not None:
                if offset + nbytes > self.map.size:
                    raise RuntimeError(f"[ember.load] record {name} runs past the end of the file")
                return self.map[offset:offset + nbytes]
            out = _C._storage_bytes(_C._ops.empty(nbytes, dtype=_C.uint8))
            self.f.seek(offset)
            _read_exactly(self.f, memoryview(out), name)
            return out
        return np.frombuffer(bytearray(self.zf.read(info)), dtype=np.uint8)


def _load_zip(f, map_location, weights_only, mmap_path, pickle_load_args):
    archive = _Archive(f, mmap_path)
    swap = False
    if archive.has("byteorder"):
        order = archive.read("byteorder").decode()
        if order not in ("little", "big"):
            raise ValueError("Unknown endianness type: " + order)
        swap = order != sys.byteorder
    loaded = {}

    def load_storage(dtype_name, key, location, numel, untyped):
        if key not in loaded:
            itemsize = np.dtype(_NP_VIEW[dtype_name]).itemsize
            loaded[key] = _Storage(archive.raw(f"data/{key}", numel * itemsize), location, swap, map_location)
        return loaded[key] if untyped else loaded[key].typed(dtype_name)

    data = io.BytesIO(archive.read("data.pkl"))
    return _Unpickler(data, load_storage, weights_only, **pickle_load_args).load()


def _load_legacy(f, map_location, weights_only, pickle_load_args):
    """The pre-1.6 format: magic number, protocol, sys info, the object, storage keys, raw storages
    (each after an 8-byte element count). Tensors are built over empty storages filled afterwards."""
    def unpickle():
        return _Unpickler(f, None, weights_only, **pickle_load_args).load()

    if unpickle() != 0x1950A86A20F9469CFC6C:
        raise RuntimeError("Invalid magic number; corrupt file?")
    if unpickle() != 1001:
        raise RuntimeError("[ember.load] unsupported legacy protocol version")
    sys_info = unpickle()
    if not sys_info.get("little_endian", True):
        raise RuntimeError("[ember.load] big-endian legacy checkpoints are not supported")
    storages = {}

    def load_storage(dtype_name, key, location, numel, untyped):
        if key not in storages:
            t = _C._ops.empty(numel, dtype=_dtype(dtype_name))
            if _restore(t, location, map_location) is not t:
                raise NotImplementedError("[ember.load] legacy checkpoints load to the CPU only")
            storages[key] = t
        return TypedStorage(storages[key])

    obj = _Unpickler(f, load_storage, weights_only, **pickle_load_args).load()
    for key in unpickle():
        t = storages[str(key)]
        (count,) = struct.unpack("<q", f.read(8))
        buf = _C._storage_bytes(t)
        if count * t.element_size() != buf.size:
            raise RuntimeError(f"[ember.load] storage {key} holds {count} elements, expected {t.numel()}")
        _read_exactly(f, memoryview(buf), str(key))
    return obj


def _read_exactly(f, view, what):
    got = 0
    while got < view.nbytes:
        n = f.readinto(view[got:])
        if not n:
            raise RuntimeError(f"[ember.load] record {what} is truncated")
        got += n


def _is_zip(f):
    start = f.tell()
    magic = f.read(4)
    f.seek(start)
    return magic == b"PK\x03\x04"


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None, **pickle_load_args):
    """Load an object saved by ember.save or torch.save.

    weights_only=True (default) refuses every global but tensors, containers and primitives;
    map_location is None, a device string, an ember.device, a dict {saved: target} or a callable
    (storage, location) -> storage; mmap=True maps the file and builds tensors over the mapping.
    """
    if weights_only is None:
        weights_only = True
    if pickle_module is not None and pickle_module is not pickle and weights_only:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    pickle_load_args.setdefault("encoding", "utf-8")
    with contextlib.ExitStack() as stack:
        mmap_path = None
        if isinstance(f, (str, os.PathLike)):
            path = os.fspath(f)
            fh = stack.enter_context(open(path, "rb"))
            if mmap:
                mmap_path = path
        else:
            fh = f
            if mmap:
                mmap_path = getattr(f, "name", None)
                if not isinstance(mmap_path, (str, os.PathLike)):
                    raise ValueError("f must be a file path or a file opened from a path in order to use the "
                                     "mmap argument")
            if not (hasattr(fh, "seekable") and fh.seekable()):
                fh = io.BytesIO(fh.read())
        if _is_zip(fh):
            return _load_zip(fh, map_location, weights_only, mmap_path, pickle_load_args)
        if mmap:
            raise RuntimeError("mmap can only be used with files saved with `torch.save(_use_new_zipfile_"
                               "serialization=True)`, please torch.save your checkpoint with this option in "
                               "order to use mmap.")
        return _load_legacy(fh, map_location, weights_only, pickle_load_args)
