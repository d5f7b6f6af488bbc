"""Per-layer training statistics and non-finite diagnosis for the PyTorch runner (skipnet_train.py).

SkipNet's graph nodes are found in the exported module by name: node `stage1/basic2/conv1` is submodule
`stage1.basic2.conv1` (the Node side sends each node's module path). Forward hooks on those modules see every
layer's output. Merges (add, concat) are expressions in forward(), not modules, so they have no hook:
their activations and the gradient flow through them are not measured here.

Statistics follow src/train/stats.ts (LayerStatistics), in float32 like the TensorFlow.js engine:
- weightNorm: L2 norm of all the layer's trainable parameters after this step's update;
- gradNorm: L2 norm of their gradients (of the loss alone, before weight decay is added);
- updateRatio: ||W_after - W_before|| / ||W_after|| (0 when ||W_after|| is 0);
- activationMean, activationStd: mean and population standard deviation of the layer's output over the batch;
- zeroFraction: fraction of exactly-zero outputs (relu layers only).
"""
import math

import torch
import torch.nn.functional as F

# Roles of a module's own parameters, as SkipNet names them (`conv1/kernel`, `bn1/gamma`).
_ROLES = {"conv": {"weight": "kernel", "bias": "bias"}, "dense": {"weight": "kernel", "bias": "bias"}, "bn": {"weight": "gamma", "bias": "beta"}}
# Nodes without a module (merges are expressions in forward()) or not a layer (the input).
_NO_MODULE = ("input", "add", "concat")


class Layer:
    def __init__(self, node, module):
        self.id = node["id"]
        self.kind = node["kind"]
        self.view = bool(node.get("view"))
        self.module = module
        self.params = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
        self.output = None

    def param_name(self, name):
        """SkipNet's name of one of this layer's parameters (`conv1/kernel`)."""
        return f"{self.id}/{_ROLES.get(self.kind, {}).get(name, name)}"


def find_module(model, path):
    """The submodule at a dotted path, or None."""
    module = model
    for part in path.split("."):
        module = module._modules.get(part) if isinstance(module, torch.nn.Module) else None
        if module is None:
            return None
    return module


class LayerWatch:
    """Forward hooks on the module of every graph node that has one; outputs are kept only while `recording`.

    `missing` lists the ids of nodes whose module the export does not have (none for SkipNet's own exports).
    With `keep_grad`, kept outputs also keep their gradient (retain_grad), for the non-finite diagnosis.
    """

    def __init__(self, model, nodes):
        self.layers = []
        self.missing = []
        self.recording = False
        self.keep_grad = False
        for node in nodes:
            if node["kind"] in _NO_MODULE or not node.get("module"):
                continue
            module = find_module(model, node["module"])
            if module is None:
                self.missing.append(node["id"])
                continue
            layer = Layer(node, module)
            module.register_forward_hook(self._hook(layer))
            self.layers.append(layer)

    def _hook(self, layer):
        def record(_module, _inputs, output):
            if self.recording and isinstance(output, torch.Tensor):
                if self.keep_grad and output.requires_grad:
                    output.retain_grad()
                layer.output = output
        return record

    def clear(self):
        for layer in self.layers:
            layer.output = None

    def snapshot(self):
        """Each layer's parameters before an update (for update ratios)."""
        return {id(p): p.detach().clone() for layer in self.layers for _, p in layer.params}

    def statistics(self, step, before):
        """TrainingStatistics for this step (call after the optimizer's update): every layer with an output,
        in graph order, views (identity, flatten) left out as the TensorFlow.js engine leaves them out."""
        slots = []
        pieces = []

        def push(t):
            pieces.append(t.detach().reshape(-1).to(torch.float32))
            return len(pieces) - 1

        for layer in self.layers:
            if layer.view or layer.output is None:
                continue
            out = layer.output.detach().to(torch.float32)
            slot = {"layer": layer, "mean": push(out.mean()), "std": push(out.var(unbiased=False).sqrt())}
            if layer.kind == "relu":
                slot["zero"] = push((out == 0).to(torch.float32).mean())
            if layer.params:
                weights = [p.detach().to(torch.float32) for _, p in layer.params]
                slot["w"] = push(sum((w * w).sum() for w in weights))
                grads = [p.grad.detach().to(torch.float32) for _, p in layer.params if p.grad is not None]
                slot["g"] = push(sum((g * g).sum() for g in grads)) if grads else push(torch.zeros((), device=out.device))
                if before is not None:
                    slot["d"] = push(sum(((p.detach().to(torch.float32) - before[id(p)].to(torch.float32)) ** 2).sum() for _, p in layer.params))
            slots.append(slot)
        values = torch.cat(pieces).tolist() if pieces else []
        layers = []
        for slot in slots:
            mean, std = values[slot["mean"]], values[slot["std"]]
            if not (math.isfinite(mean) and math.isfinite(std)):
                continue  # JSON has no NaN; the loss was finite, so this is an overflow the event cannot carry
            stats = {"node": slot["layer"].id, "kind": slot["layer"].kind, "activationMean": mean, "activationStd": std}
            if "zero" in slot:
                stats["zeroFraction"] = values[slot["zero"]]
            if "w" in slot:
                weight = math.sqrt(values[slot["w"]])
                stats["weightNorm"] = weight
                stats["gradNorm"] = math.sqrt(values[slot["g"]])
                if "d" in slot:
                    stats["updateRatio"] = math.sqrt(values[slot["d"]]) / weight if weight > 0 else 0.0
            layers.append({k: v for k, v in stats.items() if not isinstance(v, float) or math.isfinite(v)})
        return {"step": step, "layers": layers, "merges": [], "reuse": []}


def _all_finite(t):
    return t is None or bool(torch.isfinite(t).all())


def diagnose_non_finite(model, watch, forward, x, labels, step, loss):
    """Where a non-finite loss comes from, in the TensorFlow.js engine's words (src/train/diagnose.ts): one more
    training forward and backward pass on the same batch, with the weights before the bad update, checking
    the input, each layer's output, the gradient arriving at it, then each parameter's gradient."""
    loss_text = "NaN" if math.isnan(loss) else repr(float(loss)).replace("inf", "Infinity")
    describe = lambda layer: f"layer {layer.id} ({layer.kind})"  # noqa: E731
    if not _all_finite(x):
        return f"Training stopped at step {step}: the loss is {loss_text}. The first layer whose activation went non-finite is the input batch."
    model.zero_grad(set_to_none=True)
    watch.clear()
    watch.recording, watch.keep_grad = True, True
    try:
        again = F.cross_entropy(forward(x), labels)
        again.backward()
    finally:
        watch.recording, watch.keep_grad = False, False
    seen = [layer for layer in watch.layers if layer.output is not None]
    for layer in seen:
        if not _all_finite(layer.output.detach()):
            return f"Training stopped at step {step}: the loss is {loss_text}. The first layer whose activation went non-finite is {describe(layer)}."
    for layer in reversed(seen):
        if not _all_finite(layer.output.grad):
            return f"Training stopped at step {step}: the loss is {loss_text}. Going back from the loss, the first layer whose gradient went non-finite is {describe(layer)}."
    for layer in watch.layers:
        for name, p in layer.params:
            if not _all_finite(p.grad):
                return f"Training stopped at step {step}: the gradient of {layer.param_name(name)} went non-finite."
    return f"Training stopped at step {step}: the loss is {loss_text}, although every activation and gradient of the batch is finite."
