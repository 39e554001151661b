"""treadle.util's atomic writers: the modes they give, and the temp folders a killed
writer leaves behind."""

from __future__ import annotations

import os
import subprocess
import sys

from treadle.util import atomic_dir, atomic_write_bytes, remove_stale_temp_dirs


def test_saved_folders_and_files_get_the_umask_mode(tmp_path):
    from treadle import util  # reads the process's umask once, at import

    expected_dir = 0o777 & ~util._UMASK
    with atomic_dir(tmp_path / "out") as tmp:
        atomic_write_bytes(tmp / "data.bin", b"x")
    assert (tmp_path / "out").stat().st_mode & 0o777 == expected_dir
    assert (tmp_path / "out" / "data.bin").stat().st_mode & 0o777 == 0o666 & ~util._UMASK


def test_temp_folders_of_a_dead_writer_are_removed_on_the_next_save(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".model-last.{dead_pid}.abcd1234.tmp"
    stale.mkdir()
    (stale / "half-written").write_text("x")
    live = tmp_path / f".model-last.{os.getppid()}.efgh5678.tmp"  # a live process's
    live.mkdir()
    other = tmp_path / f".model-best.{dead_pid}.ijkl9012.tmp"  # another target's
    other.mkdir()
    nested = tmp_path / f"..model-last.{dead_pid}.abcd1234.tmp.{dead_pid}.mnop3456.tmp"
    nested.mkdir()  # a save inside a save, killed
    with atomic_dir(tmp_path / "model-last") as tmp:
        (tmp / "meta.json").write_text("{}")
    assert not stale.exists() and not nested.exists()
    assert live.exists() and other.exists()
    assert sorted(p.name for p in remove_stale_temp_dirs(tmp_path / "model-best")) == [other.name]
