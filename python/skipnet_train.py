"""SkipNet's PyTorch training runner: trains a model exported by `skipnet export --pytorch` as SkipNet's
TensorFlow.js engine does (src/train/engine.ts), on the user's own PyTorch (CUDA, then MPS, else every CPU core).

usage: python3 skipnet_train.py CONFIG.json

The Node side (src/train/pytorch/) writes CONFIG.json: the exported module's file and class, the graph's nodes
with their module paths, the data set file and how to adapt its images, the train settings, and a file of
initial weights in PyTorch layouts. Events go to stdout as JSON lines, the engine's own types: started,
progress, statistics, evaluation, paused, resumed, finished; and error (then exit code 1). Commands come on
stdin as JSON lines, {"command": "pause" | "resume" | "stop"}, obeyed at the next step boundary; end of input
(the parent went away) stops the run. Experiments (lesion study, loss landscape: skipnet_experiments.py) run on
command while the run is paused and, with "keepWeights" in CONFIG, after it has ended: the runner then stays
alive with its final weights until {"command": "quit"} or the end of its input. Anything else printed (warnings, a stray print) goes to stderr, so
stdout holds events only. Exit codes: 0 finished (done, stopped or non-finite), 1 error, 2 usage,
3 PyTorch missing or too old.
"""
import json
import math
import os
import sys
import time

import skipnet_io
from skipnet_io import Commands, SharedCommands, emit, fail, redirect_stdout


def import_torch():
    try:
        import torch
    except Exception as error:  # ImportError, or a broken install raising anything
        fail(f"PyTorch cannot be imported by {sys.executable} ({type(error).__name__}: {error}). Install it (https://pytorch.org/get-started/locally/) or choose another Python.", 3)
    major, minor = (int(part) for part in torch.__version__.split(".")[:2])
    if (major, minor) < (1, 13):
        fail(f"PyTorch {torch.__version__} at {sys.executable} is too old: SkipNet needs 1.13 or newer.", 3)
    return torch


def pick_device(torch, wanted, threads=None):
    """(device, description): CUDA when available, then MPS, else the CPU with `threads` threads (default: one per core)."""
    mps = getattr(torch.backends, "mps", None)
    if wanted in ("auto", "cuda") and torch.cuda.is_available():
        return torch.device("cuda"), f"cuda ({torch.cuda.get_device_name(0)})"
    if wanted in ("auto", "mps") and mps is not None and mps.is_available():
        return torch.device("mps"), "mps"
    if wanted != "auto" and wanted != "cpu":
        fail(f"Device {wanted} was asked for, but this PyTorch ({torch.__version__}) cannot use it here.")
    cores = threads or (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
    torch.set_num_threads(cores)
    return torch.device("cpu"), f"cpu · {cores} thread{'' if cores == 1 else 's'}"


def load_model(torch, config):
    import importlib.util
    spec = importlib.util.spec_from_file_location("skipnet_exported_model", config["module"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, config["className"])()


def load_weights(torch, model, weights):
    """Copies the initial weights (float32, little-endian, PyTorch layouts) into the model's state."""
    from array import array
    with open(weights["file"], "rb") as f:
        values = array("f")
        values.frombytes(f.read())
    if sys.byteorder != "little":
        values.byteswap()
    flat = torch.frombuffer(values, dtype=torch.float32) if len(values) else torch.zeros(0)
    state = model.state_dict(keep_vars=True)
    with torch.no_grad():
        for entry in weights["tensors"]:
            target = state.get(entry["key"])
            if target is None or list(target.shape) != entry["shape"]:
                found = "none" if target is None else f"shape {list(target.shape)}"
                fail(f"The exported module does not match the graph: {entry['key']} should have shape {entry['shape']}, found {found}.")
            size = math.prod(entry["shape"])
            target.copy_(flat[entry["offset"]:entry["offset"] + size].view(entry["shape"]))


class Logits:
    """The model's pre-softmax scores: its output, or the input of a final softmax (captured by a hook)."""

    def __init__(self, model, softmax_module, pairs=False):
        self.model = model
        # A pair set's batch is [n, 2, ...]: the exported forward takes the two images as its two inputs, in order.
        self.pairs = pairs
        self.captured = None
        if softmax_module is not None:
            softmax_module.register_forward_hook(self._capture)
        self.from_softmax = softmax_module is not None

    def _capture(self, _module, inputs, _output):
        self.captured = inputs[0]

    def __call__(self, x):
        out = self.model(*x.unbind(1)) if self.pairs else self.model(x)
        return self.captured if self.from_softmax else out


def make_optimizer(torch, params, t):
    """The train section's optimizer; weight decay is L2 added to the gradient, as in the TensorFlow.js engine."""
    if t["optimizer"] == "sgd":
        return torch.optim.SGD(params, lr=t["lr"], weight_decay=t["weightDecay"])
    if t["optimizer"] == "momentum":
        return torch.optim.SGD(params, lr=t["lr"], momentum=t["momentum"], weight_decay=t["weightDecay"])
    return torch.optim.Adam(params, lr=t["lr"], betas=(0.9, 0.999), eps=1e-8, weight_decay=t["weightDecay"])


def pick_rank_device(torch, wanted):
    """A rank's device in a shared run: its LOCAL_RANK's GPU, else the CPU with its share of the cores."""
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", os.environ.get("WORLD_SIZE", "1")))
    if wanted in ("auto", "cuda") and torch.cuda.is_available():
        index = local_rank % torch.cuda.device_count()
        torch.cuda.set_device(index)
        return torch.device("cuda", index), f"cuda ({torch.cuda.get_device_name(index)})"
    if wanted not in ("auto", "cpu"):
        fail(f"Device {wanted} was asked for, but this PyTorch ({torch.__version__}) cannot use it in a shared run here.")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    threads = max(1, cores // local_world)
    torch.set_num_threads(threads)
    return torch.device("cpu"), f"cpu · {threads} thread{'' if threads == 1 else 's'} each"


class Stepper:
    """One training step as the runner takes it, in two halves around the non-finite check: forward_backward
    (the loss, the batch's correct count and a finiteness check of every gradient, read back at once) and update
    (the optimizer's step, and on a statistics step the layer and merge statistics, read back at once).
    bench/runner_overhead.py times these same methods against a plain PyTorch step."""

    def __init__(self, torch, logits_of, optimizer, trainable, watch, merge_watch, ranks, batch, algebra_watch=None):
        self.torch = torch
        self.logits_of = logits_of
        self.optimizer = optimizer
        self.trainable = trainable
        self.watch = watch
        self.merge_watch = merge_watch
        self.algebra_watch = algebra_watch
        self.ranks = ranks
        self.batch = batch
        self.recorded = False
        self.checked = [p for p in trainable if p.numel() > 0]

    def forward_backward(self, x, y, with_stats):
        """(loss, correct count, gradient check) for the batch x [n, C, H, W] (or flat), labels y [n] (or per pixel
        [n, H, W]): the mean cross-entropy over every decision, summed over the ranks of a shared run; the check is 0
        when every gradient is finite, else NaN (gradient_check). Statistics hooks record only when `with_stats`
        (the model runs bare otherwise)."""
        torch, F = self.torch, self.torch.nn.functional
        watch, merge_watch, ranks = self.watch, self.merge_watch, self.ranks
        self.recorded = with_stats
        algebra_watch = self.algebra_watch
        if with_stats:
            watch.clear()
            merge_watch.clear()
            watch.recording = merge_watch.recording = True
            if algebra_watch is not None:
                algebra_watch.clear()
                algebra_watch.recording = True
        logits = self.logits_of(x)
        positions = y[0].numel()  # decisions per image: 1, or H·W for per-pixel labels
        if ranks is None:
            loss = F.cross_entropy(logits, y)
            total = loss
        else:
            # DDP averages the ranks' gradients: a rank's Σ loss · world / decisions averages to the batch's mean loss.
            total = F.cross_entropy(logits, y, reduction="sum")
            loss = total * (ranks.world / (self.batch * positions))
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if with_stats:
            watch.recording = merge_watch.recording = False
            if algebra_watch is not None:
                algebra_watch.recording = False
        check = gradient_check(torch, [p.grad for p in self.checked if p.grad is not None], loss)
        loss_value, correct, grad_check = torch.stack([total.detach(), (logits.argmax(1) == y).sum().to(loss.dtype), check]).tolist()
        if ranks is not None:
            loss_value, correct, grad_check = ranks.total([loss_value, correct, grad_check])
            loss_value /= self.batch * positions
        return loss_value, correct, grad_check

    def update(self, step, with_stats):
        """Applies the optimizer's step; returns the TrainingStatistics of `step` when `with_stats`, else None."""
        if not (with_stats and self.recorded):
            self.optimizer.step()
            return None
        before = self.watch.snapshot()
        self.optimizer.step()
        statistics = self.watch.statistics(step, before, self.merge_watch.queue, self.algebra_watch.queue if self.algebra_watch is not None else None)
        self.watch.clear()
        self.merge_watch.clear()
        if self.algebra_watch is not None:
            self.algebra_watch.clear()
        return statistics


def gradient_check(torch, grads, like):
    """0 (dtype and device of `like`) when every gradient is finite, else NaN: the largest |g| over all the
    tensors (no overflow: finite values give a finite maximum; NaN propagates), times 0, in one fused call over
    all the tensors instead of a Python round trip per tensor. `grads` must not hold empty tensors (their
    ∞-norm is undefined)."""
    if not grads:
        return like.new_zeros(())
    return torch.stack(torch._foreach_norm(grads, math.inf)).amax().mul_(0).to(like.dtype)


def main(argv):
    redirect_stdout()
    if len(argv) != 2:
        fail("usage: skipnet_train.py CONFIG.json", 2)
    torch = import_torch()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from skipnet_data import Batches, SeededRandom, epoch_order, pair_dataset, read_dataset, spread_indices
    from skipnet_stats import LayerWatch, MergeWatch, diagnose_non_finite, find_module
    from skipnet_algebra import AlgebraWatch
    from skipnet_paths import PathGradients
    import torch.nn.functional as F

    with open(argv[1], encoding="utf-8") as f:
        config = json.load(f)
    nproc = int(config.get("nproc", 1))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if nproc > 1 and "RANK" not in os.environ:
        from skipnet_dist import launch
        sys.exit(launch([os.path.abspath(__file__), argv[1]], nproc, skipnet_io.EVENTS.fileno(), main))
    ranks = None
    if world > 1:
        from skipnet_dist import Ranks, die_with_parent, global_batch_norm
        die_with_parent()
        device, described = pick_rank_device(torch, config.get("device", "auto"))
        ranks = Ranks(torch, device)
    rank0 = ranks is None or ranks.rank == 0
    # A spawned rank's sys.stdin is /dev/null; fd 0 is still the parent's pipe.
    # Started by a cluster's own torchrun (no SKIPNET_LAUNCHER), stdin may be /dev/null: its end stops nothing.
    started_by_skipnet = ranks is None or "SKIPNET_LAUNCHER" in os.environ
    commands = SharedCommands(Commands(os.fdopen(os.dup(0), encoding="utf-8") if ranks is not None else None, started_by_skipnet) if rank0 else None, ranks)
    t = config["training"]
    if ranks is None:
        device, described = pick_device(torch, config.get("device", "auto"), config.get("threads"))
    torch.manual_seed(t["seed"] + 1)  # dropout masks: PyTorch's generator (the browser draws its own)
    try:
        if config["dataset"].get("kind") == "cifar":
            from skipnet_cifar import read_cifar
            dataset = read_cifar(config["dataset"])
        else:
            dataset = read_dataset(config["dataset"]["path"], config["dataset"]["name"])
        pairs = config["adapter"].get("pairs", False)
        if pairs:
            dataset = pair_dataset(dataset, t["seed"])
    except (OSError, ValueError) as error:
        fail(f"Data set {config['dataset']['name']}: {error}")
    model = load_model(torch, config)
    load_weights(torch, model, config["weights"])
    model.to(device).train()
    notes = list(config.get("notes", []))
    trained = model
    if ranks is not None:
        bn_note = global_batch_norm(torch, model, ranks)
        trained = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None, broadcast_buffers=False)
        notes.append(f"{ranks.world} processes ({ranks.backend}), started by {ranks.launcher}; each takes 1/{ranks.world} of every batch")
        if bn_note:
            notes.append(bn_note)
    watch = LayerWatch(model, config["nodes"])
    merge_watch = MergeWatch(model, config.get("statisticsPlan"))
    algebra_watch = AlgebraWatch(model, (config.get("statisticsPlan") or {}).get("reuse"), config.get("algebraPlan"))
    softmax = find_module(model, config["softmaxModule"]) if config.get("softmaxModule") else None
    logits_of = Logits(model, softmax, pairs)
    train_logits_of = Logits(trained, softmax, pairs) if ranks is not None else logits_of
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = make_optimizer(torch, trainable, t)
    stepper = Stepper(torch, train_logits_of, optimizer, trainable, watch, merge_watch, ranks, t["batch"], algebra_watch)
    batches = Batches(dataset, config["adapter"], device)
    # Rank 0 alone measures, on the first training images and the same weights as every rank: what one process measures.
    paths = PathGradients(model, config["pathPlan"], config.get("softmaxModule"), softmax, pairs, batches, dataset) if config.get("pathPlan") and rank0 else None
    batch = t["batch"]
    steps_per_epoch = dataset.train.count // batch
    if steps_per_epoch < 1:
        fail(f"Batch {batch} is larger than the {dataset.train.count} training images.")
    max_steps = config.get("maxSteps")
    total_steps = min(max_steps if max_steps is not None else math.inf, steps_per_epoch * t["epochs"])
    epoch_count = math.ceil(total_steps / steps_per_epoch)
    evals_per_epoch = max(1, math.floor(config["evalsPerEpoch"]))
    eval_every = math.ceil(steps_per_epoch / evals_per_epoch) if evals_per_epoch > 1 and steps_per_epoch >= evals_per_epoch else 0
    quick = spread_indices(dataset.test.count, config["quickEvalSamples"])
    full = spread_indices(dataset.test.count, config["evalSamples"] if config.get("evalSamples") is not None else dataset.test.count)
    stats_interval = config["statsInterval"] if rank0 else 0
    if ranks is not None and stats_interval > 0:
        notes.append("layer statistics and the algebra view: activations of rank 0's share of each batch, gradients of the whole batch")
    if ranks is not None and paths is not None:
        notes.append("gradient by path length: measured by rank 0 alone, on the first training images, as one process measures it")
    if paths is not None and paths.note is not None:
        notes.append(paths.note)
    if algebra_watch.missing:
        notes.append(f"no residual shares through {len(algebra_watch.missing)} module(s) the export lacks: {', '.join(algebra_watch.missing[:5])}")
    if watch.missing:
        notes.append(f"no statistics for {len(watch.missing)} layer(s) the export names differently: {', '.join(watch.missing[:5])}")
    if merge_watch.missing:
        notes.append(f"no merge statistics through {len(merge_watch.missing)} module(s) the export lacks: {', '.join(merge_watch.missing[:5])}")
    if ranks is None:
        from skipnet_experiments import Experiments
        commands.commands.experiments = Experiments(model, logits_of, dataset, batches, config.get("experiments", {}), emit, find_module)
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    emit({"type": "started", "backend": f"pytorch {torch.__version__} · {described}", "params": params, "totalSteps": total_steps, "batch": batch, "notes": notes, "replicas": 1 if ranks is None else ranks.world, **({"perPixel": True} if config["adapter"].get("segmentation") is not None else {})})

    def evaluate(epoch, which, is_full, step):
        model.eval()
        # Per-pixel labels (segmentation) make every pixel a decision: loss and accuracy are means over pixels.
        loss_sum, correct, decisions = 0.0, 0, 0
        size = max(batch, 64)
        try:
            with torch.no_grad():
                for start in range(0, len(which), size):
                    if not commands.poll(step):
                        return None
                    x, y = batches.make(dataset.test, which[start:start + size])
                    logits = logits_of(x)
                    sums = torch.stack([F.cross_entropy(logits, y, reduction="sum"), (logits.argmax(1) == y).sum().to(logits.dtype)]).tolist()
                    loss_sum += sums[0]
                    correct += sums[1]
                    decisions += y.numel()
        finally:
            model.train()
        return {"type": "evaluation", "epoch": epoch, "step": step, "loss": loss_sum / max(1, decisions), "accuracy": correct / max(1, decisions), "samples": len(which), "full": is_full}

    def finish(reason, step, loss, evaluation=None, message=None):
        result = {"reason": reason, "steps": step, "loss": loss if loss is not None and math.isfinite(loss) else None}
        if evaluation is not None:
            result["evaluation"] = evaluation
        if message is not None:
            result["message"] = message
        emit({"type": "finished", "result": result})
        if config.get("keepWeights") and ranks is None:
            commands.commands.serve()

    order = SeededRandom(t["seed"])
    step = 0
    last_loss = None
    last_evaluation = None
    recent = []
    for epoch in range(1, epoch_count + 1):
        indices = epoch_order(order, dataset.train.count)
        for s in range(steps_per_epoch):
            if step >= total_steps:
                break
            if not commands.poll(step):
                return finish("stopped", step, last_loss)
            started = time.perf_counter()
            with_stats = stats_interval > 0 and (step + 1) % stats_interval == 0
            batch_indices = indices[s * batch:(s + 1) * batch]
            x, y = batches.make(dataset.train, batch_indices if ranks is None else ranks.shard(batch_indices))
            positions = y[0].numel()  # decisions per image: 1, or H·W for per-pixel labels
            loss_value, correct, grad_check = stepper.forward_backward(x, y, with_stats)
            step += 1
            if not (math.isfinite(loss_value) and math.isfinite(grad_check)) and ranks is not None:
                return finish("non-finite", step, loss_value, message=f"Training stopped at step {step}: the loss is {loss_value} (a run shared by {ranks.world} processes; train with one process to see where it comes from).")
            if not (math.isfinite(loss_value) and math.isfinite(grad_check)):
                message = diagnose_non_finite(model, watch, logits_of, x, y, step, loss_value)
                return finish("non-finite", step, loss_value, message=message)
            statistics = stepper.update(step, with_stats)
            last_loss = loss_value
            recent.append((time.perf_counter() - started, batch))
            del recent[:-20]
            seconds = sum(r[0] for r in recent)
            images_per_second = sum(r[1] for r in recent) / seconds if seconds > 0 else 0.0
            emit({
                "type": "progress", "epoch": epoch, "epochs": epoch_count, "step": step, "totalSteps": total_steps,
                "loss": loss_value, "accuracy": correct / (batch * positions), "imagesPerSecond": images_per_second,
                "etaSeconds": (total_steps - step) * batch / images_per_second if images_per_second > 0 else 0.0,
            })
            if statistics is not None:
                emit({"type": "statistics", "statistics": statistics})
            if paths is not None and (step == 1 or step % paths.plan["interval"] == 0):
                measured = paths.measure(step)
                if measured is not None:
                    emit(measured)
            if eval_every > 0 and (s + 1) % eval_every == 0 and s + 1 < steps_per_epoch and step < total_steps:
                check_event = evaluate(epoch, quick, False, step)
                if check_event is None:
                    return finish("stopped", step, last_loss)
                emit(check_event)
        if commands.drain() == "stopping":
            return finish("stopped", step, last_loss)
        evaluation = evaluate(epoch, full, True, step)
        if evaluation is None:
            return finish("stopped", step, last_loss)
        last_evaluation = evaluation
        emit(evaluation)
    return finish("done", step, last_loss, evaluation=last_evaluation)


if __name__ == "__main__":
    try:
        main(sys.argv)
    except SystemExit:
        raise
    except BaseException as error:  # noqa: BLE001 - every failure becomes one error event, the traceback on stderr
        import traceback
        traceback.print_exc()
        if skipnet_io.EVENTS is not None:
            emit({"type": "error", "message": f"{type(error).__name__}: {error}"})
        sys.exit(1)
