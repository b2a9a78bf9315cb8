"""safetensors files, with the `safetensors` package's API (`safetensors.torch`) and no dependency.

Format: an 8-byte little-endian header length N, N bytes of JSON (padded with spaces to a multiple
of 8) mapping each name to {"dtype", "shape", "data_offsets": [begin, end]} plus an optional
"__metadata__" object of strings, then the raw little-endian tensor bytes. ember writes tensors in
the package's order (larger dtypes first, then by name), so the files are byte-identical to
`safetensors.torch.save_file` for the same tensors (metadata keys are written sorted; the package
writes them in hash order). Non-contiguous tensors are saved as contiguous copies. File writes are
atomic (temporary file, fsync, rename). The C++ side is `ember::load_safetensors` /
`ember::save_safetensors` (include/ember/serialize.h).
"""
import json
import math
import os
import struct

from ember import _C

__all__ = ["save_file", "load_file", "save", "load", "safe_open", "SafetensorError"]

# ember dtype name -> (safetensors code, write-order rank)
_CODES = {"bool": ("BOOL", 0), "uint8": ("U8", 1), "int8": ("I8", 2), "int16": ("I16", 3),
          "float16": ("F16", 4), "bfloat16": ("BF16", 5), "int32": ("I32", 6), "float32": ("F32", 7),
          "float64": ("F64", 8), "int64": ("I64", 9)}
_FROM_CODE = {code: name for name, (code, _) in _CODES.items()}
_ITEMSIZE = {"bool": 1, "uint8": 1, "int8": 1, "int16": 2, "float16": 2, "bfloat16": 2, "int32": 4,
             "float32": 4, "float64": 8, "int64": 8}
_MAX_HEADER = 100 * 1024 * 1024


class SafetensorError(Exception):
    """A malformed or inconsistent safetensors file (the package's exception name)."""


def _dtype_name(t):
    return str(t.dtype).split(".")[-1]


def _header(tensors, metadata):
    if not isinstance(tensors, dict):
        raise TypeError(f"[ember.safetensors] expected a dict of tensors, got {type(tensors).__name__}")
    items = []
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"[ember.safetensors] tensor names must be str, got {type(name).__name__}")
        if not isinstance(t, _C.Tensor):
            raise TypeError(f"[ember.safetensors] {name!r} is a {type(t).__name__}, expected a Tensor")
        if name == "__metadata__":
            raise ValueError("[ember.safetensors] the name '__metadata__' is reserved")
        items.append((name, t))
    items.sort(key=lambda kv: (-_CODES[_dtype_name(kv[1])][1], kv[0]))
    header = {}
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise ValueError("[ember.safetensors] metadata must be a dict of str to str")
        header["__metadata__"] = {k: metadata[k] for k in sorted(metadata)}
    pos = 0
    for name, t in items:
        n = t.numel() * t.element_size()
        header[name] = {"dtype": _CODES[_dtype_name(t)][0], "shape": list(t.shape), "data_offsets": [pos, pos + n]}
        pos += n
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text, items


def _tensor_bytes(t):
    t = t.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    t = t.contiguous()
    if t.numel() == 0:
        return b""
    raw = _C._storage_bytes(t)
    start = t.storage_offset() * t.element_size()
    return memoryview(raw)[start:start + t.numel() * t.element_size()]


def _write(f, tensors, metadata):
    head, items = _header(tensors, metadata)
    f.write(head)
    for _, t in items:
        f.write(_tensor_bytes(t))


def save(tensors, metadata=None):
    """The safetensors bytes of a dict of tensors."""
    import io
    buf = io.BytesIO()
    _write(buf, tensors, metadata)
    return buf.getvalue()


def save_file(tensors, filename, metadata=None):
    """Write a dict of tensors to `filename` (atomically)."""
    from ember.serialization import _atomic_write
    _header(tensors, metadata)  # validate before any file is created
    _atomic_write(filename, lambda fh: _write(fh, tensors, metadata))


def _parse_header(head, data_bytes):
    try:
        header = json.loads(head.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise SafetensorError(f"[ember.safetensors] invalid header JSON: {e}") from None
    if not isinstance(header, dict):
        raise SafetensorError("[ember.safetensors] the header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())):
        raise SafetensorError("[ember.safetensors] __metadata__ must be an object of strings")
    entries = {}
    for name, info in header.items():
        try:
            code, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise SafetensorError(f"[ember.safetensors] tensor {name!r} needs dtype, shape and data_offsets") from None
        if code not in _FROM_CODE:
            raise SafetensorError(f"[ember.safetensors] tensor {name!r} has dtype {code}, which ember does not support")
        if not (isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)):
            raise SafetensorError(f"[ember.safetensors] tensor {name!r} has an invalid shape {shape!r}")
        if not (type(begin) is int and type(end) is int and 0 <= begin <= end <= data_bytes):
            raise SafetensorError(f"[ember.safetensors] tensor {name!r} has data_offsets [{begin}, {end}] outside "
                                  f"the {data_bytes} data bytes (truncated file?)")
        dtype = _FROM_CODE[code]
        if end - begin != math.prod(shape) * _ITEMSIZE[dtype]:
            raise SafetensorError(f"[ember.safetensors] tensor {name!r} spans {end - begin} bytes, which does not "
                                  f"match its dtype {code} and shape {shape}")
        entries[name] = (dtype, tuple(shape), begin, end)
    pos = 0
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda kv: (kv[1][2], kv[1][3])):
        if begin != pos:
            raise SafetensorError(f"[ember.safetensors] tensor {name!r} starts at byte {begin} but the previous "
                                  f"tensor ended at {pos} (overlapping or missing data)")
        pos = end
    if pos != data_bytes:
        raise SafetensorError(f"[ember.safetensors] the tensors cover {pos} bytes but the file holds {data_bytes}")
    return entries, metadata


def _read_header(f, size):
    if size < 8:
        raise SafetensorError(f"[ember.safetensors] file too small ({size} bytes) for the header length")
    (n,) = struct.unpack("<Q", f.read(8))
    if n > size - 8 or n > _MAX_HEADER:
        raise SafetensorError(f"[ember.safetensors] header length {n} runs past the end of the file ({size} bytes)")
    head = f.read(n)
    entries, metadata = _parse_header(head, size - 8 - n)
    return entries, metadata, 8 + n


def _empty(dtype, shape):
    return _C._ops.empty(list(shape), dtype=getattr(_C, dtype))


def _read_tensor(f, base, entry):
    dtype, shape, begin, end = entry
    t = _empty(dtype, shape)
    if end > begin:
        view = memoryview(_C._storage_bytes(t))
        f.seek(base + begin)
        got = 0
        while got < end - begin:
            k = f.readinto(view[got:end - begin])
            if not k:
                raise SafetensorError("[ember.safetensors] the file is truncated")
            got += k
    return t


def _to(t, device):
    return t if str(device) == "cpu" else t.to(device)


def load_file(filename, device="cpu"):
    """Read every tensor of a safetensors file into a dict."""
    with safe_open(filename, framework="pt", device=device) as f:
        return {k: f.get_tensor(k) for k in f.keys()}


def load(data):
    """Tensors from safetensors bytes."""
    import io
    data = bytes(data)
    f = io.BytesIO(data)
    entries, _, base = _read_header(f, len(data))
    return {name: _read_tensor(f, base, e) for name, e in sorted(entries.items(), key=lambda kv: kv[1][2])}


class safe_open:  # noqa: N801  (the package's name)
    """`with safe_open(path, framework="pt") as f:` lazy access to one file's tensors."""

    def __init__(self, filename, framework="pt", device="cpu"):
        if framework not in ("pt", "torch", "ember", "numpy", "np"):
            raise ValueError(f"[ember.safetensors] framework {framework!r} is not supported (use 'pt')")
        self._framework = framework
        self._device = device
        self._f = open(os.fspath(filename), "rb")
        try:
            size = os.fstat(self._f.fileno()).st_size
            self._entries, self._metadata, self._base = _read_header(self._f, size)
        except BaseException:
            self._f.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()

    def keys(self):
        return sorted(self._entries)

    def offset_keys(self):
        return [k for k, _ in sorted(self._entries.items(), key=lambda kv: kv[1][2])]

    def metadata(self):
        return None if self._metadata is None else dict(self._metadata)

    def get_tensor(self, name):
        if name not in self._entries:
            raise SafetensorError(f"File does not contain tensor {name}")
        t = _read_tensor(self._f, self._base, self._entries[name])
        if self._framework in ("numpy", "np"):
            return t.numpy()
        return _to(t, self._device)
