class OutOfMemoryError(RuntimeError):
    """Raised when an allocation fails (PyTorch's torch.OutOfMemoryError)."""
