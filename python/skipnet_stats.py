"""Per-layer training statistics and non-finite diagnosis for the PyTorch runner (skipnet_train.py).

SkipNet's graph nodes are found in the exported module by name: node `stage1/basic2/conv1` is submodule
`stage1.basic2.conv1` (the Node side sends each node's module path). Forward hooks on those modules see every
layer's output. Merges (add, concat) are expressions in forward(), not modules, so they have no hook: their activations
and the gradient flow through them are read from their consumers' hooks (MergeWatch, at the end of this file).

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
        self.moments = None  # (n, tensors) of the last output seen while recording (LayerWatch._hook)

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


class _Hooks:
    """Hooks that exist only while `recording`: a hook costs a Python call per module per pass, which on small
    models is a measurable share of a step (bench/trainEngines.bench.ts), so steps without statistics run the
    bare model. `install(handles)` registers them and appends the handles."""

    _recording = False

    @property
    def recording(self):
        return self._recording

    @recording.setter
    def recording(self, on):
        on = bool(on)
        if on == self._recording:
            return
        self._recording = on
        if on:
            self._handles = []
            self.install(self._handles)
        else:
            for handle in getattr(self, "_handles", []):
                handle.remove()
            self._handles = []


class LayerWatch(_Hooks):
    """Forward hooks on the module of every graph node that has one, installed only while `recording`, when
    they take each layer's activation moments (Layer.moments) from its output.

    `missing` lists the ids of nodes whose module the export does not have (none for SkipNet's own exports).
    With `keep_grad`, they keep each output instead (Layer.output), and its gradient (retain_grad), for the
    non-finite diagnosis.
    """

    def __init__(self, model, nodes):
        self.layers = []
        self.missing = []
        self.keep_grad = False
        self.order = {node["id"]: index for index, node in enumerate(nodes)}
        for node in nodes:
            if node["kind"] in _NO_MODULE or not node.get("module"):
                continue
            module = find_module(model, node["module"])
            if module is None:
                self.missing.append(node["id"])
                continue
            self.layers.append(Layer(node, module))
        # (layer, parameter) of every watched layer, the order of snapshot() and of the fused norms.
        self.params = [(layer, p) for layer in self.layers for _, p in layer.params]

    def install(self, handles):
        # Tied layers (`shared(label)`) are one module called once per application, in graph order: the k-th call
        # of a pass is the k-th layer on that module. Hooks are installed afresh for every recorded pass.
        by_module = {}
        for layer in self.layers:
            by_module.setdefault(id(layer.module), []).append(layer)
        for layers in by_module.values():
            handles.append(layers[0].module.register_forward_hook(self._hook(layers)))

    def _hook(self, layers):
        calls = [0]

        def record(_module, _inputs, output):
            layer = layers[calls[0] % len(layers)]
            calls[0] += 1
            if not isinstance(output, torch.Tensor):
                return
            if self.keep_grad:
                if output.requires_grad:
                    output.retain_grad()
                layer.output = output
            elif not layer.view:
                # The moments now, not the output kept until the update: keeping every layer's output alive
                # (most are not saved for backward) cost more than the moments themselves.
                layer.moments = _moments(output.detach().to(torch.float32), layer.kind == "relu")
        return record

    def clear(self):
        for layer in self.layers:
            layer.output = None
            layer.moments = None

    def snapshot(self):
        """Every watched layer's parameters before an update (for update ratios), in `params` order, copied in
        one fused call."""
        weights = self._weights()
        with torch.no_grad():
            return list(torch._foreach_mul(weights, 1.0)) if weights else []

    def _weights(self):
        return [p.detach().to(torch.float32) for _, p in self.params]

    def statistics(self, step, before, extra=None, algebra=None):
        """TrainingStatistics for this step (call after the optimizer's update): every layer with an output,
        in graph order, views (identity, flatten) left out as the TensorFlow.js engine leaves them out.
        `before` is snapshot() taken before the update (or None: no update ratios). `extra` (MergeWatch.queue)
        adds the merge statistics, `algebra` (skipnet_algebra.AlgebraWatch.queue) the reuse rows' contributions and
        the residual shares, to the same single read back.

        Few passes over the data and one stacked piece per kind: each layer's moments were taken by its hook
        (_moments: the population standard deviation is √(Σ(out − mean)² / n), a relu's zero fraction
        1 − Σ sign(out) / n); parameters' Σp² (weights, gradients, updates W_after − W_before) come from fused
        multiplies over all the parameters, summed per layer on the host."""
        pieces = []
        starts = [0]

        def push(t):
            piece = t.detach().reshape(-1).to(torch.float32)
            pieces.append(piece)
            starts.append(starts[-1] + piece.numel())
            return len(pieces) - 1

        slots = []
        moments = []
        for layer in self.layers:
            if layer.view or layer.moments is None:
                continue
            count, tensors = layer.moments
            slots.append({"layer": layer, "count": count, "moments": len(moments)})
            moments += tensors
        moment_slot = push(torch.stack(moments)) if moments else None
        norm_slots = None
        if self.params:
            weights = self._weights()
            with torch.no_grad():
                grads = [(i, p.grad.detach().to(torch.float32)) for i, (_, p) in enumerate(self.params) if p.grad is not None]
                norm_slots = (
                    push(_squares(weights)),
                    push(_squares([g for _, g in grads])) if grads else None,
                    push(_squares(torch._foreach_sub(weights, before))) if before else None,
                )
        decode_extra = extra(push) if extra is not None else None
        decode_algebra = algebra(push) if algebra is not None else None
        values = torch.cat([p.to(pieces[0].device) for p in pieces]).tolist() if pieces else []

        def read(slot, count):
            return values[starts[slot]:starts[slot] + count]

        squares = {}  # per layer: [Σ‖w‖², Σ‖g‖², Σ‖ΔW‖²]
        if norm_slots is not None:
            w_slot, g_slot, d_slot = norm_slots
            count = len(self.params)
            w_squares, d_squares = read(w_slot, count), read(d_slot, count) if d_slot is not None else None
            g_squares = [0.0] * count
            if g_slot is not None:
                for (i, _), square in zip(grads, read(g_slot, len(grads))):
                    g_squares[i] = square
            for i, (layer, _) in enumerate(self.params):
                total = squares.setdefault(id(layer), [0.0, 0.0, 0.0])
                total[0] += w_squares[i]
                total[1] += g_squares[i]
                if d_squares is not None:
                    total[2] += d_squares[i]
        moment_values = read(moment_slot, len(moments)) if moment_slot is not None else []
        layers = []
        for slot in slots:
            layer, count, at = slot["layer"], slot["count"], slot["moments"]
            mean, std = moment_values[at], math.sqrt(moment_values[at + 1] / count)
            if not (math.isfinite(mean) and math.isfinite(std)):
                continue  # JSON has no NaN; the loss was finite, so this is an overflow the event cannot carry
            stats = {"node": layer.id, "kind": layer.kind, "activationMean": mean, "activationStd": std}
            if layer.kind == "relu":
                stats["zeroFraction"] = 1.0 - moment_values[at + 2] / count
            if layer.params:
                w2, g2, d2 = squares[id(layer)]
                weight = math.sqrt(w2)
                stats["weightNorm"] = weight
                stats["gradNorm"] = math.sqrt(g2)
                if before:
                    stats["updateRatio"] = math.sqrt(d2) / weight if weight > 0 else 0.0
            layers.append({k: v for k, v in stats.items() if not isinstance(v, float) or math.isfinite(v)})
        merge_layers, merges, reuse = decode_extra(read) if decode_extra else ([], [], [])
        layers = sorted(layers + merge_layers, key=lambda stats: self.order.get(stats["node"], len(self.order)))
        result = {"step": step, "layers": layers, "merges": merges, "reuse": reuse}
        if decode_algebra is not None:
            decode_algebra(read, result)
        return result


def _moments(out, relu):
    """(n, [mean, Σ(out − mean)², and for a relu Σ sign(out)]) of a layer's output, 0-d float32 tensors; None
    when it has no values (its mean and spread would be NaN, which the event leaves out). Two passes as
    tf.moments; PyTorch 1.13's var_mean (Welford) costs more on the CPU. A relu's outputs are ≥ 0, so Σ sign
    counts the non-zero ones (sign and sum cost a fifth of comparing, converting and averaging)."""
    count = out.numel()
    if count == 0:
        return None
    mean = out.mean()
    spread = out - mean
    tensors = [mean, spread.mul_(spread).sum()]
    if relu:
        tensors.append(torch.sign(out).sum())
    return count, tensors


def _squares(tensors):
    """[Σ t²] per tensor, float32 [len(tensors)]: one fused multiply over all the tensors, then a sum each (the
    cascade sum of PyTorch's reductions; torch._foreach_norm's CPU norm accumulates less accurately, off by
    about 1e-4 relative on 10⁵ values)."""
    return torch.stack([square.sum() for square in torch._foreach_mul(tensors, tensors)])


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


class MergeWatch(_Hooks):
    """Merge statistics (src/train/statsPlan.ts): each merge's activation mean and spread, the gradient each add
    branch sends back to its fork, the gradient over each concat slice, and the feature-reuse maps, from the plan the Node side writes
    (src/train/pytorch/mergePlan.ts, config "statisticsPlan").

    Merges are expressions in forward(), so their gradients are assembled from module hooks: while `recording`,
    a forward pre-hook on each module the plan names replaces the module's input by a view of it and keeps that
    view's gradient, which is the gradient entering the module (its share, not the whole gradient of the
    tensor). A merge's output gradient is the sum of its consumers' parts (a module's entering gradient, a
    consuming add's whole gradient, a consuming concat's channel slice, or the loss's gradient at the output).
    A merge's output value is the input its first consumer module sees (or a slice of a consuming concat's value).
    `missing` lists the module paths the export lacks; merges that would need one are left out.
    """

    def __init__(self, model, plan):
        self.plan = plan or {"adds": [], "concats": [], "merges": {}, "values": [], "reuse": []}
        self.model = model
        self.probed = []
        self.grads = {}
        self.inputs = {}
        self.missing = []
        paths = [b["gradient"]["module"] for add in self.plan["adds"] for b in add["branches"] if "module" in b["gradient"]]
        paths += [part["module"] for parts in self.plan["merges"].values() for part in parts if "module" in part]
        self.grad_paths = set(paths)
        self.value_paths = {v["source"]["module"] for v in self.plan.get("values", []) if "module" in v["source"]}
        for path in dict.fromkeys(paths + sorted(self.value_paths)):
            module = find_module(model, path)
            if module is None:
                self.missing.append(path)
                continue
            self.probed.append((path, module))
        self.watch_output = any("output" in part for parts in self.plan["merges"].values() for part in parts) or any("output" in v["source"] for v in self.plan.get("values", []))
        self.kernels = {}
        for heat_map in self.plan["reuse"]:
            for row in heat_map["rows"]:
                module = find_module(model, row["module"])
                if module is None or getattr(module, "weight", None) is None:
                    self.missing.append(row["module"])
                else:
                    self.kernels[row["module"]] = module.weight

    def install(self, handles):
        for path, module in self.probed:
            handles.append(module.register_forward_pre_hook(self._entering(path)))
        if self.watch_output:
            handles.append(self.model.register_forward_hook(self._output))

    def _keep(self, key, tensor):
        def store(grad):
            self.grads[key] = grad
        tensor.register_hook(store)

    def _entering(self, path):
        def probe(_module, inputs):
            if not inputs or not isinstance(inputs[0], torch.Tensor):
                return None
            if path in self.value_paths:
                self.inputs[path] = inputs[0].detach()
            if path not in self.grad_paths or not inputs[0].requires_grad:
                return None
            view = inputs[0].view_as(inputs[0])
            self._keep(path, view)
            return (view,) + tuple(inputs[1:])
        return probe

    def _output(self, _module, _inputs, output):
        if isinstance(output, torch.Tensor):
            self.inputs[None] = output.detach()
            if output.requires_grad:
                self._keep(None, output)

    def clear(self):
        self.grads = {}
        self.inputs = {}

    def _merge_value(self, source):
        """A merge's output value from where the plan says it is seen, or None."""
        if "module" in source:
            return self.inputs.get(source["module"])
        if "concat" in source:
            whole = next((v["source"] for v in self.plan["values"] if v["node"] == source["concat"]), None)
            value = self._merge_value(whole) if whole is not None else None
            return value.narrow(1, source["offset"], source["channels"]) if value is not None else None
        return self.inputs.get(None)

    def _merge_grad(self, merge, memo):
        """dL/d(merge output), or None when no consumer's part is known (nothing flowed back)."""
        if merge in memo:
            return memo[merge]
        memo[merge] = None  # a cycle cannot occur in a graph, but a repeated visit must not recurse
        total = None
        for part in self.plan["merges"].get(merge, []):
            if "module" in part:
                grad = self.grads.get(part["module"])
            elif "add" in part:
                grad = self._merge_grad(part["add"], memo)
            elif "concat" in part:
                grad = self._merge_grad(part["concat"], memo)
                grad = grad.narrow(1, part["offset"], part["channels"]) if grad is not None else None
            else:
                grad = self.grads.get(None)
            if grad is not None:
                total = grad if total is None else total + grad
        memo[merge] = total
        return total

    def _complete(self, merge, seen=None):
        """False when a module the merge's gradient needs is missing from the export."""
        seen = set() if seen is None else seen
        if merge in seen:
            return True
        seen.add(merge)
        for part in self.plan["merges"].get(merge, []):
            if "module" in part and part["module"] in self.missing:
                return False
            if ("add" in part and not self._complete(part["add"], seen)) or ("concat" in part and not self._complete(part["concat"], seen)):
                return False
        return True

    def queue(self, push):
        """Pushes every merge statistic (call after backward and the update); returns decode(read), which turns
        the values read back (read(slot, count) -> list of floats) into (merges, reuse) as the events carry them."""
        memo = {}
        value_slots = []
        for merge in self.plan.get("values", []):
            value = self._merge_value(merge["source"])
            if value is not None:
                value = value.to(torch.float32)
                mean = value.mean()
                # Population standard deviation in two passes, as LayerWatch.statistics computes it.
                spread = value - mean
                std = spread.mul_(spread).mean().sqrt()
                value_slots.append((merge, push(torch.stack([mean, std]))))

        def norm(grad):
            if grad is None:
                return push(torch.zeros(()))
            grad = grad.detach().to(torch.float32)
            return push((grad * grad).sum().sqrt())

        add_slots = []
        for add in self.plan["adds"]:
            sources = [b["gradient"] for b in add["branches"]]
            if any(("module" in s and s["module"] in self.missing) or ("merge" in s and not self._complete(s["merge"])) for s in sources):
                continue
            add_slots.append((add, [norm(self.grads.get(s["module"]) if "module" in s else self._merge_grad(s["merge"], memo)) for s in sources]))
        concat_slots = []
        for concat in self.plan["concats"]:
            if not self._complete(concat["node"]):
                continue
            grad = self._merge_grad(concat["node"], memo)
            concat_slots.append((concat, [norm(grad.narrow(1, s["offset"], s["channels"]) if grad is not None else None) for s in concat["slices"]]))
        reuse_slots = []
        for heat_map in self.plan["reuse"]:
            if any(row["module"] not in self.kernels for row in heat_map["rows"]):
                continue
            # mean |w| per input channel: PyTorch's conv weight is (out, in, kh, kw).
            rows = [(row, push(self.kernels[row["module"]].detach().to(torch.float32).abs().mean(dim=(0, 2, 3))), sum(r["channels"] for r in row["runs"])) for row in heat_map["rows"]]
            reuse_slots.append((heat_map, rows))

        def decode(read):
            merge_layers = []
            for merge, slot in value_slots:
                mean, std = read(slot, 2)
                if math.isfinite(mean) and math.isfinite(std):
                    merge_layers.append({"node": merge["node"], "kind": merge["kind"], "activationMean": mean, "activationStd": std})
            merges = []
            for add, slots in add_slots:
                norms = [read(slot, 1)[0] for slot in slots]
                if all(math.isfinite(n) for n in norms):
                    merges.append({"node": add["node"], "kind": "add", "fork": add["fork"], "branches": [
                        {"input": b["input"], "start": b["start"], "role": b["role"], "layers": b["layers"], "gradNorm": n} for b, n in zip(add["branches"], norms)]})
            for concat, slots in concat_slots:
                norms = [read(slot, 1)[0] for slot in slots]
                if all(math.isfinite(n) for n in norms):
                    merges.append({"node": concat["node"], "kind": "concat", "slices": [dict(s, gradNorm=n) for s, n in zip(concat["slices"], norms)]})
            reuse = []
            for heat_map, rows in reuse_slots:
                out_rows = []
                for row, slot, channels in rows:
                    means = read(slot, channels)
                    sums = {}
                    channel = 0
                    for run in row["runs"]:
                        total, count = sums.get(run["source"], (0.0, 0))
                        sums[run["source"]] = (total + sum(means[channel:channel + run["channels"]]), count + run["channels"])
                        channel += run["channels"]
                    values = [sums[i][0] / sums[i][1] if i in sums and sums[i][1] > 0 else None for i in range(len(heat_map["sources"]))]
                    out_rows.append({"conv": row["conv"], "values": [v if v is None or math.isfinite(v) else None for v in values]})
                reuse.append({"block": heat_map["block"], "groups": heat_map["groups"], "sources": heat_map["sources"], "rows": out_rows})
            return merge_layers, merges, reuse
        return decode
