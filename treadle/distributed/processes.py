"""``treadle train --n-workers N``: N local processes, synchronous, over torch.distributed.

The parent spawns the workers and watches them. Worker 0 writes the training table
to this terminal and saves the output; the others print only errors. When a worker
fails or dies, the parent stops the rest at once and says which one and why; model-
last/ keeps the last checkpoint (saves are atomic), so ``--resume`` continues.

The workers meet through a file in a fresh temporary folder (no port to pick or
race for) and talk over the loopback interface (``GLOO_SOCKET_IFNAME=lo``).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from treadle.distributed.job import TrainingJob, worker_errors

# How long a collective waits for a peer (the leader's evaluation included) before
# the run fails; a dead peer is noticed by the parent within a second regardless.
COLLECTIVE_TIMEOUT = timedelta(minutes=30)
EXIT_INTERRUPTED = 130


def train_in_processes(
    job: TrainingJob,
    n_workers: int,
    *,
    gpu_id: int = -1,
    threads: int | None = None,
) -> int:
    """Run ``job`` on ``n_workers`` local processes; returns the exit status (0 done,
    1 failed, 130 interrupted). With ``gpu_id >= 0`` worker ``r`` trains on GPU
    ``gpu_id + r`` (NCCL); otherwise on the CPU (gloo), ``threads`` torch threads each
    (default: the machine's cores shared out)."""
    import torch.multiprocessing as mp

    # torch logs each worker it stops; the parent says what happened in one line.
    logging.getLogger("torch.multiprocessing.spawn").setLevel(logging.ERROR)
    if threads is None:
        threads = max(1, (os.cpu_count() or 1) // n_workers)
    rendezvous = Path(tempfile.mkdtemp(prefix="treadle-workers-"))
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    interrupted = _ParentInterrupt()
    try:
        with interrupted:
            context = mp.start_processes(
                _worker_main,
                args=(job, n_workers, str(rendezvous), gpu_id, threads),
                nprocs=n_workers,
                join=False,
                start_method="spawn",
            )
            return _watch(context, job, interrupted, rendezvous)
    finally:
        shutil.rmtree(rendezvous, ignore_errors=True)


def _watch(
    context: Any, job: TrainingJob, interrupted: _ParentInterrupt, rendezvous: Path
) -> int:
    import torch.multiprocessing as mp

    try:
        while not context.join(timeout=0.5):
            if interrupted.count > 1:
                _terminate(context)
                return EXIT_INTERRUPTED
        return 0
    except mp.ProcessExitedException as err:
        code = err.exit_code
        if code == EXIT_INTERRUPTED or interrupted.count:
            return EXIT_INTERRUPTED
        if code == 1:
            _report_errors(rendezvous, err.error_index)
            return 1
        how = f"was killed by {err.signal_name}" if err.signal_name else f"exited with {code}"
        sys.stderr.write(f"Worker {err.error_index} {how}; the run stopped. {job.resume_hint()}\n")
        return 1
    except mp.ProcessRaisedException as err:
        sys.stderr.write(f"Worker {err.error_index} failed:\n{err.msg}\n{job.resume_hint()}\n")
        return 1


def _report_errors(rendezvous: Path, first: int) -> None:
    errors = {
        int(path.stem.split("-")[1]): path.read_text(encoding="utf8")
        for path in rendezvous.glob("error-*.txt")
    }
    sys.stderr.write((worker_errors(errors) if errors else f"Worker {first} failed.") + "\n")


def _terminate(context: Any) -> None:
    for process in context.processes:
        if process.is_alive():
            process.terminate()
    for process in context.processes:
        process.join(5)


class _ParentInterrupt:
    """Ctrl-C reaches every worker too (one process group); the parent then waits for
    worker 0 to save and report. A second Ctrl-C ends the workers at once."""

    def __init__(self) -> None:
        self.count = 0
        self._previous: Any = None

    def __enter__(self) -> _ParentInterrupt:
        self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)

    def _on_sigint(self, signum: int, frame: Any) -> None:
        self.count += 1


def _worker_main(
    rank: int, job: TrainingJob, size: int, rendezvous: str, gpu_id: int, threads: int
) -> None:
    """One worker: join the group, train, leave (exit 1 on a treadle error, whose
    message the parent prints, 130 on Ctrl-C)."""
    import torch
    import torch.distributed as dist

    from treadle.distributed.sync import AllReduceGroup
    from treadle.errors import TreadleError

    torch.set_num_threads(threads)
    use_gpu = gpu_id + rank if gpu_id >= 0 else -1
    device = torch.device(f"cuda:{use_gpu}" if use_gpu >= 0 else "cpu")
    if use_gpu >= 0:
        torch.cuda.set_device(device)
    if rank != 0:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the table is worker 0's
    dist.init_process_group(
        "nccl" if use_gpu >= 0 else "gloo",
        init_method=f"file://{Path(rendezvous) / 'store'}",
        rank=rank,
        world_size=size,
        timeout=COLLECTIVE_TIMEOUT,
    )
    try:
        best = job.run(AllReduceGroup(rank, size, device), use_gpu=use_gpu)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except TreadleError as err:
        (Path(rendezvous) / f"error-{rank}.txt").write_text(str(err), encoding="utf8")
        sys.exit(1)
    if rank == 0 and job.output is not None:
        also = f" and {best}" if best is not None else ""
        sys.stderr.write(f"✔ Saved {Path(job.output) / 'model-last'}{also}\n")


__all__ = ["train_in_processes"]
