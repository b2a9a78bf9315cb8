"""ember.vision.transforms: torchvision.transforms (classes here, the operations in .functional)."""
from ember.vision.transforms import functional  # noqa: F401
from ember.vision.transforms.transforms import *  # noqa: F401,F403
from ember.vision.transforms.transforms import __all__  # noqa: F401
