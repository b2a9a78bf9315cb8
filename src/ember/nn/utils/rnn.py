"""Packed and padded variable-length sequences (torch.nn.utils.rnn's names and semantics).

Packing and padding are each ONE index_select over a precomputed row map, so they are
differentiable through the ordinary indexing backward.
"""
from collections import namedtuple

import ember

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]

_PackedSequenceBase = namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequenceBase):
    """Holds the data and the list of batch_sizes of a packed sequence (made by pack_padded_sequence /
    pack_sequence). batch_sizes[t] is how many sequences have a step t; data holds those steps
    time-major. sorted_indices / unsorted_indices: the permutation applied to the batch (or None)."""

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never be "
                             "created manually. They should be instantiated by functions like pack_sequence "
                             "and pack_padded_sequences in nn.utils.rnn.")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """Converts `data` (dtype and/or device, like Tensor.to); indices follow the device."""
        data = self.data.to(*args, **kwargs)
        if data is self.data or (data.data_ptr() == self.data.data_ptr() and data.dtype == self.data.dtype
                                 and data.device == self.data.device):
            return self
        sorted_indices = None if self.sorted_indices is None else self.sorted_indices.to(data.device)
        unsorted_indices = None if self.unsorted_indices is None else self.unsorted_indices.to(data.device)
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cpu(self, *args, **kwargs):
        return self.to(device="cpu")

    def cuda(self, *args, **kwargs):
        return self.to(device="cuda")

    def double(self):
        return self.to(dtype=ember.float64)

    def float(self):
        return self.to(dtype=ember.float32)

    def half(self):
        return self.to(dtype=ember.float16)

    def long(self):
        return self.to(dtype=ember.int64)

    def int(self):
        return self.to(dtype=ember.int32)

    def short(self):
        return self.to(dtype=ember.int16)

    def char(self):
        return self.to(dtype=ember.int8)

    def byte(self):
        return self.to(dtype=ember.uint8)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    """The inverse of a 1-D permutation tensor (None stays None)."""
    if permutation is None:
        return None
    perm = [int(v) for v in permutation.tolist()]
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return ember.tensor(inv, dtype=ember.int64, device=permutation.device)


def _lengths_list(lengths):
    if isinstance(lengths, ember.Tensor):
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def _batch_sizes(lengths):
    """batch_sizes[t] = number of sequences longer than t (lengths sorted, decreasing)."""
    out, b = [], len(lengths)
    for t in range(lengths[0] if lengths else 0):
        while b > 0 and lengths[b - 1] <= t:
            b -= 1
        out.append(b)
    return out


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded batch (T x B x * or B x T x *) of sequences with the given lengths."""
    lens = _lengths_list(lengths)
    if input.dim() < 2:
        raise ValueError(f"pack_padded_sequence expects an input of at least 2 dimensions, got {input.dim()}")
    sorted_indices = None
    if enforce_sorted:
        if any(lens[i] < lens[i + 1] for i in range(len(lens) - 1)):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                               "to sidestep this requirement if you do not need ONNX exportability.")
    else:
        order = sorted(range(len(lens)), key=lambda i: -lens[i])  # stable, like torch.sort on CPU
        lens = [lens[i] for i in order]
        sorted_indices = ember.tensor(order, dtype=ember.int64, device=input.device)
    if input.dim() >= 2:
        batch = input.size(0) if batch_first else input.size(1)
        steps = input.size(1) if batch_first else input.size(0)
        if len(lens) != batch:
            raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lens)} "
                               f"(batch_size={batch})")
    if lens and lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if lens and lens[0] > steps:
        raise RuntimeError(f"Expected the longest sequence length to be at most {steps} (the padded length), "
                           f"got {lens[0]}")
    bs = _batch_sizes(lens)
    # row map into input viewed as (T*B, *) (time-major) or (B*T, *) (batch-first)
    order = sorted_indices.tolist() if sorted_indices is not None else list(range(len(lens)))
    rows = []
    for t, n in enumerate(bs):
        for b in range(n):
            src = order[b]
            rows.append(src * steps + t if batch_first else t * batch + src)
    flat = input.reshape([-1] + list(input.shape[2:]))
    data = flat.index_select(0, ember.tensor(rows, dtype=ember.int64, device=input.device))
    return PackedSequence(data, ember.tensor(bs, dtype=ember.int64), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Pads a PackedSequence back to (T x B x *) or (B x T x *); returns (padded, lengths)."""
    data, batch_sizes = sequence.data, sequence.batch_sizes
    bs = [int(v) for v in batch_sizes.tolist()]
    max_len = len(bs)
    if total_length is not None:
        if total_length < max_len:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {max_len}")
        max_len = total_length
    B = bs[0] if bs else 0
    n = data.size(0)
    lengths = [sum(1 for v in bs if v > b) for b in range(B)]
    # row map into cat(data, padding row): padded (t, b) <- data[off_t + b] when b < bs_t
    rows, off = [], [0] * (len(bs) + 1)
    for t, v in enumerate(bs):
        off[t + 1] = off[t] + v
    for i in range(B if batch_first else max_len):
        for j in range(max_len if batch_first else B):
            t, b = (j, i) if batch_first else (i, j)
            rows.append(off[t] + b if t < len(bs) and b < bs[t] else n)
    pad = ember.full([1] + list(data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    src = ember.cat([data, pad], 0)
    out = src.index_select(0, ember.tensor(rows, dtype=ember.int64, device=data.device))
    shape = [B, max_len] if batch_first else [max_len, B]
    out = out.reshape(shape + list(data.shape[1:]))
    lengths_t = ember.tensor(lengths, dtype=ember.int64)
    if sequence.unsorted_indices is not None:
        batch_dim = 0 if batch_first else 1
        out = out.index_select(batch_dim, sequence.unsorted_indices)
        lengths_t = lengths_t[sequence.unsorted_indices.cpu()]
    return out, lengths_t


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks variable-length (L x *) tensors into (T x B x *) or (B x T x *), padding with padding_value."""
    if isinstance(sequences, ember.Tensor):
        sequences = list(sequences.unbind(0))
    try:
        sequences = list(sequences)
    except TypeError:
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}") from None
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    max_len = max(s.size(0) for s in sequences)
    trailing = list(sequences[0].shape[1:])
    padded = []
    for s in sequences:
        n = max_len - s.size(0)
        if n:
            fill = ember.full([n] + trailing, padding_value, dtype=s.dtype, device=s.device)
            s = ember.cat([s, fill] if padding_side == "right" else [fill, s], 0)
        padded.append(s)
    return ember.stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Splits a padded batch back into a list of variable-length tensors."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, _lengths_list(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of variable-length tensors (pad_sequence then pack_padded_sequence)."""
    lengths = [v.size(0) for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """Unpacks a PackedSequence into a list of variable-length tensors."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
