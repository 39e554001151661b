"""The rule-based tokenizer: whitespace chunks, special cases, affixes, infixes.

Algorithm, per text:

1. Split on whitespace. A single space after a token becomes that token's trailing
   space; any other whitespace (a second space, newlines, tabs) becomes its own token,
   so ``doc.text`` always reproduces the input exactly.
2. Each whitespace-free chunk is looked up in a cache. On a miss it is split:
   a special case (exception) for the whole chunk wins; else a whole-token pattern
   (``token_match``, then ``url_match``) keeps it whole; else prefixes and suffixes are
   stripped alternately, and after every strip the remainder is checked against the
   special cases and whole-token patterns again; what is left is split at infixes.
   Pieces between infixes that are special cases are expanded too.

The cache maps a chunk to its token strings; it is cleared whenever a rule changes
(assigning ``prefix_search``/``suffix_search``/``infix_finditer``/``token_match``/
``url_match``/``rules``, or ``add_special_case``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgpack

from treadle.errors import DataError, SerializationError, TokenizerError
from treadle.lang._affixes import (
    Windowed,
    end_anchored,
    start_anchored,
    windowed_prefix,
    windowed_suffix,
)
from treadle.lang._plain import can_match_letters
from treadle.lang.char_classes import EMOJI, EMOJI_CHARS
from treadle.lang.regex_safety import check_regex
from treadle.lang.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex
from treadle.tokens import Doc
from treadle.tokens import attrs as _attrs
from treadle.tokens.strings import surrogate_message
from treadle.util import atomic_write_bytes

if TYPE_CHECKING:
    from treadle.lang.data import LanguageData
    from treadle.tokens import Vocab

SearchFn = Callable[[str], "re.Match[str] | None"]
FinditerFn = Callable[[str], Iterator["re.Match[str]"]]
MatchFn = Callable[[str], Any]

_WS_SPLIT = re.compile(r"(\s+)").split
# Inside a chunk, e-mail addresses and scheme URLs are protected from infix splitting
# ('Name"<someone@example.com>' splits around the address, not inside it).
_EMBEDDED_EMAIL = r"[\w.+%'-]*[\w.]@[\w-]+(?:\.[\w-]+)*\w"
_EMBEDDED_URL = rf"(?:https?|ftp)://[^\s<>\"]*[\w/#=&]|(?i:mailto):{_EMBEDDED_EMAIL}"
_EMBEDDED = re.compile(f"{_EMBEDDED_EMAIL}|{_EMBEDDED_URL}")
# Past the start of a search, an address may only start where a run of its characters
# starts (see _embedded): else every position of a long run rescans the run.
_EMBEDDED_AT_RUN = re.compile(f"(?<![\\w.+%'-]){_EMBEDDED_EMAIL}|{_EMBEDDED_URL}")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Emoji inside a chunk separate its text (see _split_around_emoji).
_EMOJI = re.compile(EMOJI)
_HAS_EMOJI = re.compile(f"[{EMOJI_CHARS}]").search
_TRAILING_SPACE = {n: (False,) * (n - 1) + (True,) for n in range(1, 9)}
_SERIAL_VERSION = 1
_MAX_CACHE = 500_000
# Whole-token checks of a chunk's remainders stop once it has cost this much work
# (characters handed to the regex engine): never on ordinary text, whose chunks lose a
# few affixes each, but a megabyte of "(((" is not checked a million times.
_BUDGET_BASE = 4096
_BUDGET_PER_CHAR = 32
_SHORT_WHOLE = 64  # remainders this short are always checked
# Longer chunks are not cached: they hardly repeat, and would fill memory.
_MAX_CACHED_CHUNK = 1000
_ALLOWED_ATTRS = {_attrs.ORTH: "ORTH", _attrs.NORM: "NORM"}
_RULE_FIELDS = ("prefix_search", "suffix_search", "infix_finditer", "token_match", "url_match")
# Which method of a compiled pattern each rule field holds (for serialization).
_METHOD = {
    "prefix_search": "search",
    "suffix_search": "search",
    "infix_finditer": "finditer",
    "token_match": "match",
    "url_match": "match",
}

# The methods a saved rule may name: a tokenizer file is data and must not reach any
# other attribute of a pattern (``"__class__"``).
_METHODS = {
    "prefix_search": ("search", "match"),
    "suffix_search": ("search",),
    "infix_finditer": ("finditer",),
    "token_match": ("match", "fullmatch", "search"),
    "url_match": ("match", "fullmatch", "search"),
}
_SAVED_FLAGS = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE | re.UNICODE | re.ASCII

Piece = tuple[str, str, "str | None"]  # (rule label, token text, NORM from a special case)
# A chunk's cached split: token texts, trailing-space flags, special-case norms or None,
# and the tokens' lexeme indices in the tokenizer's vocab (so a cache hit needs no
# vocab lookups; the cache is cleared when the vocab is replaced).
_CacheEntry = tuple[
    tuple[str, ...], tuple[bool, ...], "tuple[tuple[int, str], ...] | None", tuple[int, ...]
]



def _rule_from_serial(name: str, spec: Any) -> Any:
    """A rule saved by ``_rule_to_serial``, checked: a whitelisted method, known flags,
    and a regex that cannot backtrack catastrophically (:mod:`regex_safety`)."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise SerializationError(f"Tokenizer data: rule {name!r} is not a mapping: {spec!r:.80}")
    pattern, flags = spec.get("pattern"), spec.get("flags", 0)
    method = spec.get("method", _METHOD[name])
    if method not in _METHODS[name]:
        raise SerializationError(
            f"Tokenizer data: rule {name!r} names the method {method!r:.80}; a saved "
            f"{name} is one of: {', '.join(_METHODS[name])}"
        )
    if not isinstance(pattern, str):
        raise SerializationError(f"Tokenizer data: rule {name!r} has no pattern string")
    if isinstance(flags, bool) or not isinstance(flags, int) or flags & ~_SAVED_FLAGS:
        raise SerializationError(f"Tokenizer data: rule {name!r} has invalid flags {flags!r:.80}")
    try:
        check_regex(pattern, flags)
        compiled = re.compile(pattern, flags)
    except TokenizerError as err:
        raise SerializationError(f"Tokenizer data: rule {name!r}: {err}") from None
    except (re.error, ValueError, OverflowError, RecursionError) as err:
        raise SerializationError(
            f"Tokenizer data: rule {name!r} cannot be restored from {pattern!r:.80}: {err}"
        ) from None
    return getattr(compiled, method)


def _embedded(s: str) -> list[re.Match[str]]:
    """``list(_EMBEDDED.finditer(s))`` in linear time. finditer tries the address
    pattern at every position, and in a run of address characters without a valid
    ``@`` each try scans the rest of the run: quadratic. A try from inside a run fails
    whenever the try from the run's start failed (both scan to the same ``@``), so only
    run starts, and the end of the previous match, are tried."""
    found: list[re.Match[str]] = []
    pos = 0
    n = len(s)
    while pos < n:
        m = _EMBEDDED.match(s, pos) or _EMBEDDED_AT_RUN.search(s, pos + 1)
        if m is None:
            break
        found.append(m)
        pos = m.end()
    return found


class _Cache(dict[str, _CacheEntry]):
    """Chunk -> its cached split, and the set of cached chunks whose split carries
    special-case norms (so a text is checked for norms with one set operation)."""

    def __init__(self) -> None:
        super().__init__()
        self.with_norms: set[str] = set()

    def clear(self) -> None:
        super().clear()
        self.with_norms.clear()


class _Rule:
    """A replaceable tokenizer rule: reads ``_<name>``; assigning one validates it
    and clears the cache (through ``Tokenizer._set_rule``)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Tokenizer | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return getattr(obj, "_" + self.name)

    def __set__(self, obj: Tokenizer, value: Any) -> None:
        obj._set_rule(self.name, value)

class Tokenizer:
    """Split text into a Doc by rules. See the module docstring for the algorithm."""

    def __init__(
        self,
        vocab: Vocab,
        rules: Mapping[str, Iterable[Mapping[int | str, str]]] | None = None,
        prefix_search: SearchFn | None = None,
        suffix_search: SearchFn | None = None,
        infix_finditer: FinditerFn | None = None,
        token_match: MatchFn | None = None,
        url_match: MatchFn | None = None,
        *,
        max_cache: int = _MAX_CACHE,
    ) -> None:
        self._cache = _Cache()
        self.vocab = vocab
        self._prefix_search = prefix_search
        self._suffix_search = suffix_search
        self._infix_finditer = infix_finditer
        self._token_match = token_match
        self._url_match = url_match
        # string -> its pieces, labelled SPECIAL-1..n, with the NORM each sets (or None)
        self._specials: dict[str, tuple[Piece, ...]] = {}
        self.max_cache = max_cache
        # Characters handed to the regex engine while splitting chunks: a test hook that
        # shows the work per chunk grows linearly with its length.
        self.work = 0
        self._budget = 0
        if rules:
            for string, pieces in rules.items():
                self._add_special(string, pieces)
        self._derive()

    @classmethod
    def from_language_data(cls, data: LanguageData, vocab: Vocab) -> Tokenizer:
        """A tokenizer with the rules of a :class:`~treadle.lang.data.LanguageData`."""
        return cls(
            vocab,
            rules=data.tokenizer_exceptions,
            prefix_search=compile_prefix_regex(data.prefixes).search if data.prefixes else None,
            suffix_search=compile_suffix_regex(data.suffixes).search if data.suffixes else None,
            infix_finditer=(
                compile_infix_regex(data.infixes).finditer if data.infixes else None
            ),
            token_match=data.token_match,
            url_match=data.url_match,
        )

    # -- replaceable rules ---------------------------------------------------

    def _set_rule(self, name: str, value: Any) -> None:
        if value is not None and not callable(value):
            raise TokenizerError(
                f"tokenizer.{name} must be a callable (e.g. a compiled regex's "
                f".{_METHOD[name]}) or None, got {type(value).__name__}"
            )
        setattr(self, "_" + name, value)
        self._derive()
        self._cache.clear()

    @property
    def vocab(self) -> Vocab:
        """The vocab whose lexemes the Docs use; replacing it clears the cache (cached
        chunks hold lexeme indices of the old vocab)."""
        return self._vocab

    @vocab.setter
    def vocab(self, vocab: Vocab) -> None:
        self._vocab = vocab
        self._cache.clear()

    prefix_search = _Rule()
    suffix_search = _Rule()
    infix_finditer = _Rule()
    token_match = _Rule()
    url_match = _Rule()

    @property
    def rules(self) -> dict[str, list[dict[str, str]]]:
        """The special cases: string -> pieces, each ``{"ORTH": ..., "NORM": ...}``."""
        return {
            string: [{"ORTH": o} if n is None else {"ORTH": o, "NORM": n} for _, o, n in pieces]
            for string, pieces in self._specials.items()
        }

    @rules.setter
    def rules(self, rules: Mapping[str, Iterable[Mapping[int | str, str]]] | None) -> None:
        self._specials.clear()
        for string, pieces in (rules or {}).items():
            self._add_special(string, pieces)
        self._derive()
        self._cache.clear()

    # -- special cases -------------------------------------------------------

    def add_special_case(
        self, string: str, substrings: Iterable[Mapping[int | str, str]]
    ) -> None:
        """Tokenize ``string`` as the given pieces wherever it appears as a chunk (or as
        what remains of one after punctuation is split off). Each piece is a dict with
        ``ORTH`` (its text, required) and optionally ``NORM``, keyed by attribute id or
        name; the ORTHs must join to ``string``."""
        self._add_special(string, substrings)
        self._derive()
        self._cache.clear()

    def _add_special(self, string: str, substrings: Iterable[Mapping[int | str, str]]) -> None:
        if not isinstance(string, str) or not string:
            raise TokenizerError(f"Special case {string!r}: the string must be non-empty text")
        if any(c.isspace() for c in string):
            raise TokenizerError(
                f"Special case {string!r}: the string must not contain whitespace "
                "(special cases apply within one whitespace-separated chunk)"
            )
        if isinstance(substrings, (str, bytes, Mapping)) or not isinstance(substrings, Iterable):
            raise TokenizerError(
                f"Special case {string!r}: the pieces must be a list of dicts like "
                f'{{"ORTH": "..."}}, got {substrings!r:.80}'
            )
        orths: list[str] = []
        norms: list[str | None] = []
        for i, piece in enumerate(substrings):
            if not isinstance(piece, Mapping):
                raise TokenizerError(
                    f"Special case {string!r}: piece {i} must be a dict like "
                    f'{{"ORTH": "..."}}, got {piece!r}'
                )
            values: dict[int, str] = {}
            for key, value in piece.items():
                try:
                    attr = _attrs.intify_attr(key)
                except Exception as err:
                    raise TokenizerError(
                        f"Special case {string!r}: piece {i} has an unknown attribute {key!r}"
                    ) from err
                if attr not in _ALLOWED_ATTRS:
                    raise TokenizerError(
                        f"Special case {string!r}: piece {i} sets {key!r}; only ORTH and "
                        "NORM can be set by a special case"
                    )
                if not isinstance(value, str):
                    raise TokenizerError(
                        f"Special case {string!r}: piece {i} {key!r} must be a string, "
                        f"got {value!r}"
                    )
                values[attr] = value
            if _attrs.ORTH not in values or not values[_attrs.ORTH]:
                raise TokenizerError(f"Special case {string!r}: piece {i} has no ORTH text")
            orths.append(values[_attrs.ORTH])
            norms.append(values.get(_attrs.NORM))
        if "".join(orths) != string:
            raise TokenizerError(
                f"Special case {string!r}: the pieces {orths!r} join to "
                f"{''.join(orths)!r}, not to the string itself"
            )
        self._specials[string] = tuple(
            (f"SPECIAL-{i + 1}", o, n) for i, (o, n) in enumerate(zip(orths, norms, strict=True))
        )

    # -- tokenization --------------------------------------------------------

    def __call__(self, text: str) -> Doc:
        """Tokenize ``text`` into a Doc."""
        if not isinstance(text, str):
            raise TokenizerError(f"The tokenizer takes a str, got {type(text).__name__}")
        try:
            lex, spaces, norms = self._lex_and_spaces(text)
        except DataError:
            # name the position in the text, not in the token (see surrogate_message)
            m = _SURROGATE.search(text)
            if m is None:
                raise
            raise DataError(f"Tokenizer input: {surrogate_message(text, m.start())}") from None
        return Doc._from_tokenizer(self.vocab, lex, spaces, norms)

    def _lex_and_spaces(
        self, text: str
    ) -> tuple[list[int], list[bool], list[tuple[int, str]] | None]:
        """Lexeme indices, trailing-space flags, and (token index, NORM) for special-case
        norms (None when there are none): what a Doc is made of."""
        get = self._cache.get
        lex: list[int] = []
        spaces: list[bool] = []
        norms: list[tuple[int, str]] = []
        if (
            text.isprintable()
            and text
            and "  " not in text
            and text[0] != " "
            and text[-1] != " "
        ):
            # Fast path (most texts): chunks separated by single spaces, none empty. A
            # printable text has no whitespace but the plain space; any other makes
            # tokens of its own (below, as do a few invisible characters). The
            # cache lookups run in C (map); the per-chunk loop only concatenates.
            chunks = text.split(" ")
            entries = list(map(get, chunks))
            # (a miss may clear a full cache, and with it the record of norm chunks)
            with_norms = not self._cache.with_norms.isdisjoint(chunks)
            if None in entries:
                miss = self._cache_chunk
                entries = [
                    e if e is not None else miss(c) for e, c in zip(entries, chunks, strict=True)
                ]
                with_norms = any(e[2] is not None for e in entries)
            for entry in entries:
                lex += entry[3]
                spaces += entry[1]
            spaces[-1] = False
            if not with_norms:
                return lex, spaces, None
            offset = 0
            for entry in entries:
                if entry[2] is not None:
                    norms.extend((offset + k, n) for k, n in entry[2])
                offset += len(entry[3])
            return lex, spaces, norms
        ws_index = self.vocab.get_lex_index
        parts = _WS_SPLIT(text)
        parts.append("")
        for chunk, ws in zip(parts[::2], parts[1::2], strict=True):
            if chunk:
                entry = get(chunk)
                if entry is None:
                    entry = self._cache_chunk(chunk)
                if entry[2] is not None:
                    norms.extend((len(lex) + k, n) for k, n in entry[2])
                lex += entry[3]
                spaces += entry[1]
                if ws == " ":
                    continue
                if ws[:1] == " ":
                    ws = ws[1:]
                else:
                    spaces[-1] = False
            if ws:
                lex.append(ws_index(ws))
                spaces.append(False)
        return lex, spaces, norms or None

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        """Tokenize a stream of texts lazily (``batch_size`` is accepted for API parity;
        tokenization is per text)."""
        for text in texts:
            yield self(text)

    def words_and_spaces(self, text: str) -> tuple[list[str], list[bool]]:
        """The token texts and trailing-space flags ``text`` splits into."""
        words, spaces, _ = self._tokenize_with_norms(text)
        return words, spaces

    def _tokenize(self, text: str) -> tuple[list[str], list[bool]]:
        words, spaces, _ = self._tokenize_with_norms(text)
        return words, spaces

    def _tokenize_with_norms(
        self, text: str
    ) -> tuple[list[str], list[bool], list[tuple[int, str]]]:
        """Words, trailing-space flags, and (token index, NORM) for special-case norms."""
        if not isinstance(text, str):
            raise TokenizerError(f"The tokenizer takes a str, got {type(text).__name__}")
        lex, spaces, norms = self._lex_and_spaces(text)
        texts = self.vocab._texts
        return [texts[i] for i in lex], spaces, norms or []

    def _cache_chunk(self, chunk: str) -> _CacheEntry:
        index = self.vocab.get_lex_index
        norms: tuple[tuple[int, str], ...] | None = None
        if self._plain_words and chunk.isalpha() and chunk not in self._specials:
            # a plain word, which no affix rule can split (see _plain)
            entry = ((chunk,), _TRAILING_SPACE[1], None, (index(chunk),))
        else:
            pieces = self._split_chunk(chunk)
            n = len(pieces)
            # (offset within the chunk, NORM) for pieces a special case gave a norm
            if any(p[2] is not None for p in pieces):
                norms = tuple((k, p[2]) for k, p in enumerate(pieces) if p[2] is not None)
            if n == 1:
                word = pieces[0][1]
                entry = ((word,), _TRAILING_SPACE[1], norms, (index(word),))
            else:
                spaces = _TRAILING_SPACE.get(n)
                if spaces is None:
                    spaces = (False,) * (n - 1) + (True,)
                words = tuple([p[1] for p in pieces])
                entry = (words, spaces, norms, tuple(map(index, words)))
        if len(chunk) > _MAX_CACHED_CHUNK:
            return entry
        cache = self._cache
        if len(cache) >= self.max_cache:
            cache.clear()
        cache[chunk] = entry
        if norms is not None:
            cache.with_norms.add(chunk)
        return entry

    def _whole(self, string: str) -> list[Piece] | None:
        """The pieces if ``string`` is a special case or a whole-token match, else None."""
        special = self._specials.get(string) if len(string) <= self._max_special else None
        if special is not None:
            return list(special)
        return self._whole_match(string)

    def _whole_match(self, string: str) -> list[Piece] | None:
        if self._token_match is not None and self._token_match(string):
            return [("TOKEN_MATCH", string, None)]
        if self._url_match is not None and self._url_match(string):
            return [("URL_MATCH", string, None)]
        return None

    def _split_chunk(self, chunk: str) -> list[Piece]:
        """Split one whitespace-free chunk into pieces (rule label, text, special NORM).

        The remainder is ``chunk[lo:hi]``, narrowed as affixes are stripped, so no strip
        copies or rescans it (see :mod:`treadle.lang._affixes`). Whole-token checks of
        a remainder cost its length; they stop (but for short remainders) once a chunk
        has used ``_BUDGET_PER_CHAR`` characters of work per character, which only a
        long run of affixes reaches."""
        whole = self._whole(chunk)
        if whole is not None:
            return whole
        if self._infix_finditer is not None and _HAS_EMOJI(chunk):
            return self._split_around_emoji(chunk)
        prefix_at = self._prefix_at
        suffix_at = self._suffix_at
        prefixes: list[Piece] = []
        suffixes: list[Piece] = []  # collected from the end inwards
        middle: list[Piece] | None = None
        lo, hi = 0, len(chunk)
        self._budget = _BUDGET_BASE + _BUDGET_PER_CHAR * hi
        whole_in = self._whole_in
        prefix_search = self._prefix_search
        suffix_search = self._suffix_search
        while lo < hi:
            pre = lo
            suf = hi
            n = hi - lo
            if n <= _SHORT_WHOLE:
                # short remainders (nearly all): the rules on the slice, exactly, without
                # the windows' overhead
                s = chunk[lo:hi]
                if prefix_search is not None:
                    m = prefix_search(s)
                    if m is not None:
                        pre = lo + m.end()
                if suffix_search is not None:
                    m = suffix_search(s)
                    if m is not None:
                        suf = lo + m.start()
                self.work += 2 * n
            else:
                # A prefix rule is tried at one position, so on the slice while the
                # budget lasts. A suffix search tries every position, and some rules
                # rescan the rest of a run from each ("[=-]*=[=-]*" on "-----"), so it
                # is always windowed; it can miss a suffix of more than WINDOW
                # characters that is not a run (a long dash run after a bracket).
                if prefix_search is not None:
                    if self._budget >= n:
                        self._budget -= n
                        self.work += n
                        m = prefix_search(chunk[lo:hi])
                        if m is not None:
                            pre = lo + m.end()
                    elif prefix_at is not None:
                        pre, w = prefix_at(chunk, lo, hi)
                        self.work += w
                if suffix_at is not None:
                    suf, w = suffix_at(chunk, lo, hi)
                    self.work += w
            if pre == lo and suf == hi:
                break
            # Prefer a strip that leaves a special case or whole-token match behind
            # (":-)." -> ":-)" + "."), trying the prefix alone, then the suffix alone.
            if pre > lo:
                middle = whole_in(chunk, pre, hi) if pre < hi else []
                if middle is not None:
                    prefixes.append(("PREFIX", chunk[lo:pre], None))
                    lo = hi
                    break
            if suf < hi:
                middle = whole_in(chunk, lo, suf) if suf > lo else []
                if middle is not None:
                    suffixes.append(("SUFFIX", chunk[suf:hi], None))
                    lo = hi
                    break
            if pre > lo:
                prefixes.append(("PREFIX", chunk[lo:pre], None))
                if pre <= suf < hi:
                    suffixes.append(("SUFFIX", chunk[suf:hi], None))
                    hi = suf
                lo = pre
            else:
                suffixes.append(("SUFFIX", chunk[suf:hi], None))
                hi = suf
            if lo < hi:
                middle = whole_in(chunk, lo, hi)
                if middle is not None:
                    break
        if middle is None:
            middle = self._split_infixes(chunk[lo:hi]) if lo < hi else []
        suffixes.reverse()
        return prefixes + middle + suffixes

    def _whole_in(self, chunk: str, lo: int, hi: int) -> list[Piece] | None:
        """:meth:`_whole` of ``chunk[lo:hi]``, within the chunk's work budget."""
        n = hi - lo
        if n > _SHORT_WHOLE:
            if self._budget < n:
                return None
            self._budget -= n
        self.work += n
        rest = chunk[lo:hi]
        special = self._specials.get(rest) if n <= self._max_special else None
        if special is not None:
            return list(special)
        if self._plain_whole and rest.isalpha():
            # a plain word ("said" of "said,"): no rule can match or split it (_plain)
            return [("TOKEN", rest, None)]
        return self._whole_match(rest)

    def _fallback_affix(self, func: Callable[[str], Any], prefix: bool) -> Windowed:
        """A rule of unknown form is called on the whole remainder: within the chunk's
        work budget, then as if it found nothing (only long affix runs get there)."""

        def affix_at(chunk: str, lo: int, hi: int) -> tuple[int, int]:
            n = hi - lo
            none = lo if prefix else hi
            if n > _SHORT_WHOLE:
                if self._budget < n:
                    return none, 0
                self._budget -= n
            m = func(chunk[lo:hi])
            if m is None:
                return none, n
            return lo + (m.end() if prefix else m.start()), n

        return affix_at

    def _derive(self) -> None:
        """The windowed forms of the affix rules, and the longest special case."""
        self._prefix_at: Windowed | None = None
        self._suffix_at: Windowed | None = None
        if self._prefix_search is not None:
            self._prefix_at = (
                windowed_prefix(self._prefix_search)
                if start_anchored(self._prefix_search)
                else self._fallback_affix(self._prefix_search, True)
            )
        if self._suffix_search is not None:
            self._suffix_at = (
                windowed_suffix(self._suffix_search)
                if end_anchored(self._suffix_search)
                else self._fallback_affix(self._suffix_search, False)
            )
        self._max_special = max(map(len, self._specials), default=0)
        self._plain_words = not any(
            map(can_match_letters, (self._prefix_search, self._suffix_search, self._infix_finditer))
        )
        # ... and neither whole-token pattern can match one either (so even the rule
        # that explain() names for it is known)
        self._plain_whole = self._plain_words and not any(
            map(can_match_letters, (self._token_match, self._url_match))
        )

    def _split_infixes(self, s: str) -> list[Piece]:
        if self._infix_finditer is None:
            return [("TOKEN", s, None)]
        if "@" in s or "://" in s:
            found = _embedded(s)
            if found:
                return self._split_around_embedded(s, found)
        return self._infix_pieces(s)

    def _split_around_emoji(self, chunk: str) -> list[Piece]:
        """Emoji glued to text ("dunk?🍕🍔LOL", "i💙you") separate it as a space would:
        each emoji (a whole ZWJ sequence, flag or modified emoji) is one token, and the
        text between is split as chunks of its own (each shorter than ``chunk``)."""
        out: list[Piece] = []
        pos = 0
        for m in _EMOJI.finditer(chunk):
            if m.start() > pos:
                out.extend(self._split_chunk(chunk[pos : m.start()]))
            out.append(("EMOJI", m.group(), None))
            pos = m.end()
        if pos < len(chunk):
            out.extend(self._split_chunk(chunk[pos:]))
        return out

    def _split_around_embedded(self, s: str, found: list[re.Match[str]]) -> list[Piece]:
        """Keep embedded addresses whole; the text around them is split as chunks of its
        own (each strictly shorter than ``s``, so this terminates)."""
        out: list[Piece] = []
        pos = 0
        for m in found:
            if m.start() > pos:
                out.extend(self._split_chunk(s[pos : m.start()]))
            out.extend(self._whole(m.group()) or [("TOKEN", m.group(), None)])
            pos = m.end()
        if pos < len(s):
            out.extend(self._split_chunk(s[pos:]))
        return out

    def _infix_pieces(self, s: str) -> list[Piece]:
        out: list[Piece] = []
        pos = 0
        for m in self._infix_finditer(s):  # type: ignore[misc]
            start, end = m.span()
            if start == end:
                continue
            if start > pos:
                self._add_piece(out, s[pos:start])
            out.append(("INFIX", s[start:end], None))
            pos = end
        if pos < len(s):
            self._add_piece(out, s[pos:])
        return out

    def _add_piece(self, out: list[Piece], piece: str) -> None:
        """A piece between infixes: expanded if it is a special case."""
        special = self._specials.get(piece)
        if special is None:
            out.append(("TOKEN", piece, None))
        else:
            out.extend(special)

    def explain(self, text: str) -> list[tuple[str, str]]:
        """Each token of ``text`` with the rule that produced it: ``"PREFIX"``,
        ``"SUFFIX"``, ``"INFIX"``, ``"SPECIAL-n"`` (n-th piece of a special case),
        ``"EMOJI"`` (an emoji inside a chunk),
        ``"TOKEN_MATCH"``, ``"URL_MATCH"``, ``"TOKEN"`` (what remained), and ``"SPACE"``
        for whitespace tokens. The texts are exactly the tokens ``tokenizer(text)``
        gives."""
        out: list[tuple[str, str]] = []
        parts = _WS_SPLIT(text)
        parts.append("")
        for chunk, ws in zip(parts[::2], parts[1::2], strict=True):
            if chunk:
                out.extend((label, text) for label, text, _ in self._split_chunk(chunk))
                if ws[:1] == " ":
                    ws = ws[1:]
            if ws:
                out.append(("SPACE", ws))
        return out

    # -- serialization -------------------------------------------------------

    def _rule_to_serial(self, name: str) -> dict[str, Any] | None:
        func = getattr(self, "_" + name)
        pattern = getattr(func, "__self__", None)
        if (
            func is None
            or not isinstance(pattern, re.Pattern)
            or func.__name__ not in _METHODS[name]
        ):
            return None
        return {"pattern": pattern.pattern, "flags": int(pattern.flags), "method": func.__name__}

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        """The rules (regex sources and flags) and special cases as msgpack. Rules that
        are not methods of a compiled regex cannot be saved and are stored as absent."""
        excluded = set(exclude)
        data: dict[str, Any] = {"version": _SERIAL_VERSION}
        for name in _RULE_FIELDS:
            if name not in excluded:
                data[name] = self._rule_to_serial(name)
        if "rules" not in excluded:
            data["rules"] = self.rules
        return msgpack.packb(data, use_bin_type=True)

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> Tokenizer:
        """Load rules saved by :meth:`to_bytes` into this tokenizer (in place)."""
        excluded = set(exclude)
        try:
            msg = msgpack.unpackb(data, raw=False)
        except Exception as err:
            raise SerializationError(f"Tokenizer data is corrupt or truncated: {err}") from None
        if not isinstance(msg, dict) or "version" not in msg:
            raise SerializationError("Tokenizer data is not a saved tokenizer (no version)")
        if msg["version"] != _SERIAL_VERSION:
            raise SerializationError(
                f"Tokenizer data has version {msg['version']!r}; this treadle reads "
                f"version {_SERIAL_VERSION}"
            )
        for name in _RULE_FIELDS:
            if name in excluded or name not in msg:
                continue
            setattr(self, "_" + name, _rule_from_serial(name, msg[name]))
        if "rules" in msg and "rules" not in excluded:
            rules = msg["rules"]
            if not isinstance(rules, dict):
                raise SerializationError("Tokenizer data: 'rules' is not a mapping")
            try:
                self.rules = rules
            except TokenizerError as err:
                raise SerializationError(f"Tokenizer data: {err}") from None
        self._derive()
        self._cache.clear()
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        """Write :meth:`to_bytes` to the file ``path`` (atomically)."""
        atomic_write_bytes(path, self.to_bytes(exclude=exclude))

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> Tokenizer:
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as err:
            raise SerializationError(f"Cannot read tokenizer file {path}: {err}") from None
        try:
            return self.from_bytes(data, exclude=exclude)
        except SerializationError as err:
            raise SerializationError(f"{path}: {err}") from None
