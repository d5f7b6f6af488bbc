"""The algebra view's numbers for the PyTorch runner (skipnet_train.py), as the TensorFlow.js engine measures them
(src/train/stats.ts; the view: webview/statistics/algebra.ts; the algebra: src/core/algebra.ts):

- DenseNet, f_l = sum_s H_l^s * X_s (Huang et al. 2017, section 3): for each reuse row (a conv reading several
  sources, from the statistics plan, src/train/pytorch/mergePlan.ts), the per-sample L2 norm
  sqrt(sum(y^2) / batch) of y = H_l^s * X_s, the conv's input channels from source s convolved with the matching
  slice of its kernel as this step's forward pass used it (before the update, without the bias); none for a
  grouped convolution, whose kernel slices do not line up with the sources.
- ResNet with identity shortcuts, x_L = x_0 + sum_{i<L} F_i(x_i) (He et al. 2016, "Identity Mappings", eq. 4): per
  stage (src/train/pytorch/algebraPlan.ts), the per-sample L2 norms of x_0 and of each F_i(x_i) in this step's
  forward pass, and each term's share ||term|| / sum ||terms|| of the stream after each add (core residualShares).

Hooks exist only while `recording` (statistics steps), each norm is a 0-d tensor kept on the device, and `queue`
pushes them into the statistics' single read back (skipnet_stats.LayerWatch.statistics).
"""
import math

import torch

from skipnet_stats import _Hooks, find_module


def _per_sample_norm(t):
    """sqrt(sum(t^2) / batch) in float32, a 0-d tensor (t's first axis is the batch)."""
    t = t.detach().to(torch.float32)
    return t.mul(t).sum().div(max(1, t.shape[0])).sqrt()


def residual_shares(norms):
    """shares[i][s] of the stream after add i: norms[s] / sum_{t<=i+1} norms[t], None above the diagonal, 0 for a row
    of zero norms (src/core/algebra.ts residualShares, the same sums in the same order)."""
    first, rest = norms[0], norms[1:]
    rows = []
    total = first
    for i in range(len(rest)):
        total += rest[i]
        terms = [first] + rest[:i + 1]
        rows.append([t / total if total > 0 else 0.0 for t in terms] + [None] * (len(rest) - i - 1))
    return rows


class AlgebraWatch(_Hooks):
    """The contributions of each reuse row and the residual stages' norms (see the file's comment). `missing` lists
    the module paths the export lacks; a stage or row that needs one is left out."""

    def __init__(self, model, reuse, plan):
        self.model = model
        self.stages = (plan or {}).get("residual", [])
        self.missing = []
        self.norms = {}  # (kind, path) -> 0-d tensor of this step
        self.contributions = {}  # conv module path -> {source index: 0-d tensor}
        self.convs = []  # (path, module, [(source index, channel index tensor)])
        self.rows = {}  # conv node -> (module path, source indices it reads)
        for heat_map in reuse or []:
            for row in heat_map["rows"]:
                self.rows[row["conv"]] = (row["module"], {run["source"] for run in row["runs"] if run["source"] >= 0})
                module = find_module(model, row["module"])
                if not isinstance(module, torch.nn.Conv2d) or module.groups != 1:
                    continue
                channels, start = {}, 0
                for run in row["runs"]:
                    if run["source"] >= 0:
                        channels.setdefault(run["source"], []).extend(range(start, start + run["channels"]))
                    start += run["channels"]
                self.convs.append((row["module"], module, [(s, torch.tensor(c, dtype=torch.long)) for s, c in channels.items()]))
        self.outputs, self.inputs, self.watch_output = {}, {}, False
        for stage in self.stages:
            for value in stage["values"]:
                if "output" in value and value.get("output") is True:
                    self.watch_output = True
                    continue
                module = find_module(model, value["module"])
                if module is None:
                    self.missing.append(value["module"])
                    continue
                (self.outputs if value["at"] == "output" else self.inputs)[value["module"]] = module

    def install(self, handles):
        for path, module in self.outputs.items():
            handles.append(module.register_forward_hook(self._output(("output", path))))
        for path, module in self.inputs.items():
            handles.append(module.register_forward_pre_hook(self._input(("input", path))))
        for path, module, sources in self.convs:
            handles.append(module.register_forward_pre_hook(self._contributions(path, module, sources)))
        if self.watch_output:
            handles.append(self.model.register_forward_hook(self._output(("model", None))))

    def _output(self, key):
        def record(_module, _inputs, output):
            if isinstance(output, torch.Tensor) and key not in self.norms:
                self.norms[key] = _per_sample_norm(output)
        return record

    def _input(self, key):
        def record(_module, inputs):
            if inputs and isinstance(inputs[0], torch.Tensor) and key not in self.norms:
                self.norms[key] = _per_sample_norm(inputs[0])
        return record

    def _contributions(self, path, module, sources):
        def record(_module, inputs):
            if not inputs or not isinstance(inputs[0], torch.Tensor) or inputs[0].dim() != 4 or path in self.contributions:
                return
            with torch.no_grad():
                x, w = inputs[0].detach(), module.weight.detach()
                found = {}
                for source, index in sources:
                    index = index.to(x.device)
                    y = module._conv_forward(x.index_select(1, index), w.index_select(1, index), None)
                    found[source] = _per_sample_norm(y)
                self.contributions[path] = found
        return record

    def clear(self):
        self.norms = {}
        self.contributions = {}

    def _norm_of(self, value):
        if value.get("output") is True:
            return self.norms.get(("model", None))
        return self.norms.get(("output" if value["at"] == "output" else "input", value["module"]))

    def queue(self, push):
        """Pushes this step's norms (call after the forward pass); returns decode(read, statistics), which adds each
        reuse row's `contributions` and the `residual` maps to the statistics dict."""
        contribution_slots = {}
        for path, found in self.contributions.items():
            sources = sorted(found)
            contribution_slots[path] = (sources, push(torch.stack([found[s] for s in sources])))
        stage_slots = []
        for stage in self.stages:
            norms = [self._norm_of(v) for v in stage["values"]]
            if all(n is not None for n in norms):
                stage_slots.append((stage, push(torch.stack(norms))))

        def decode(read, statistics):
            for heat_map in statistics["reuse"]:
                for row in heat_map["rows"]:
                    module, reads = self.rows.get(row["conv"], (None, set()))
                    slot = contribution_slots.get(module)
                    measured = dict(zip(slot[0], read(slot[1], len(slot[0])))) if slot else {}
                    # A source the row reads and the conv measured; None where it reads nothing, or for a grouped conv.
                    row["contributions"] = [measured[s] if s in reads and s in measured and math.isfinite(measured[s]) else None for s in range(len(row["values"]))]
            residual = []
            for stage, slot in stage_slots:
                norms = read(slot, len(stage["values"]))
                if not all(math.isfinite(n) and n >= 0 for n in norms):
                    continue
                residual.append({"block": stage["block"], "adds": stage["adds"], "sources": stage["sources"], "norms": norms, "shares": residual_shares(norms), "approximate": stage["approximate"]})
            statistics["residual"] = residual
        return decode
