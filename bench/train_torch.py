#!/usr/bin/python3
"""PyTorch CPU reference throughput for bench/train.bench.ts.

Reads a spec JSON ({nodes, weights, logits, input_shape, batch, warmup, steps, threads}), trains the
same graph (test/reference/skipnet_torch.py) with SGD + momentum on random data in float32, and
prints {"images_per_second": ...}.
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "reference"))
from skipnet_torch import forward, load_params  # noqa: E402


def main(path):
    spec = json.load(open(path))
    torch.set_num_threads(spec["threads"])
    torch.manual_seed(0)
    params = load_params(spec["weights"], torch.float32)
    trainable = [p for p in params.values() if p.requires_grad]
    optimizer = torch.optim.SGD(trainable, lr=0.01, momentum=0.9)
    h, w, c = spec["input_shape"]
    x = torch.randn(spec["batch"], c, h, w)
    labels = torch.randint(0, 10, (spec["batch"],))

    def step():
        optimizer.zero_grad()
        values = forward(spec["nodes"], params, x)
        loss = F.cross_entropy(values[spec["logits"]], labels)
        loss.backward()
        optimizer.step()

    for _ in range(spec["warmup"]):
        step()
    start = time.perf_counter()
    for _ in range(spec["steps"]):
        step()
    elapsed = time.perf_counter() - start
    print(json.dumps({"images_per_second": spec["batch"] * spec["steps"] / elapsed, "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main(sys.argv[1])
