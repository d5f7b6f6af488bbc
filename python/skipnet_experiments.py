"""Experiments on a PyTorch run's weights, for skipnet_train.py: the lesion study and the loss landscape, run on
the runner's own model while the run is paused, or after it has finished or been stopped (its final weights).
The TensorFlow.js engine's versions are src/train/experiments/lesion.ts and landscape.ts; the results here have
their shapes (lesionPlan.ts LesionResult, landscape.ts LandscapeResult), so the webview draws either engine's.

- Lesion study: Veit, Wilber & Belongie, "Residual networks behave like ensembles of relatively shallow networks",
  NeurIPS 2016, Section 4 and Figs. 3-5. Held-out accuracy with nothing removed, with each block removed alone,
  then with k random blocks removed for k = 1..n over seeded draws (drawLesions's stream, bit for bit).
  A block is removed by forward hooks that replace module outputs by zeros (the Node side,
  src/train/pytorch/mergePlan.ts, names the modules: the branch's last layer, or where the branch ends in another
  merge the modules that make that merge zero), which zeroes the gated merge input and nothing outside its branch,
  or by forward pre-hooks that zero a concat input's channels where the concat is read (a skip concatenation);
  the weights never change, so a paused run resumes where it was.
- Loss landscape: Li, Xu, Taylor, Studer & Goldstein, "Visualizing the Loss Landscape of Neural Nets", NeurIPS
  2018, Section 4: the loss at theta + a*d (+ b*e) for random Gaussian directions normalised per filter
  (d_i <- d_i / |d_i| * |theta_i|). Every weight of more than one dimension moves, as the paper's code does: conv,
  transposed conv, linear and patchify weights, attention's in_proj_weight and out_proj.weight (a filter is one
  index of axis 0: an output channel, a unit, a projection row), pos_embedding and class_token (a filter is one
  token's vector); biases, batch-norm and layer-norm parameters do not (the paper's ignore='biasbn'). The Node
  side (mergePlan.ts torchExperimentPlan) lists them with the browser engine's own rule (landscapePlan.ts).
  The weights are restored bit for bit afterwards, also on cancel or an error.

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


def filter_rows(weight, filters="output"):
    """`weight` as a (filters, values) matrix, a row per filter: "output" splits axis 0 (a conv's output channel, a
    linear unit, a row of an attention projection), "token" the last axis (pos_embedding's T token vectors,
    class_token's one)."""
    return weight.reshape(-1, weight.shape[-1]) if filters == "token" else weight.reshape(weight.shape[0], -1)


def filter_norms(weight, filters="output"):
    """Euclidean norm of each filter (see filter_rows), in float64."""
    return filter_rows(weight.detach().to(torch.float64), filters).norm(dim=1)


def random_direction(weights, random, filters=None):
    """One filter-normalised Gaussian direction: a tensor per weight (Li et al. 2018, Sec. 4), drawn in the
    weights' order, element by element in each weight's own (row-major) order. `filters`: per weight "output"
    (the default) or "token", as filter_rows splits it."""
    direction = []
    for weight, split in zip(weights, filters or ["output"] * len(weights)):
        d = filter_rows(torch.tensor([normal(random) for _ in range(weight.numel())], dtype=torch.float64).reshape(weight.shape), split)
        drawn = d.norm(dim=1, keepdim=True)
        scale = torch.where(drawn > 0, filter_norms(weight, split).unsqueeze(1) / drawn.clamp_min(1e-300), torch.zeros_like(drawn))
        direction.append((d * scale).reshape(weight.shape).to(weight.dtype).to(weight.device))
    return direction


def _cut_hook(cut):
    """A forward pre-hook that zeroes `cut["channels"]` channels from `cut["offset"]` on `cut["axis"]` of a module's
    input: a concat's input removed where the concat is read (mergePlan.ts TorchChannelCut)."""
    def hook(_module, args):
        x = args[0].clone()
        x.narrow(cut["axis"] % x.dim(), cut["offset"], cut["channels"]).zero_()
        return (x, *args[1:])
    return hook


class Experiments:
    """The experiments on one runner's model. `plan`: the config's "experiments" (model name, lesion units with
    the module each one gates, the weights the landscape perturbs with their filter split); `is_cancelled()` is true once a cancel came
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
        # Each block's gate: the modules whose outputs become zeros and those whose inputs lose channels ("cuts"),
        # None where the plan found neither or a module is missing from the export.
        self.gates = []
        for unit in self.units:
            modules = [find_module(model, path) for path in unit.get("modules") or []]
            cuts = [(find_module(model, c["module"]), c) for c in unit.get("cuts") or []]
            usable = unit.get("modules") is not None and (modules or cuts) and all(m is not None for m in modules + [m for m, _ in cuts])
            self.gates.append((modules, cuts) if usable else None)
        self.weights, self.filters, self.missing_weights = [], [], []
        state = dict(model.named_parameters())
        for entry in plan.get("weights", []):
            if entry["key"] in state:
                self.weights.append(state[entry["key"]])
                self.filters.append(entry["filters"])
            else:
                self.missing_weights.append(entry["key"])

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

    def _chance(self, which, batch=128):
        """lesion.ts heldOutChance: (1 / classes, "classes") for one label per image; for one label per pixel
        (segmentation) the majority class's share of the pixels of the held-out images `which`, "majority"."""
        classes = len(self.dataset.classes)
        counts = torch.zeros(classes, dtype=torch.float64)
        for start in range(0, len(which), batch):
            _, y = self.batches.make(self.dataset.test, which[start:start + batch])
            if y.dim() == 1:
                return 1 / classes, "classes"
            # Per-pixel labels have more classes than the images' (background is 0, digit d is d + 1): count
            # every label that occurs, however many there are.
            found = torch.bincount(y.reshape(-1).cpu(), minlength=classes).to(torch.float64)
            if found.numel() > counts.numel():
                counts = torch.cat([counts, torch.zeros(found.numel() - counts.numel(), dtype=torch.float64)])
            counts[:found.numel()] += found
        total = counts.sum().item()
        return (counts.max().item() / total if total > 0 else 0.0), "majority"

    def _gated(self, which, removed):
        """Accuracy with the units `removed` (indices) cut: each of their modules' outputs replaced by zeros."""
        handles = [module.register_forward_hook(lambda _m, _i, out: torch.zeros_like(out)) for i in removed for module in self.gates[i][0]]
        handles += [module.register_forward_pre_hook(_cut_hook(cut)) for i in removed for module, cut in self.gates[i][1]]
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
        result = {"model": self.plan.get("model", ""), "baseline": 0.0, "chance": 0.0, "chanceBasis": "classes", "samples": len(which), "draws": draws,
                  "seed": seed, "singles": [], "removed": [], "evaluations": 0, "complete": False}

        def measure(removed):
            accuracy = self._gated(which, removed)
            result["evaluations"] += 1
            self.emit({"type": "lesion-progress", "done": result["evaluations"], "total": total})
            return accuracy

        try:
            result["chance"], result["chanceBasis"] = self._chance(which)
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
        except Exception as error:  # noqa: BLE001 - a failed study is a message; the run and its weights stay
            # Raised on, it would end the runner, and a view waiting for the study after the run ended would wait on.
            return self.emit({"type": "lesion-failed", "message": f"Lesion study: {type(error).__name__}: {error}"})
        self.emit({"type": "lesion", "result": result})

    def landscape(self, params):
        """Estimates the cost (landscape-cost) or computes the slices (landscape-progress, landscape), then one
        landscape-ended: estimated, done, cancelled or failed (with its message)."""
        try:
            action, requests = check_landscape(params)
        except ValueError as error:
            return self.emit({"type": "landscape-ended", "reason": "failed", "message": f"Loss landscape: {error}."})
        if self.missing_weights:
            return self.emit({"type": "landscape-ended", "reason": "failed", "message": f"Loss landscape: the export has no weight {self.missing_weights[0]}."})
        if self.dataset.test.count == 0:
            return self.emit({"type": "landscape-ended", "reason": "failed", "message": f"Loss landscape: {self.dataset.name} has no held-out images to evaluate on."})
        origin = [w.detach().clone() for w in self.weights]
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
                for weight, value in zip(self.weights, origin):
                    weight.copy_(value)

    def _slice(self, request, origin):
        """One slice around `origin` (landscape.ts computeLandscape): delta drawn first, then eta, from SeededRandom(seed)."""
        random = SeededRandom(request["seed"])
        d = random_direction(self.weights, random, self.filters)
        e = random_direction(self.weights, random, self.filters) if request["kind"] == "surface" else None
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
                    for i, weight in enumerate(self.weights):
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
