"""treadle.MLflowLogger.v1 against a real local MLflow store, chained with the console and
JSONL loggers; treadle.ChainLogger.v1 on its own; the errors without MLflow."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from tests.helpers import TRAIN_CONFIG, cli, data_args, write_config, write_tagger_corpora
from treadle.config import registry
from treadle.errors import ConfigError, MissingDependencyError
from treadle.training.loggers import setup_logger
from treadle.training.tracking import evaluation_metrics, flatten_config, param_value

CONSOLE_ONLY = '[training.logger]\n@loggers = "treadle.ConsoleLogger.v1"\n'


def chained_config(uri: str, jsonl: str, *, log_model: bool = True) -> str:
    assert CONSOLE_ONLY in TRAIN_CONFIG
    return TRAIN_CONFIG.replace(
        CONSOLE_ONLY,
        f"""[training.logger]
@loggers = "treadle.ChainLogger.v1"

[training.logger.*.console]
@loggers = "treadle.ConsoleLogger.v1"

[training.logger.*.mlflow]
@loggers = "treadle.MLflowLogger.v1"
experiment_name = "tiny-tagger"
run_name = "first"
tracking_uri = "{uri}"
log_params = true
log_model = {str(log_model).lower()}
tags = {{"purpose": "test"}}

[training.logger.*.jsonl]
@loggers = "treadle.JSONLLogger.v1"
path = "{jsonl}"
""",
    )


@pytest.fixture
def mlflow(monkeypatch):
    mlflow = pytest.importorskip("mlflow")
    # MLflow 3 keeps the file: store in maintenance and refuses it unless allowed.
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    return mlflow


def test_training_logs_params_metrics_and_best_model(mlflow, tmp_path, capsys):
    data = write_tagger_corpora(tmp_path)
    uri = "file:" + str(tmp_path / "mlruns")
    jsonl = tmp_path / "log.jsonl"
    cfg = write_config(tmp_path / "config.cfg", chained_config(uri, str(jsonl)))
    out = tmp_path / "out"
    assert cli("train", cfg, "--output", out, *data_args(data)) == 0
    assert "LOSS TAGGER" in capsys.readouterr().out  # the console logger ran too
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert [r["step"] for r in records] == [4, 8, 12]

    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("tiny-tagger")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_name == "first" and run.info.status == "FINISHED"
    assert run.data.tags["purpose"] == "test"
    params = run.data.params
    assert params["training.max_steps"] == "12"
    assert params["components.tagger.model.tok2vec.embed.width"] == "16"
    assert params["training.optimizer.learn_rate"] == "0.01"
    assert json.loads(params["nlp.pipeline"]) == ["tagger"]

    history = client.get_metric_history(run.info.run_id, "tag_acc")
    assert [m.step for m in history] == [4, 8, 12]
    assert [m.value for m in history] == pytest.approx([r["scores"]["tag_acc"] for r in records])
    losses = client.get_metric_history(run.info.run_id, "loss_tagger")
    assert [m.value for m in losses] == pytest.approx([r["losses"]["tagger"] for r in records])
    assert [m.step for m in client.get_metric_history(run.info.run_id, "score")] == [4, 8, 12]

    logged = {a.path for a in client.list_artifacts(run.info.run_id, "model-best")}
    on_disk = {f"model-best/{p.name}" for p in (out / "model-best").iterdir()}
    assert logged == on_disk and "model-best/meta.json" in logged
    meta_uri = client.download_artifacts(run.info.run_id, "model-best/meta.json", str(tmp_path))
    best_meta = json.loads((out / "model-best" / "meta.json").read_text())
    assert json.loads(Path(meta_uri).read_text(encoding="utf8")) == best_meta


def test_run_without_model_or_params(mlflow, tmp_path):
    data = write_tagger_corpora(tmp_path)
    uri = "file:" + str(tmp_path / "mlruns")
    text = chained_config(uri, str(tmp_path / "log.jsonl"), log_model=False)
    text = text.replace("log_params = true", "log_params = false")
    cfg = write_config(tmp_path / "config.cfg", text)
    args = ["--output", tmp_path / "out", *data_args(data), "--training.max_steps", "4"]
    assert cli("train", cfg, *args) == 0
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("tiny-tagger").experiment_id])
    assert run.data.params == {}
    assert client.list_artifacts(run.info.run_id) == []
    assert [m.step for m in client.get_metric_history(run.info.run_id, "tag_acc")] == [4]


def test_interrupted_training_marks_the_run_killed(mlflow, tmp_path, nlp):
    uri = "file:" + str(tmp_path / "mlruns")
    setup = registry.loggers.get("treadle.MLflowLogger.v1")(tracking_uri=uri, log_params=False)
    log_step, finalize = setup_logger(setup, nlp, io.StringIO(), io.StringIO())
    log_step({"step": 3, "score": 0.5, "other_scores": {"tag_acc": 0.5}, "losses": {}})
    with pytest.raises(KeyboardInterrupt):
        try:
            raise KeyboardInterrupt
        finally:
            finalize()
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("treadle").experiment_id])
    assert run.info.status == "KILLED"


def test_nested_run_has_the_active_run_as_parent(mlflow, tmp_path, nlp):
    uri = "file:" + str(tmp_path / "mlruns")
    mlflow.set_tracking_uri(uri)
    try:
        with mlflow.start_run() as parent:
            setup = registry.loggers.get("treadle.MLflowLogger.v1")(
                tracking_uri=uri, experiment_name="Default", nested=True, log_params=False
            )
            _, finalize = setup_logger(setup, nlp, io.StringIO(), io.StringIO())
            finalize()
    finally:
        mlflow.set_tracking_uri(None)
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    runs = client.search_runs([parent.info.experiment_id])
    children = [r for r in runs if r.info.run_id != parent.info.run_id]
    assert [r.data.tags.get("mlflow.parentRunId") for r in children] == [parent.info.run_id]


def test_missing_mlflow_names_the_extra(monkeypatch, nlp):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow now fails
    setup = registry.loggers.get("treadle.MLflowLogger.v1")()
    with pytest.raises(MissingDependencyError, match=r"treadle\[mlflow\]"):
        setup_logger(setup, nlp, io.StringIO(), io.StringIO())


def test_params_are_flattened_and_cut_to_the_limit():
    config = {"a": {"b": 1, "c": {"@x": "y"}, "empty": {}}, "d": [1, 2]}
    assert dict(flatten_config(config)) == {"a.b": 1, "a.c.@x": "y", "a.empty": {}, "d": [1, 2]}
    assert param_value([1, 2], 100) == "[1, 2]" and param_value("abc", 3) == "abc"
    cut = param_value("x" * 1000, 50)
    assert len(cut) == 50 and cut.startswith("xxx") and cut.endswith("[truncated]")


def test_metrics_skip_tables_and_name_losses():
    info = {
        "score": 0.5,
        "other_scores": {"tag_acc": 0.5, "tag_per_type": {"NN": {"p": 1.0}}, "speed": 10},
        "losses": {"tagger": 2.0},
    }
    assert evaluation_metrics(info) == {
        "score": 0.5, "tag_acc": 0.5, "speed": 10.0, "loss_tagger": 2.0,
    }  # fmt: skip


class Recorder:
    def __init__(self, name: str, log: list, fail_finalize: bool = False) -> None:
        self.name, self.log, self.fail = name, log, fail_finalize

    def __call__(self, nlp, stdout, stderr):
        def log_step(info):
            self.log.append((self.name, info and info["step"]))

        def finalize():
            self.log.append((self.name, "end"))
            if self.fail:
                raise RuntimeError(f"{self.name} failed")

        return log_step, finalize


def test_chain_logger_calls_each_in_order_and_finalizes_all(nlp):
    log: list = []
    chain = registry.loggers.get("treadle.ChainLogger.v1")(
        Recorder("a", log, fail_finalize=True), Recorder("b", log)
    )
    log_step, finalize = setup_logger(chain, nlp, io.StringIO(), io.StringIO())
    log_step({"step": 1})
    log_step(None)
    with pytest.raises(RuntimeError, match="a failed"):
        finalize()
    assert log == [("a", 1), ("b", 1), ("a", None), ("b", None), ("a", "end"), ("b", "end")]


def test_a_refused_tracking_uri_is_a_config_error(mlflow, monkeypatch, tmp_path, nlp):
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE")
    uri = "file:" + str(tmp_path / "mlruns")
    try:
        mlflow.tracking.MlflowClient(tracking_uri=uri)
    except mlflow.exceptions.MlflowException:
        pass
    else:
        pytest.skip("this MLflow still accepts a file: store")
    setup = registry.loggers.get("treadle.MLflowLogger.v1")(tracking_uri=uri)
    with pytest.raises(ConfigError, match="MLFLOW_ALLOW_FILE_STORE") as caught:
        setup_logger(setup, nlp, io.StringIO(), io.StringIO())
    assert uri in str(caught.value) and "training.logger" in str(caught.value)
