#!/usr/bin/python3
"""A plain PyTorch training loop, the yardstick of bench/trainEngines.bench.ts: the module `skipnet export
--pytorch` writes, SGD with momentum, cross-entropy, the loss read back every step, no statistics, no events.

usage: plain_torch_loop.py MODULE.py CLASS BATCH WARMUP STEPS DEVICE HEIGHT WIDTH CHANNELS
Prints {"images_per_second": …, "threads": …, "device": …}. Inputs are random (the engine's data pipeline is part
of what the engine costs; the yardstick has none).
"""
import importlib.util
import json
import os
import sys
import time

import torch
import torch.nn.functional as F


def run(argv):
    module_path, class_name, batch, warmup, steps, device_name, height, width, channels = argv[1:10]
    batch, warmup, steps = int(batch), int(warmup), int(steps)
    spec = importlib.util.spec_from_file_location("skipnet_bench_model", module_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    device = torch.device(device_name)
    if device.type == "cpu":
        torch.set_num_threads(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count())
    torch.manual_seed(0)
    model = getattr(module, class_name)().to(device).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(batch, int(channels), int(height), int(width), device=device)
    labels = torch.randint(0, 10, (batch,), device=device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        optimizer.step()
        return loss.item()

    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    elapsed = time.perf_counter() - start
    print(json.dumps({"images_per_second": batch * steps / elapsed, "threads": torch.get_num_threads(), "device": str(device), "torch": torch.__version__}))


if __name__ == "__main__":
    run(sys.argv)
