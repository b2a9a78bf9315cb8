"""ember.vision.models vs torchvision's architectures. torchvision is not installed (it would pull
another torch), so the reference is a compact torch.nn re-implementation following torchvision's
source (pytorch/vision torchvision/models/{resnet,vgg,mobilenetv2}.py, ops/misc.py): the same
module tree, hence the same state_dict keys. Key lists are also checked against literal keys read
from torchvision's source, and outputs are compared in eval mode after moving the torch weights
into the ember model (through a .npz file: ember has no ember.load on this branch)."""
import numpy as np
import pytest

import ember
from ember.vision import models
from conftest import require_torch


# ---- the torch reference (torchvision's structure, written out)
def torch_models():
    torch = require_torch()
    nn = torch.nn

    def conv3x3(i, o, s=1, g=1, d=1):
        return nn.Conv2d(i, o, 3, s, padding=d, groups=g, bias=False, dilation=d)

    def conv1x1(i, o, s=1):
        return nn.Conv2d(i, o, 1, s, bias=False)

    class BasicBlock(nn.Module):
        expansion = 1

        def __init__(self, inp, planes, stride=1, downsample=None, groups=1, base_width=64):
            super().__init__()
            self.conv1, self.bn1 = conv3x3(inp, planes, stride), nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.conv2, self.bn2 = conv3x3(planes, planes), nn.BatchNorm2d(planes)
            self.downsample = downsample

        def forward(self, x):
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return self.relu(out + (x if self.downsample is None else self.downsample(x)))

    class Bottleneck(nn.Module):
        expansion = 4

        def __init__(self, inp, planes, stride=1, downsample=None, groups=1, base_width=64):
            super().__init__()
            w = int(planes * (base_width / 64.0)) * groups
            self.conv1, self.bn1 = conv1x1(inp, w), nn.BatchNorm2d(w)
            self.conv2, self.bn2 = conv3x3(w, w, stride, groups), nn.BatchNorm2d(w)
            self.conv3, self.bn3 = conv1x1(w, planes * 4), nn.BatchNorm2d(planes * 4)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = downsample

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.relu(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            return self.relu(out + (x if self.downsample is None else self.downsample(x)))

    class ResNet(nn.Module):
        def __init__(self, block, layers, num_classes=1000, groups=1, width_per_group=64):
            super().__init__()
            self.inplanes, self.groups, self.base_width = 64, groups, width_per_group
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1, self.relu = nn.BatchNorm2d(64), nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            self.layer1 = self._make_layer(block, 64, layers[0])
            self.layer2 = self._make_layer(block, 128, layers[1], 2)
            self.layer3 = self._make_layer(block, 256, layers[2], 2)
            self.layer4 = self._make_layer(block, 512, layers[3], 2)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(512 * block.expansion, num_classes)

        def _make_layer(self, block, planes, blocks, stride=1):
            ds = None
            if stride != 1 or self.inplanes != planes * block.expansion:
                ds = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                   nn.BatchNorm2d(planes * block.expansion))
            layers = [block(self.inplanes, planes, stride, ds, self.groups, self.base_width)]
            self.inplanes = planes * block.expansion
            layers += [block(self.inplanes, planes, groups=self.groups, base_width=self.base_width)
                       for _ in range(1, blocks)]
            return nn.Sequential(*layers)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    def vgg(cfg, bn, num_classes=1000):
        layers, c = [], 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1)] + ([nn.BatchNorm2d(v)] if bn else []) + [nn.ReLU(True)]
                c = v

        class VGG(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential(*layers)
                self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
                self.classifier = nn.Sequential(nn.Linear(512 * 49, 4096), nn.ReLU(True), nn.Dropout(),
                                                nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(),
                                                nn.Linear(4096, num_classes))

            def forward(self, x):
                return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))
        return VGG()

    def cna(i, o, k=3, s=1, g=1):
        return nn.Sequential(nn.Conv2d(i, o, k, s, (k - 1) // 2, groups=g, bias=False), nn.BatchNorm2d(o),
                             nn.ReLU6(inplace=True))

    def make_div(v, d=8):
        nv = max(d, int(v + d / 2) // d * d)
        return nv + d if nv < 0.9 * v else nv

    class InvertedResidual(nn.Module):
        def __init__(self, inp, oup, stride, t):
            super().__init__()
            hid = int(round(inp * t))
            self.use_res_connect = stride == 1 and inp == oup
            layers = [cna(inp, hid, 1)] if t != 1 else []
            layers += [cna(hid, hid, s=stride, g=hid), nn.Conv2d(hid, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup)]
            self.conv = nn.Sequential(*layers)

        def forward(self, x):
            return x + self.conv(x) if self.use_res_connect else self.conv(x)

    class MobileNetV2(nn.Module):
        def __init__(self, num_classes=1000, width_mult=1.0):
            super().__init__()
            cin, last = make_div(32 * width_mult), make_div(1280 * max(1.0, width_mult))
            feats = [cna(3, cin, s=2)]
            for t, c, n, s in [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1],
                               [6, 160, 3, 2], [6, 320, 1, 1]]:
                for i in range(n):
                    feats.append(InvertedResidual(cin, make_div(c * width_mult), s if i == 0 else 1, t))
                    cin = make_div(c * width_mult)
            feats.append(cna(cin, last, 1))
            self.features = nn.Sequential(*feats)
            self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(last, num_classes))

        def forward(self, x):
            x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
            return self.classifier(torch.flatten(x, 1))

    class LeNet(nn.Module):
        def __init__(self, c=1, n=10):
            super().__init__()
            self.conv1 = nn.Conv2d(c, 6, 5, padding=2 if c == 1 else 0)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, n)

        def forward(self, x):
            F = nn.functional
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = torch.flatten(x, 1)
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

    cfg = {"A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
           "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]}
    return {
        "resnet18": lambda **kw: ResNet(BasicBlock, [2, 2, 2, 2], **kw),
        "resnet34": lambda **kw: ResNet(BasicBlock, [3, 4, 6, 3], **kw),
        "resnet50": lambda **kw: ResNet(Bottleneck, [3, 4, 6, 3], **kw),
        "resnet101": lambda **kw: ResNet(Bottleneck, [3, 4, 23, 3], **kw),
        "resnet152": lambda **kw: ResNet(Bottleneck, [3, 8, 36, 3], **kw),
        "resnext50_32x4d": lambda **kw: ResNet(Bottleneck, [3, 4, 6, 3], groups=32, width_per_group=4, **kw),
        "wide_resnet50_2": lambda **kw: ResNet(Bottleneck, [3, 4, 6, 3], width_per_group=128, **kw),
        "vgg11": lambda **kw: vgg(cfg["A"], False, **kw),
        "vgg11_bn": lambda **kw: vgg(cfg["A"], True, **kw),
        "vgg16": lambda **kw: vgg(cfg["D"], False, **kw),
        "vgg16_bn": lambda **kw: vgg(cfg["D"], True, **kw),
        "mobilenet_v2": lambda **kw: MobileNetV2(**kw),
        "lenet": lambda in_channels=1, **kw: LeNet(in_channels, **kw),
    }


def shapes(sd):
    return [(k, tuple(v.shape)) for k, v in sd.items()]


# torchvision's keys, read off its source: first and last state_dict entries and the count
TORCHVISION_KEYS = {
    "resnet18": (122, ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                       "bn1.num_batches_tracked", "layer1.0.conv1.weight", "layer1.0.bn1.weight"],
                 ["layer4.1.bn2.running_mean", "layer4.1.bn2.running_var", "layer4.1.bn2.num_batches_tracked",
                  "fc.weight", "fc.bias"]),
    "mobilenet_v2": (314, ["features.0.0.weight", "features.0.1.weight", "features.0.1.bias",
                           "features.0.1.running_mean", "features.0.1.running_var",
                           "features.0.1.num_batches_tracked", "features.1.conv.0.0.weight",
                           "features.1.conv.0.1.weight"],
                     ["features.18.0.weight", "features.18.1.weight", "features.18.1.bias",
                      "features.18.1.running_mean", "features.18.1.running_var",
                      "features.18.1.num_batches_tracked", "classifier.1.weight", "classifier.1.bias"]),
    "vgg16_bn": (97, ["features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
                        "features.1.running_mean", "features.1.running_var", "features.1.num_batches_tracked",
                        "features.3.weight"],
                 ["features.41.num_batches_tracked", "classifier.0.weight", "classifier.0.bias",
                  "classifier.3.weight", "classifier.3.bias", "classifier.6.weight", "classifier.6.bias"]),
}


@pytest.mark.parametrize("name", sorted(TORCHVISION_KEYS))
def test_keys_match_torchvision_source(name):
    count, first, last = TORCHVISION_KEYS[name]
    keys = list(getattr(models, name)().state_dict())
    if count is not None:
        assert len(keys) == count
    assert keys[:len(first)] == first
    assert keys[-len(last):] == last


SMALL = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "wide_resnet50_2",
         "mobilenet_v2", "lenet"]


@pytest.mark.parametrize("name", SMALL + ["vgg11_bn", "vgg16"])
def test_state_dict_keys_and_shapes_equal_reference(name):
    ref = torch_models()[name]()
    ours = getattr(models, name)()
    assert shapes(ours.state_dict()) == shapes(ref.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in ref.named_modules()]


def transfer(torch_model, ember_model, tmp_path):
    """Save the torch state_dict to a file and load it into the ember model (strict)."""
    path = tmp_path / "weights.npz"
    np.savez(path, **{k: v.detach().numpy() for k, v in torch_model.state_dict().items()})
    with np.load(path) as f:
        sd = {k: ember.from_numpy(f[k].copy()) for k in f.files}
    ember_model.load_state_dict(sd)


@pytest.mark.parametrize("name,kw,size", [
    ("resnet18", {}, 64), ("resnet50", {"num_classes": 7}, 64), ("resnext50_32x4d", {}, 32),
    ("mobilenet_v2", {}, 64), ("mobilenet_v2", {"width_mult": 0.5, "num_classes": 10}, 48),
    ("vgg11_bn", {"num_classes": 5}, 32), ("lenet", {}, 28), ("lenet", {"in_channels": 3}, 32)])
def test_eval_outputs_equal_torch(name, kw, size, tmp_path):
    torch = require_torch()
    ref = torch_models()[name](**kw)
    # non-trivial BN statistics, so eval mode really uses running stats
    with torch.no_grad():
        for m in ref.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    ref.eval()
    ours = getattr(models, name)(**kw)
    transfer(ref, ours, tmp_path)
    ours.eval()
    c = 1 if name == "lenet" and not kw else 3
    x = np.random.default_rng(0).standard_normal((2, c, size, size)).astype(np.float32)
    with torch.no_grad():
        want = ref(torch.from_numpy(x)).numpy()
    with ember.no_grad():
        got = ours(ember.from_numpy(x)).numpy()
    assert got.shape == want.shape
    scale = np.abs(want).max()
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4 * max(scale, 1.0))


def test_init_follows_torchvision():
    m = models.resnet18()
    w = m.conv1.weight.detach().numpy()
    assert abs(w.std() - np.sqrt(2.0 / (64 * 7 * 7))) < 0.1 * np.sqrt(2.0 / (64 * 7 * 7))  # kaiming fan_out
    assert np.all(m.bn1.weight.detach().numpy() == 1) and np.all(m.bn1.bias.detach().numpy() == 0)
    assert np.all(m.layer1[0].bn2.weight.detach().numpy() == 1)
    z = models.resnet50(zero_init_residual=True)
    assert np.all(z.layer1[0].bn3.weight.detach().numpy() == 0)
    assert np.all(z.layer1[0].bn1.weight.detach().numpy() == 1)
    z = models.resnet18(zero_init_residual=True)
    assert np.all(z.layer4[1].bn2.weight.detach().numpy() == 0)
    mb = models.mobilenet_v2()
    lw = mb.classifier[1].weight.detach().numpy()
    assert abs(lw.std() - 0.01) < 0.001 and np.all(mb.classifier[1].bias.detach().numpy() == 0)
    v = models.vgg11()
    assert np.all(v.features[0].bias.detach().numpy() == 0)


def test_resnext_and_wide_widths():
    m = models.resnext50_32x4d()
    assert m.layer1[0].conv2.groups == 32 and m.layer1[0].conv2.weight.shape[0] == 128
    w = models.wide_resnet50_2()
    assert w.layer1[0].conv2.weight.shape[0] == 128
    with pytest.raises(ValueError, match="BasicBlock only supports"):
        models.ResNet(models.BasicBlock, [2, 2, 2, 2], groups=2)


def test_weights_argument_offline():
    for fn in (models.resnet18, models.vgg16_bn, models.mobilenet_v2, models.lenet):
        with pytest.raises(RuntimeError, match="pretrained weights are not available"):
            fn(weights="IMAGENET1K_V1")
        with pytest.raises(TypeError):
            fn(None)  # weights is keyword-only, as in torchvision
    assert isinstance(models.resnet18(weights=None, progress=False), models.ResNet)


def test_train_step_runs():
    m = models.resnet18(num_classes=4)
    x = ember.randn(2, 3, 32, 32)
    loss = m(x).sum()
    loss.backward()
    assert m.conv1.weight.grad is not None and m.fc.bias.grad is not None


def test_train_mode_gradients_equal_torch(tmp_path):
    # BatchNorm -> ReLU(inplace=True): the in-place op must keep the BN node in the graph
    torch = require_torch()
    ref = torch_models()["resnet18"](num_classes=3)
    ours = models.resnet18(num_classes=3)
    transfer(ref, ours, tmp_path)
    ref.double()  # float64: train-mode BN over few values per channel amplifies float32 rounding
    ours.double()
    x = np.random.default_rng(1).standard_normal((2, 3, 32, 32))
    ref(torch.from_numpy(x)).square().sum().backward()
    ours(ember.from_numpy(x)).square().sum().backward()
    for name in ("conv1.weight", "bn1.weight", "layer1.0.conv1.weight", "layer3.0.downsample.1.bias", "fc.weight"):
        want = dict(ref.named_parameters())[name].grad.numpy()
        got = dict(ours.named_parameters())[name].grad.numpy()
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9 * np.abs(want).max())


def test_torch_checkpoint_through_ember_load(tmp_path):
    # torch.save -> ember.load -> load_state_dict; ember.load arrives with the serialization branch
    if not hasattr(ember, "load"):
        pytest.skip("ember.load is not on this branch (weights go through .npz in the other tests)")
    torch = require_torch()
    ref = torch_models()["mobilenet_v2"](width_mult=0.5, num_classes=4)
    ref.eval()
    path = tmp_path / "mbv2.pt"
    torch.save(ref.state_dict(), path)
    ours = models.mobilenet_v2(width_mult=0.5, num_classes=4)
    ours.load_state_dict(ember.load(str(path)))
    ours.eval()
    x = np.random.default_rng(3).standard_normal((1, 3, 40, 40)).astype(np.float32)
    with torch.no_grad():
        want = ref(torch.from_numpy(x)).numpy()
    with ember.no_grad():
        got = ours(ember.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)
