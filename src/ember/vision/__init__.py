"""ember.vision: torchvision's datasets, transforms, models and utils for ember tensors."""
from ember.vision import datasets, models, transforms, utils  # noqa: F401
