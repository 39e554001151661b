"""``nlp.pipe(texts, n_process=N)``: the pipeline in N worker processes.

Workers are started with the ``forkserver`` method (``spawn`` where there is none):
never a fork of this process, whose torch threads and locks would not survive it.
They rebuild the pipeline from its config plus ``nlp.to_bytes()``. A fresh
interpreter knows only what it imports, so the parent also sends the modules that
registered the pipeline's factories, components and ``@`` functions.

The parent reads the input lazily and keeps at most ``2 * n_process`` batches in
flight, so a generator is never drawn into memory whole. Batches carry their index;
results are put back in input order. Docs travel as a DocBin with user data.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import itertools
import multiprocessing
import os
import queue
import signal
import sys
import traceback
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import torch

from treadle.config import Config, registry
from treadle.errors import DataError, PipelineError
from treadle.pipeline import factories
from treadle.tokens import Doc
from treadle.tokens.docbin import DocBin

if TYPE_CHECKING:
    from treadle.language import Language

# How long the parent waits on the result queue before checking that the workers live.
_POLL_SECONDS = 0.2
_JOIN_SECONDS = 5.0
_DOC_MARK = "__treadle_doc__"


def resolve_n_process(n_process: Any) -> int:
    """``-1`` means one process per CPU; otherwise a positive integer."""
    if isinstance(n_process, bool) or not isinstance(n_process, int):
        raise PipelineError(f"n_process must be an integer, got {n_process!r}.")
    if n_process == -1:
        return os.cpu_count() or 1
    if n_process < 1:
        raise PipelineError(
            f"n_process must be a positive integer or -1 (one per CPU), got {n_process}."
        )
    return n_process


def pipe_in_processes(
    nlp: Language,
    items: Iterable[Any],
    *,
    n_process: int,
    batch_size: int,
    as_tuples: bool,
    active: list[str],
) -> Iterator[Any]:
    """Yield what ``nlp.pipe`` yields, computed by ``n_process`` workers."""
    it = iter(items)
    first = _next_batch(it, batch_size, as_tuples)
    if first is None:  # nothing to do: start no process at all
        return
    ctx = _context()
    spec = {
        "config": nlp.config.to_str(),
        "data": nlp.to_bytes(),
        "modules": (modules := registering_modules(nlp)),
        "files": _module_files(modules),
        "active": active,
        "batch_size": batch_size,
        "language_class": _importable_class(type(nlp)),
    }
    tasks: Any = ctx.Queue()
    results: Any = ctx.Queue()
    workers = [
        ctx.Process(target=_worker, args=(spec, tasks, results), daemon=True)
        for _ in range(n_process)
    ]
    clean = False
    try:
        for proc in workers:
            proc.start()
        max_in_flight = 2 * n_process
        contexts: dict[int, list[Any] | None] = {}
        done: dict[int, bytes] = {}
        n_sent = n_yielded = 0
        pending = first
        while True:
            while pending is not None and n_sent - n_yielded < max_in_flight:
                texts, ctxs = pending
                tasks.put((n_sent, [_encode(t) for t in texts]))
                contexts[n_sent] = ctxs
                n_sent += 1
                pending = _next_batch(it, batch_size, as_tuples)
            if n_yielded == n_sent:
                break
            while n_yielded not in done:
                idx, payload = _receive(results, workers)
                done[idx] = payload
            docs = list(
                DocBin(store_user_data=True).from_bytes(done.pop(n_yielded)).get_docs(nlp.vocab)
            )
            ctxs = contexts.pop(n_yielded)
            n_yielded += 1
            if ctxs is None:
                yield from docs
            else:
                yield from zip(docs, ctxs, strict=True)
        clean = True
    finally:
        _stop(workers, tasks, results, clean=clean)


def _context() -> Any:
    """``forkserver`` where there is one: its server process imports torch and treadle
    once, and each worker (of this call and of later ones) is forked from it before
    torch has started a thread. Elsewhere (Windows) ``spawn``, each worker importing
    everything itself."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        # Only read when the server starts, the first time this process needs it.
        ctx.set_forkserver_preload([__name__])
        return ctx
    return multiprocessing.get_context("spawn")


def _next_batch(
    it: Iterator[Any], size: int, as_tuples: bool
) -> tuple[list[Any], list[Any] | None] | None:
    batch = list(itertools.islice(it, size))
    if not batch:
        return None
    if not as_tuples:
        texts, ctxs = batch, None
    else:
        texts, ctxs = [], []
        for item in batch:
            if not isinstance(item, tuple) or len(item) != 2:
                raise DataError(
                    f"pipe(as_tuples=True) expects (text, context) pairs, got {item!r:.80}"
                )
            texts.append(item[0])
            ctxs.append(item[1])
    for text in texts:
        if not isinstance(text, str | Doc):
            raise DataError(
                f"Expected a str or a Doc to process, got {type(text).__name__}: {text!r:.80}"
            )
    return texts, ctxs


def _encode(item: str | Doc) -> Any:
    # Contexts stay in the parent; only what the components see travels.
    return item if isinstance(item, str) else (_DOC_MARK, item.to_bytes())


def _decode(nlp: Language, item: Any) -> str | Doc:
    if isinstance(item, tuple):
        return Doc(nlp.vocab, words=[]).from_bytes(item[1])
    return item


def _importable_class(cls: type) -> type:
    # from_config makes a throwaway subclass per language, which pickle can't name:
    # send the nearest class it can (Language itself, or a user's subclass).
    for klass in cls.__mro__:
        module = sys.modules.get(klass.__module__)
        if getattr(module, klass.__qualname__, None) is klass:
            return klass
    raise PipelineError(f"nlp.pipe(n_process>1): can't send {cls!r} to a worker process.")


def _receive(results: Any, workers: list[Any]) -> tuple[int, bytes]:
    while True:
        try:
            kind, idx, payload = results.get(timeout=_POLL_SECONDS)
        except queue.Empty:
            # No worker ends before it is told to, so any that has ended has died.
            dead = [p for p in workers if p.exitcode is not None]
            if dead:
                codes = ", ".join(f"pid {p.pid}: exit code {p.exitcode}" for p in dead)
                raise PipelineError(
                    f"nlp.pipe(n_process={len(workers)}): a worker process died ({codes})."
                ) from None
            continue
        if kind == "ok":
            return idx, payload
        where = "while loading the pipeline" if idx < 0 else f"on batch {idx}"
        raise PipelineError(
            f"nlp.pipe(n_process={len(workers)}): a worker process failed {where}. "
            f"Its traceback:\n{payload}"
        )


def _stop(workers: list[Any], tasks: Any, results: Any, *, clean: bool) -> None:
    started = [p for p in workers if p.pid is not None]
    if clean:
        for _ in started:
            tasks.put(None)
        for proc in started:
            proc.join(_JOIN_SECONDS)
    else:
        # Batches nobody will read may still sit in the queues' buffers: don't wait
        # for them to be flushed when this process exits.
        tasks.cancel_join_thread()
        results.cancel_join_thread()
    for proc in started:
        if proc.is_alive():
            proc.terminate()
    for proc in started:
        proc.join(_JOIN_SECONDS)
        if proc.is_alive():
            proc.kill()
            proc.join()
    tasks.close()
    results.close()


def registering_modules(nlp: Language) -> list[str]:
    """The modules outside treadle that define the pipeline's tokenizer, components,
    factories and the functions its config names: a spawned worker must import them
    before it can rebuild the pipeline. ``__main__`` is left out: spawn runs it again
    itself (under ``if __name__ == "__main__"`` guards, as multiprocessing requires)."""
    found: list[str] = []

    def add(obj: Any) -> None:
        module = getattr(obj, "__module__", None)
        if not isinstance(module, str) or module in found:
            return
        if module.split(".")[0] in ("treadle", "builtins", "__main__", "__mp_main__"):
            return
        found.append(module)

    add(type(nlp.tokenizer))
    for _, proc in nlp.components:
        add(proc if inspect.isfunction(proc) else type(proc))
    for factory_name in nlp.pipe_factories.values():
        if factories.has_factory(factory_name):
            add(factories.get_factory_meta(factory_name).func)

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if isinstance(key, str) and key.startswith("@") and isinstance(value, str):
                    category = key[1:]
                    if registry.has(category) and value in (table := registry.get_registry(category)):
                        add(table.get(value))
                walk(value)
        elif isinstance(node, list | tuple):
            for value in node:
                walk(value)

    walk(dict(nlp.config))
    return found


def _module_files(modules: list[str]) -> dict[str, str]:
    files = {}
    for name in modules:
        path = getattr(sys.modules.get(name), "__file__", None)
        if isinstance(path, str) and os.path.isfile(path):
            files[name] = path
    return files


def _import(name: str, path: str | None) -> None:
    """Import ``name``; failing that, its file under that name: a ``--code`` file (or a
    module found through a path only the parent had) has no importable name."""
    try:
        importlib.import_module(name)
        return
    except ModuleNotFoundError as err:
        # Re-raise when it is something the module itself imports that is missing.
        if path is None or err.name not in (name, name.split(".")[0]):
            raise
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"Can't import {name} from {path}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)


def _worker(spec: dict[str, Any], tasks: Any, results: Any) -> None:
    # Ctrl-C reaches the whole process group: the parent decides, and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        torch.set_num_threads(1)
        for module in spec["modules"]:
            _import(module, spec["files"].get(module))
        nlp = spec["language_class"].from_config(Config().from_str(spec["config"]))
        nlp.from_bytes(spec["data"])
        by_name = dict(nlp.components)
        procs = [(name, by_name[name]) for name in spec["active"]]
    except BaseException:
        results.put(("error", -1, traceback.format_exc()))
        return
    size = spec["batch_size"]
    while True:
        task = tasks.get()
        if task is None:
            return
        idx, items = task
        try:
            docs = nlp._process_batch([_decode(nlp, x) for x in items], size, procs)
            payload = DocBin(store_user_data=True, docs=docs).to_bytes()
        except BaseException:
            results.put(("error", idx, traceback.format_exc()))
            continue
        results.put(("ok", idx, payload))


__all__ = ["pipe_in_processes", "registering_modules", "resolve_n_process"]
