"""lr schedulers: the same learning-rate (and momentum) sequences as torch, state_dict round trips."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.optim as optim
from ember.optim import lr_scheduler as ls
from conftest import require_torch


def _opt(lib, name="SGD", two_groups=True, **kw):
    if lib == "ember":
        ps = [nn.Parameter(ember.zeros(1)), nn.Parameter(ember.zeros(1))]
        mod = optim
    else:
        import torch
        ps = [torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))]
        mod = torch.optim
    groups = [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.05}] if two_groups else [{"params": ps}]
    kw.setdefault("lr", 0.1)
    if name == "SGD":
        kw.setdefault("momentum", 0.9)
    return getattr(mod, name)(groups, **kw)


def _lambda(epoch):
    return 0.95 ** epoch


class _Mult:
    def __call__(self, epoch):
        return 0.9


SCHEDULERS = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.001}),
    ("CosineAnnealingWarmRestarts", {"T_0": 4, "T_mult": 2, "eta_min": 0.01}),
    ("CosineAnnealingWarmRestarts", {"T_0": 3}),
    ("LinearLR", {"start_factor": 0.25, "total_iters": 6}),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 8}),
    ("ConstantLR", {"factor": 0.5, "total_iters": 4}),
    ("PolynomialLR", {"total_iters": 10, "power": 2.0}),
    ("LambdaLR", {"lr_lambda": _lambda}),
    ("MultiplicativeLR", {"lr_lambda": _Mult()}),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 25}),
    ("OneCycleLR", {"max_lr": [1.0, 0.5], "epochs": 5, "steps_per_epoch": 5, "anneal_strategy": "linear",
                    "three_phase": True}),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": 25, "cycle_momentum": False, "div_factor": 10.0,
                    "final_div_factor": 100.0}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "step_size_down": 5, "mode": "triangular2"}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "mode": "exp_range", "gamma": 0.95}),
]


def _record(opt, sched, steps, key_momentum=True):
    lrs, moms = [], []
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append(list(sched.get_last_lr()))
        g = opt.param_groups[0]
        moms.append(g["betas"][0] if "betas" in g else g.get("momentum"))
    return np.array(lrs), np.array(moms, dtype=float)


@pytest.mark.parametrize("case", SCHEDULERS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULERS)])
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_scheduler_sequence_matches_torch(case, opt_name):
    torch = require_torch()
    name, kw = case
    eo, to = _opt("ember", opt_name), _opt("torch", opt_name)
    es = getattr(ls, name)(eo, **kw)
    ts = getattr(torch.optim.lr_scheduler, name)(to, **kw)
    assert es.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12)
    steps = 24
    elr, em = _record(eo, es, steps)
    tlr, tm = _record(to, ts, steps)
    np.testing.assert_allclose(elr, tlr, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(em, tm, rtol=1e-12)
    assert [g["lr"] for g in eo.param_groups] == pytest.approx([g["lr"] for g in to.param_groups], rel=1e-12)


def test_sequential_and_chained_match_torch():
    torch = require_torch()
    results = {}
    for lib, mod in (("ember", ls), ("torch", torch.optim.lr_scheduler)):
        o = _opt(lib)
        s1 = mod.LinearLR(o, start_factor=0.1, total_iters=3)
        s2 = mod.ExponentialLR(o, gamma=0.9)
        s3 = mod.StepLR(o, step_size=2, gamma=0.5)
        seq = mod.SequentialLR(o, schedulers=[s1, s2, s3], milestones=[3, 7])
        r = [seq.get_last_lr()]
        for _ in range(15):
            o.step()
            seq.step()
            r.append(seq.get_last_lr())
        o2 = _opt(lib)
        c = mod.ChainedScheduler([mod.ConstantLR(o2, factor=0.5, total_iters=3), mod.ExponentialLR(o2, gamma=0.8)])
        r2 = [c.get_last_lr()]
        for _ in range(8):
            o2.step()
            c.step()
            r2.append(c.get_last_lr())
        results[lib] = (np.array(r), np.array(r2))
    np.testing.assert_allclose(results["ember"][0], results["torch"][0], rtol=1e-12)
    np.testing.assert_allclose(results["ember"][1], results["torch"][1], rtol=1e-12)


def test_reduce_on_plateau_matches_torch():
    torch = require_torch()
    metrics = [1.0, 0.9, 0.9, 0.95, 0.91, 0.9, 0.89, 0.899, 0.9, 0.9, 0.9, 0.9, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6]
    for kw in [{"patience": 2}, {"patience": 1, "cooldown": 2, "factor": 0.5, "min_lr": 0.02},
               {"mode": "max", "patience": 1, "threshold_mode": "abs", "threshold": 0.01},
               {"patience": 0, "min_lr": [0.03, 0.001]}]:
        eo, to = _opt("ember"), _opt("torch")
        es = ls.ReduceLROnPlateau(eo, **kw)
        ts = torch.optim.lr_scheduler.ReduceLROnPlateau(to, **kw)
        for m in metrics:
            es.step(m)
            ts.step(m)
            assert es.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12), kw
            assert es.num_bad_epochs == ts.num_bad_epochs and es.best == ts.best
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        ls.ReduceLROnPlateau(_opt("ember"), factor=1.0)
    with pytest.raises(ValueError, match="mode nope is unknown!"):
        ls.ReduceLROnPlateau(_opt("ember"), mode="nope")


@pytest.mark.parametrize("name,kw", [("StepLR", {"step_size": 2}), ("CosineAnnealingLR", {"T_max": 5}),
                                     ("OneCycleLR", {"max_lr": 1.0, "total_steps": 20}),
                                     ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3}),
                                     ("LambdaLR", {"lr_lambda": _lambda}),
                                     ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2})])
def test_state_dict_resume(name, kw):
    o = _opt("ember")
    s = getattr(ls, name)(o, **kw)
    full = []
    for i in range(12):
        o.step()
        s.step()
        full.append(s.get_last_lr())
    o2 = _opt("ember")
    s2 = getattr(ls, name)(o2, **kw)
    for _ in range(5):
        o2.step()
        s2.step()
    sd = s2.state_dict()
    osd = o2.state_dict()
    assert "optimizer" not in sd
    o3 = _opt("ember")
    s3 = getattr(ls, name)(o3, **kw)
    o3.load_state_dict(osd)
    s3.load_state_dict(sd)
    rest = []
    for _ in range(7):
        o3.step()
        s3.step()
        rest.append(s3.get_last_lr())
    np.testing.assert_allclose(np.array(rest), np.array(full[5:]), rtol=1e-12)


def test_scheduler_errors_and_resume_keys():
    o = _opt("ember")
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\]"):
        ls.StepLR(o, step_size=2, last_epoch=3)
    with pytest.raises(ValueError, match="You must define either total_steps OR"):
        ls.OneCycleLR(o, max_lr=1.0)
    with pytest.raises(ValueError, match="max_lr must have the same length as optimizer.param_groups"):
        ls.OneCycleLR(o, max_lr=[1.0, 2.0, 3.0], total_steps=5)
    with pytest.raises(ValueError, match="Tried to step 6 times"):
        s = ls.OneCycleLR(_opt("ember"), max_lr=1.0, total_steps=5)
        for _ in range(6):
            s.step()
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        ls.CyclicLR(_opt("ember", "Adagrad"), 0.01, 0.1)
    with pytest.raises(TypeError):
        ls.StepLR(object(), 2)
    with pytest.raises(ValueError):
        ls.SequentialLR(o, [ls.ExponentialLR(o, 0.9)], milestones=[3])
    with pytest.warns(UserWarning):
        s = ls.StepLR(_opt("ember"), step_size=2)
        s.step(4)
    assert s.get_last_lr()[0] == pytest.approx(0.1 * 0.1 ** 2)
