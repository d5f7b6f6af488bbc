"""The PyTorch runner's events and commands (skipnet_train.py): events go to the real stdout as JSON lines, one
per event, and everything else written to stdout goes to stderr; commands come on stdin as JSON lines, read by a
thread and obeyed at step boundaries (pause, resume, stop, quit) or handed to the experiments (lesion study, loss
landscape) in order, a cancel reaching the experiment that runs between two of its evaluations.
"""
import json
import os
import queue
import sys
import threading

EVENTS = None  # the real stdout, once redirected


def emit(event):
    """One event as a JSON line (no NaN: JSON has none); a closed pipe (parent gone) ends the process. Ranks
    other than 0 of a shared run have no events to write."""
    if EVENTS is None:
        return
    try:
        EVENTS.write(json.dumps(event, allow_nan=False, separators=(",", ":")) + "\n")
        EVENTS.flush()
    except BrokenPipeError:
        os._exit(1)


def fail(message, code=1):
    emit({"type": "error", "message": message})
    sys.exit(code)


def redirect_stdout():
    """Keeps fd 1 for events and sends everything else written to stdout (Python or C) to stderr."""
    global EVENTS
    if int(os.environ.get("RANK", "0")) == 0:
        EVENTS = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr


class Commands:
    """pause / resume / stop from stdin, read by a thread; `state` changes only at the boundaries that call poll()."""

    def __init__(self, stream=None, stop_at_end=True):
        self.queue = queue.Queue()
        self.state = "running"
        self.experiments = None  # skipnet_experiments.Experiments: runs the experiment commands (dicts in the queue)
        self.sequence = 0  # experiment commands read so far; a cancel cancels every one up to cancelled
        self.cancelled = 0
        self.stream = stream if stream is not None else sys.stdin
        self.stop_at_end = stop_at_end
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.stream:
            line = line.strip()
            if not line:
                continue
            try:
                parsed = json.loads(line)
                command = parsed.get("command")
            except (ValueError, AttributeError):
                parsed, command = {"command": None, "line": line[:200]}, None
            if command in ("resume", "stop", "quit", "lesion-cancel", "landscape-cancel"):
                self.cancelled = self.sequence  # heard at once by the experiment running, between two evaluations
            if command in ("pause", "resume", "stop", "quit"):
                self.queue.put(command)
            else:
                self.sequence += 1
                self.queue.put((self.sequence, parsed))
        if self.stop_at_end:
            self.queue.put("stop")  # end of input: the parent is gone or wants the run over

    def _apply(self, command):
        if isinstance(command, tuple):
            return self._experiment(*command)
        if command == "quit":
            command = "stop"
        if command == "pause" and self.state == "running":
            self.state = "paused"
        elif command == "resume" and self.state == "paused":
            self.state = "running"
        elif command == "stop" and self.state in ("running", "paused"):
            self.state = "stopping"

    def _experiment(self, sequence, command):
        if self.experiments is None:
            emit({"type": "rejected", "message": f"This run cannot take commands other than pause, resume and stop (a run shared by several processes keeps no weights to measure): {json.dumps(command)[:200]}"})
            return
        self.experiments.is_cancelled = lambda: self.cancelled >= sequence
        self.experiments.run(command, self.state)

    def serve(self):
        """After the run ended: runs experiments on its final weights until quit, stop or the end of input."""
        self.state = "ended"
        while True:
            command = self.queue.get()
            if command in ("stop", "quit"):
                return
            if isinstance(command, tuple):
                self._experiment(*command)

    def drain(self):
        """Applies the commands that came, without waiting; returns the state."""
        while True:
            try:
                self._apply(self.queue.get_nowait())
            except queue.Empty:
                return self.state

    def poll(self, step):
        """Applies the commands that came; waits while paused (with paused/resumed events). True: keep running."""
        if self.drain() == "paused":
            emit({"type": "paused", "step": step})
            while self.state == "paused":
                self._apply(self.queue.get())
            if self.state == "running":
                emit({"type": "resumed", "step": step})
        return self.state == "running"


class SharedCommands:
    """The commands as every rank obeys them: rank 0 reads them, each boundary broadcasts its decision."""

    def __init__(self, commands, ranks):
        self.commands = commands
        self.ranks = ranks

    def poll(self, step):
        keep = self.commands.poll(step) if self.commands is not None else True
        return keep if self.ranks is None else bool(self.ranks.agree(int(keep)))

    def drain(self):
        state = self.commands.drain() if self.commands is not None else "running"
        if self.ranks is None:
            return state
        return "stopping" if self.ranks.agree(int(state == "stopping")) else "running"
