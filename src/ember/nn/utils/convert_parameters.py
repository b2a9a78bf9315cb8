"""parameters_to_vector / vector_to_parameters."""
import ember
from ember import _C


def parameters_to_vector(parameters):
    """Concatenate the parameters, flattened, into one 1-D tensor."""
    vec = [p.reshape(-1) for p in parameters]
    if hasattr(ember, "cat"):
        return ember.cat(vec)
    n = sum(v.numel() for v in vec)
    out = ember.empty([n], dtype=vec[0].dtype, device=vec[0].device) if vec else ember.empty([0])
    pointer = 0
    for v in vec:
        out[pointer:pointer + v.numel()] = v
        pointer += v.numel()
    return out


def vector_to_parameters(vec, parameters):
    """Copy slices of `vec` into the parameters' data, in order."""
    if not isinstance(vec, _C.Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n
