"""Gradient magnitude at the input by path length for the PyTorch runner (skipnet_train.py), as the TensorFlow.js
engine measures it (src/train/experiments/pathGradients.ts; Veit, Wilber & Belongie 2016, "Residual Networks Behave
Like Ensembles of Relatively Shallow Networks", section 4.2 and Fig. 6).

A network of n residual blocks is 2^n paths; a path of length k enters k residual branches and takes the skip of
the other n - k. For each k, up to `samples` paths of that length (all when C(n, k) <= samples, else drawn with
the browser engine's seeded stream), the forward pass runs as usual and the backward pass goes through that path
only: at each residual add the gradient reaches either the branch or the skip, the other input's value passing
through a stop-gradient (detach). The norm of the gradient at the input, averaged over the sampled paths of a
length, times C(n, k), is that length's total. Inference mode (batch norm on its running statistics), on the first
`images` images of the training split, after the step's update, at the browser engine's steps (the first, then
every `interval`): the plan comes from src/train/pytorch/algebraPlan.ts torchPathPlan.

Adds are expressions in the exported forward(), so no hook reaches them: the model is traced once with torch.fx,
whose graph records each addition in the order forward() computes them (the graph's order), and a gate (a module
that detaches its input while blocked) is put on both inputs of each residual add. The traced module shares the
model's parameters and buffers, so it always sees the current weights. A model fx cannot trace, or whose traced
additions do not match the graph's adds, gets no path gradients and a note saying why.
"""
import math
import operator

import torch
import torch.nn.functional as F

from skipnet_data import SeededRandom


def binomial(n, k):
    """C(n, k) as src/train/experiments/pathPlan.ts computes it (floats, rounded)."""
    if k < 0 or k > n:
        return 0
    m = min(k, n - k)
    result = 1.0
    for i in range(1, m + 1):
        result = (result * (n - m + i)) / i
    return math.floor(result + 0.5)


def draw_subset(n, k, random):
    """k distinct indices of 0..n-1: pathGradients.ts drawSubset (a partial Fisher-Yates shuffle), draw for draw."""
    order = list(range(n))
    for i in range(k):
        j = i + math.floor(random.next() * (n - i))
        order[i], order[j] = order[j], order[i]
    return order[:k]


def all_subsets(n, k):
    """Every k-subset of 0..n-1 in lexicographic order."""
    out = []

    def walk(start, chosen):
        if len(chosen) == k:
            out.append(list(chosen))
            return
        # Only starts that leave enough indices to complete the subset: C(n, k) leaves and no dead branch, so k near
        # n stays cheap (without the bound, C(54, 54) = 1 subset costs about 2^54 calls).
        for i in range(start, n - (k - len(chosen)) + 1):
            walk(i + 1, chosen + [i])
    walk(0, [])
    return out


def path_subsets(n, samples, seed):
    """[(k, C(n, k), [subset, ...])] for k = 0..n, as pathGradients.ts draws them for a seed (the step)."""
    random = SeededRandom(seed)
    lengths = []
    for k in range(n + 1):
        paths = binomial(n, k)
        subsets = all_subsets(n, k) if paths <= samples else [draw_subset(n, k, random) for _ in range(samples)]
        lengths.append((k, paths, subsets))
    return lengths


class Gate(torch.nn.Module):
    """The identity while open; a stop-gradient (detach) while `blocked`."""

    def __init__(self):
        super().__init__()
        self.blocked = False

    def forward(self, x):
        return x.detach() if self.blocked else x


def _tensor_adds(traced, example):
    """The traced graph's additions of two tensors, in order (shape arithmetic and constants left out), with their
    output shapes without the batch."""
    from torch.fx.passes.shape_prop import ShapeProp
    ShapeProp(traced).propagate(*example)
    adds = []
    for node in traced.graph.nodes:
        if node.op != "call_function" or node.target not in (operator.add, torch.add) or len(node.args) != 2:
            continue
        if not all(isinstance(a, torch.fx.Node) and a.op != "get_attr" for a in node.args):
            continue
        meta = node.meta.get("tensor_meta")
        if meta is None or not hasattr(meta, "shape"):
            continue
        adds.append((node, list(meta.shape)[1:]))
    return adds


class PathGradients:
    """The measurement for one run (see the file's comment). `note` says why there is none (None: measured);
    `measure(step)` returns the `pathGradients` event."""

    def __init__(self, model, plan, softmax_path, softmax_module, pairs, batches, dataset):
        self.model = model
        self.softmax_path = softmax_path
        self.plan = plan
        self.pairs = pairs
        self.batches = batches
        self.dataset = dataset
        self.note = None
        self.gates = []  # per residual add of the plan, in order: (branch gate, skip gate)
        self.forward = model
        self.softmax = softmax_module
        if plan["residualAdds"] > 0:
            try:
                self._trace()
            except Exception as error:  # noqa: BLE001 - any tracing failure becomes the note, the run goes on
                self.note = f"no gradient by path length: torch.fx cannot trace the exported model ({type(error).__name__}: {str(error)[:160]})"

    def _examples(self):
        x, _ = self.batches.make(self.dataset.train, list(range(min(self.plan["images"], self.dataset.train.count))))
        return x.unbind(1) if self.pairs else (x,)

    def _trace(self):
        import torch.fx as fx
        traced = fx.symbolic_trace(self.model)
        # Shapes from one pass in inference mode: no running statistic moves, no dropout draw is taken.
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                found = _tensor_adds(traced, self._examples())
        finally:
            self.model.train(was_training)
        expected = [add for add in self.plan["adds"] for _ in range(add["inputs"] - 1)]
        if len(found) != len(expected):
            self.note = f"no gradient by path length: the traced model adds {len(found)} pairs of tensors, the graph's adds {len(expected)}"
            return
        for (node, shape), add in zip(found, expected):
            if add["shape"] is not None and shape != add["shape"]:
                self.note = f"no gradient by path length: the traced model's additions do not match the graph's adds (at {add['node']})"
                return
        for (node, _), add in zip(found, expected):
            if "branch" not in add:
                continue
            pair = []
            for index in (add["branch"], add["skip"]):
                name = f"skipnet_path_gate{len(self.gates)}_{index}"
                traced.add_submodule(name, Gate())
                with traced.graph.inserting_before(node):
                    gated = traced.graph.call_module(name, (node.args[index],))
                node.update_arg(index, gated)
                pair.append(traced.get_submodule(name))
            self.gates.append(tuple(pair))
        if self.softmax is not None:
            # The loss is taken on the scores before the final softmax (the hooks of Logits do not reach a copy).
            output = next(n for n in traced.graph.nodes if n.op == "output")
            scores = output.args[0]
            if not (isinstance(scores, fx.Node) and scores.op == "call_module" and scores.target == self.softmax_path):
                self.note = "no gradient by path length: the traced model's output is not its final softmax"
                return
            output.update_arg(0, scores.args[0])
        traced.graph.lint()
        traced.recompile()
        self.forward = traced

    def measure(self, step):
        """The `pathGradients` event after step `step` (seed = step, as the browser engine draws), or None when
        there is no measurement. One read back of every path's norm."""
        if self.note is not None:
            return None
        n = self.plan["residualAdds"]
        count = min(self.plan["images"], self.dataset.train.count)
        x, y = self.batches.make(self.dataset.train, list(range(count)))
        x = x.detach().clone().requires_grad_(True)
        lengths = path_subsets(n, self.plan["samples"], step)
        was_training = self.model.training
        self.model.eval()
        norms = []
        try:
            for _k, _paths, subsets in lengths:
                for subset in subsets:
                    chosen = set(subset)
                    for i, (branch, skip) in enumerate(self.gates):
                        # Through the branch: the skip's gradient stops; through the skip: the branch's.
                        branch.blocked, skip.blocked = i not in chosen, i in chosen
                    loss = F.cross_entropy(self._scores(x), y)
                    (gradient,) = torch.autograd.grad(loss, x)
                    norms.append(gradient.detach().to(torch.float64).norm())
        finally:
            for branch, skip in self.gates:
                branch.blocked = skip.blocked = False
            self.model.train(was_training)
        values = torch.stack(norms).tolist()
        out, at = [], 0
        for k, paths, subsets in lengths:
            total = 0.0
            for value in values[at:at + len(subsets)]:
                total += value
            at += len(subsets)
            mean = total / len(subsets)
            out.append({"length": k, "paths": paths, "sampled": len(subsets), "meanNorm": mean, "total": paths * mean})
        return {"type": "pathGradients", "step": step, "residualAdds": n, "lengths": out}

    def _scores(self, x):
        """The model's pre-softmax scores for x (a pair set's batch is [n, 2, ...])."""
        if self.forward is not self.model or self.softmax is None:
            return self.forward(*x.unbind(1)) if self.pairs else self.forward(x)
        captured = []
        handle = self.softmax.register_forward_hook(lambda _m, inputs, _o: captured.append(inputs[0]))
        try:
            self.model(*x.unbind(1)) if self.pairs else self.model(x)
        finally:
            handle.remove()
        return captured[0]
