#!/usr/bin/python3
"""What the PyTorch runner costs over a plain PyTorch step, measured as CPU time of one thread in one process,
so that the load of a shared machine (other processes on the same cores) does not enter the figures as it does
wall-clock ones (bench/trainEngines.bench.ts).

usage: runner_overhead.py CONFIG.json [STEPS [STATS_EVERY [INTERVAL]]]

CONFIG.json is a run's config as src/train/pytorch/runner.ts writes it (bench/runnerOverhead.bench.ts makes one
per model and batch). Two copies of the model, with the same starting weights and the same optimizer, train side
by side on one thread (torch.set_num_threads(1)):
  engine  the runner's own step (skipnet_train.Stepper, skipnet_data.Batches, skipnet_stats): the batch made from
          the data set, forward, backward, the gradient check and the single read back, the update, the events
          written (to /dev/null) and, every STATS_EVERY-th step, the layer and merge statistics;
  plain   zero_grad, forward, cross-entropy, backward, the update and loss.item(), on the engine's batches in
          the same order, made before the timing.
Their steps alternate (which goes first alternates too), each timed with time.thread_time(). A window of
INTERVAL steps (the default statistics interval, 25) costs (INTERVAL - 1) ordinary engine steps and one
statistics step. The ratio (goal ≥ 0.95) is INTERVAL over (INTERVAL - 1) × the median engine ÷ plain of
the ordinary steps + the median engine ÷ plain of the statistics steps, each engine step paired with the plain
step taken next to it (ratioOfMedians: the same from each kind's median step, more exposed to load drift).
STATS_EVERY (default 5) only makes more statistics steps to measure; it does not change the weighting.

Prints one JSON object: per-part medians in ms and the ratio.
"""
import copy
import json
import math
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from skipnet_data import Batches, SeededRandom, epoch_order, read_dataset  # noqa: E402
from skipnet_stats import LayerWatch, MergeWatch, find_module  # noqa: E402
from skipnet_algebra import AlgebraWatch  # noqa: E402
from skipnet_paths import PathGradients  # noqa: E402
from skipnet_train import Logits, Stepper, gradient_check, load_model, load_weights, make_optimizer  # noqa: E402


def ms(values):
    return round(statistics.median(values) * 1000, 3) if values else None


def run(argv):
    if len(argv) < 2:
        sys.exit("usage: runner_overhead.py CONFIG.json [STEPS [STATS_EVERY [INTERVAL]]]")
    with open(argv[1], encoding="utf-8") as f:
        config = json.load(f)
    steps = int(argv[2]) if len(argv) > 2 else 50
    stats_every = int(argv[3]) if len(argv) > 3 else 5
    interval = int(argv[4]) if len(argv) > 4 else 25
    warmup = 2
    if stats_every < 2 or steps < stats_every:
        sys.exit(f"STEPS ({steps}) must be at least STATS_EVERY ({stats_every}), which must be at least 2: the figures need ordinary and statistics steps")
    torch.set_num_threads(1)
    torch.manual_seed(0)
    t = config["training"]
    dataset = read_dataset(config["dataset"]["path"], config["dataset"]["name"])
    model = load_model(torch, config)
    load_weights(torch, model, config["weights"])
    plain_model = copy.deepcopy(model).train()
    model.train()

    watch = LayerWatch(model, config["nodes"])
    merge_watch = MergeWatch(model, config.get("statisticsPlan"))
    softmax = find_module(model, config["softmaxModule"]) if config.get("softmaxModule") else None
    logits_of = Logits(model, softmax)
    trainable = [p for p in model.parameters() if p.requires_grad]
    algebra_watch = AlgebraWatch(model, (config.get("statisticsPlan") or {}).get("reuse"), config.get("algebraPlan"))
    stepper = Stepper(torch, logits_of, make_optimizer(torch, trainable, t), trainable, watch, merge_watch, None, t["batch"], algebra_watch)
    batches = Batches(dataset, config["adapter"], torch.device("cpu"))
    # The gradient by path length, where the config asks for it: timed apart (it runs once every plan["interval"] steps).
    paths = PathGradients(model, config["pathPlan"], config.get("softmaxModule"), softmax, False, batches, dataset) if config.get("pathPlan") else None
    path_ms = []
    batch = t["batch"]
    per_epoch = dataset.train.count // batch
    if per_epoch < 1:
        sys.exit(f"the data set has {dataset.train.count} training images, fewer than a batch of {batch}")
    order = SeededRandom(t["seed"])
    indices = epoch_order(order, dataset.train.count)

    plain_softmax = find_module(plain_model, config["softmaxModule"]) if config.get("softmaxModule") else None
    plain_logits_of = Logits(plain_model, plain_softmax)
    plain_optimizer = make_optimizer(torch, [p for p in plain_model.parameters() if p.requires_grad], t)
    # The engine's batches, made before the timing: the plain step has no data pipeline, but it must see the same
    # data (one batch over and over overfits, and the tiny gradients that follow run slower: denormal floats).
    plain_batches = [batches.make(dataset.train, indices[i * batch:(i + 1) * batch]) for i in range(per_epoch)]
    plain_x = plain_batches[0][0]
    sink = open(os.devnull, "w", encoding="utf-8")
    clock = time.thread_time

    pairs = {"ordinary": [], "statistics": []}  # engine ÷ plain of the two steps taken back to back
    parts = {name: [] for name in ("batch", "forward_backward", "update", "events", "engine", "update_stats", "events_stats", "engine_stats", "plain", "plain_forward_backward", "plain_update", "check")}

    def engine_step(s, with_stats, measured):
        start = clock()
        x, y = batches.make(dataset.train, indices[(s % per_epoch) * batch:(s % per_epoch + 1) * batch])
        made = clock()
        loss_value, correct, grad_check = stepper.forward_backward(x, y, with_stats)
        backed = clock()
        if not (math.isfinite(loss_value) and math.isfinite(grad_check)):
            sys.exit(f"the engine's loss went non-finite at step {s + 1}")
        result = stepper.update(s + 1, with_stats)
        updated = clock()
        sink.write(json.dumps({"type": "progress", "step": s + 1, "loss": loss_value, "accuracy": correct / batch}, separators=(",", ":")) + "\n")
        if result is not None:
            sink.write(json.dumps({"type": "statistics", "statistics": result}, allow_nan=False, separators=(",", ":")) + "\n")
        sink.flush()
        done = clock()
        if measured:
            parts["batch"].append(made - start)
            parts["forward_backward"].append(backed - made)
            parts["update_stats" if with_stats else "update"].append(updated - backed)
            parts["events_stats" if with_stats else "events"].append(done - updated)
            parts["engine_stats" if with_stats else "engine"].append(done - start)
            # The gradient check alone (already inside forward_backward), for the per-part figures.
            grads = [p.grad for p in stepper.checked if p.grad is not None]
            before = clock()
            gradient_check(torch, grads, plain_x).item()
            parts["check"].append(clock() - before)

    def plain_step(s, measured):
        x, y = plain_batches[s % per_epoch]
        start = clock()
        plain_optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(plain_logits_of(x), y)
        loss.backward()
        backed = clock()
        plain_optimizer.step()
        loss.item()
        done = clock()
        if measured:
            parts["plain_forward_backward"].append(backed - start)
            parts["plain_update"].append(done - backed)
            parts["plain"].append(done - start)

    for s in range(warmup + steps):
        measured = s >= warmup
        with_stats = (s - warmup + 1) % stats_every == 0
        if s % 2 == 0:
            engine_step(s, with_stats, measured)
            plain_step(s, measured)
        else:
            plain_step(s, measured)
            engine_step(s, with_stats, measured)
        if measured:
            pairs["statistics" if with_stats else "ordinary"].append(parts["engine_stats" if with_stats else "engine"][-1] / parts["plain"][-1])
        if measured and with_stats and paths is not None and paths.note is None:
            before = clock()
            paths.measure(s + 1)
            path_ms.append(clock() - before)
    sink.close()

    engine_ms, stats_ms, plain_ms = ms(parts["engine"]), ms(parts["engine_stats"]), ms(parts["plain"])
    window = (interval - 1) * engine_ms + stats_ms
    result = {
        "model": config["className"], "batch": batch, "torch": torch.__version__, "threads": torch.get_num_threads(),
        "steps": steps, "statisticsSteps": len(parts["engine_stats"]), "interval": interval,
        "ms": {name: ms(values) for name, values in parts.items()},
        "statisticsExtraMs": round(stats_ms - engine_ms, 3),
        "overheadPerStepMs": round(window / interval - plain_ms, 3),
        "ratioOfMedians": round(interval * plain_ms / window, 4),
        # The load of a shared machine drifts over seconds: two steps taken back to back share it, so the ratio
        # of each pair, weighted as the window, is the steadier figure.
        "ratio": round(interval / ((interval - 1) * statistics.median(pairs["ordinary"]) + statistics.median(pairs["statistics"])), 4),
    }
    if path_ms:
        # One measurement (n + 1 lengths, up to plan["samples"] backward passes each), spread over its interval.
        result["pathGradientsMs"] = ms(path_ms)
        result["pathGradientsPerStepMs"] = round(ms(path_ms) / paths.plan["interval"], 3)
    print(json.dumps(result))


if __name__ == "__main__":
    run(sys.argv)
