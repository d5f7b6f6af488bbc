"""Builds a batch of SkipNet PyTorch exports in one process and reports what PyTorch sees, for the export tests
(test/support/torch.ts: generated models, examples, the models in the docs).

usage: python3 check_generated.py < batch.json
batch.json is a list of {"code": <exported module source>, "className": <model class>, "batch": <images, default 2>}.
Prints a JSON list with, per export: trainable parameters, BN buffers, the output shape, the output shape of every named submodule that
runs (dotted path, batch axis dropped), the names and class names of all submodules, whether a forward and backward pass in
training mode gave every input it reads and every parameter a finite gradient (and the inputs it does not read, by position), and the error if any step raised.
"""
import json
import math
import sys
import traceback
import warnings

import torch

# PyTorch's note that an even kernel with padding="same" pads a copy of the input: about speed, not the result.
warnings.filterwarnings("ignore", message="Using padding='same' with even kernel lengths")


def inspect(code, class_name, batch=2):
    namespace = {"__name__": "generated"}
    exec(compile(code, "<export>", "exec"), namespace)
    torch.manual_seed(0)
    model = namespace[class_name]()
    shapes = {}

    def hook(name):
        def record(_module, _inputs, output):
            if isinstance(output, torch.Tensor):
                shapes[name] = list(output.shape[1:])
        return record

    names = []
    types = {}
    for name, sub in model.named_modules():
        if name:
            names.append(name)
            types[name] = type(sub).__name__
            sub.register_forward_hook(hook(name))
    model.train()
    # The input takes a gradient too, so a model without parameters still runs backward.
    # A model with several inputs has in_shapes and takes one tensor per input.
    inputs = [torch.randn(batch, *shape, requires_grad=True) for shape in getattr(model, "in_shapes", [model.in_shape])]
    output = model(*inputs)
    (output * torch.randn_like(output)).sum().backward()
    tensors = [*inputs, *model.parameters()]
    # An input the output does not depend on (the no-skip ablation of a Siamese pair drops the twin) gets no gradient:
    # it is reported by position, and the core's graph says which inputs no layer reads.
    unused = [i for i, t in enumerate(inputs) if t.grad is None]
    grads = all(t.grad is not None and bool(torch.isfinite(t.grad).all()) for t in tensors if not any(t is inputs[i] for i in unused))
    return {
        "params": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "buffers": sum(b.numel() for n, b in model.named_buffers() if not n.endswith("num_batches_tracked")),
        "output": list(output.shape[1:]),
        "shapes": shapes,
        "modules": names,
        "types": types,
        "grads": grads,
        "unusedInputs": unused,
    }


if __name__ == "__main__":
    torch.set_num_threads(1)
    results = []
    for item in json.load(sys.stdin):
        try:
            results.append(inspect(item["code"], item["className"], item.get("batch", 2)))
        except Exception:  # noqa: BLE001 - every failure is reported with its model
            results.append({"error": traceback.format_exc(limit=3)})
    print(json.dumps(results, allow_nan=True))
