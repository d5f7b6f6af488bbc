"""Scale-out for SkipNet's PyTorch runner: one training run shared by N processes (skipnet train --nproc N, the
skipnet.train.processes setting), each taking its shard of every batch, with DistributedDataParallel (gloo on the
CPU, NCCL on GPUs) and batch norm over the whole batch, so the run's numbers do not depend on N.

Launch (launch()): torchrun (python -m torch.distributed.run --nproc_per_node N) where it starts; where it does
not (Debian's PyTorch 1.13 on Python 3.11: its elastic launcher fails on its stdout/stderr redirect enum),
torch.multiprocessing.spawn under the same environment contract: RANK, WORLD_SIZE, LOCAL_RANK,
LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT. SKIPNET_LAUNCHER says which ran; rank 0 reports it in its notes.
Rank 0 alone reads the commands on stdin and writes the events on stdout; every step boundary broadcasts its
decision (run, stop) so all ranks stop at the same step. Every worker asks the kernel to end it when its parent
ends (Linux PR_SET_PDEATHSIG), so no worker outlives the run, torchrun's own sessions included.

Batch norm (global_batch_norm()): torch.nn.SyncBatchNorm where it runs (CUDA; newer PyTorch also on the CPU);
elsewhere GlobalBatchNorm, which all-reduces each channel's Σx, Σx² and count with the autograd-aware
torch.distributed.nn.functional.all_reduce, so gradients flow through the batch moments as in one process
(Ioffe & Szegedy 2015, "Batch Normalization", Algorithm 1; the moments over the whole mini-batch).
"""
import ctypes
import os
import signal
import socket
import subprocess
import sys


def die_with_parent():
    """Linux: SIGKILL this process when the process that started it ends (a no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun_works():
    """(works, why not): starts torchrun with one process running `true`, as a probe of its launcher."""
    try:
        probe = subprocess.run(
            [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "1", "--no_python", "true"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, text=True,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"{type(error).__name__}: {error}"
    if probe.returncode == 0:
        return True, ""
    last = [line for line in probe.stderr.splitlines() if line.strip()]
    return False, last[-1].strip() if last else f"exit code {probe.returncode}"


def _spawned(local_rank, nproc, port, argv, main):
    """torch.multiprocessing.spawn's entry: torchrun's environment, then the runner's main()."""
    os.environ.update({
        "RANK": str(local_rank), "LOCAL_RANK": str(local_rank), "WORLD_SIZE": str(nproc),
        "LOCAL_WORLD_SIZE": str(nproc), "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
    })
    main(argv)


def launch(argv, nproc, events_fd, main):
    """Starts `nproc` ranks of the runner (argv: its command line, main: its entry for spawn) and waits for them.
    Returns the exit code for the launcher (0 when every rank ended well). Ranks inherit `events_fd` as stdout."""
    works, why = torchrun_works()
    env = dict(os.environ)
    if works:
        env["SKIPNET_LAUNCHER"] = "torchrun"
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc), os.path.abspath(argv[0]), *argv[1:]]
        child = subprocess.Popen(command, env=env, stdout=events_fd)
        try:
            return child.wait()
        finally:
            if child.poll() is None:
                child.kill()
    import torch.multiprocessing as mp
    os.environ["SKIPNET_LAUNCHER"] = f"torch.multiprocessing.spawn (torchrun does not start here: {why})"
    # The ranks take fd 1 as it is when they start: the events' pipe, not the launcher's stderr.
    saved = os.dup(1)
    os.dup2(events_fd, 1)
    try:
        context = mp.start_processes(_spawned, args=(nproc, free_port(), argv, main), nprocs=nproc, join=False, start_method="spawn")
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    try:
        while not context.join():
            pass
    except mp.ProcessExitedException as error:
        return error.exit_code if error.exit_code and error.exit_code > 0 else 1
    except mp.ProcessRaisedException:
        return 1
    return 0


class Ranks:
    """This process's place in the run, its process group and the collectives the runner needs."""

    def __init__(self, torch, device):
        import datetime
        import torch.distributed as dist
        self.torch = torch
        self.dist = dist
        self.rank = int(os.environ["RANK"])
        self.world = int(os.environ["WORLD_SIZE"])
        self.device = device
        backend = "nccl" if device.type == "cuda" else "gloo"
        # A paused run waits in a broadcast for as long as the user likes: no collective timeout worth the name.
        dist.init_process_group(backend, rank=self.rank, world_size=self.world, timeout=datetime.timedelta(days=7))
        self.backend = backend
        self.launcher = os.environ.get("SKIPNET_LAUNCHER", "torchrun (started outside SkipNet)")

    def shard(self, indices):
        """This rank's share of a batch: contiguous, sizes differing by at most one."""
        n = len(indices)
        return indices[self.rank * n // self.world:(self.rank + 1) * n // self.world]

    def agree(self, code):
        """Rank 0's decision (a small int), on every rank."""
        value = self.torch.tensor([code], dtype=self.torch.int64, device=self.device)
        self.dist.broadcast(value, 0)
        return int(value.item())

    def total(self, values):
        """Σ over ranks of a float64 list, on every rank."""
        tensor = self.torch.tensor(values, dtype=self.torch.float64, device=self.device)
        self.dist.all_reduce(tensor)
        return tensor.tolist()

    def close(self):
        if self.dist.is_initialized():
            self.dist.destroy_process_group()


def _global_batch_norm_class(torch):
    from torch.distributed.nn.functional import all_reduce

    class GlobalBatchNorm(torch.nn.modules.batchnorm._BatchNorm):
        """Batch norm over the whole distributed batch: per channel, Σx, Σx² and the count all-reduced (autograd-
        aware), mean = Σx/n, biased variance = Σx²/n − mean² for normalising, n/(n−1) of it for the running
        variance, as torch.nn.BatchNorm*d computes over one process's batch. Eval mode uses the running moments."""

        def _check_input_dim(self, x):
            if x.dim() not in (2, 3, 4, 5):
                raise ValueError(f"expected a 2D to 5D input, got {x.dim()}D")

        def forward(self, x):
            if not self.training:
                return super().forward(x)
            dims = [0] + list(range(2, x.dim()))
            count = torch.full((1,), x.numel() // x.shape[1], dtype=x.dtype, device=x.device)
            packed = all_reduce(torch.cat([x.sum(dims), (x * x).sum(dims), count]))
            channels = x.shape[1]
            n = packed[-1]
            mean = packed[:channels] / n
            var = packed[channels:2 * channels] / n - mean * mean
            shape = [1, channels] + [1] * (x.dim() - 2)
            y = (x - mean.view(shape)) * torch.rsqrt(var + self.eps).view(shape)
            if self.affine:
                y = y * self.weight.view(shape) + self.bias.view(shape)
            if self.track_running_stats:
                with torch.no_grad():
                    m = self.momentum
                    self.running_mean.mul_(1 - m).add_(mean.detach(), alpha=m)
                    self.running_var.mul_(1 - m).add_(var.detach() * (n / (n - 1)), alpha=m)
                    self.num_batches_tracked.add_(1)
            return y

    return GlobalBatchNorm


def _replace_batch_norms(torch, model, make):
    """Swaps every torch.nn.BatchNorm*d of `model` for make(old) in place, keeping names and state; returns the count."""
    swapped = 0
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, torch.nn.modules.batchnorm._BatchNorm) and not isinstance(child, torch.nn.SyncBatchNorm):
                replacement = make(child)
                replacement.load_state_dict(child.state_dict())
                replacement.train(child.training)
                setattr(module, child_name, replacement.to(next(child.buffers(), torch.zeros(0)).device))
                swapped += 1
    return swapped


def global_batch_norm(torch, model, ranks):
    """Makes every batch norm of `model` normalise over the whole batch of all ranks. Returns a note saying how:
    SyncBatchNorm where a probe forward runs on this device, else GlobalBatchNorm (see the module docstring)."""
    probe = torch.nn.SyncBatchNorm(1).to(ranks.device).train()
    try:
        probe(torch.zeros(2, 1, 1, 1, device=ranks.device))
        use_sync = True
    except (ValueError, RuntimeError):  # 1.13 on the CPU: "SyncBatchNorm expected input tensor to be on GPU"
        use_sync = False
    ranks.agree(int(use_sync))  # every rank takes the same path (a probe is a collective where it runs)
    if use_sync:
        count = _replace_batch_norms(torch, model, lambda bn: torch.nn.SyncBatchNorm(bn.num_features, bn.eps, bn.momentum, bn.affine, bn.track_running_stats))
        return f"batch norm: torch.nn.SyncBatchNorm ({count} layers)" if count else ""
    cls = _global_batch_norm_class(torch)
    count = _replace_batch_norms(torch, model, lambda bn: cls(bn.num_features, bn.eps, bn.momentum, bn.affine, bn.track_running_stats))
    return f"batch norm: moments all-reduced over the ranks ({count} layers; SyncBatchNorm does not run on {ranks.device.type} in PyTorch {torch.__version__})" if count else ""
