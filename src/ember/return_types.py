"""Named result tuples, as torch.return_types: `values, indices = ember.max(x, 1)` unpacks, and
`.values` / `.indices` name the fields."""
import operator as _operator


def _make(name, fields=("values", "indices")):
    def __new__(cls, seq):
        seq = tuple(seq)
        if len(seq) != len(fields):
            raise TypeError(f"ember.return_types.{name} takes a {len(fields)}-sequence ({len(seq)}-sequence given)")
        return tuple.__new__(cls, seq)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"ember.return_types.{name}(\n{body})"

    def __reduce__(self):
        return (type(self), (tuple(self),))

    ns = {"__slots__": (), "__new__": __new__, "__repr__": __repr__, "__reduce__": __reduce__,
          "_fields": fields, "n_fields": len(fields), "n_sequence_fields": len(fields), "__module__": __name__}
    for i, f in enumerate(fields):
        ns[f] = property(_operator.itemgetter(i), doc=f"Alias for field number {i}")
    return type(name, (tuple,), ns)


max = _make("max")  # noqa: A001
min = _make("min")  # noqa: A001
sort = _make("sort")
topk = _make("topk")
kthvalue = _make("kthvalue")
median = _make("median")
nanmedian = _make("nanmedian")
mode = _make("mode")
cummax = _make("cummax")
cummin = _make("cummin")
aminmax = _make("aminmax", ("min", "max"))

__all__ = ["max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "mode", "cummax", "cummin", "aminmax"]
