"""CIFAR-10 / CIFAR-100 from the standard "python version" batches under <root>/<base_folder>."""
import os
import pickle
import tarfile

import numpy as np

import ember
from ember.vision.datasets.vision import VisionDataset, download_url, md5sum


class CIFAR10(VisionDataset):
    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [f"data_batch_{i}" for i in range(1, 6)]
    test_list = ["test_batch"]
    meta = ("batches.meta", "label_names")
    label_key = "labels"

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        folder = os.path.join(self.root, self.base_folder)
        if not os.path.isdir(folder):
            raise RuntimeError(f"Dataset not found or corrupted: {folder} is missing. "
                               "You can use download=True to download it.")
        data, targets = [], []
        for name in (self.train_list if train else self.test_list):
            with open(os.path.join(folder, name), "rb") as f:
                entry = pickle.load(f, encoding="latin1")
            data.append(entry["data"])
            targets.extend(entry["labels"] if "labels" in entry else entry["fine_labels"])
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # HWC uint8, as torchvision
        self.targets = list(targets)
        meta_path = os.path.join(folder, self.meta[0])
        if os.path.exists(meta_path):
            with open(meta_path, "rb") as f:
                self.classes = pickle.load(f, encoding="latin1")[self.meta[1]]
        else:
            self.classes = [str(i) for i in range(max(self.targets) + 1)]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def download(self):
        if os.path.isdir(os.path.join(self.root, self.base_folder)):
            return
        path = download_url([self.url], self.root, self.filename, self.tgz_md5)
        with tarfile.open(path, "r:gz") as tar:
            tar.extractall(self.root, filter="data")

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        img, target = self.data[index], self.targets[index]
        try:
            from PIL import Image
            img = Image.fromarray(img)
        except ImportError:
            pass
        return self._apply(img, target)


class CIFAR100(CIFAR10):
    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = ["train"]
    test_list = ["test"]
    meta = ("meta", "fine_label_names")
