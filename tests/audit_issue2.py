"""Audit of issue 2's build list against PyTorch (not a pytest module: run it directly).

    PYTHONPATH=src python tests/audit_issue2.py [--dtypes]

For every op / method / factory / view named in the issue it checks mechanically that
  1. ember has it where torch has it: `ember.<name>`, `Tensor.<name>`, and the in-place `_` forms;
  2. every keyword argument of torch's schemas (aten, `out` and memory-layout arguments left out) is
     accepted by ember's signature, and the defaults both sides state agree;
  3. a differential test names it (an op_db row or a targeted tests/test_*.py line).
With --dtypes it also runs every op_db row on each dtype the row does not list: where torch
accepts the dtype it reports whether ember agrees (a missing dtype in the row) or not (a gap);
--write-extra writes the agreeing pairs to tests/op_dtypes_extra.py, which test_ops_dtypes.py runs.
Exit status 1 when something is missing."""
import inspect
import re
import sys
from pathlib import Path

import ember
import torch

HERE = Path(__file__).resolve().parent

VIEWS = ("view reshape flatten unflatten permute transpose t T mT squeeze unsqueeze expand expand_as narrow select "
         "unbind split chunk diagonal unfold movedim as_strided contiguous is_contiguous clone copy_ detach to").split()
INDEXING = ("__getitem__ __setitem__ index_select gather scatter scatter_add index_add index_copy masked_fill "
            "masked_select masked_scatter where take nonzero index_put_").split()
FACTORIES = ("tensor as_tensor from_numpy zeros ones full empty zeros_like ones_like full_like empty_like rand_like "
             "randn_like randint_like arange linspace logspace eye rand randn randint randperm normal bernoulli "
             "multinomial manual_seed Generator get_rng_state set_rng_state get_default_dtype set_default_dtype "
             "from_dlpack set_num_threads get_num_threads").split()
OPS = ("add sub mul div floor_divide remainder fmod pow neg abs sign reciprocal eq ne lt le gt ge logical_and "
       "logical_or logical_not logical_xor bitwise_and bitwise_or bitwise_xor bitwise_not bitwise_left_shift "
       "bitwise_right_shift isnan isinf isfinite allclose equal exp exp2 expm1 log log2 log10 log1p sqrt rsqrt sin "
       "cos tan asin acos atan atan2 sinh cosh tanh sigmoid erf erfinv floor ceil round trunc frac clamp lerp hypot "
       "maximum minimum relu sum mean prod max min amax amin argmax argmin var std norm logsumexp all any "
       "count_nonzero median mode cumsum cumprod softmax log_softmax sort argsort topk kthvalue unique matmul mm "
       "bmm mv dot outer addmm baddbmm einsum cat stack hstack vstack flip roll repeat repeat_interleave tile tril "
       "triu item tolist numpy").split()
# activations live in torch.nn.functional (some also in torch)
ACTIVATIONS = ("relu leaky_relu elu selu gelu silu mish softplus hardtanh hardswish hardsigmoid softsign logsigmoid "
               "softmax log_softmax pad one_hot").split()
TENSOR_ONLY = {"item", "tolist", "numpy", "view", "T", "mT", "expand", "expand_as", "contiguous", "is_contiguous",
               "copy_", "to", "repeat", "__getitem__", "__setitem__", "unfold"}
AUTOGRAD = ("backward grad no_grad enable_grad set_grad_enabled inference_mode Function gradcheck gradgradcheck "
            "Variable detect_anomaly").split()
# schema arguments that are memory-format / layout plumbing, not part of the user-facing surface
IGNORED_ARGS = {"out", "layout", "pin_memory", "memory_format", "names", "self_"}


def _is_python_overload(s, factory):
    """Overloads a Python caller reaches: tensor ones (not TorchScript's int/float/str builtins), no named
    outputs (`values`, `indices` out= forms), no Dimname forms."""
    types = [str(a.type) for a in s.arguments]
    if any("Dimname" in t for t in types) or s.overload_name.endswith("out") or "out" in [a.name for a in s.arguments]:
        return False
    if any(a.alias_info is not None and a.alias_info.is_write and a.name != "self" for a in s.arguments):
        return False
    if factory:
        return "names" not in s.overload_name
    return any(t.startswith("Tensor") or t.startswith("List[Tensor]") or t.startswith("Optional[Tensor]")
               for t in types[:1])


def torch_schemas(name):
    try:
        schemas = torch._C._jit_get_schemas_for_operator("aten::" + name)
    except RuntimeError:
        return []
    return [s for s in schemas if _is_python_overload(s, name in FACTORIES)]


def ember_params(fn):
    """{name: default-string or None} accepted by an ember callable (pybind docstring or Python signature)."""
    params = {}
    doc = getattr(fn, "__doc__", None) or ""
    sigs = re.findall(r"^(?:\d+\. )?\w+\((.*)\) ->", doc, flags=re.M)
    if sigs and "(self" not in doc[:0]:
        for sig in sigs:
            for part in re.split(r", (?![^\[\(]*[\]\)])", sig):
                part = part.strip()
                if part in ("*", "", "/") or part.startswith("*"):
                    if part.startswith("**"):
                        params["**"] = None
                    continue
                m = re.match(r"(\w+)(?:: [^=]+)?(?: = (.*))?$", part)
                if m:
                    params.setdefault(m.group(1), m.group(2))
        return params
    try:
        for p in inspect.signature(fn).parameters.values():
            if p.kind == p.VAR_KEYWORD:
                params["**"] = None
            elif p.kind != p.VAR_POSITIONAL:
                params[p.name] = None if p.default is p.empty else repr(p.default)
    except (TypeError, ValueError):
        params["**"] = None  # opaque: assume it takes anything
    return params


def norm_default(v):
    if v is None:
        return None
    s = str(v).strip()
    return {"True": "True", "False": "False", "None": "None", "[]": "None"}.get(s, s).strip("'\"")


def check_signature(label, efn, name, method):
    """torch keyword names ember lacks, and defaults that differ."""
    problems = []
    ep = ember_params(efn)
    if "**" in ep:
        return problems
    for s in torch_schemas(name):
        for a in s.arguments:
            n = a.name
            if n in IGNORED_ARGS or (n == "self" and method):
                continue
            if n == "self":
                n = "input"
            if n in ("dtype", "device", "requires_grad", "generator") and n not in ep and name in FACTORIES:
                continue
            if n not in ep:
                # positional-only tensors (input/other/self) are fine by any name only when passed positionally
                if not a.kwarg_only and n in ("input", "other", "tensors", "self"):
                    problems.append(f"{label}: torch kwarg '{n}' ({s.overload_name or 'default'}) not named in ember")
                elif n != "input":
                    problems.append(f"{label}: torch kwarg '{n}' ({s.overload_name or 'default'}) missing")
                continue
            td, ed = a.default_value, ep[n]
            if td is not None and ed is not None:
                tds, eds = norm_default(td), norm_default(ed)
                try:
                    same = float(tds) == float(eds)
                except ValueError:
                    same = tds == eds or (tds in ("None", "[]") and eds in ("None", "[]", "()"))
                if not same:
                    problems.append(f"{label}: default {n}={eds} but torch {n}={tds}")
    return sorted(set(problems))


def test_text():
    texts = {}
    for p in sorted(HERE.glob("*.py")):
        if p.name != Path(__file__).name:
            texts[p.name] = p.read_text()
    return texts


def tested_in(name, texts):
    base = name.rstrip("_") if not name.startswith("__") else name
    pats = [rf"\.{re.escape(base)}_?\(", rf"[\"']{re.escape(base)}[\"']", rf"\.{re.escape(base)}\b"]
    if name == "__getitem__":
        pats = [r"getitem", r"\w\[[^\]]*:\]"]
    if name == "__setitem__":
        pats = [r"setitem", r"\w\[[^\]]*\] = "]
    return sorted(f for f, t in texts.items() if any(re.search(p, t) for p in pats)
                  and ("torch" in t or f == "op_db.py"))


def audit_names():
    texts = test_text()
    rows, problems = [], []
    import ember.nn.functional as EF
    import torch.nn.functional as TF
    groups = [("view", VIEWS), ("indexing", INDEXING), ("factory", FACTORIES), ("op", OPS), ("activation", ACTIVATIONS)]
    for group, names in groups:
        for name in names:
            status = []
            if group == "activation":
                if hasattr(TF, name):
                    if not hasattr(EF, name):
                        status.append("MISSING nn.functional")
                    else:
                        status += check_signature(f"F.{name}", getattr(EF, name), name, False)
                    if hasattr(TF, name + "_") and not hasattr(EF, name + "_"):
                        status.append("MISSING F." + name + "_")
                if hasattr(torch, name) and not hasattr(ember, name):
                    status.append("MISSING ember." + name)
            else:
                if hasattr(torch, name) and name not in TENSOR_ONLY:
                    if not hasattr(ember, name):
                        status.append("MISSING ember." + name)
                    elif callable(getattr(ember, name)) and not isinstance(getattr(torch, name), type):
                        status += check_signature(f"ember.{name}", getattr(ember, name), name, False)
                if hasattr(torch.Tensor, name):
                    if not hasattr(ember.Tensor, name):
                        status.append("MISSING Tensor." + name)
                    elif callable(getattr(ember.Tensor, name, None)):
                        status += check_signature(f"Tensor.{name}", getattr(ember.Tensor, name), name, True)
                if not name.endswith("_") and hasattr(torch.Tensor, name + "_") and not hasattr(ember.Tensor, name + "_"):
                    status.append("MISSING Tensor." + name + "_")
                if not name.endswith("_") and hasattr(torch, name + "_") and not hasattr(ember, name + "_") \
                        and not name.startswith("_"):
                    status.append("MISSING ember." + name + "_")
            tests = tested_in(name, texts)
            if not tests and group != "factory":
                status.append("NO TEST")
            rows.append((group, name, "; ".join(status) or "ok", ",".join(tests[:4])))
            problems += [s for s in status]
    for name in AUTOGRAD:
        where = ember.autograd if hasattr(torch.autograd, name) else ember
        ok = hasattr(where, name) or hasattr(ember, name) or hasattr(ember.Tensor, name)
        rows.append(("autograd", name, "ok" if ok else "MISSING", ""))
        if not ok:
            problems.append(f"MISSING autograd {name}")
    return rows, problems


# (row, dtype) pairs torch accepts where ember differs on purpose or the harness cannot compare; the audit lists
# them as gaps and --write-extra leaves them out.
KNOWN_DIFFERENCES = {
    **{(row, dt): "integer inputs with float beta/alpha: torch truncates the scalars, ember raises RuntimeError"
       for row in ("addmm", "addbmm", "baddbmm", "addmv") for dt in ("int64", "int32", "int16", "int8", "uint8")},
    ("as_strided_noncontig", "bfloat16"): "harness: .to(bfloat16) of a transposed array is contiguous in ember, "
                                          "stride-preserving in torch, and as_strided reads raw memory",
}


def audit_dtypes():
    """Every op_db row on the dtypes it does not list: does torch accept them, does ember agree?"""
    sys.path.insert(0, str(HERE))
    import numpy as np
    from helpers import check_op, make_array, to_torch, flatten_outputs
    from op_db import OPS as ROWS, ALL
    extra, gaps = [], []
    for op in ROWS:
        for dt in ALL:
            if dt in op.dtypes:
                continue
            sample = op.samples[0]
            rng = np.random.default_rng(0)
            try:
                arrays = [make_array(s, op.input_dtype(i, dt), op.low, op.high, rng) for i, s in enumerate(sample.shapes)]
                t_in = [to_torch(a, op.input_dtype(i, dt)) for i, a in enumerate(arrays)]
                t_out = flatten_outputs(op.fn(torch, *t_in, **sample.kwargs))
                if not all(isinstance(o, torch.Tensor) for o in t_out):
                    continue
            except Exception:
                continue  # torch rejects this dtype
            if (op.name, dt) in KNOWN_DIFFERENCES:
                gaps.append((op.name, dt, "known: " + KNOWN_DIFFERENCES[(op.name, dt)]))
                continue
            try:
                check_op(op, dt, sample, "contiguous")
                extra.append((op.name, dt))
            except Exception as e:  # noqa: BLE001
                gaps.append((op.name, dt, f"{type(e).__name__}: {str(e).splitlines()[0][:120]}"))
    return extra, gaps


def main():
    rows, problems = audit_names()
    print("| group | item | status | tests |")
    print("| --- | --- | --- | --- |")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    extra = gaps = None
    if "--dtypes" in sys.argv:
        extra, gaps = audit_dtypes()
        print(f"\n{len(extra)} (row, dtype) pairs torch accepts, ember matches, row does not list:")
        for n, d in extra:
            print(f"  {n} {d}")
        print(f"\n{len(gaps)} (row, dtype) pairs torch accepts and ember does not match:")
        for g in gaps:
            print("  " + " ".join(g))
    if "--write-extra" in sys.argv:
        extra, _ = audit_dtypes() if "--dtypes" not in sys.argv else (extra, gaps)
        table = {}
        for n, d in extra:
            table.setdefault(n, []).append(d)
        lines = ['"""Dtypes torch accepts for an op_db row beyond the ones the row lists, where ember agrees on the',
                 'first sample (written by `python tests/audit_issue2.py --dtypes --write-extra`; do not edit by hand).',
                 'test_ops_dtypes.py runs every sample and layout of each on these dtypes."""', "EXTRA_DTYPES = {"]
        lines += [f"    {n!r}: {tuple(ds)!r}," for n, ds in table.items()]
        lines.append("}")
        (HERE / "op_dtypes_extra.py").write_text("\n".join(lines) + "\n")
    print(f"\n{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
