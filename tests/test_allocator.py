"""CPU caching allocator statistics (ember.cpu): bytes move from allocated to cached on free, and
a training loop's later steps reuse cached blocks instead of allocating from the system."""
import numpy as np

import ember
import ember.nn as nn
import ember.nn.functional as F


def test_free_moves_bytes_to_cache():
    ember.cpu.empty_cache()
    s0 = ember.cpu.memory_stats()
    assert s0["cached_bytes.current"] == 0
    x = ember.empty(1 << 20)  # 4 MiB
    s1 = ember.cpu.memory_stats()
    assert s1["allocated_bytes.current"] - s0["allocated_bytes.current"] >= 4 << 20
    assert ember.cpu.memory_allocated() == s1["allocated_bytes.current"]
    del x
    s2 = ember.cpu.memory_stats()
    assert s2["allocated_bytes.current"] == s0["allocated_bytes.current"]
    assert s2["cached_bytes.current"] >= 4 << 20
    assert ember.cpu.memory_reserved() == s2["allocated_bytes.current"] + s2["cached_bytes.current"]
    y = ember.empty(1 << 20)  # served from the cache
    s3 = ember.cpu.memory_stats()
    assert s3["num_allocs"] == s2["num_allocs"] and s3["num_cache_hits"] > s2["num_cache_hits"]
    del y
    ember.cpu.empty_cache()
    s4 = ember.cpu.memory_stats()
    assert s4["cached_bytes.current"] == 0 and s4["num_frees"] > s2["num_frees"]
    ember.cpu.reset_peak_memory_stats()
    assert ember.cpu.max_memory_allocated() == ember.cpu.memory_allocated()


def test_training_loop_stops_allocating():
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 5))
    opt = ember.optim.Adam(model.parameters(), lr=1e-3)
    x = ember.from_numpy(np.random.default_rng(0).normal(size=(16, 20)).astype(np.float32))
    y = ember.from_numpy(np.arange(16) % 5)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    step()
    step()
    before = ember.cpu.memory_stats()["num_allocs"]
    for _ in range(3):
        step()
    assert ember.cpu.memory_stats()["num_allocs"] == before
