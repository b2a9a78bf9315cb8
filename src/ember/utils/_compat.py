"""Work-arounds for core (C++) behaviour that the Python layer depends on, each installed only while
the core still shows the problem.

Note [Tensor.grad and None]: the C++ getter of Tensor.grad returns an *undefined* tensor object
(not None) when there is no gradient; touching it crashes. Until the binding returns None, the
property is wrapped here: an undefined tensor is recognised because `probe + t` answers
NotImplemented for it (the operator's "not a tensor or number" path), and the wrapper returns None.

Tensor.__deepcopy__ is likewise supplied while the core lacks it (deepcopy of models with buffers).
"""
import ember

Tensor = ember.Tensor


def _grad_getter_is_broken():
    t = ember.zeros([1])
    t.requires_grad_(True)
    return t.grad is not None


def _install_grad_property():
    orig = Tensor.__dict__.get("grad")
    if orig is None or getattr(orig, "_ember_py_wrapped", False) or not _grad_getter_is_broken():
        return
    probe = ember.zeros([0] + [1] * 31)  # broadcasts with any shape to an empty result
    add = Tensor.__add__
    fget, fset = orig.fget, orig.fset

    def _get(self):
        g = fget(self)
        try:
            if add(probe, g) is NotImplemented:
                return None
        except Exception:
            pass
        return g

    def _set(self, value):
        fset(self, value)

    prop = property(_get, _set, doc=orig.__doc__)
    try:
        prop._ember_py_wrapped = True
    except AttributeError:
        pass
    Tensor.grad = prop


_install_grad_property()


def _install_deepcopy():
    """copy.deepcopy(tensor) (and so deepcopy of a Module with buffers) while the core has no
    Tensor.__deepcopy__: a detached clone with the same requires_grad, grad copied too (torch's rule)."""
    if "__deepcopy__" in Tensor.__dict__:
        return

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.")
        with ember.no_grad():
            new = self.detach().clone()
        new.requires_grad_(self.requires_grad)
        memo[id(self)] = new
        g = self.grad
        if g is not None:
            new.grad = g.detach().clone()
        return new

    Tensor.__deepcopy__ = __deepcopy__


_install_deepcopy()
