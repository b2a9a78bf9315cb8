"""ember.vision.datasets: ImageFolder / DatasetFolder on a generated tree (Pillow and custom loaders),
and the download path of MNIST/CIFAR (mirrors, md5 check, the offline error) with file:// URLs and a
monkeypatched urlopen: nothing is fetched from the network."""
import builtins
import gzip
import hashlib
import io
import os
import pickle
import sys
import tarfile
import urllib.error
import urllib.request

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader
from ember.vision import datasets, transforms
from ember.vision.datasets import DatasetFolder, ImageFolder
from ember.vision.datasets.folder import find_classes, make_dataset
from ember.vision.datasets.vision import download_url


def write_png(path, arr):
    from ember.vision.utils import _png_bytes
    with open(path, "wb") as f:
        f.write(_png_bytes(arr))


@pytest.fixture
def image_tree(tmp_path):
    """root/{cat,dog,fish}: cat has 2 images (one in a sub-folder), dog 1 image and a .txt, fish none."""
    rng = np.random.default_rng(0)
    root = tmp_path / "imgs"
    pix = {}
    for rel in ["cat/b.png", "cat/sub/a.PNG", "dog/z.png"]:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        pix[rel] = rng.integers(0, 256, (5, 4, 3), dtype=np.uint8)
        write_png(p, pix[rel])
    (root / "dog" / "notes.txt").write_text("not an image")
    (root / "fish").mkdir()
    return root, pix


def test_image_folder(image_tree):
    pytest.importorskip("PIL")
    root, pix = image_tree
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes fish"):
        ImageFolder(root)
    ds = ImageFolder(str(root), allow_empty=True)
    assert ds.classes == ["cat", "dog", "fish"]
    assert ds.class_to_idx == {"cat": 0, "dog": 1, "fish": 2}
    want = [(str(root / "cat" / "b.png"), 0), (str(root / "cat" / "sub" / "a.PNG"), 0), (str(root / "dog" / "z.png"), 1)]
    assert ds.samples == want and ds.imgs == want and ds.targets == [0, 0, 1] and len(ds) == 3
    img, target = ds[1]
    assert img.mode == "RGB" and target == 0
    np.testing.assert_array_equal(np.asarray(img), pix["cat/sub/a.PNG"])
    ds = ImageFolder(root, transform=transforms.ToTensor(), target_transform=lambda t: t + 10, allow_empty=True)
    x, t = ds[2]
    assert t == 11 and tuple(x.shape) == (3, 5, 4)
    np.testing.assert_allclose(x.numpy(), pix["dog/z.png"].transpose(2, 0, 1) / 255.0, rtol=1e-6)
    batches = list(DataLoader(ds, batch_size=2))
    assert tuple(batches[0][0].shape) == (2, 3, 5, 4) and batches[0][1].tolist() == [10, 10]


def test_dataset_folder_custom_loader_and_filters(image_tree):
    root, _ = image_tree
    ds = DatasetFolder(root, loader=lambda p: open(p, "rb").read()[:4], extensions=(".txt",), allow_empty=True)
    assert ds.samples == [(str(root / "dog" / "notes.txt"), 1)] and ds[0] == (b"not ", 1)
    ds = DatasetFolder(root, loader=os.path.getsize, is_valid_file=lambda p: "sub" in p, allow_empty=True)
    assert [s[0] for s in ds.samples] == [str(root / "cat" / "sub" / "a.PNG")]
    ds = DatasetFolder(root, loader=os.path.basename, extensions=".png", allow_empty=True)  # case-insensitive
    assert [ds[i][0] for i in range(len(ds))] == ["b.png", "a.PNG", "z.png"]
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        DatasetFolder(root, loader=len)
    with pytest.raises(ValueError, match="Both extensions and is_valid_file"):
        DatasetFolder(root, loader=len, extensions=".png", is_valid_file=bool)
    assert find_classes(root) == (["cat", "dog", "fish"], {"cat": 0, "dog": 1, "fish": 2})
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        find_classes(root / "fish")
    with pytest.raises(ValueError, match="at least one entry"):
        make_dataset(root, {}, extensions=".png")
    assert make_dataset(root, {"dog": 5}, extensions=".png") == [(str(root / "dog" / "z.png"), 5)]

    class Renamed(DatasetFolder):  # find_classes can be overridden, as in torchvision
        def find_classes(self, directory):
            return ["dog"], {"dog": 0}
    assert Renamed(root, loader=len, extensions=".png").targets == [0]


def test_image_folder_without_pillow(image_tree, monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    for mod in [m for m in sys.modules if m == "PIL" or m.startswith("PIL.")]:
        monkeypatch.delitem(sys.modules, mod)
    root, _ = image_tree
    ds = ImageFolder(root, allow_empty=True)  # listing needs no Pillow
    with pytest.raises(ImportError, match="needs Pillow"):
        ds[0]
    ds = ImageFolder(root, loader=lambda p: np.frombuffer(open(p, "rb").read(), np.uint8), allow_empty=True)
    assert ds[0][0][:4].tolist() == [0x89, ord("P"), ord("N"), ord("G")]


# ---- downloads: mirrors, md5, offline error
def idx_bytes(arr):
    code = {np.uint8: 0x08}[arr.dtype.type]
    head = bytes([0, 0, code, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return gzip.compress(head + arr.tobytes())


def test_download_url_checksum_and_offline(tmp_path, monkeypatch):
    src = tmp_path / "src.bin"
    src.write_bytes(b"payload")
    md5 = hashlib.md5(b"payload").hexdigest()
    url = src.as_uri()
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        download_url([url], str(tmp_path / "dl"), "f.bin", "0" * 32)
    assert os.listdir(tmp_path / "dl") == []  # the bad download was removed
    path = download_url(["file:///nonexistent/f.bin", url], str(tmp_path / "dl"), "f.bin", md5)  # second mirror
    assert open(path, "rb").read() == b"payload"

    def offline(*a, **k):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(RuntimeError, match="are you offline"):
        download_url(["https://example.invalid/a"], str(tmp_path / "dl2"), "g.bin", md5)
    assert download_url([url], str(tmp_path / "dl"), "f.bin", md5) == path  # present and valid: no fetch


def test_mnist_download(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    imgs = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 6).astype(np.uint8)
    resources = []
    for name, arr in [("train-images-idx3-ubyte.gz", imgs), ("train-labels-idx1-ubyte.gz", labels),
                      ("t10k-images-idx3-ubyte.gz", imgs[:2]), ("t10k-labels-idx1-ubyte.gz", labels[:2])]:
        data = idx_bytes(arr)
        (mirror / name).write_bytes(data)
        resources.append((name, hashlib.md5(data).hexdigest()))
    # torchvision's mirrors and checksums are kept
    assert datasets.MNIST.mirrors[0] == "https://ossci-datasets.s3.amazonaws.com/mnist/"
    assert dict(datasets.MNIST.resources)["train-images-idx3-ubyte.gz"] == "f68b3c2dcbeaaa9fbdd348bbdeb94873"

    def offline(*a, **k):
        raise urllib.error.URLError("offline")
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(RuntimeError, match="are you offline"):
        datasets.FashionMNIST(str(tmp_path / "data"), download=True)
    with pytest.raises(RuntimeError, match="download=True"):
        datasets.KMNIST(str(tmp_path / "data"))
    monkeypatch.undo()

    class Local(datasets.MNIST):
        pass
    Local.mirrors = ["file:///nonexistent/", mirror.as_uri() + "/"]
    Local.resources = resources
    ds = Local(str(tmp_path / "data"), download=True, transform=transforms.PILToTensor())
    assert sorted(os.listdir(tmp_path / "data" / "Local" / "raw")) == sorted(n for n, _ in resources)
    assert len(ds) == 6 and ds[3][1] == int(labels[3])
    np.testing.assert_array_equal(ds[3][0].numpy()[0], imgs[3])
    Local.resources = [(n, "0" * 32) for n, _ in resources]  # files present: no download, no re-check
    assert len(Local(str(tmp_path / "data"), train=False, download=True)) == 2
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        Local(str(tmp_path / "other"), download=True)


def test_cifar10_download(tmp_path):
    rng = np.random.default_rng(1)
    buf = io.BytesIO()
    data = rng.integers(0, 256, (4, 3072), dtype=np.uint8)
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, entry in [("data_batch_1", {"data": data, "labels": [0, 1, 2, 3]}),
                            ("test_batch", {"data": data[:1], "labels": [9]}),
                            ("batches.meta", {"label_names": [f"c{i}" for i in range(10)]})]:
            body = pickle.dumps(entry)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    (tmp_path / "c.tar.gz").write_bytes(buf.getvalue())

    class Local(datasets.CIFAR10):
        url = (tmp_path / "c.tar.gz").as_uri()
        tgz_md5 = hashlib.md5(buf.getvalue()).hexdigest()
        train_list = ["data_batch_1"]
    ds = Local(str(tmp_path / "root"), download=True)
    assert len(ds) == 4 and ds.classes[2] == "c2" and ds.targets == [0, 1, 2, 3]
    np.testing.assert_array_equal(np.asarray(ds[1][0]), data[1].reshape(3, 32, 32).transpose(1, 2, 0))
    assert datasets.CIFAR10.tgz_md5 == "c58f30108f718f92721af3b95e74349a"
    assert datasets.CIFAR100.tgz_md5 == "eb9058c3a382ffc7106e4002c42a8d85"
