import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request


def _dataset_base():
    try:
        from ember.utils.data import Dataset
        return Dataset
    except ImportError:  # utils.data not available: a plain base class keeps datasets usable
        return object


class VisionDataset(_dataset_base()):
    """Base of the image datasets: root folder, transform and target_transform."""

    def __init__(self, root, transforms=None, transform=None, target_transform=None):
        self.root = os.path.expanduser(str(root)) if root is not None else None
        self.transform = transform
        self.target_transform = target_transform
        self.transforms = transforms

    def _apply(self, img, target):
        if self.transforms is not None:
            return self.transforms(img, target)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self):
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"    Root location: {self.root}")
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}")
        return "\n".join(lines)


def md5sum(path, chunk=1 << 20):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def download_url(urls, folder, filename, md5):
    """Fetch `filename` from the first mirror that answers; verify the checksum; write atomically."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, filename)
    if os.path.exists(path) and md5sum(path) == md5:
        return path
    errors = []
    for url in urls:
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=filename + ".")
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=30) as resp:
                shutil.copyfileobj(resp, out)
            if md5sum(tmp) != md5:
                os.unlink(tmp)
                errors.append(f"{url}: checksum mismatch")
                continue
            os.replace(tmp, path)
            return path
        except (urllib.error.URLError, OSError, TimeoutError) as e:
            errors.append(f"{url}: {e}")
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
    raise RuntimeError(f"Error downloading {filename} (are you offline?). Tried:\n  " + "\n  ".join(errors) +
                       f"\nPlace the file in {folder} by hand to use the dataset offline.")
