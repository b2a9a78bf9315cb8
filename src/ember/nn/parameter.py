"""Parameter (a leaf Tensor that Modules register) and Buffer (a marker for register_buffer)."""
import copy

from ember import _C

Tensor = _C.Tensor


class Parameter(Tensor):
    """A Tensor that is a module parameter: assigning one to a Module attribute registers it.

    `Parameter(data)` shares storage with `data` and is a leaf with requires_grad=True by default.
    """

    def __new__(cls, data=None, requires_grad=True):
        return super().__new__(cls)

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = _C._ops.empty([0])
        if not isinstance(data, Tensor):
            raise TypeError(f"[ember.nn.Parameter] expected a Tensor as data, got {type(data).__name__}")
        super().__init__(data)
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(self)

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.detach().clone(), self.requires_grad)
        memo[id(self)] = result
        if self.__dict__:
            result.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return result

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self.detach().clone(), self.requires_grad))

    __hash__ = Tensor.__hash__


def _rebuild_parameter(data, requires_grad):
    return Parameter(data, requires_grad)


class Buffer:
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = _C._ops.empty([0])
        t = data.detach() if isinstance(data, Tensor) else data
        t._is_buffer = True
        t.persistent = persistent
        return t


class UninitializedParameter(Parameter):
    """Placeholder for LazyLinear's weight before its first forward."""

    def __repr__(self):
        return "<UninitializedParameter>"

    def materialize(self, shape, device=None, dtype=None):
        kwargs = {}
        if dtype is not None:
            kwargs["dtype"] = dtype
        self.data = _C._ops.empty(list(shape), **kwargs)
        self.__class__ = Parameter


def is_lazy(param):
    return isinstance(param, UninitializedParameter)
