#!/usr/bin/python3
"""Runs SkipNet's PyTorch exports of small convolution/pooling models, for test/unit/padding.test.ts.

usage: python3 check_windows.py SPEC.json
SPEC.json is a list of {path, className, input: {shape (NHWC), values}, weights: {module path: {weight,
bias}}}: weights in tfjs layouts (conv kernels [kh, kw, cin/groups, cout]), loaded into the named
modules. For each export, one forward and backward pass (loss: the sum of the outputs weighted by
sin(i + 1)) in float64. Prints a JSON list, one object per export: trainable parameters; MACs per image
counted by forward hooks from the modules PyTorch built (per image: one output of the batch) (Conv2d: output elements x in_channels/groups x
kh x kw; Linear: in x out); the output shape (C, H, W) of every named module and the NHWC values of
those without infinities (a max pool's -inf padding is one); the
shape of the input's gradient and the names of parameters whose gradient is missing or not finite.
"""
import importlib.util
import json
import sys

import torch
from torch import nn


def run(case):
    spec = importlib.util.spec_from_file_location("exported", case["path"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = getattr(module, case["className"])().double()
    named = dict(model.named_modules())
    with torch.no_grad():
        for path, entry in case["weights"].items():
            target = named[path]
            kernel = torch.tensor(entry["weight"]["values"], dtype=torch.float64).reshape(entry["weight"]["shape"])
            target.weight.copy_(kernel.permute(3, 2, 0, 1))
            if "bias" in entry:
                target.bias.copy_(torch.tensor(entry["bias"]["values"], dtype=torch.float64))
    outputs, macs = {}, [0]

    def hook(name):
        def record(sub, _inputs, output):
            outputs[name] = output
            if isinstance(sub, nn.Conv2d):
                kh, kw = sub.kernel_size
                macs[0] += output[0].numel() * (sub.in_channels // sub.groups) * kh * kw
            elif isinstance(sub, nn.Linear):
                macs[0] += sub.in_features * sub.out_features
        return record

    for name, sub in named.items():
        if name:
            sub.register_forward_hook(hook(name))
    shape = case["input"]["shape"]
    x = torch.tensor(case["input"]["values"], dtype=torch.float64).reshape(shape).permute(0, 3, 1, 2).contiguous()
    x.requires_grad_(True)
    y = model(x)
    weights = torch.sin(torch.arange(1, y.numel() + 1, dtype=torch.float64)).reshape(y.shape)
    (y * weights).sum().backward()
    bad = [n for n, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    nhwc = lambda t: t.detach().permute(0, 2, 3, 1).reshape(-1).tolist() if t.dim() == 4 else t.detach().reshape(-1).tolist()
    return {
        "params": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "macs": macs[0],
        "shapes": {name: list(t.shape[1:]) for name, t in outputs.items()},
        "values": {name: nhwc(t) for name, t in outputs.items() if torch.isfinite(t).all()},
        "inputGrad": list(x.grad.shape),
        "badGrads": bad,
    }


if __name__ == "__main__":
    torch.set_num_threads(1)
    print(json.dumps([run(case) for case in json.load(open(sys.argv[1]))]))
