"""What every worker of a run needs to rebuild the same training run by itself."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from treadle.config import Config
    from treadle.training.workers import WorkerGroup


@dataclass(frozen=True)
class TrainingJob:
    """A training run as plain data (it travels to spawned processes and Ray actors):
    the config text with the command line's overrides applied, the ``--code`` files,
    and the output folder."""

    config_text: str
    code: tuple[str, ...] = ()
    output: str | None = None
    resume: bool = False
    overwrite: bool = False

    @classmethod
    def create(
        cls,
        config: Config,
        code: list[str] | tuple[str, ...] = (),
        output: str | Path | None = None,
        *,
        resume: bool = False,
        overwrite: bool = False,
    ) -> TrainingJob:
        paths = tuple(str(Path(c).resolve()) for c in code)
        out = str(Path(output).resolve()) if output is not None else None
        return cls(config.to_str(), paths, out, resume, overwrite)

    def resume_hint(self) -> str:
        """What a user can do after a worker failed: the checkpoint that is kept."""
        if self.output is None:
            return ""
        return f"{Path(self.output) / 'model-last'} holds the last checkpoint; continue with --resume."

    def run(
        self,
        group: WorkerGroup,
        *,
        use_gpu: int = -1,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
    ) -> Path | None:
        """Build the pipeline (or read model-last/ to resume) and train it as one of
        ``group``; returns model-best/'s path (on the leader, when there is one)."""
        from treadle.config import Config, import_code
        from treadle.training.initialize import nlp_for_run
        from treadle.training.loop import train

        import_code(list(self.code))
        config = Config().from_str(self.config_text, interpolate=False)
        output = Path(self.output) if self.output is not None else None
        nlp = nlp_for_run(config, output, resume=self.resume, use_gpu=use_gpu)
        _, best = train(
            nlp,
            output,
            use_gpu=use_gpu,
            stdout=stdout or sys.stdout,
            stderr=stderr or sys.stderr,
            resume=self.resume,
            overwrite=self.overwrite,
            group=group,
        )
        return best


def worker_errors(errors: dict[int, str]) -> str:
    """The workers' error messages (by rank), each distinct one once: workers that
    read the same config usually fail with the same message."""
    ranks_of: dict[str, list[int]] = {}
    for rank, message in sorted(errors.items()):
        ranks_of.setdefault(message, []).append(rank)
    if len(ranks_of) == 1:
        return next(iter(ranks_of))
    return "\n".join(
        f"Worker {', '.join(map(str, ranks))}: {message}" for message, ranks in ranks_of.items()
    )


__all__ = ["TrainingJob", "worker_errors"]
