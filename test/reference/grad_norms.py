#!/usr/bin/python3
"""PyTorch reference for SkipNet's TensorFlow.js training engine.

Reads a JSON spec written by test/unit/train-reference.test.ts: the model's nodes (kind, inputs,
resolved numeric arguments), its weights as exported from tfjs (NHWC layouts), one input batch (NHWC)
and labels. Rebuilds the same network with torch.nn.functional in float64 (NCHW), runs one training
forward and backward pass with cross-entropy, and prints JSON: the loss, the L2 norm of every
parameter's gradient, and the norm of the gradient at every add input and concat output; with "full": true in
the spec also every gradient value (tfjs layouts).

Usage: /usr/bin/python3 test/reference/grad_norms.py SPEC.json
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skipnet_torch import forward, load_params, to_torch  # noqa: E402


def main(path):
    spec = json.load(open(path))
    params = load_params(spec["weights"])
    x = to_torch(spec["input"])
    if x.dim() == 4:
        x = x.permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW
    labels = torch.tensor(spec["labels"], dtype=torch.long)
    watched = {}

    def watch(key, t):
        t.retain_grad()
        watched[key] = t
        return t

    # Running statistics are cloned so the reference leaves the exported values as they were.
    for name in params:
        if name.endswith(("/running_mean", "/running_var")):
            params[name] = params[name].clone()
    values = forward(spec["nodes"], params, x, watch)
    loss = F.cross_entropy(values[spec["logits"]], labels)
    loss.backward()
    result = {
        "loss": loss.item(),
        "grads": {name: p.grad.norm().item() for name, p in params.items() if p.requires_grad},
        "merges": {key: t.grad.norm().item() for key, t in watched.items()},
    }
    if spec.get("full"):
        # Every gradient value in the tfjs layout the weights came in (4-D kernels back to [kh, kw, cin, cout]).
        result["values"] = {name: (p.grad.permute(2, 3, 1, 0) if p.grad.dim() == 4 else p.grad).reshape(-1).tolist()
                            for name, p in params.items() if p.requires_grad}
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
