"""``treadle package``: the package it writes, its wheel installed elsewhere and loaded by
name in a fresh interpreter, ``treadle info`` on a folder and on a package name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import treadle
from tests.helpers import cli
from treadle.errors import SerializationError
from treadle.serialization import installed_pipelines

WORKTREE = Path(treadle.__file__).resolve().parent.parent
TEXTS = ["the cat sees a dog", "a big red car finds every old tree"]


def run_python(site: Path, *args: str) -> subprocess.CompletedProcess:
    """``python *args`` in a fresh interpreter that sees ``site`` (then this treadle)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, (site, WORKTREE)))}
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=300
    )


def run_treadle(site: Path, *args: str) -> subprocess.CompletedProcess:
    return run_python(site, "-m", "treadle", *args)


@pytest.fixture(scope="module")
def installed(trained_tagger, tmp_path_factory):
    """The trained tagger packaged as a wheel and pip installed into its own folder."""
    model, _ = trained_tagger
    root = tmp_path_factory.mktemp("package")
    assert cli("package", model, root / "out") == 0
    (wheel,) = (root / "out" / "en_pipeline-0.0.0" / "dist").glob("*.whl")
    target = root / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
         "--target", str(target), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return model, wheel, target


@pytest.mark.slow  # builds, installs and loads in fresh interpreters
def test_wheel_holds_the_pipeline_and_its_entry_point(installed):
    model, wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    saved = {p.relative_to(model).as_posix() for p in model.rglob("*") if p.is_file()}
    assert {f"en_pipeline/pipeline/{p}" for p in saved} <= names
    (entry_points,) = [n for n in names if n.endswith("entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[treadle_pipelines]" in text and "en_pipeline = en_pipeline:pipeline_path" in text


@pytest.mark.slow  # builds, installs and loads in fresh interpreters
def test_installed_package_loads_by_name_with_the_same_predictions(installed):
    model, _, target = installed
    code = (
        "import json, treadle\n"
        "nlp = treadle.load('en_pipeline')\n"
        f"print(json.dumps([[t.tag_ for t in nlp(x)] for x in {TEXTS!r}]))\n"
        "import en_pipeline\n"
        f"print(json.dumps([[t.tag_ for t in en_pipeline.load()(x)] for x in {TEXTS!r}]))\n"
    )
    done = run_python(target, "-c", code)
    assert done.returncode == 0, done.stderr
    by_name, by_module = (json.loads(line) for line in done.stdout.splitlines()[-2:])
    nlp = treadle.load(model)
    expected = [[t.tag_ for t in nlp(x)] for x in TEXTS]
    assert by_name == expected == by_module
    assert all(all(tags) for tags in expected)


@pytest.mark.slow  # builds and installs
def test_a_config_sources_a_component_from_an_installed_package(installed, monkeypatch):
    model, _, target = installed
    monkeypatch.syspath_prepend(str(target))  # as if pip installed it here
    assert "en_pipeline" in installed_pipelines()
    config = {
        "nlp": {"lang": "en", "pipeline": ["tagger"]},
        "components": {"tagger": {"source": "en_pipeline"}},
    }
    nlp = treadle.Language.from_config(config)
    reference = treadle.load(model)
    assert [t.tag_ for t in nlp(TEXTS[1])] == [t.tag_ for t in reference(TEXTS[1])]
    assert treadle.load("en_pipeline").meta["name"] == reference.meta["name"]


@pytest.mark.slow  # builds, installs and loads in fresh interpreters
def test_info_shows_an_installed_packages_meta(installed):
    model, _, target = installed
    done = run_treadle(target, "info", "en_pipeline")
    assert done.returncode == 0, done.stderr
    rows = dict(line.split(None, 1) for line in done.stdout.splitlines() if " " in line.strip())
    meta = json.loads((model / "meta.json").read_text())
    assert rows["name"] == meta["name"] and rows["lang"] == "en" and rows["pipeline"] == "tagger"
    assert rows["tag_acc"] == f"{meta['performance']['tag_acc'] * 100:.2f}"
    assert str(target) in rows["path"]
    # a name no package has: the error lists what is installed
    done = run_treadle(target, "info", "en_nothing")
    assert done.returncode == 1
    assert "en_nothing" in done.stderr and "installed pipelines: en_pipeline" in done.stderr


def test_sdist_holds_the_pipeline_and_no_build_leftovers(trained_tagger, tmp_path, capsys):
    model, _ = trained_tagger
    args = ["--name", "tagger-demo", "--version", "1.2.0", "--build", "sdist"]
    assert cli("package", model, tmp_path, *args) == 0
    target = tmp_path / "tagger_demo-1.2.0"
    assert f"Built {target / 'dist'}" in capsys.readouterr().out
    (sdist,) = (target / "dist").glob("*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert "tagger_demo/pipeline/tagger/model.safetensors" in names
    assert "pyproject.toml" in names and "tagger_demo/__init__.py" in names
    assert sorted(p.name for p in target.iterdir()) == [
        "MANIFEST.in", "README.md", "dist", "pyproject.toml", "tagger_demo",
    ]  # fmt: skip
    pyproject = (target / "pyproject.toml").read_text()
    assert 'version = "1.2.0"' in pyproject and 'name = "tagger_demo"' in pyproject


def test_package_refuses_what_it_cannot_make(trained_tagger, tmp_path, capsys):
    model, _ = trained_tagger
    assert cli("package", model, tmp_path, "--build", "none") == 0
    assert (tmp_path / "en_pipeline-0.0.0" / "pyproject.toml").exists()
    assert not (tmp_path / "en_pipeline-0.0.0" / "dist").exists()
    capsys.readouterr()
    assert cli("package", model, tmp_path, "--build", "none") == 1
    assert "--force" in capsys.readouterr().err
    assert cli("package", model, tmp_path, "--build", "none", "--force") == 0
    assert cli("package", model, tmp_path, "--version", "one") == 1
    assert "--version" in capsys.readouterr().err
    assert cli("package", model, tmp_path, "--build", "egg", "--force") == 1
    assert "egg" in capsys.readouterr().err
    assert cli("package", model, tmp_path, "--name", "1st", "--build", "none") == 1
    assert "--name" in capsys.readouterr().err
    assert cli("package", tmp_path / "nothing", tmp_path) == 1
    err = capsys.readouterr().err
    assert "nothing" in err and "Traceback" not in err


def test_info_on_a_folder_and_as_json(trained_tagger, capsys):
    model, _ = trained_tagger
    assert cli("info", model) == 0
    printed = capsys.readouterr().out
    assert "tagger" in printed and "labels" in printed and "performance" in printed
    assert cli("info", model, "--json") == 0
    data = json.loads(capsys.readouterr().out)
    meta = json.loads((model / "meta.json").read_text())
    assert data["labels"] == meta["labels"] and data["path"] == str(model)
    assert "files" not in data
    assert set(data["labels"]["tagger"]) == {"DT", "NN", "VB", "JJ"}


def test_load_of_an_unknown_name_says_what_is_installed():
    with pytest.raises(SerializationError, match="installed pipelines"):
        treadle.load("xx_not_a_pipeline")
    # something that looks like a path keeps the path error
    with pytest.raises(SerializationError, match="no such file or folder"):
        treadle.load("no/such/folder")
