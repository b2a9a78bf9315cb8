"""Helpers shared by the model builders: torchvision's _make_divisible, Conv2dNormActivation and the
`weights=` check (ember ships no pretrained weights and never downloads them)."""
import ember.nn as nn


def _make_divisible(v, divisor, min_value=None):
    """Round `v` to the nearest multiple of `divisor`, not going down by more than 10% (torchvision)."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class Conv2dNormActivation(nn.Sequential):
    """conv (0), norm (1), activation (2) as a Sequential, as torchvision.ops.misc.Conv2dNormActivation."""

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=None, groups=1,
                 norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU, dilation=1, inplace=True, bias=None):
        if padding is None:
            padding = (kernel_size - 1) // 2 * dilation
        if bias is None:
            bias = norm_layer is None
        layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, dilation=dilation,
                            groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer(inplace=inplace) if inplace is not None else activation_layer())
        super().__init__(*layers)
        self.out_channels = out_channels


def _check_weights(name, weights, kwargs):
    """ember has no pretrained weights: weights=None builds a fresh model, anything else is an error."""
    if kwargs.pop("pretrained", False):
        weights = "DEFAULT"
    if weights is not None:
        raise RuntimeError(
            f"[ember.vision.models.{name}] pretrained weights are not available: ember ships no weight files and "
            f"does not download them (got weights={weights!r}). Build with weights=None and load a state_dict "
            f"yourself, e.g. model.load_state_dict(...) from weights saved by torchvision.")
