"""Experiments on a PyTorch run's weights, for skipnet_train.py: the lesion study and the loss landscape, run on
the runner's own model while the run is paused, or after it has finished or been stopped (its final weights).
The TensorFlow.js engine's versions are src/train/experiments/lesion.ts and landscape.ts; the results here have
their shapes (lesionPlan.ts LesionResult, landscape.ts LandscapeResult), so the webview draws either engine's.

- Lesion study: Veit, Wilber & Belongie, "Residual networks behave like ensembles of relatively shallow networks",
  NeurIPS 2016, Section 4 and Figs. 3-5. Held-out accuracy with nothing removed, with each block removed alone,
  then with k random blocks removed for k = 1..n over seeded draws (drawLesions's stream, bit for bit).
  A block is removed by a forward hook that replaces its branch's output by zeros (the Node side,
  src/train/pytorch/mergePlan.ts, names the module whose output is the gated merge input); the weights
  never change, so a paused run resumes where it was.
- Loss landscape: Li, Xu, Taylor, Studer & Goldstein, "Visualizing the Loss Landscape of Neural Nets", NeurIPS
  2018, Section 4: the loss at theta + a*d (+ b*e) for random Gaussian directions normalised per filter
  (d_i <- d_i / |d_i| * |theta_i|, a filter being one output channel: axis 0 of a PyTorch conv or linear weight);
  batch-norm parameters and biases do not move (the paper's ignore='biasbn'). The weights are restored bit for
  bit afterwards, also on cancel or an error.

Both evaluate in inference mode (batch norm on its running statistics) on spread_indices(test.count, samples),
the held-out subset the browser engine uses for that count. Cancel is heard between two evaluations.

Commands (JSON lines on stdin, see src/train/pytorch/protocol.ts):
  {"command": "lesion", "samples": N, "draws": N, "seed": N}      {"command": "lesion-cancel"}
  {"command": "landscape", "action": "estimate" | "compute", "requests": [{"kind": "line", "points": N,
   "seed": N, "samples": N} | {"kind": "surface", "grid": N, "seed": N, "samples": N}, ...]}
  {"command": "landscape-cancel"}
A command that is not one of these, or has malformed parameters, is answered by a `rejected` event (or
lesion-failed / landscape-ended failed, for the experiment it names), never by a crash.
"""
import json
import math
import time

import torch
import torch.nn.functional as F

from skipnet_data import SeededRandom, spread_indices

EXPERIMENT_COMMANDS = ("lesion", "lesion-cancel", "landscape", "landscape-cancel")
CANCELS = ("lesion-cancel", "landscape-cancel", "resume", "stop", "quit")
MAX_LINE_POINTS = 401
MAX_GRID = 101


class Cancelled(Exception):
    """A cancel (or resume, stop) came while an experiment ran."""


def _whole(params, name, low, high):
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != math.floor(value) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    return int(value)


def check_lesion(params):
    """(samples, draws, seed) of a lesion command; ValueError naming the bad field."""
    return _whole(params, "samples", 1, 10**9), _whole(params, "draws", 1, 1000), _whole(params, "seed", -2**31, 2**32)


def check_landscape(params):
    """(action, requests) of a landscape command, each request as landscape.ts's checkRequest accepts it."""
    action = params.get("action")
    if action not in ("estimate", "compute"):
        raise ValueError(f"action must be \"estimate\" or \"compute\", not {action!r}")
    requests = params.get("requests")
    if not isinstance(requests, list) or not 1 <= len(requests) <= 2:
        raise ValueError("requests must be a list of one or two slices")
    checked = []
    for i, request in enumerate(requests):
        if not isinstance(request, dict) or request.get("kind") not in ("line", "surface"):
            raise ValueError(f"requests[{i}].kind must be \"line\" or \"surface\"")
        try:
            size = _whole(request, "points", 2, MAX_LINE_POINTS) if request["kind"] == "line" else _whole(request, "grid", 2, MAX_GRID)
            samples = _whole(request, "samples", 1, 10**9)
            seed = _whole(request, "seed", -2**53, 2**53)
        except ValueError as error:
            raise ValueError(f"requests[{i}].{error}") from None
        checked.append({"kind": request["kind"], "size": size, "samples": samples, "seed": seed})
    return action, checked


def draw_lesions(units, draws, seed):
    """lesionPlan.ts drawLesions: for k = 1..n, `draws` sorted sets of k distinct indices (one set for k = n)."""
    random = SeededRandom(seed)
    out = []
    for k in range(1, units + 1):
        sets = []
        for _ in range(1 if k == units else draws):
            pool = list(range(units))
            for i in range(k):
                j = i + math.floor(random.next() * (units - i))
                pool[i], pool[j] = pool[j], pool[i]
            sets.append(sorted(pool[:k]))
        out.append(sets)
    return out


def normal(random):
    """rng.ts SeededRandom.normal: Box-Muller on two draws."""
    u = 1 - random.next()
    v = random.next()
    return math.sqrt(-2 * math.log(u)) * math.cos(2 * math.pi * v)


def filter_norms(weight):
    """Euclidean norm of each filter (axis 0: a conv's output channel, a linear layer's unit), in float64."""
    return weight.detach().to(torch.float64).reshape(weight.shape[0], -1).norm(dim=1)


def random_direction(kernels, random):
    """One filter-normalised Gaussian direction: a tensor per kernel (Li et al. 2018, Sec. 4), drawn in kernel
    order, element by element in each weight's own (row-major) order."""
    direction = []
    for weight in kernels:
        d = torch.tensor([normal(random) for _ in range(weight.numel())], dtype=torch.float64).reshape(weight.shape[0], -1)
        drawn = d.norm(dim=1, keepdim=True)
        scale = torch.where(drawn > 0, filter_norms(weight).unsqueeze(1) / drawn.clamp_min(1e-300), torch.zeros_like(drawn))
        direction.append((d * scale).reshape(weight.shape).to(weight.dtype).to(weight.device))
    return direction


class Experiments:
    """The experiments on one runner's model. `plan`: the config's "experiments" (model name, lesion units with
    the module each one gates, the kernels the landscape perturbs); `is_cancelled()` is true once a cancel came
    for the experiment running."""

    def __init__(self, model, logits_of, dataset, batches, plan, emit, find_module):
        self.model = model
        self.logits_of = logits_of
        self.dataset = dataset
        self.batches = batches
        self.plan = plan
        self.emit = emit
        self.is_cancelled = lambda: False
        self.units = plan.get("units", [])
        self.gates = [find_module(model, u["module"]) if u.get("module") else None for u in self.units]
        self.kernels = []
        self.missing_kernels = []
        state = dict(model.named_parameters())
        for key in plan.get("kernels", []):
            (self.kernels if key in state else self.missing_kernels).append(state.get(key, key))

    def _evaluate(self, which, batch=128):
        """(mean cross-entropy in nats, accuracy) over test images `which`, inference mode: means over every
        decision, an image or (per-pixel labels) a pixel, as the runner's own evaluation."""
        was_training = self.model.training
        self.model.eval()
        loss_sum, correct, decisions = 0.0, 0.0, 0
        try:
            with torch.no_grad():
                for start in range(0, len(which), batch):
                    if self.is_cancelled():
                        raise Cancelled()
                    x, y = self.batches.make(self.dataset.test, which[start:start + batch])
                    logits = self.logits_of(x)
                    sums = torch.stack([F.cross_entropy(logits, y, reduction="sum"), (logits.argmax(1) == y).sum().to(logits.dtype)]).tolist()
                    loss_sum += sums[0]
                    correct += sums[1]
                    decisions += y.numel()
        finally:
            self.model.train(was_training)
        return loss_sum / max(1, decisions), correct / max(1, decisions)

    def _gated(self, which, removed):
        """Accuracy with the units `removed` (indices) cut: each gated module's output replaced by zeros."""
        handles = [self.gates[i].register_forward_hook(lambda _m, _i, out: torch.zeros_like(out)) for i in removed]
        try:
            return self._evaluate(which)[1]
        finally:
            for handle in handles:
                handle.remove()

    def lesion(self, params):
        """Runs the study (lesion.ts runLesionStudy) with lesion-progress events, then one lesion or lesion-failed."""
        try:
            samples, draws, seed = check_lesion(params)
        except ValueError as error:
            return self.emit({"type": "lesion-failed", "message": f"Lesion study: {error}."})
        ungated = [u["label"] for u, g in zip(self.units, self.gates) if g is None]
        if ungated:
            reasons = "; ".join(f"{u['label']}: {u.get('why', 'its module is missing from the export')}" for u, g in zip(self.units, self.gates) if g is None)
            return self.emit({"type": "lesion-failed", "message": f"The PyTorch engine cannot remove {len(ungated)} block(s) of this model ({reasons}). Train it on the browser engine to measure it."})
        if self.dataset.test.count == 0:
            return self.emit({"type": "lesion-failed", "message": f"Lesion study: the data set {self.dataset.name} has no held-out images."})
        which = spread_indices(self.dataset.test.count, samples)
        n = len(self.units)
        sets = draw_lesions(n, draws, seed)
        total = 1 if n == 0 else 1 + n + (n - 1) * draws + 1
        result = {"model": self.plan.get("model", ""), "baseline": 0.0, "chance": 1 / len(self.dataset.classes), "samples": len(which), "draws": draws,
                  "seed": seed, "singles": [], "removed": [], "evaluations": 0, "complete": False}

        def measure(removed):
            accuracy = self._gated(which, removed)
            result["evaluations"] += 1
            self.emit({"type": "lesion-progress", "done": result["evaluations"], "total": total})
            return accuracy

        try:
            result["baseline"] = measure([])
            for i, unit in enumerate(self.units):
                result["singles"].append({"node": unit["node"], "label": unit["label"], "kind": unit["kind"], "accuracy": measure([i])})
            for k in range(1, n + 1):
                accuracies = [measure(chosen) for chosen in sets[k - 1]]
                mean = sum(accuracies) / len(accuracies)
                sd = math.sqrt(sum((a - mean) ** 2 for a in accuracies) / (len(accuracies) - 1)) if len(accuracies) > 1 else 0.0
                result["removed"].append({"k": k, "accuracies": accuracies, "mean": mean, "sd": sd, "removed": [[self.units[i]["label"] for i in chosen] for chosen in sets[k - 1]]})
            result["complete"] = True
        except Cancelled:
            pass
        self.emit({"type": "lesion", "result": result})

    def landscape(self, params):
        """Estimates the cost (landscape-cost) or computes the slices (landscape-progress, landscape), then one
        landscape-ended: estimated, done, cancelled or failed (with its message)."""
        try:
            action, requests = check_landscape(params)
        except ValueError as error:
            return self.emit({"type": "landscape-ended", "reason": "failed", "message": f"Loss landscape: {error}."})
        if self.missing_kernels:
            return self.emit({"type": "landscape-ended", "reason": "failed", "message": f"Loss landscape: the export has no weight {self.missing_kernels[0]}."})
        if self.dataset.test.count == 0:
            return self.emit({"type": "landscape-ended", "reason": "failed", "message": f"Loss landscape: {self.dataset.name} has no held-out images to evaluate on."})
        origin = [w.detach().clone() for w in self.kernels]
        try:
            if action == "estimate":
                samples = max(r["samples"] for r in requests)
                started = time.perf_counter()
                self._evaluate(spread_indices(self.dataset.test.count, samples))
                seconds = time.perf_counter() - started
                evaluations = sum(r["size"] if r["kind"] == "line" else r["size"] ** 2 for r in requests)
                self.emit({"type": "landscape-cost", "evaluations": evaluations, "samples": min(samples, self.dataset.test.count), "secondsPerEvaluation": seconds})
                return self.emit({"type": "landscape-ended", "reason": "estimated"})
            for request in requests:
                self.emit({"type": "landscape", "result": self._slice(request, origin)})
            self.emit({"type": "landscape-ended", "reason": "done"})
        except Cancelled:
            self.emit({"type": "landscape-ended", "reason": "cancelled"})
        except Exception as error:  # noqa: BLE001 - a failed slice is a message; the run and its weights stay
            self.emit({"type": "landscape-ended", "reason": "failed", "message": f"Loss landscape: {type(error).__name__}: {error}"})
        finally:
            with torch.no_grad():
                for weight, value in zip(self.kernels, origin):
                    weight.copy_(value)

    def _slice(self, request, origin):
        """One slice around `origin` (landscape.ts computeLandscape): delta drawn first, then eta, from SeededRandom(seed)."""
        random = SeededRandom(request["seed"])
        d = random_direction(self.kernels, random)
        e = random_direction(self.kernels, random) if request["kind"] == "surface" else None
        which = spread_indices(self.dataset.test.count, request["samples"])
        count = request["size"]
        alphas = [0.0 if count == 1 else -1 + 2 * i / (count - 1) for i in range(count)]
        betas = alphas if e is not None else [0.0]
        total = len(alphas) * len(betas)
        loss, accuracy = [], []
        started = time.perf_counter()
        for beta in betas:
            for alpha in alphas:
                if self.is_cancelled():
                    raise Cancelled()
                with torch.no_grad():
                    for i, weight in enumerate(self.kernels):
                        value = origin[i] + d[i] * alpha
                        if e is not None and beta != 0:
                            value = value + e[i] * beta
                        weight.copy_(value)
                point = self._evaluate(which)
                loss.append(point[0] if math.isfinite(point[0]) else None)  # JSON has no Infinity: null is "not finite"
                accuracy.append(point[1])
                self.emit({"type": "landscape-progress", "kind": request["kind"], "done": len(loss), "total": total,
                           "secondsPerEvaluation": (time.perf_counter() - started) / len(loss)})
        result = {"kind": request["kind"], "alphas": alphas, "loss": loss, "accuracy": accuracy, "samples": len(which), "seed": request["seed"]}
        if e is not None:
            result["betas"] = betas
        return result

    def run(self, command, state):
        """Runs one experiment command (a dict) while the run is `state` ("paused" or "ended"); answers a run in
        any other state, an unknown command or a malformed line with the failure event of what it asked for."""
        name = command.get("command") if isinstance(command, dict) else None
        if name in ("lesion-cancel", "landscape-cancel"):
            return  # nothing runs: a cancel that came after the experiment ended
        if name is None:
            shown = command.get("line", json.dumps(command)[:200]) if isinstance(command, dict) else repr(command)[:200]
            return self.emit({"type": "rejected", "message": f"Not a command (a JSON object with a \"command\" field): {shown!r}."})
        if name not in ("lesion", "landscape"):
            return self.emit({"type": "rejected", "message": f"Unknown command {name!r}: the runner obeys pause, resume, stop, quit, {', '.join(EXPERIMENT_COMMANDS)}."})
        if state not in ("paused", "ended"):
            why = "Pause the run first: the experiment measures the weights of a paused run (or those a run ended with)."
            if name == "lesion":
                return self.emit({"type": "lesion-failed", "message": why})
            return self.emit({"type": "landscape-ended", "reason": "failed", "message": why})
        (self.lesion if name == "lesion" else self.landscape)(command)
