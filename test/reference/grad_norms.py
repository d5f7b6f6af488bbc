#!/usr/bin/python3
"""PyTorch reference for SkipNet's TensorFlow.js training engine.

Reads a JSON spec written by test/unit/train-reference.test.ts: the model's nodes (kind, inputs,
resolved numeric arguments), its weights as exported from tfjs (NHWC layouts), one input batch (NHWC)
and labels. Rebuilds the same network with torch.nn.functional in float64 (NCHW), runs one training
forward and backward pass with cross-entropy, and prints JSON: the loss, the L2 norm of every
parameter's gradient, and the norm of the gradient at every add input and concat output.

Usage: /usr/bin/python3 test/reference/grad_norms.py SPEC.json
"""
import json
import sys

import torch
import torch.nn.functional as F


def to_torch(entry):
    return torch.tensor(entry["values"], dtype=torch.float64).reshape(entry["shape"])


def main(path):
    spec = json.load(open(path))
    torch.manual_seed(0)
    params = {}
    for name, entry in spec["weights"].items():
        t = to_torch(entry)
        if name.endswith("/kernel") and t.dim() == 4:
            t = t.permute(3, 2, 0, 1).contiguous()  # [kh, kw, cin/g, cout] -> [cout, cin/g, kh, kw]
        params[name] = t.requires_grad_(not name.endswith(("/running_mean", "/running_var")))

    x = to_torch(spec["input"])
    if x.dim() == 4:
        x = x.permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW
    labels = torch.tensor(spec["labels"], dtype=torch.long)

    values = {}
    watched = {}

    def watch(key, t):
        t.retain_grad()
        watched[key] = t
        return t

    for node in spec["nodes"]:
        kind, a, nid = node["kind"], node["args"], node["id"]
        ins = [values[i] for i in node["inputs"]]
        if kind == "add":
            ins = [watch(f"add:{nid}:{k}", t.clone()) for k, t in enumerate(ins)]
        x_in = ins[0] if ins else None
        if kind == "input":
            y = x
        elif kind == "conv":
            y = F.conv2d(x_in, params[f"{nid}/kernel"], params.get(f"{nid}/bias"), stride=tuple(a["stride"]),
                         padding=a["pad"], dilation=a["dilation"], groups=a["groups"])
        elif kind == "dense":
            y = x_in @ params[f"{nid}/kernel"]
            if f"{nid}/bias" in params:
                y = y + params[f"{nid}/bias"]
        elif kind == "bn":
            y = F.batch_norm(x_in, params[f"{nid}/running_mean"].clone(), params[f"{nid}/running_var"].clone(),
                             params[f"{nid}/gamma"], params[f"{nid}/beta"], training=True, momentum=a["momentum"], eps=a["eps"])
        elif kind == "relu":
            y = F.relu(x_in)
        elif kind == "leakyrelu":
            y = F.leaky_relu(x_in, a["alpha"])
        elif kind == "gelu":
            y = F.gelu(x_in)
        elif kind == "sigmoid":
            y = torch.sigmoid(x_in)
        elif kind == "tanh":
            y = torch.tanh(x_in)
        elif kind == "softmax":
            y = F.softmax(x_in, dim=1)
        elif kind == "maxpool":
            y = F.max_pool2d(x_in, tuple(a["kernel"]), tuple(a["stride"]), a["pad"])
        elif kind == "avgpool":
            y = F.avg_pool2d(x_in, tuple(a["kernel"]), tuple(a["stride"]), a["pad"], count_include_pad=True)
        elif kind == "gap":
            y = x_in.mean(dim=(2, 3))
        elif kind == "flatten":
            y = x_in.permute(0, 2, 3, 1).reshape(x_in.shape[0], -1)  # SkipNet flattens in H, W, C order
        elif kind in ("dropout", "identity"):
            y = x_in
        elif kind == "zeropad":
            sub = x_in[:, :, ::a["stride"], ::a["stride"]]
            added = a["channels"] - x_in.shape[1]
            y = F.pad(sub, (0, 0, 0, 0, added // 2, added - added // 2))
        elif kind == "add":
            y = ins[0]
            for t in ins[1:]:
                y = y + t
        elif kind == "concat":
            y = watch(f"concat:{nid}", torch.cat(ins, dim=1))
        else:
            raise SystemExit(f"grad_norms.py: unsupported layer kind {kind}")
        values[nid] = y

    logits = values[spec["logits"]]
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    result = {
        "loss": loss.item(),
        "grads": {name: p.grad.norm().item() for name, p in params.items() if p.requires_grad},
        "merges": {key: t.grad.norm().item() for key, t in watched.items()},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
