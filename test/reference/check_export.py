"""Loads SkipNet's PyTorch exports and reports what PyTorch sees, for test/unit/export.test.ts.

usage: python3 check_export.py FILE.py:ClassName [...]
prints one JSON object per export: trainable parameters, output shape, and the output shape of every
named submodule (dotted path), taken with forward hooks during one forward pass of a batch of 2.
"""
import importlib.util
import json
import sys

import torch


def inspect(path, class_name):
    spec = importlib.util.spec_from_file_location("exported", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    torch.manual_seed(0)
    model = getattr(module, class_name)()
    model.eval()
    shapes = {}

    def hook(name):
        def record(_module, _inputs, output):
            if isinstance(output, torch.Tensor):
                shapes[name] = list(output.shape[1:])
        return record

    for name, sub in model.named_modules():
        if name:
            sub.register_forward_hook(hook(name))
    with torch.no_grad():
        output = model(torch.randn(2, *model.in_shape))
    return {
        "params": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "buffers": sum(b.numel() for n, b in model.named_buffers() if not n.endswith("num_batches_tracked")),
        "output": list(output.shape[1:]),
        "shapes": shapes,
    }


if __name__ == "__main__":
    torch.set_num_threads(2)
    results = []
    for arg in sys.argv[1:]:
        path, class_name = arg.rsplit(":", 1)
        results.append(inspect(path, class_name))
    print(json.dumps(results))
