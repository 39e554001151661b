"""Loggers that send a training run to an experiment tracker (``treadle[mlflow]``).

The tracker is imported when the logger is set up, never when treadle is imported, so
a config that does not use it needs none of its packages.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from treadle.config import registry
from treadle.errors import ConfigError, MissingDependencyError
from treadle.training.loggers import Finalize, LoggerSetup, LogStep

if TYPE_CHECKING:
    from treadle.language import Language

BEST_DIR = "model-best"
# MLflow refuses longer values (its limit has been 250, 500 and 6000 across versions;
# the installed one's is read when it can be).
_DEFAULT_PARAM_LENGTH = 500
_BATCH = 100  # params or metrics per request: MLflow's cap for one log_batch
# Characters MLflow accepts in param and metric names; others become "_".
_BAD_KEY_CHARS = re.compile(r"[^\w\-. /]")


def _import_mlflow() -> Any:
    try:
        import mlflow
    except ImportError as err:
        raise MissingDependencyError(
            "treadle.MLflowLogger.v1 needs MLflow: pip install 'treadle[mlflow]'"
        ) from err
    return mlflow


def flatten_config(config: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(dotted.key, value)`` for every leaf of a nested config; lists stay whole."""
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from flatten_config(value, dotted + ".")
        else:
            yield dotted, value


def param_value(value: Any, max_length: int) -> str:
    """The value as MLflow shows it, cut to ``max_length`` with a marker that it was."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) <= max_length:
        return text
    marker = "...[truncated]"
    return text[: max_length - len(marker)] + marker


def metric_key(name: str) -> str:
    return _BAD_KEY_CHARS.sub("_", name)


def evaluation_metrics(info: Mapping[str, Any]) -> dict[str, float]:
    """The combined score, every numeric dev score and each component's loss (as
    ``loss_<component>``); per-label tables are left out."""
    metrics: dict[str, float] = {}
    if isinstance(info.get("score"), int | float):
        metrics["score"] = float(info["score"])
    for key, value in (info.get("other_scores") or {}).items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            metrics[metric_key(str(key))] = float(value)
    for name, loss in (info.get("losses") or {}).items():
        metrics[metric_key(f"loss_{name}")] = float(loss)
    return metrics


@registry.loggers("treadle.MLflowLogger.v1")
def mlflow_logger(
    experiment_name: str = "treadle",
    run_name: str | None = None,
    tracking_uri: str | None = None,
    log_params: bool = True,
    log_model: bool = False,
    nested: bool = False,
    tags: dict[str, str] | None = None,
) -> LoggerSetup:
    """One MLflow run per training: the flattened config as params (dotted keys), each
    evaluation's scores and losses as metrics at its step, and with ``log_model`` the
    model-best/ folder as an artifact once training ends. ``tracking_uri`` defaults to
    MLflow's own setting (``MLFLOW_TRACKING_URI``); ``nested`` makes the run a child of
    the active MLflow run, if there is one."""

    def setup(
        nlp: Language, stdout: IO[str] | None = None, stderr: IO[str] | None = None
    ) -> tuple[LogStep, Finalize]:
        mlflow = _import_mlflow()
        from mlflow.entities import Metric, Param, RunStatus

        err = stderr or sys.stderr
        client = _client(mlflow, tracking_uri)
        experiment = client.get_experiment_by_name(experiment_name)
        experiment_id = (
            experiment.experiment_id
            if experiment is not None
            else client.create_experiment(experiment_name)
        )
        run_tags = {str(k): str(v) for k, v in (tags or {}).items()}
        active = mlflow.active_run() if nested else None
        if active is not None:
            run_tags["mlflow.parentRunId"] = active.info.run_id
        run = client.create_run(experiment_id, run_name=run_name, tags=run_tags)
        run_id = run.info.run_id
        if log_params:
            limit = _param_length_limit()
            params = [
                Param(metric_key(k), param_value(v, limit)) for k, v in flatten_config(nlp.config)
            ]
            for start in range(0, len(params), _BATCH):
                client.log_batch(run_id, params=params[start : start + _BATCH])
        last: dict[str, Any] = {"output_path": None}

        def log_step(info: dict[str, Any] | None) -> None:
            if info is None:
                return
            last["output_path"] = info.get("output_path")
            step = int(info.get("step", 0))
            stamp = _now_ms()
            metrics = [
                Metric(key, value, stamp, step) for key, value in evaluation_metrics(info).items()
            ]
            for start in range(0, len(metrics), _BATCH):
                client.log_batch(run_id, metrics=metrics[start : start + _BATCH])

        def finalize() -> None:
            # Called from the loop's ``finally``: an exception under way means the run
            # did not finish.
            failure = sys.exc_info()[0]
            status = RunStatus.FINISHED
            if failure is KeyboardInterrupt:
                status = RunStatus.KILLED
            elif failure is not None:
                status = RunStatus.FAILED
            try:
                if log_model:
                    _log_best(client, run_id, last["output_path"], err)
            finally:
                client.set_terminated(run_id, status=RunStatus.to_string(status))

        return log_step, finalize

    return setup


def _client(mlflow: Any, tracking_uri: str | None) -> Any:
    try:
        return mlflow.tracking.MlflowClient(tracking_uri=tracking_uri)
    except mlflow.exceptions.MlflowException as err:
        text = str(err)
        if "MLFLOW_ALLOW_FILE_STORE" in text:
            # MLflow 3 refuses its file: store unless told to allow it; say how.
            reason = (
                "this MLflow refuses the file: store unless MLFLOW_ALLOW_FILE_STORE=true "
                "is set; or use a database URI such as sqlite:///mlflow.db"
            )
        else:
            reason = text.splitlines()[0][:300] if text else type(err).__name__
        raise ConfigError(
            f"training.logger: MLflow cannot open tracking_uri {tracking_uri!r}: {reason}"
        ) from err


def _log_best(client: Any, run_id: str, output_path: Any, err: IO[str]) -> None:
    best = Path(output_path) / BEST_DIR if output_path is not None else None
    if best is None or not best.is_dir():
        err.write("MLflowLogger: log_model is set but no model-best/ was saved; none logged.\n")
        return
    client.log_artifacts(run_id, str(best), artifact_path=BEST_DIR)


def _param_length_limit() -> int:
    try:
        from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH
    except ImportError:
        return _DEFAULT_PARAM_LENGTH
    return int(MAX_PARAM_VAL_LENGTH)


def _now_ms() -> int:
    return int(time.time() * 1000)


__all__ = ["evaluation_metrics", "flatten_config", "mlflow_logger", "param_value"]
