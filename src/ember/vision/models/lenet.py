"""LeNet-5 (LeCun et al. 1998) in its common modern form; torchvision has no LeNet, so the names are ember's.

Definition (input 1x32x32, or 1x28x28 with padding=2 on conv1 as here so MNIST fits):
    conv1 Conv2d(in_channels, 6, 5, padding=2) -> ReLU -> MaxPool2d(2)      # 6x14x14
    conv2 Conv2d(6, 16, 5)                     -> ReLU -> MaxPool2d(2)      # 16x5x5
    flatten -> fc1 Linear(16*5*5, 120) -> ReLU -> fc2 Linear(120, 84) -> ReLU -> fc3 Linear(84, num_classes)
For 3x32x32 inputs (CIFAR) the padding of conv1 is 0, so the 16x5x5 shape holds for both:
LeNet(in_channels=3) expects 32x32, LeNet(in_channels=1) expects 28x28. Pass `padding` to override.
Default PyTorch initialisation (kaiming_uniform a=sqrt(5)) is kept.
"""
import ember
import ember.nn as nn
import ember.nn.functional as F

__all__ = ["LeNet", "lenet"]


class LeNet(nn.Module):
    def __init__(self, in_channels=1, num_classes=10, padding=None):
        super().__init__()
        if padding is None:
            padding = 2 if in_channels == 1 else 0
        self.conv1 = nn.Conv2d(in_channels, 6, 5, padding=padding)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = ember.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def lenet(*, weights=None, progress=True, **kwargs):
    from ember.vision.models._utils import _check_weights
    _check_weights("lenet", weights, kwargs)
    return LeNet(**kwargs)
