"""Spatial resampling: interpolate (upsample), grid_sample, affine_grid, unfold/fold, channel_shuffle.

Argument handling mirrors torch.nn.functional line by line (same checks, same error types); the
compute is in C++ (ember._C._nn.upsample / grid_sampler / im2col / col2im).
"""
import math
import numbers
import warnings

import ember
from ember import _C

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "grid_sample", "affine_grid",
           "unfold", "fold", "channel_shuffle", "native_channel_shuffle", "pad"]


def _pair(v):
    if isinstance(v, (list, tuple)):
        return tuple(v)
    return (v, v)


def _is_integer(x):
    if isinstance(x, numbers.Integral) and not isinstance(x, bool):
        return True
    if isinstance(x, bool):
        return True
    if isinstance(x, ember.Tensor):
        return not x.is_floating_point() and x.numel() == 1
    return False


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    else:
        if align_corners is None:
            align_corners = False

    dim = input.dim() - 2  # number of spatial dimensions

    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    elif size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {list(input.shape[2:])} and output size of {size}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                    "output size in (o1, o2, ...,oK) format.")
            if not all(_is_integer(x) for x in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(x) for x in size]}")
            output_size = [int(x) for x in size]
        else:
            output_size = [int(size) for _ in range(dim)]
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                    "scale_factor in (s1, s2, ...,sK) format.")
            scale_factors = [float(s) for s in scale_factor]
        else:
            scale_factors = [float(scale_factor) for _ in range(dim)]
    else:
        raise ValueError("either size or scale_factor should be defined")

    if recompute_scale_factor is not None and recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")

    # "area" mode always needs an explicit size
    if mode == "area" and output_size is None:
        recompute_scale_factor = True

    if recompute_scale_factor is not None and recompute_scale_factor:
        output_size = [int(input.size(i + 2) * scale_factors[i]) for i in range(dim)]
        scale_factors = None

    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires "
                         "a 4-D tensor as input")
    if antialias:
        raise NotImplementedError(f"[ember.nn.functional.interpolate] antialias=True is not implemented yet "
                                  f"(mode '{mode}')")

    if output_size is None:  # sizes from the scale factors (the kernel keeps using 1/scale)
        output_size = [int(math.floor(float(input.size(i + 2)) * scale_factors[i])) for i in range(dim)]

    kernel_modes = {3: ("nearest", "nearest-exact", "linear"), 4: ("nearest", "nearest-exact", "bilinear", "bicubic"),
                    5: ("nearest", "nearest-exact", "trilinear")}
    if input.dim() in kernel_modes and mode in kernel_modes[input.dim()]:
        return _C._nn.upsample(input, output_size, mode, bool(align_corners), scale_factors)
    if input.dim() == 3 and mode == "area":
        return ember.nn.functional.adaptive_avg_pool1d(input, output_size)
    if input.dim() == 4 and mode == "area":
        return ember.nn.functional.adaptive_avg_pool2d(input, output_size)
    if input.dim() == 5 and mode == "area":
        raise NotImplementedError("[ember.nn.functional.interpolate] mode 'area' on 5-D input needs "
                                  "adaptive_avg_pool3d, which ember does not have yet")
    if input.dim() == 4 and mode == "lanczos":
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        raise ValueError("Lanczos mode requires antialias=True")

    if input.dim() == 3 and mode == "bilinear":
        raise NotImplementedError("Got 3D input, but bilinear mode needs 4D input")
    if input.dim() == 3 and mode == "trilinear":
        raise NotImplementedError("Got 3D input, but trilinear mode needs 5D input")
    if input.dim() == 4 and mode == "linear":
        raise NotImplementedError("Got 4D input, but linear mode needs 3D input")
    if input.dim() == 4 and mode == "trilinear":
        raise NotImplementedError("Got 4D input, but trilinear mode needs 5D input")
    if input.dim() == 5 and mode == "linear":
        raise NotImplementedError("Got 5D input, but linear mode needs 3D input")
    if input.dim() == 5 and mode == "bilinear":
        raise NotImplementedError("Got 5D input, but bilinear mode needs 4D input")

    raise NotImplementedError(
        "Input Error: Only 3D, 4D and 5D input Tensors supported"
        f" (got {input.dim()}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact"
        f" (got {mode})")


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    if mode != "bilinear" and mode != "nearest" and mode != "bicubic":
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode != "zeros" and padding_mode != "border" and padding_mode != "reflection":
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    mode_enum = {"bilinear": 0, "nearest": 1, "bicubic": 2}[mode]
    padding_mode_enum = {"zeros": 0, "border": 1, "reflection": 2}[padding_mode]
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                      "Please specify align_corners=True if the old behavior is desired. "
                      "See the documentation of grid_sample for details.", stacklevel=2)
        align_corners = False
    if mode == "bicubic":
        from ember.nn._functional.grid_bicubic import grid_sample_bicubic
        return grid_sample_bicubic(input, grid, padding_mode, bool(align_corners))
    return _C._nn.grid_sampler(input, grid, mode_enum, padding_mode_enum, bool(align_corners))


def _linspace_from_neg_one(theta, num_steps, align_corners):
    if num_steps <= 1:
        return ember.zeros((), dtype=theta.dtype, device=theta.device)
    r = ember.linspace(-1, 1, num_steps, dtype=theta.dtype, device=theta.device)
    if not align_corners:
        r = r * (num_steps - 1) / num_steps
    return r


def affine_grid(theta, size, align_corners=None):
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                      "Please specify align_corners=True if the old behavior is desired. "
                      "See the documentation of grid_sample for details.", stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if len(size) == 4:
        if theta.dim() != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. "
                             f"Got {theta.shape}.")
        spatial_size = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. "
                             f"Got {theta.shape}.")
        spatial_size = size[-3:]
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if align_corners and min(spatial_size) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. "
                      "See the documentation of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    n = int(size[0])
    if theta.shape[0] != n:
        raise RuntimeError(f"[ember.affine_grid] expected theta of batch size {n}, got {tuple(theta.shape)}")
    spatial = [int(s) for s in spatial_size]
    # base grid [prod(spatial), k+1]: (x, y[, z], 1) with x varying fastest, as torch's make_base_grid
    axes = [_linspace_from_neg_one(theta, s, align_corners) for s in reversed(spatial)]
    full = tuple(spatial)
    k = len(spatial)
    cols = []
    for i, a in enumerate(axes):  # axis i of (x, y, z) runs along spatial dim k-1-i
        shape = [1] * k
        if a.dim() == 1:
            shape[k - 1 - i] = a.shape[0]
        cols.append(a.reshape(shape).expand(*full))
    cols.append(ember.ones(full, dtype=theta.dtype, device=theta.device))
    base = ember.stack(cols, -1).reshape(1, -1, k + 1)
    grid = ember.matmul(base.expand(n, base.shape[1], k + 1), theta.transpose(1, 2))
    return grid.reshape(n, *full, k)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    if input.dim() < 3:  # torch reads size(1) and size(2) before its shape check
        d = max(input.dim(), 1)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-d}, {d - 1}], but got "
                         f"{1 if input.dim() < 2 else 2})")
    return _C._nn.im2col(input, _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    return _C._nn.col2im(input, _pair(output_size), _pair(kernel_size), _pair(dilation), _pair(padding),
                         _pair(stride))


def channel_shuffle(input, groups):
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes {list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    c = input.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    n, rest = input.shape[0], list(input.shape[2:])
    x = input.reshape([n, groups, c // groups] + rest).transpose(1, 2)
    return x.reshape([n, c] + rest)


native_channel_shuffle = channel_shuffle


def pad(input, pad, mode="constant", value=None):
    """torch.nn.functional.pad: every mode is the C++ op (RuntimeError for bad pad lengths, as torch)."""
    pad = [int(p) for p in pad]
    if mode in ("reflect", "replicate") and len(pad) % 2 == 0 and len(pad) // 2 in (1, 2, 3) \
            and input.dim() in (len(pad) // 2 + 1, len(pad) // 2 + 2):
        batched = input.dim() == len(pad) // 2 + 2
        if any(s == 0 for s in input.shape[1 if batched else 0:]):
            k = len(pad) // 2
            raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and "
                               f"other non-zero dimensions for input, but got: {list(input.shape)}")
    return _C._ops.pad(input, pad, mode, value)
