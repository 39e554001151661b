"""Exception classes shared by every layer.

Every error a user can cause derives from :class:`TreadleError`; the CLI prints
its message without a traceback (unless ``--verbose``). Messages name the place:
the config key, the file and line, or the component.
"""

from __future__ import annotations

from typing import Any


class TreadleError(Exception):
    """Base class of every error treadle raises on bad input."""


class TreadleWarning(UserWarning):
    """Base class of treadle's warnings."""


class MissingDependencyError(TreadleError, ImportError):
    """An optional extra a feature needs is not installed; the message names the pip command."""


class ConfigError(TreadleError, ValueError):
    """A config file or override is malformed (syntax, interpolation, unknown key).

    A ``ValueError``, as confection's config errors are, so code written against
    confection that catches ``ValueError`` catches treadle's too."""


class ConfigValidationError(ConfigError):
    """One or more arguments of a config failed validation.

    ``errors`` holds every problem found, each ``{"loc": [...], "msg": ...}``, so a
    user sees all of them at once rather than fixing one per run.
    """

    def __init__(
        self,
        errors: list[dict[str, Any]],
        *,
        title: str = "Config validation error",
        desc: str | None = None,
    ) -> None:
        self.errors = list(errors)
        self.title = title
        self.desc = desc
        super().__init__(self._format())

    def _format(self) -> str:
        lines = [self.title]
        if self.desc:
            lines.append(self.desc)
        for err in self.errors:
            loc = ".".join(str(p) for p in err.get("loc", [])) or "(config)"
            lines.append(f"  {loc}: {err.get('msg', '')}")
        return "\n".join(lines)


class RegistryError(ConfigError):
    """A registered function was asked for by a name that is not registered (a config
    naming it gets a ``ConfigValidationError`` holding this message at the key)."""


class DataError(TreadleError):
    """Input data (a corpus file, a Doc's annotations) is malformed."""


class SerializationError(TreadleError):
    """A saved file is truncated, corrupt, or of an unsupported version."""


class AlignmentError(DataError):
    """Two tokenizations to align do not spell the same text (beyond whitespace)."""


class AlignmentWarning(TreadleWarning):
    """Gold annotation could not be placed on token boundaries and was marked missing."""


class VectorsWarning(TreadleWarning):
    """A similarity was asked of an object without a word vector."""


class PipelineError(TreadleError, ValueError):
    """A pipeline is assembled wrongly: unknown factory, duplicate or missing component
    name, conflicting positions, a component that returns no Doc."""


class TokenizerError(TreadleError, ValueError):
    """A tokenizer rule or special case is invalid (pieces that do not join, bad regex)."""


class AnnotationError(DataError, ValueError):
    """A Doc was built or annotated with invalid values (heads out of range, an unknown
    POS, misaligned spaces, overlapping entities). The message names the token."""


class MatchPatternError(TreadleError, ValueError):
    """A Matcher or PhraseMatcher pattern is invalid (unknown attribute, bad operator or
    predicate, wrong value type). The message names the key, the pattern and the token."""


class VisualizeError(TreadleError, ValueError):
    """``treadle.visualize`` was given an unknown style or option, a value of the wrong
    type, or input that is not a Doc or Span; or the server could not bind its port."""
