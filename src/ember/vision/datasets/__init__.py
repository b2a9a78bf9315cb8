from ember.vision.datasets.vision import VisionDataset
from ember.vision.datasets.mnist import MNIST, FashionMNIST, KMNIST
from ember.vision.datasets.cifar import CIFAR10, CIFAR100
from ember.vision.datasets.fakedata import FakeData
from ember.vision.datasets.folder import DatasetFolder, ImageFolder

__all__ = ["VisionDataset", "MNIST", "FashionMNIST", "KMNIST", "CIFAR10", "CIFAR100", "FakeData", "DatasetFolder",
           "ImageFolder"]
