"""ember.vision.models: torchvision's classification architectures (same module names and
state_dict keys as torchvision, so its weights load with load_state_dict) plus a LeNet-5.
No pretrained weights ship with ember: `weights=` other than None raises a RuntimeError."""
from ember.vision.models.lenet import LeNet, lenet
from ember.vision.models.mobilenetv2 import InvertedResidual, MobileNetV2, mobilenet_v2
from ember.vision.models.resnet import (BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50, resnet101,
                                        resnet152, resnext50_32x4d, resnext101_32x8d, resnext101_64x4d,
                                        wide_resnet50_2, wide_resnet101_2)
from ember.vision.models.vgg import (VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn)

__all__ = ["LeNet", "lenet", "MobileNetV2", "InvertedResidual", "mobilenet_v2", "ResNet", "BasicBlock", "Bottleneck",
           "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "resnext101_32x8d",
           "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2", "VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn",
           "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]
