"""Runs a SkipNet graph (as exported by the TypeScript tests and benchmarks) with torch.nn.functional.

Nodes come as {id, kind, inputs, args} with numeric arguments already resolved (padding as
[top, bottom, left, right], plus same=1 where pad=same was written); weights use the
tfjs layouts (NHWC, conv kernels [kh, kw, cin/groups, cout], dense kernels [in, out]) and are
converted here. Shared by grad_norms.py (the gradient reference) and bench/train_torch.py.
"""
import torch
import torch.nn.functional as F


def to_torch(entry, dtype=torch.float64):
    return torch.tensor(entry["values"], dtype=dtype).reshape(entry["shape"])


def load_params(weights, dtype=torch.float64):
    """tfjs weights (name -> {shape, values}) as torch tensors in PyTorch layouts, trainable ones requiring grad."""
    params = {}
    for name, entry in weights.items():
        t = to_torch(entry, dtype)
        if name.endswith("/kernel") and t.dim() == 4:
            t = t.permute(3, 2, 0, 1).contiguous()  # [kh, kw, cin/g, cout] -> [cout, cin/g, kh, kw]
        params[name] = t.requires_grad_(not name.endswith(("/running_mean", "/running_var")))
    return params


def window_padding(a, fill):
    """(x -> padded x, padding for the layer itself): PyTorch's own padding where it takes it (the
    same on both sides), otherwise an explicit F.pad with `fill` and no padding in the layer."""
    top, bottom, left, right = a["pad"]
    if top == bottom and left == right:
        return (lambda t: t), (top, left)
    return (lambda t: F.pad(t, (left, right, top, bottom), value=fill)), 0


def as_maps(tensors):
    """Flat (N, C) gates beside images as (N, C, 1, 1), so that they scale every pixel."""
    rank = max(t.dim() for t in tensors)
    return [t[:, :, None, None] if t.dim() == 2 and rank == 4 else t for t in tensors]


def forward(nodes, params, x, watch=None):
    """Training-mode forward pass over NCHW x; returns every node's value by id.

    watch(key, tensor) -> tensor is called on each add input ("add:ID:K") and concat output ("concat:ID").
    """
    values = {}
    for node in nodes:
        kind, a, nid = node["kind"], node["args"], node["id"]
        # Tied weights: a shared node reads its original's parameters (and running statistics).
        pid = node.get("shares", nid)
        ins = [values[i] for i in node["inputs"]]
        if kind == "add" and watch:
            ins = [watch(f"add:{nid}:{k}", t.clone()) for k, t in enumerate(ins)]
        x_in = ins[0] if ins else None
        if kind == "input":
            y = x
        elif kind == "conv":
            # pad=same is left to PyTorch's own definition (asymmetric for even kernels), not SkipNet's.
            pad_input, padding = (lambda t: t), "same"
            if not a.get("same"):
                pad_input, padding = window_padding(a, 0.0)
            y = F.conv2d(pad_input(x_in), params[f"{pid}/kernel"], params.get(f"{pid}/bias"), stride=tuple(a["stride"]),
                         padding=padding, dilation=a["dilation"], groups=a["groups"])
        elif kind == "dense":
            y = x_in @ params[f"{pid}/kernel"]
            if f"{pid}/bias" in params:
                y = y + params[f"{pid}/bias"]
        elif kind == "bn":
            y = F.batch_norm(x_in, params[f"{pid}/running_mean"], params[f"{pid}/running_var"],
                             params[f"{pid}/gamma"], params[f"{pid}/beta"], training=True, momentum=a["momentum"], eps=a["eps"])
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
            # SkipNet's axis counts H, W, C (or a flat tensor's features) without the batch axis.
            axis = a["axis"] % (x_in.dim() - 1)
            y = F.softmax(x_in, dim=(2, 3, 1)[axis] if x_in.dim() == 4 else 1)
        elif kind == "relu6":
            y = F.relu6(x_in)
        elif kind == "silu":
            y = F.silu(x_in)
        elif kind == "hardswish":
            y = F.hardswish(x_in)
        elif kind == "hardsigmoid":
            y = F.hardsigmoid(x_in)
        elif kind == "upsample":
            mode = "bilinear" if a["bilinear"] else "nearest"
            y = F.interpolate(x_in, scale_factor=tuple(float(s) for s in a["scale"]), mode=mode,
                              align_corners=False if a["bilinear"] else None)
        elif kind == "convtranspose":
            y = F.conv_transpose2d(x_in, params[f"{pid}/kernel"], params.get(f"{pid}/bias"), stride=tuple(a["stride"]),
                                   padding=tuple(a["pad"]), output_padding=tuple(a["output_pad"]), groups=a["groups"],
                                   dilation=a["dilation"])
        elif kind == "maxpool":
            pad_input, padding = window_padding(a, float("-inf"))
            y = F.max_pool2d(pad_input(x_in), tuple(a["kernel"]), tuple(a["stride"]), padding, ceil_mode=bool(a.get("ceil")))
        elif kind == "avgpool":
            pad_input, padding = window_padding(a, 0.0)
            y = F.avg_pool2d(pad_input(x_in), tuple(a["kernel"]), tuple(a["stride"]), padding, count_include_pad=True,
                             ceil_mode=bool(a.get("ceil")))
        elif kind == "gap":
            y = x_in.mean(dim=(2, 3), keepdim=bool(a.get("keep")))
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
        elif kind == "mul":
            ins = as_maps(ins)
            y = ins[0]
            for t in ins[1:]:
                y = y * t
        elif kind == "gate":
            h, t, carried = as_maps(ins)
            y = h * t + carried * (1 - t)
        elif kind == "concat":
            y = torch.cat(ins, dim=1)
            if watch:
                y = watch(f"concat:{nid}", y)
        elif kind == "patchify":
            # torchvision's conv_proj, then the grid row by row as tokens: (N, C, H, W) -> (N, T, dim).
            y = F.conv2d(x_in, params[f"{pid}/kernel"], params[f"{pid}/bias"], stride=a["patch"]).flatten(2).transpose(1, 2)
        elif kind == "cls_token":
            token = params[f"{pid}/class_token"].reshape(1, 1, -1).expand(x_in.shape[0], -1, -1)
            y = torch.cat([token, x_in], dim=1)
        elif kind == "pos_embed":
            y = x_in + params[f"{pid}/pos_embedding"]
        elif kind == "layernorm":
            y = F.layer_norm(x_in, (x_in.shape[-1],), params[f"{pid}/gamma"], params[f"{pid}/beta"], a["eps"])
        elif kind == "attention":
            # PyTorch's own multi-head attention (sequence first), kernels [in, out] transposed to its [out, in].
            seq = x_in.transpose(0, 1)
            y = F.multi_head_attention_forward(
                seq, seq, seq, x_in.shape[-1], a["heads"], params[f"{pid}/in_proj_kernel"].t(), params[f"{pid}/in_proj_bias"],
                None, None, False, a["dropout"], params[f"{pid}/out_proj_kernel"].t(), params[f"{pid}/out_proj_bias"],
                training=True, need_weights=False)[0].transpose(0, 1)
        elif kind == "token":
            y = x_in[:, a["index"]]
        elif kind == "mean_tokens":
            y = x_in.mean(dim=1)
        else:
            raise SystemExit(f"skipnet_torch: unsupported layer kind {kind}")
        values[nid] = y
    return values
