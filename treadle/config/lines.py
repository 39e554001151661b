"""Line-level helpers of the config parser: common indentation, where a multi-line
JSON value ends, and which section headers lack their parent.

Each helper reads every character at most once, so parsing stays linear in the size
of the text (issue 14).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

POSITIONAL_SECTION = "*"

# A line that starts like ``key = ...``: never valid inside a JSON list or dict, so
# it ends an unclosed value instead of being swallowed into it.
_KEY_LINE_RE = re.compile(r"[A-Za-z_@*][\w.@*-]*\s*=(?!=)")
# A JSON string; one left open runs to the end of the line. Regexes, not a loop over
# characters: a 1,000,000-character line is scanned in C.
_JSON_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"?')
_COMMENT_RE = re.compile(r"\s[#;]")
_BRACKET_RE = re.compile(r"[\[\]{}]")


def dedent(lines: list[str]) -> list[str]:
    """``lines`` without the whitespace every non-blank line starts with.

    A config written as an indented triple-quoted string in Python reads as if it
    started at column 0; relative indentation (continuation lines) is kept.
    """
    prefix: str | None = None
    for line in lines:
        body = line.lstrip(" \t")
        if not body:
            continue
        indent = line[: len(line) - len(body)]
        if prefix is None:
            prefix = indent
        elif not indent.startswith(prefix):
            n = 0
            while n < len(prefix) and n < len(indent) and prefix[n] == indent[n]:
                n += 1
            prefix = prefix[:n]
        if not prefix:
            return lines
    if not prefix:
        return lines
    cut = len(prefix)
    return [line[cut:] if line.strip(" \t") else line for line in lines]


def bracket_delta(text: str) -> int:
    """Brackets opened minus brackets closed in one line of a JSON value, outside
    strings and before an inline comment (whitespace, then ``#`` or ``;``)."""
    if _BRACKET_RE.search(text) is None:
        return 0
    if '"' in text:
        text = _JSON_STRING_RE.sub('""', text)
    comment = _COMMENT_RE.search(text)
    if comment is not None:
        text = text[: comment.start()]
    return text.count("[") + text.count("{") - text.count("]") - text.count("}")


def continues_open_value(line: str, stripped: str) -> bool:
    """Whether ``line`` belongs to a JSON value whose brackets are still open: an
    indented line, or a closing bracket at column 0 (as confection users write
    ``]`` under ``x = [``), unless it reads as the next ``key = value``."""
    if line[0] not in " \t" and stripped[0] not in "]}":
        return False
    return _KEY_LINE_RE.match(stripped) is None


def missing_parent(
    sections: dict[tuple[str, ...], int],
) -> tuple[tuple[str, ...], tuple[str, ...], int] | None:
    """The first ``(section, missing parent, line)`` where a section's parent is
    defined nowhere, else None. A ``*`` section (positional arguments) needs no
    header of its own: ``[a.*.x]`` needs only ``[a]``."""
    found: list[tuple[int, tuple[str, ...], tuple[str, ...]]] = []
    for parts, line_no in sections.items():
        parent = parts[:-1]
        while parent and parent[-1] == POSITIONAL_SECTION:
            parent = parent[:-1]
        if parent and parent not in sections:
            found.append((line_no, parts, parent))
    if not found:
        return None
    line_no, parts, parent = min(found)
    return parts, parent, line_no


def close_sections(name: str, sections: Iterable[tuple[str, ...]]) -> list[str]:
    """Defined section names that look like ``name`` (a misspelled parent)."""
    # Sections as deep as ``name``: a parent misspelled is one of its own level.
    depth = name.count(".") + 1
    names = {".".join(p) for p in sections if len(p) == depth}
    return difflib.get_close_matches(name, sorted(names), n=3, cutoff=0.6)
