"""RNNBase, RNN, LSTM, GRU and the cells RNNCell, LSTMCell, GRUCell (torch.nn's names, parameter
names, init and semantics). The time loop is one C++ op per layer (ember._C._nn.rnn_layer: both
directions, dense or packed input); this file only stacks layers and handles the shapes."""
import math
import numbers
import warnings

import ember
from ember import _C
from ember.nn import functional as F
from ember.nn import init
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter
from ember.nn.utils.rnn import PackedSequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _kw(device, dtype):
    kw = {}
    if dtype is not None:
        kw["dtype"] = dtype
    if device is not None:
        kw["device"] = device
    return kw


def _apply_permutation(tensor, permutation, dim=1):
    return tensor.index_select(dim, permutation)


class RNNBase(Module):
    """Base of RNN / LSTM / GRU: parameters weight_ih_l{k}[_reverse], weight_hh_l{k}[_reverse],
    bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse] (and weight_hr_l{k}[_reverse] for an LSTM with
    proj_size), initialised uniform(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        kw = _kw(device, dtype)
        self._flat_weights_names = []
        self._all_weights = []
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
                params = [Parameter(ember.empty([gate_size, layer_input_size], **kw)),
                          Parameter(ember.empty([gate_size, real_hidden_size], **kw))]
                names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    params += [Parameter(ember.empty([gate_size], **kw)), Parameter(ember.empty([gate_size], **kw))]
                    names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    params.append(Parameter(ember.empty([proj_size, hidden_size], **kw)))
                    names.append("weight_hr_l{}{}")
                suffix = "_reverse" if direction == 1 else ""
                names = [n.format(layer, suffix) for n in names]
                for name, p in zip(names, params):
                    setattr(self, name, p)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self):
        """No-op: ember's kernels read each parameter where it lives (kept for torch compatibility)."""

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # ---- argument checks (torch's messages)
    def check_input(self, input, batch_sizes):
        w0 = self._flat_weights[0]
        if input.dtype != w0.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({w0.dtype}). "
                             f"Convert input: input.to({w0.dtype}), or convert model: model.to({input.dtype})")
        expected_input_dim = 2 if batch_sizes is not None else 3
        if input.dim() != expected_input_dim:
            raise RuntimeError(f"input must have {expected_input_dim} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.size(-1)}")

    def get_expected_hidden_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, size)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return _apply_permutation(hx, permutation)

    # ---- the layer stack
    def _run(self, input, hx, cx, batch_sizes):
        """input time-major (T, B, I) or packed (N, I); hx (L*D, B, Hout); cx (L*D, B, H) or None."""
        D = 2 if self.bidirectional else 1
        weights = self._flat_weights
        per_layer = len(weights) // self.num_layers
        hs, cs = [], []
        out = input
        for layer in range(self.num_layers):
            ws = weights[layer * per_layer:(layer + 1) * per_layer]
            h0 = hx[layer * D:(layer + 1) * D] if self.num_layers > 1 else hx
            c0 = None if cx is None else (cx[layer * D:(layer + 1) * D] if self.num_layers > 1 else cx)
            out, h, c = _C._nn.rnn_layer(out, h0, c0, ws, self.mode, self.bias, self.bidirectional, batch_sizes)
            hs.append(h)
            cs.append(c)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                out = F.dropout(out, self.dropout, True)
        h_n = hs[0] if len(hs) == 1 else ember.cat(hs, 0)
        c_n = None if cx is None else (cs[0] if len(cs) == 1 else ember.cat(cs, 0))
        return out, h_n, c_n

    def _prepare(self, input, hx, dim_msg):
        """Common front: unpack PackedSequence, unbatched input, batch_first; returns a dict of state."""
        st = {"packed": isinstance(input, PackedSequence), "batched": True, "sorted": None, "unsorted": None,
              "batch_sizes": None}
        if st["packed"]:
            data, batch_sizes, st["sorted"], st["unsorted"] = input
            st["batch_sizes"] = [int(v) for v in batch_sizes.tolist()]
            st["batch_sizes_t"] = batch_sizes
            st["input"] = data
            st["mini_batch"] = st["batch_sizes"][0]
            return st
        if input.dim() not in (2, 3):
            raise ValueError(dim_msg.format(input.dim()))
        st["batched"] = input.dim() == 3
        batch_dim = 0 if self.batch_first else 1
        if not st["batched"]:
            input = input.unsqueeze(batch_dim)
        st["input"] = input
        st["mini_batch"] = input.size(0) if self.batch_first else input.size(1)
        return st

    def _finish(self, st, output, hidden):
        """Wraps the output back (PackedSequence, batch_first, unbatched)."""
        if st["packed"]:
            return PackedSequence(output, st["batch_sizes_t"], st["sorted"], st["unsorted"]), hidden
        if self.batch_first:
            output = output.transpose(0, 1)
        if not st["batched"]:
            output = output.squeeze(0 if self.batch_first else 1)
        return output, hidden

    def _time_major(self, st):
        x = st["input"]
        return x.transpose(0, 1) if (self.batch_first and not st["packed"]) else x

    def _zeros(self, st, size):
        D = 2 if self.bidirectional else 1
        x = st["input"]
        return ember.zeros([self.num_layers * D, st["mini_batch"], size], dtype=x.dtype, device=x.device)

    def _bs_arg(self, st):
        return st["batch_sizes_t"] if st["packed"] else None


    def _forward_single(self, input, hx, dim_msg):
        """RNN and GRU: one hidden tensor."""
        st = self._prepare(input, hx, dim_msg)
        if not st["packed"]:
            if st["batched"]:
                if hx is not None and hx.dim() != 3:
                    raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
            elif hx is not None:
                if hx.dim() != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
                hx = hx.unsqueeze(1)
        if hx is None:
            hx = self._zeros(st, self.hidden_size)
        else:
            hx = self.permute_hidden(hx, st["sorted"])
        self.check_forward_args(st["input"], hx, self._bs_arg(st))
        out, h_n, _ = self._run(self._time_major(st), hx, None, st["batch_sizes"])
        h_n = self.permute_hidden(h_n, st["unsorted"])
        if not st["packed"] and not st["batched"]:
            h_n = h_n.squeeze(1)
        return self._finish(st, out, h_n)


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) (or relu)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward_single(input, hx, "RNN: Expected input to be 2D or 3D, got {}D tensor instead")

class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o; optional projection h_t = W_hr h_t)."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return _apply_permutation(hx[0], permutation), _apply_permutation(hx[1], permutation)

    def forward(self, input, hx=None):
        st = self._prepare(input, hx, "LSTM: Expected input to be 2D or 3D, got {}D instead")
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        if hx is None:
            hx = (self._zeros(st, real_hidden), self._zeros(st, self.hidden_size))
        else:
            if not st["packed"]:
                if st["batched"]:
                    if hx[0].dim() != 3 or hx[1].dim() != 3:
                        raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but got "
                                           f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
                else:
                    if hx[0].dim() != 2 or hx[1].dim() != 2:
                        raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but got "
                                           f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
                    hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1))
            hx = self.permute_hidden(hx, st["sorted"])
        self.check_forward_args(st["input"], hx, self._bs_arg(st))
        out, h_n, c_n = self._run(self._time_major(st), hx[0], hx[1], st["batch_sizes"])
        hidden = self.permute_hidden((h_n, c_n), st["unsorted"])
        if not st["packed"] and not st["batched"]:
            hidden = (hidden[0].squeeze(1), hidden[1].squeeze(1))
        return self._finish(st, out, hidden)


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n; n = tanh(W_in x + b_in + r * (W_hn h + b_hn)))."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward_single(input, hx, "GRU: Expected input to be 2D or 3D, got {}D instead")


class RNNCellBase(Module):
    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        kw = _kw(device, dtype)
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(ember.empty([num_chunks * hidden_size, input_size], **kw))
        self.weight_hh = Parameter(ember.empty([num_chunks * hidden_size, hidden_size], **kw))
        if bias:
            self.bias_ih = Parameter(ember.empty([num_chunks * hidden_size], **kw))
            self.bias_hh = Parameter(ember.empty([num_chunks * hidden_size], **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _check(self, input, hx, k):
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected {self.input_size}")
        if input.size(0) != hx.size(0):
            raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{k} batch size {hx.size(0)}")
        if hx.size(1) != self.hidden_size:
            raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {hx.size(1)}, expected "
                               f"{self.hidden_size}")

    def _step(self, mode, input, h, c=None):
        ws = [self.weight_ih, self.weight_hh]
        if self.bias:
            ws += [self.bias_ih, self.bias_hh]
        _, h1, c1 = _C._nn.rnn_layer(input.unsqueeze(0), h.unsqueeze(0), None if c is None else c.unsqueeze(0),
                                     ws, mode, self.bias, False, None)
        return h1.squeeze(0), None if c1 is None else c1.squeeze(0)


def _cell_front(name, input, hx):
    if input.dim() not in (1, 2):
        raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
    if hx is not None and hx.dim() not in (1, 2):
        raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")


class RNNCell(RNNCellBase):
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        _cell_front("RNNCell", input, hx)
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = ember.zeros([input.size(0), self.hidden_size], dtype=input.dtype, device=input.device)
        elif not is_batched:
            hx = hx.unsqueeze(0)
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        self._check(input, hx, "")
        ret, _ = self._step(mode, input, hx)
        return ret if is_batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c')."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        if input.dim() not in (1, 2):
            raise ValueError(f"LSTMCell: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got {value.dim()}D instead")
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = ember.zeros([input.size(0), self.hidden_size], dtype=input.dtype, device=input.device)
            hx = (zeros, zeros)
        elif not is_batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        self._check(input, hx[0], "0")
        self._check(input, hx[1], "1")
        h, c = self._step("LSTM", input, hx[0], hx[1])
        return (h, c) if is_batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (PyTorch's gate order r, z, n)."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        _cell_front("GRUCell", input, hx)
        is_batched = input.dim() == 2
        if not is_batched:
            input = input.unsqueeze(0)
        if hx is None:
            hx = ember.zeros([input.size(0), self.hidden_size], dtype=input.dtype, device=input.device)
        elif not is_batched:
            hx = hx.unsqueeze(0)
        self._check(input, hx, "")
        ret, _ = self._step("GRU", input, hx)
        return ret if is_batched else ret.squeeze(0)
