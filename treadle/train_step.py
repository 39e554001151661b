"""One training step over a pipeline: what ``nlp.update`` and ``nlp.finish_update`` do.

Every trainable component computes its loss on the batch with its graph kept; the
losses are summed and ONE backward pass runs, so a shared tok2vec (or transformer)
gets every listener's gradient at once; then one optimizer step covers the keyed
parameters of every component, a module shared by two components counted once.

Under float16 autocast (a transformer with ``mixed_precision`` on a GPU) the summed
loss is scaled up for that backward pass and the gradients are scaled down before the
step, which is skipped when one overflowed (``treadle.ml.grad_scaler``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from treadle.errors import DataError, PipelineError

if TYPE_CHECKING:
    from treadle.language import Language
    from treadle.ml.grad_scaler import GradScaler
    from treadle.ml.optimizers import Optimizer
    from treadle.tokens import Doc
    from treadle.tokens.example import Example


def update(
    nlp: Language,
    examples: Iterable[Example],
    *,
    drop: float = 0.0,
    sgd: Optimizer | None = None,
    losses: dict[str, float] | None = None,
    exclude: Iterable[str] = (),
    annotates: Iterable[str] = (),
) -> dict[str, float]:
    """One training step over a batch of Examples.

    Components run in pipeline order on the predicted Docs. Trainable ones compute
    their loss (graph kept); those named in ``exclude`` (frozen) run as in
    prediction and are not updated; those in ``annotates`` write their predictions
    so later components see them. Then ONE backward pass over the summed losses,
    and, if ``sgd`` is given, one optimizer step (without ``sgd`` the gradients
    accumulate). ``losses[name]`` gets each component's loss added.
    """
    examples = list(examples)
    losses = {} if losses is None else losses
    for i, eg in enumerate(examples):
        if not hasattr(eg, "predicted") or not hasattr(eg, "reference"):
            raise DataError(
                f"nlp.update expects Example objects, got {type(eg).__name__} at position "
                f"{i}. Build them with Example.from_dict(nlp.make_doc(text), annotations)."
            )
    exclude_set = {exclude} if isinstance(exclude, str) else set(exclude)
    annotates_set = {annotates} if isinstance(annotates, str) else set(annotates)
    if not examples:
        return losses
    pipeline = nlp.pipeline
    for _name, proc in pipeline:
        find = getattr(proc, "find_listeners", None)
        if find is not None:
            find(nlp)  # cheap when the pipeline is unchanged
    docs = [eg.predicted for eg in examples]
    terms: list[tuple[str, Any]] = []
    for name, proc in pipeline:
        trainable = getattr(proc, "is_trainable", False)
        if name in exclude_set:
            run_on_docs(nlp, name, proc, docs)
        elif trainable and hasattr(proc, "forward_loss"):
            losses.setdefault(name, 0.0)
            loss = proc.forward_loss(examples, drop=drop, set_annotations=name in annotates_set)
            if loss is not None:
                terms.append((name, loss))
        elif trainable and hasattr(proc, "update"):
            # A user component with only update(): it runs its own backward.
            proc.update(examples, drop=drop, sgd=None, losses=losses)
            if name in annotates_set:
                run_on_docs(nlp, name, proc, docs)
        elif name in annotates_set:
            run_on_docs(nlp, name, proc, docs)
    if terms:
        total = terms[0][1]
        for _, loss in terms[1:]:
            total = total + loss
        scaler = active_grad_scaler(nlp, exclude=exclude_set)
        (scaler.scale_loss(total) if scaler is not None else total).backward()
        for name, loss in terms:
            losses[name] += float(loss.detach())
    for _name, proc in pipeline:
        clear = getattr(proc, "clear_listeners", None)
        if clear is not None:
            clear()  # the listeners' batch holds the graph: free it
    if sgd is not None:
        finish_update(nlp, sgd, exclude=exclude_set)
    return losses


def run_on_docs(nlp: Language, name: str, proc: Callable[[Doc], Doc], docs: list[Doc]) -> None:
    """Run a component as in prediction on the Docs of a training batch, in place."""
    pipe_method = getattr(proc, "pipe", None)
    out = list(pipe_method(docs, batch_size=max(1, len(docs)))) if pipe_method else [proc(d) for d in docs]
    if any(a is not b for a, b in zip(out, docs, strict=False)) or len(out) != len(docs):
        raise PipelineError(
            f"Component {name!r} returned new Docs during nlp.update; a component must "
            "annotate the Doc it is given and return it."
        )


def finish_update(nlp: Language, sgd: Optimizer, *, exclude: Iterable[str] = ()) -> None:
    """Apply the accumulated gradients of every trainable component with ``sgd`` (one
    optimizer step over all their keyed parameters), then clear the gradients."""
    exclude_set = {exclude} if isinstance(exclude, str) else set(exclude)
    keyed: list[tuple[str, Any]] = []
    seen: set[int] = set()
    for name, proc in nlp.pipeline:
        if name in exclude_set or not getattr(proc, "is_trainable", False):
            continue
        get_params = getattr(proc, "parameters_for_optimizer", None)
        if get_params is None:
            own_step = getattr(proc, "finish_update", None)
            if own_step is not None:
                own_step(sgd)
            continue
        for key, param in get_params():
            if id(param) not in seen:  # a module shared by two components counts once
                seen.add(id(param))
                keyed.append((key, param))
    if keyed:
        scaler = active_grad_scaler(nlp, exclude=exclude_set)
        overflow = False
        if scaler is not None:
            overflow = scaler.unscale_(param for _, param in keyed)
            scaler.update(overflow)
        if not overflow:  # an overflowed step's gradients are unusable: skip it
            sgd.step(keyed)
        for _, param in keyed:
            param.grad = None


def active_grad_scaler(nlp: Language, *, exclude: Iterable[str] = ()) -> GradScaler | None:
    """The loss scaler of this step: the first trainable component (not excluded)
    that offers one. One backward pass covers every loss, so one scale serves all."""
    exclude_set = {exclude} if isinstance(exclude, str) else set(exclude)
    for name, proc in nlp.pipeline:
        if name in exclude_set or not getattr(proc, "is_trainable", False):
            continue
        scaler = getattr(proc, "grad_scaler", None)
        if scaler is not None:
            return scaler
    return None
