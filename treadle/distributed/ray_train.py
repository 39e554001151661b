"""``treadle ray train``: the workers of one training run as Ray actors.

The driver (the ``treadle`` process) starts a local Ray instance, or joins the
cluster at ``--address``, and creates one actor per worker. Each actor rebuilds the
run from the :class:`~treadle.distributed.job.TrainingJob` and trains as one of the
group:

- ``sync`` (default): the actors form a torch.distributed group (gloo on CPU, NCCL
  on GPU) that meets at worker 0's address, and train as ``treadle train
  --n-workers`` does (``treadle.distributed.sync``);
- ``async``: parameters are shared out among the actors, which exchange gradients
  and weights through actor calls (``treadle.distributed.async_group``).

Worker 0's table and messages come back through a Ray queue and are printed here, so
the output is ``treadle train``'s. The driver watches the actors: an actor that dies
or fails stops the run within a second or two with one line; Ctrl-C asks the workers
to stop after the current step (worker 0 saves model-last/), a second one ends them.

Paths in the config and ``--code`` files must be readable on every node (a shared
filesystem on a cluster); worker 0 writes the output folder on its node.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from treadle.distributed.job import TrainingJob, worker_errors
from treadle.errors import TreadleError

STRATEGIES = ("sync", "async")
# The object store of a local instance: gradients and weights pass through it.
DEFAULT_OBJECT_STORE_MB = 256
POLL_S = 0.1
PROBE_TIMEOUT_S = 5.0


class DistributedError(TreadleError):
    """Ray is missing, the cluster can't be reached, or a worker failed."""


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise DistributedError(
            "treadle ray train needs Ray: pip install 'treadle[ray]'"
        ) from None
    return ray


def ray_train(
    job: TrainingJob,
    n_workers: int,
    *,
    address: str | None = None,
    strategy: str = "sync",
    use_gpu: bool = False,
    cpus_per_worker: int = 1,
    object_store_mb: int = DEFAULT_OBJECT_STORE_MB,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
) -> int:
    """Train ``job`` on ``n_workers`` Ray actors; returns the exit status (0 done,
    1 failed, 130 interrupted)."""
    if strategy not in STRATEGIES:
        raise DistributedError(f"--strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    ray = import_ray()
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    started = _connect(ray, address, n_workers * cpus_per_worker, object_store_mb)
    try:
        return _Driver(ray, job, n_workers, strategy, use_gpu, cpus_per_worker, stdout, stderr).run()
    finally:
        if started:
            ray.shutdown()


def _connect(ray: Any, address: str | None, cpus: int, object_store_mb: int) -> bool:
    """Join ``address`` or start a local instance; returns whether one was started."""
    # Actors report back through a queue; Ray's own forwarding of their output would
    # prefix every line and mix in the other workers' logs.
    common: dict[str, Any] = {"log_to_driver": False, "logging_level": "ERROR"}
    if address is not None:
        _probe(address)
        try:
            ray.init(address=address, **common)
        except Exception as err:  # Ray raises ConnectionError, ValueError, RuntimeError
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise DistributedError(f"Can't join the Ray cluster at --address {address}: {first}") from None
        return False
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    ray.init(
        num_cpus=cpus,
        object_store_memory=object_store_mb * 1024 * 1024,
        include_dashboard=False,
        **common,
    )
    return True


def _probe(address: str) -> None:
    """Fail at once on an address nobody answers at (Ray itself retries for minutes)."""
    if address in ("auto", "local"):
        return
    hostport = address.split("://", 1)[-1]
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise DistributedError(f"--address must be host:port (or ray://host:port), got {address!r}")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=PROBE_TIMEOUT_S):
            pass
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise DistributedError(
            f"Can't join the Ray cluster at --address {address}: {reason}. Is a Ray head "
            f"running there ('ray start --head')?"
        ) from None


class _Driver:
    def __init__(
        self,
        ray: Any,
        job: TrainingJob,
        n_workers: int,
        strategy: str,
        use_gpu: bool,
        cpus_per_worker: int,
        stdout: IO[str],
        stderr: IO[str],
    ) -> None:
        from ray.util.queue import Queue

        self.ray = ray
        self.job = job
        self.n = n_workers
        self.strategy = strategy
        self.stdout, self.stderr = stdout, stderr
        self.console = Queue()
        worker_cls = ray.remote(_RayWorker).options(
            num_cpus=cpus_per_worker, num_gpus=1 if use_gpu else 0, max_concurrency=4
        )
        self.workers = [worker_cls.remote(rank, n_workers, cpus_per_worker) for rank in range(n_workers)]
        self.use_gpu = use_gpu
        self.interrupts = 0

    def run(self) -> int:
        ray = self.ray
        started = time.perf_counter()
        meet = ray.get(self.workers[0].meeting_point.remote())
        self.stderr.write(
            f"Ray: {self.n} workers ({self.strategy}) ready in {time.perf_counter() - started:.1f} s\n"
        )
        runs = [
            w.run.remote(self.job, self.strategy, meet, self.workers, self.console, self.use_gpu)
            for w in self.workers
        ]
        pending = {ref: rank for rank, ref in enumerate(runs)}
        results: dict[int, dict[str, Any]] = {}
        previous = signal.signal(signal.SIGINT, self._on_sigint) if _main_thread() else None
        try:
            while pending:
                if self.interrupts > 1:
                    self._kill()
                    self._drain()
                    return 130
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=POLL_S)
                self._drain()
                for ref in ready:
                    rank = pending.pop(ref)
                    try:
                        results[rank] = ray.get(ref)
                    except Exception as err:  # RayActorError, RayTaskError: the actor died
                        self._kill()
                        self._drain()
                        self.stderr.write(f"Worker {rank} died ({_why(err)}); the run stopped. {self.job.resume_hint()}\n")
                        return 1
                    if results[rank]["status"] == "error":
                        self._kill()
                        self._drain()
                        self._report(results)
                        return 1
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        self._drain()
        if any(r["status"] == "interrupted" for r in results.values()) or self.interrupts:
            return 130
        best = results.get(0, {}).get("best")
        exchanged = [(rank, r["stats"]) for rank, r in sorted(results.items()) if r.get("stats")]
        if exchanged:
            self.stderr.write(
                "Async exchange: "
                + "; ".join(
                    f"worker {rank} sent {s['sent']} gradients, applied {s['applied']}, "
                    f"discarded {s['stale']} stale, stepped {s['steps']} times"
                    for rank, s in exchanged
                )
                + "\n"
            )
        if self.job.output is not None:
            also = f" and {best}" if best else ""
            self.stderr.write(f"✔ Saved {Path(self.job.output) / 'model-last'}{also}\n")
        return 0

    def _on_sigint(self, signum: int, frame: Any) -> None:
        self.interrupts += 1
        if self.interrupts == 1:
            self.stderr.write("\nStopping after the current step (Ctrl-C again to stop now)...\n")
            for worker in self.workers:
                worker.request_stop.remote()

    def _drain(self) -> None:
        while True:
            try:
                stream, text = self.console.get_nowait()
            except Exception:  # ray.util.queue.Empty
                return
            out = self.stdout if stream == "out" else self.stderr
            out.write(text)
            out.flush()

    def _kill(self) -> None:
        for worker in self.workers:
            with contextlib.suppress(Exception):  # already gone
                self.ray.kill(worker)

    def _report(self, results: dict[int, dict[str, Any]]) -> None:
        errors = {rank: r["message"] for rank, r in results.items() if r["status"] == "error"}
        self.stderr.write(worker_errors(errors) + "\n")


def _why(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    for line in text:
        if "killed" in line.lower() or "exit" in line.lower() or "died" in line.lower():
            return line.strip()[:200]
    return type(err).__name__


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


class _QueueWriter:
    """A text stream that sends what is written to the driver's console queue."""

    def __init__(self, queue: Any, stream: str) -> None:
        self.queue = queue
        self.stream = stream

    def write(self, text: str) -> int:
        if text:
            self.queue.put((self.stream, text))
        return len(text)

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False


class _RayWorker:
    """One worker of the run (a Ray actor; its methods other than ``run`` are answered
    on other threads while ``run`` trains)."""

    def __init__(self, rank: int, size: int, threads: int) -> None:
        import torch

        self.rank = rank
        self.size = size
        self.stop = threading.Event()
        self.group: Any = None
        torch.set_num_threads(max(1, threads))

    def meeting_point(self) -> tuple[str, int]:
        """Worker 0's address and a free port for torch.distributed to meet at."""
        import ray

        host = ray.util.get_node_ip_address()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            return host, int(sock.getsockname()[1])

    def request_stop(self) -> None:
        self.stop.set()

    def run(
        self,
        job: TrainingJob,
        strategy: str,
        meet: tuple[str, int],
        peers: list[Any],
        console: Any,
        use_gpu: bool,
    ) -> dict[str, Any]:
        import torch

        gpu = 0 if use_gpu else -1  # Ray shows each actor only its own GPU
        device = torch.device("cuda:0" if use_gpu else "cpu")
        out = _QueueWriter(console, "out") if self.rank == 0 else _Discard()
        err = _QueueWriter(console, "err") if self.rank == 0 else _Discard()
        try:
            self.group = self._make_group(strategy, meet, peers, device)
            best = job.run(self.group, use_gpu=gpu, stdout=out, stderr=err)  # type: ignore[arg-type]
        except KeyboardInterrupt:
            return {"status": "interrupted"}
        except TreadleError as error:
            return {"status": "error", "message": str(error)}
        stats = getattr(self.group, "stats", None)
        return {"status": "done", "best": str(best) if best is not None else None, "stats": stats}

    def _make_group(self, strategy: str, meet: tuple[str, int], peers: list[Any], device: Any) -> Any:
        if strategy == "async":
            from treadle.distributed.async_group import AsyncGroup

            return AsyncGroup(self.rank, self.size, peers, self.stop)
        import torch.distributed as dist

        from treadle.distributed.processes import COLLECTIVE_TIMEOUT
        from treadle.distributed.sync import AllReduceGroup

        host, port = meet
        if host.startswith("127."):
            os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
        dist.init_process_group(
            "nccl" if device.type == "cuda" else "gloo",
            init_method=f"tcp://{host}:{port}",
            rank=self.rank,
            world_size=self.size,
            timeout=COLLECTIVE_TIMEOUT,
        )
        return StoppableGroup(AllReduceGroup(self.rank, self.size, device), self.stop)

    # --- the asynchronous strategy's messages (see async_group) ----------------------

    def push_grads(self, sender: int, grads: dict[str, Any]) -> None:
        self._async().receive_grads(sender, grads)

    def push_params(self, sender: int, values: dict[str, Any]) -> None:
        self._async().receive_params(sender, values)

    def owned_state(self) -> dict[str, Any]:
        return self._async().owned_state()

    def end_run(self) -> None:
        self._async().end_run()

    def _async(self) -> Any:
        while self.group is None:  # a message can arrive before this worker's group exists
            time.sleep(0.01)
        return self.group


class StoppableGroup:
    """A group whose workers also stop when the driver asks (Ctrl-C at the driver)."""

    def __init__(self, group: Any, stop: threading.Event) -> None:
        self._group = group
        self._stop = stop

    def __getattr__(self, name: str) -> Any:
        return getattr(self._group, name)

    def finish_update(self, nlp: Any, optimizer: Any, exclude: Any, stop: bool) -> bool:
        return self._group.finish_update(nlp, optimizer, exclude, stop or self._stop.is_set())


class _Discard:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False


__all__ = ["DistributedError", "STRATEGIES", "import_ray", "ray_train"]
