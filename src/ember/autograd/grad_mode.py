"""Grad-mode switches: context managers that also work as decorators. The state is thread-local
and lives in C++ (autograd/grad_mode.cpp)."""
import functools

from ember import _C

is_grad_enabled = _C.is_grad_enabled
is_inference_mode_enabled = _C.is_inference_mode_enabled


class _DecoratorContextManager:
    def __call__(self, func):
        import inspect
        if inspect.isgeneratorfunction(func):
            @functools.wraps(func)
            def gen_wrapper(*args, **kwargs):
                gen = func(*args, **kwargs)
                with self.__class__(*self._args):
                    value = next(gen)
                while True:
                    try:
                        with self.__class__(*self._args):
                            sent = yield value
                            value = gen.send(sent)
                    except StopIteration as e:
                        return e.value
            return gen_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args):
                return func(*args, **kwargs)
        return wrapper

    _args = ()


class _NoParamDecoratorContextManager(_DecoratorContextManager):
    """Also usable as a bare decorator: @no_grad as well as @no_grad()."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecoratorContextManager):
    """Disable gradient recording inside the block (or the decorated function)."""

    def __enter__(self):
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(False)
        return self

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False


class enable_grad(_NoParamDecoratorContextManager):
    def __enter__(self):
        self._prev = _C.is_grad_enabled()
        _C._set_grad_enabled(True)
        return self

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False


class set_grad_enabled(_DecoratorContextManager):
    """Set grad mode now (as a function) or for a block (as a context manager)."""

    def __init__(self, mode):
        self._prev = _C.is_grad_enabled()
        self._args = (mode,)
        _C._set_grad_enabled(bool(mode))

    def __call__(self, func):
        # Used as a decorator: the mode applies inside the function only.
        _C._set_grad_enabled(self._prev)
        return super().__call__(func)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev)
        return False


class inference_mode(_DecoratorContextManager):
    """Like no_grad, for inference-only code."""

    def __new__(cls, mode=True):
        if mode is None or isinstance(mode, bool):
            return super().__new__(cls)
        return cls(True)(mode)  # used as a bare decorator: @inference_mode

    def __init__(self, mode=True):
        self._args = (mode,)
        self.mode = mode

    def __call__(self, func=None):
        if func is None or isinstance(func, bool):
            return inference_mode(True if func is None else func)
        return super().__call__(func)

    def __enter__(self):
        self._prev = (_C.is_grad_enabled(), _C.is_inference_mode_enabled())
        if self.mode:
            _C._set_grad_enabled(False)
            _C._set_inference_mode(True)
        return self

    def __exit__(self, *exc):
        _C._set_grad_enabled(self._prev[0])
        _C._set_inference_mode(self._prev[1])
        return False
