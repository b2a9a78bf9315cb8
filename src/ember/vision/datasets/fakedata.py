import numpy as np

import ember
from ember.vision.datasets.vision import VisionDataset


class FakeData(VisionDataset):
    """Random images with random labels, reproducible per index (torchvision's FakeData)."""

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size, self.image_size, self.num_classes, self.random_offset = size, image_size, num_classes, random_offset

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        if index >= len(self) or index < -len(self):
            raise IndexError(f"{type(self).__name__} index out of range")
        index = index % len(self)
        rng = np.random.default_rng(index + self.random_offset)
        img = (rng.random(self.image_size) * 255).astype(np.uint8).transpose(1, 2, 0)  # HWC like a PIL image
        if img.shape[2] == 1:
            img = img[:, :, 0]
        target = int(rng.integers(0, self.num_classes))
        try:  # a PIL image, as torchvision's FakeData returns
            from PIL import Image
            img = Image.fromarray(img)
        except ImportError:
            pass  # without Pillow the image is an HxW(xC) uint8 array; ToTensor accepts both
        return self._apply(img, target)
