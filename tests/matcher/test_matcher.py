"""Matcher: operators, predicates, greedy filtering, callbacks, spans, extensions, errors."""

from __future__ import annotations

import random

import pytest

from treadle.errors import MatchPatternError, TreadleError
from treadle.matcher import Matcher
from treadle.tokens import Doc, Span, Token, Vocab


def spans(matcher: Matcher, doc: Doc) -> list[tuple[str, int, int]]:
    return [(doc.vocab.strings[m], s, e) for m, s, e in matcher(doc)]


def offsets(matcher: Matcher, doc: Doc, key: str | None = None) -> list[tuple[int, int]]:
    return [(s, e) for k, s, e in spans(matcher, doc) if key is None or k == key]


def make(vocab: Vocab, text: str, **kwargs) -> Doc:
    return Doc(vocab, text.split(), **kwargs)


# -- basics ------------------------------------------------------------------------


def test_literal_match_ids_and_order(vocab):
    doc = make(vocab, "Hello world hello World")
    m = Matcher(vocab)
    m.add("HW", [[{"LOWER": "hello"}, {"LOWER": "world"}]])
    m.add("W", [[{"ORTH": "World"}]])
    matches = m(doc)
    assert [(s, e) for _, s, e in matches] == [(0, 2), (2, 4), (3, 4)]
    assert matches[0][0] == vocab.strings["HW"] == vocab.strings.add("HW")
    assert vocab.strings[matches[2][0]] == "W"


def test_attribute_names_are_case_insensitive_and_text_is_orth(vocab):
    doc = make(vocab, "a B c")
    m = Matcher(vocab)
    m.add("K", [[{"text": "B"}], [{"Lower": "c"}]])
    assert offsets(m, doc) == [(1, 2), (2, 3)]


def test_len_contains_get_remove(vocab):
    m = Matcher(vocab)
    pattern = [{"LOWER": "x"}]
    m.add("A", [pattern])
    m.add("B", [[{"LOWER": "y"}]])
    assert len(m) == 2 and "A" in m and vocab.strings["A"] in m and "C" not in m
    on_match, patterns = m.get("A")
    assert on_match is None and patterns == [pattern]
    assert m.get("C") is None
    m.add("A", [[{"LOWER": "z"}]])  # extends the key
    assert len(m.get("A")[1]) == 2 and len(m) == 2
    m.remove("A")
    assert "A" not in m and len(m) == 1
    assert offsets(m, make(vocab, "x y z")) == [(1, 2)]
    with pytest.raises(KeyError):
        m.remove("A")


def test_empty_matcher_and_empty_doc(vocab):
    m = Matcher(vocab)
    assert m(make(vocab, "a b")) == []
    m.add("A", [[{"LOWER": "a"}]])
    assert m(Doc(vocab, [])) == []


# -- operators ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "op,text,expected",
    [
        ("?", "x b", [(0, 1)]),
        ("?", "x a b", [(0, 1), (0, 2)]),
        ("*", "x a a b", [(0, 1), (0, 2), (0, 3)]),
        ("+", "x a a b", [(0, 2), (0, 3)]),
        ("+", "x b", []),
        ("{2}", "x a a a", [(0, 3)]),
        ("{2,}", "x a a a", [(0, 3), (0, 4)]),
        ("{,2}", "x a a a", [(0, 1), (0, 2), (0, 3)]),
        ("{1,2}", "x a a a", [(0, 2), (0, 3)]),
    ],
)
def test_quantifiers_find_all_lengths(vocab, op, text, expected):
    m = Matcher(vocab)
    m.add("Q", [[{"LOWER": "x"}, {"LOWER": "a", "OP": op}]])
    assert offsets(m, make(vocab, text)) == expected


def test_quantifier_in_the_middle(vocab):
    m = Matcher(vocab)
    m.add("Q", [[{"LOWER": "x"}, {"LOWER": "a", "OP": "*"}, {"LOWER": "y"}]])
    assert offsets(m, make(vocab, "x y x a a y a y")) == [(0, 2), (2, 6)]


def test_negation_consumes_one_token(vocab):
    m = Matcher(vocab)
    m.add("N", [[{"LOWER": "a"}, {"LOWER": "b", "OP": "!"}, {"LOWER": "c"}]])
    assert offsets(m, make(vocab, "a x c a b c a c")) == [(0, 3)]
    m2 = Matcher(vocab)
    m2.add("N", [[{"LOWER": "a"}, {"LOWER": "b", "OP": "!"}]])
    # at the end of the Doc there is no token to consume
    assert offsets(m2, make(vocab, "a b a x a")) == [(2, 4)]


def test_leading_negation_and_all_optional_pattern(vocab):
    m = Matcher(vocab)
    m.add("N", [[{"IS_PUNCT": True, "OP": "!"}, {"LOWER": "x"}]])
    assert offsets(m, make(vocab, "x a x , x")) == [(1, 3)]
    m2 = Matcher(vocab)
    m2.add("O", [[{"LOWER": "a", "OP": "?"}, {"LOWER": "b", "OP": "*"}]])
    # no empty matches
    assert offsets(m2, make(vocab, "a b c")) == [(0, 1), (0, 2), (1, 2)]


def test_empty_dict_matches_any_token(vocab):
    m = Matcher(vocab)
    m.add("A", [[{"LOWER": "a"}, {}, {"LOWER": "c"}]])
    m.add("ANY", [[{"OP": "+"}]])
    doc = make(vocab, "a b c")
    assert offsets(m, doc, "A") == [(0, 3)]
    assert len(offsets(m, doc, "ANY")) == 6


def _brute_force(pattern, words):
    """All (start, end) a pattern matches, by exhaustive recursion (the reference)."""

    def ok(tok, i):
        if "LOWER" in tok:
            return words[i].lower() == tok["LOWER"]
        if "IN" in tok:
            return words[i] in tok["IN"]
        return True

    n = len(words)

    def ends(t, pos):
        if t == len(pattern):
            return {pos}
        tok = pattern[t]
        op = tok.get("OP", "1")
        if op == "!":
            return ends(t + 1, pos + 1) if pos < n and not ok(tok, pos) else set()
        lo, hi = {"1": (1, 1), "?": (0, 1), "*": (0, n), "+": (1, n), "{2}": (2, 2),
                  "{1,3}": (1, 3)}[op]
        out = set()
        for count in range(lo, hi + 1):
            if pos + count > n or not all(ok(tok, pos + k) for k in range(count)):
                break
            out |= ends(t + 1, pos + count)
        return out

    return sorted({(s, e) for s in range(n) for e in ends(0, s) if e > s})


def test_random_patterns_agree_with_brute_force(vocab):
    rng = random.Random(7)
    alphabet = ["a", "b", "c"]
    ops = ["1", "?", "*", "+", "!", "{2}", "{1,3}"]
    for _ in range(300):
        words = [rng.choice(alphabet) for _ in range(rng.randint(1, 9))]
        pattern = []
        for _ in range(rng.randint(1, 4)):
            tok: dict = rng.choice([{"LOWER": rng.choice(alphabet)}, {"IN": ["a", "b"]}, {}])
            tok = dict(tok)
            op = rng.choice(ops)
            if op != "1":
                tok["OP"] = op
            pattern.append(tok)
        mpattern = [
            {("ORTH" if k == "IN" else k): ({"IN": v} if k == "IN" else v) for k, v in t.items()}
            for t in pattern
        ]
        m = Matcher(vocab)
        m.add("R", [mpattern])
        assert offsets(m, Doc(vocab, words)) == _brute_force(pattern, words), (pattern, words)


def test_with_alignments(vocab):
    m = Matcher(vocab)
    m.add("A", [[{"LOWER": "a"}, {"LOWER": "b", "OP": "*"}, {"LOWER": "c"}]])
    (match,) = m(make(vocab, "a b b c"), with_alignments=True)
    assert match[1:] == (0, 4, [0, 1, 1, 2])


# -- predicates --------------------------------------------------------------------


def test_in_not_in(vocab):
    doc = make(vocab, "red green blue Red")
    m = Matcher(vocab)
    m.add("IN", [[{"LOWER": {"IN": ["red", "blue"]}}]])
    m.add("NOT", [[{"ORTH": {"NOT_IN": ["red", "green"]}}]])
    assert offsets(m, doc, "IN") == [(0, 1), (2, 3), (3, 4)]
    assert offsets(m, doc, "NOT") == [(2, 3), (3, 4)]


def test_regex(vocab):
    doc = make(vocab, "cat 2024 dog 12ab")
    m = Matcher(vocab)
    m.add("NUM", [[{"TEXT": {"REGEX": r"^\d+$"}}]])
    m.add("SEARCH", [[{"TEXT": {"REGEX": "o"}}]])  # re.search: anywhere in the string
    assert offsets(m, doc, "NUM") == [(1, 2)]
    assert offsets(m, doc, "SEARCH") == [(2, 3)]
    # the per-value cache gives the same answers on a second Doc
    assert offsets(m, make(vocab, "99 cat"), "NUM") == [(0, 1)]


@pytest.mark.parametrize(
    "pred,value,expected",
    [(">=", 4, [1, 3]), ("<=", 3, [0, 2]), (">", 4, [3]), ("<", 2, [2]), ("==", 3, [0]),
     ("!=", 3, [1, 2, 3])],
)
def test_length_comparisons(vocab, pred, value, expected):
    doc = make(vocab, "the long a elephant")
    m = Matcher(vocab)
    m.add("L", [[{"LENGTH": {pred: value}}]])
    assert [s for s, _ in offsets(m, doc)] == expected


def test_several_predicates_all_must_hold(vocab):
    doc = make(vocab, "apple apricot banana avocado")
    m = Matcher(vocab)
    m.add("A", [[{"LOWER": {"REGEX": "^a", "NOT_IN": ["avocado"]}, "LENGTH": {">": 5}}]])
    assert offsets(m, doc) == [(1, 2)]


def test_flags_and_like_num(vocab):
    doc = make(vocab, "Ten 10 dogs , UPPER")
    m = Matcher(vocab)
    m.add("DIG", [[{"IS_DIGIT": True}]])
    m.add("NUM", [[{"LIKE_NUM": True}]])
    m.add("PUNCT", [[{"IS_PUNCT": True}]])
    m.add("NOTALPHA", [[{"IS_ALPHA": False}]])
    m.add("UP", [[{"IS_UPPER": True}]])
    m.add("TITLE", [[{"IS_TITLE": True}]])
    assert offsets(m, doc, "DIG") == [(1, 2)]
    assert (1, 2) in offsets(m, doc, "NUM")
    assert offsets(m, doc, "PUNCT") == [(3, 4)]
    assert offsets(m, doc, "NOTALPHA") == [(1, 2), (3, 4)]
    assert offsets(m, doc, "UP") == [(4, 5)]
    assert offsets(m, doc, "TITLE") == [(0, 1)]


def test_shape_prefix_suffix_norm(vocab):
    doc = make(vocab, "Apple 1234 running")
    m = Matcher(vocab)
    m.add("SHAPE", [[{"SHAPE": "dddd"}]])
    m.add("SUF", [[{"SUFFIX": "ing"}]])
    m.add("PRE", [[{"PREFIX": "A"}]])
    m.add("NORM", [[{"NORM": "apple"}]])
    assert offsets(m, doc, "SHAPE") == [(1, 2)]
    assert offsets(m, doc, "SUF") == [(2, 3)]
    assert offsets(m, doc, "PRE") == [(0, 1)]
    assert offsets(m, doc, "NORM") == [(0, 1)]


def test_token_annotations(vocab):
    doc = make(
        vocab, "She saw two dogs",
        tags=["PRP", "VBD", "CD", "NNS"], pos=["PRON", "VERB", "NUM", "NOUN"],
        lemmas=["she", "see", "two", "dog"], heads=[1, 1, 3, 1],
        deps=["nsubj", "ROOT", "nummod", "obj"], ents=["O", "O", "B-CARDINAL", "O"],
    )
    m = Matcher(vocab)
    m.add("POS", [[{"POS": "NUM"}, {"POS": "NOUN"}]])
    m.add("TAG", [[{"TAG": {"IN": ["VBD", "VBZ"]}}]])
    m.add("LEMMA", [[{"LEMMA": "see"}, {}, {"LEMMA": "dog"}]])
    m.add("DEP", [[{"DEP": "nsubj"}]])
    m.add("ENT", [[{"ENT_TYPE": "CARDINAL"}]])
    m.add("IOB", [[{"ENT_IOB": "B"}]])
    m.add("POSRX", [[{"POS": {"REGEX": "^N"}}]])
    assert offsets(m, doc, "POS") == [(2, 4)]
    assert offsets(m, doc, "TAG") == [(1, 2)]
    assert offsets(m, doc, "LEMMA") == [(1, 4)]
    assert offsets(m, doc, "DEP") == [(0, 1)]
    assert offsets(m, doc, "ENT") == [(2, 3)]
    assert offsets(m, doc, "IOB") == [(2, 3)]
    assert offsets(m, doc, "POSRX") == [(2, 3), (3, 4)]


def test_sentence_start(vocab):
    doc = make(vocab, "A b . C d", sent_starts=[True, False, False, True, False])
    m = Matcher(vocab)
    m.add("S", [[{"IS_SENT_START": True}, {}]])
    m.add("NS", [[{"IS_SENT_START": False, "LOWER": "b"}]])
    assert offsets(m, doc, "S") == [(0, 2), (3, 5)]
    assert offsets(m, doc, "NS") == [(1, 2)]
    # without boundaries, only the first token starts a sentence
    assert offsets(m, make(vocab, "A b C"), "S") == [(0, 2)]


def test_morph_literal_and_set_predicates(vocab):
    doc = make(
        vocab, "I saw them here",
        morphs=["Case=Nom|Number=Sing|Person=1", "Mood=Ind|Tense=Past|VerbForm=Fin",
                "Case=Acc|Number=Plur|Person=3", ""],
    )
    m = Matcher(vocab)
    # literal: canonical form, order of features does not matter
    m.add("LIT", [[{"MORPH": "Person=1|Number=Sing|Case=Nom"}]])
    m.add("SUPER", [[{"MORPH": {"IS_SUPERSET": ["Number=Plur"]}}]])
    m.add("SUB", [[{"MORPH": {"IS_SUBSET": ["Case=Nom", "Number=Sing", "Person=1", "Case=Acc"]}}]])
    m.add("INTER", [[{"MORPH": {"INTERSECTS": ["Tense=Past", "Person=3"]}}]])
    m.add("NONE", [[{"MORPH": ""}]])
    assert offsets(m, doc, "LIT") == [(0, 1)]
    assert offsets(m, doc, "SUPER") == [(2, 3)]
    # the featureless token is a subset of anything
    assert offsets(m, doc, "SUB") == [(0, 1), (3, 4)]
    assert offsets(m, doc, "INTER") == [(1, 2), (2, 3)]
    assert offsets(m, doc, "NONE") == [(3, 4)]


def test_set_predicates_on_string_attribute(vocab):
    doc = make(vocab, "a b c")
    m = Matcher(vocab)
    m.add("S", [[{"ORTH": {"IS_SUBSET": ["a", "c"]}}]])
    m.add("I", [[{"ORTH": {"INTERSECTS": ["b"]}}]])
    assert offsets(m, doc, "S") == [(0, 1), (2, 3)]
    assert offsets(m, doc, "I") == [(1, 2)]


def test_fuzzy(vocab):
    doc = make(vocab, "definately definitely defnitely dog")
    m = Matcher(vocab)
    m.add("F", [[{"LOWER": {"FUZZY": "definitely"}}]])
    m.add("F1", [[{"LOWER": {"FUZZY1": "definitely"}}]])
    m.add("FIN", [[{"LOWER": {"FUZZY1": {"IN": ["dig", "cat"]}}}]])
    assert offsets(m, doc, "F") == [(0, 1), (1, 2), (2, 3)]
    assert offsets(m, doc, "F1") == [(0, 1), (1, 2), (2, 3)]
    assert offsets(m, doc, "FIN") == [(3, 4)]
    m2 = Matcher(vocab)
    m2.add("F1", [[{"LOWER": {"FUZZY1": "defntly"}}]])
    assert offsets(m2, doc) == []


# -- extension attributes ------------------------------------------------------------


def test_extension_attributes(vocab):
    Token.set_extension("matcher_fruit", getter=lambda t: t.lower_ in ("apple", "pear"),
                        force=True)
    Token.set_extension("matcher_score", default=0, force=True)
    try:
        doc = make(vocab, "an apple and a pear")
        doc[0]._.matcher_score = 5
        doc[3]._.matcher_score = 2
        m = Matcher(vocab)
        m.add("FRUIT", [[{"_": {"matcher_fruit": True}}]])
        m.add("SCORE", [[{"_": {"matcher_score": {">=": 2}}}, {"_": {"matcher_fruit": True}}]])
        m.add("IN", [[{"_": {"matcher_score": {"IN": [5]}}}]])
        assert offsets(m, doc, "FRUIT") == [(1, 2), (4, 5)]
        assert offsets(m, doc, "SCORE") == [(0, 2), (3, 5)]
        assert offsets(m, doc, "IN") == [(0, 1)]
    finally:
        Token.remove_extension("matcher_fruit")
        Token.remove_extension("matcher_score")


def test_unregistered_extension_is_a_treadle_error(vocab):
    m = Matcher(vocab)
    m.add("X", [[{"_": {"matcher_no_such_ext": True}}]])
    with pytest.raises(MatchPatternError, match="matcher_no_such_ext"):
        m(make(vocab, "a b"))


# -- greedy ------------------------------------------------------------------------


def test_greedy_longest_and_first(vocab):
    doc = make(vocab, "a a a b a a")
    m = Matcher(vocab)
    m.add("ALL", [[{"LOWER": "a", "OP": "+"}]])
    m.add("LONG", [[{"LOWER": "a", "OP": "+"}]], greedy="LONGEST")
    m.add("FIRST", [[{"LOWER": "a", "OP": "+"}, {"LOWER": "b", "OP": "?"}]], greedy="FIRST")
    assert len(offsets(m, doc, "ALL")) == 6 + 3
    assert offsets(m, doc, "LONG") == [(0, 3), (4, 6)]
    assert offsets(m, doc, "FIRST") == [(0, 4), (4, 6)]


def test_greedy_longest_prefers_longer_over_earlier(vocab):
    doc = make(vocab, "x y z")
    m = Matcher(vocab)
    m.add("K", [[{"LOWER": "x"}, {"LOWER": "y"}], [{"LOWER": "y"}, {"LOWER": "z"}, {"OP": "?"}],
                [{"LOWER": "z"}]], greedy="LONGEST")
    assert offsets(m, doc) == [(0, 2), (2, 3)]
    m2 = Matcher(vocab)
    m2.add("K", [[{"LOWER": "x"}], [{"LOWER": "y"}, {"LOWER": "z"}]], greedy="LONGEST")
    m2.add("K2", [[{"LOWER": "x"}, {"LOWER": "y"}, {"LOWER": "z"}]])
    # greedy filtering is per key: K2's overlapping match stays
    assert offsets(m2, doc) == [(0, 1), (0, 3), (1, 3)]


def test_invalid_greedy(vocab):
    with pytest.raises(MatchPatternError, match="greedy"):
        Matcher(vocab).add("K", [[{"LOWER": "a"}]], greedy="LAST")


# -- callbacks and spans -------------------------------------------------------------


def test_on_match_callback(vocab):
    calls = []

    def on_match(matcher, doc, i, matches):
        calls.append((i, matches[i][1], matches[i][2]))
        assert isinstance(matcher, Matcher)

    doc = make(vocab, "a b a")
    m = Matcher(vocab)
    m.add("A", [[{"LOWER": "a"}]], on_match=on_match)
    m.add("B", [[{"LOWER": "b"}]])
    m(doc)
    assert calls == [(0, 0, 1), (2, 2, 3)]


def test_callback_can_edit_matches_before_spans(vocab):
    def drop_first(matcher, doc, i, matches):
        if i == 0:
            del matches[0]

    m = Matcher(vocab)
    m.add("A", [[{"LOWER": "a"}]], on_match=drop_first)
    result = m(make(vocab, "a a"), as_spans=True)
    assert [(s.start, s.end) for s in result] == [(1, 2)]


def test_as_spans_label(vocab):
    doc = make(vocab, "New York is big")
    m = Matcher(vocab)
    m.add("GPE", [[{"ORTH": "New"}, {"ORTH": "York"}]])
    (span,) = m(doc, as_spans=True)
    assert isinstance(span, Span) and span.label_ == "GPE" and span.text == "New York"


def test_match_on_span_uses_doc_offsets(vocab):
    doc = make(vocab, "a b a b a b")
    m = Matcher(vocab)
    m.add("AB", [[{"LOWER": "a"}, {"LOWER": "b"}]])
    m.add("NEG", [[{"LOWER": "x", "OP": "!"}, {"LOWER": "a"}]])
    assert offsets(m, doc[1:5], "AB") == [(2, 4)]
    # the span edge bounds the match: the token before the span is not consumed
    assert offsets(m, doc[2:6], "NEG") == [(3, 5)]
    assert [s.text for s in m(doc[1:5], as_spans=True) if s.label_ == "AB"] == ["a b"]


def test_pattern_changes_after_matching(vocab):
    doc = make(vocab, "a b")
    m = Matcher(vocab)
    m.add("A", [[{"LOWER": "a"}]])
    assert offsets(m, doc) == [(0, 1)]
    m.add("B", [[{"LOWER": "b"}]])
    assert offsets(m, doc) == [(0, 1), (1, 2)]
    m.remove("A")
    assert offsets(m, doc) == [(1, 2)]


def test_many_patterns_share_checks(vocab):
    words = [f"w{i}" for i in range(500)]
    m = Matcher(vocab)
    for i, w in enumerate(words):
        m.add(f"K{i % 50}", [[{"LOWER": w}, {"IS_ALPHA": False, "OP": "?"}]])
    doc = Doc(vocab, ["w3", "x", "w499", "1", "w10"])
    found = spans(m, doc)
    assert ("K3", 0, 1) in found and ("K49", 2, 3) in found and ("K49", 2, 4) in found
    assert ("K10", 4, 5) in found and len(found) == 4


# -- errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "patterns,fragments",
    [
        ([[{"LOWR": "a"}]], ["key 'BAD'", "pattern 0", "token 0", "LOWR", "LOWER"]),
        ([[{"LOWER": "a"}], [{"LOWER": "a"}, {"POS": "NOUNS"}]],
         ["pattern 1", "token 1", "NOUNS", "'NOUN'"]),
        ([[{"LOWER": "a", "OP": "++"}]], ["unknown operator", "'++'"]),
        ([[{"LOWER": "a", "OP": "{3,1}"}]], ["maximum 1 is below the minimum 3"]),
        ([[{"LOWER": {"REGX": "a"}}]], ["unknown predicate 'REGX'", "REGEX"]),
        ([[{"LOWER": {"REGEX": "("}}]], ["invalid REGEX"]),
        ([[{"LENGTH": "3"}]], ["LENGTH takes an integer", "'3'"]),
        ([[{"LENGTH": {">=": "3"}}]], ["takes a number"]),
        ([[{"LOWER": {">=": 3}}]], ["numeric attribute", "LOWER"]),
        ([[{"LOWER": 1.5}]], ["LOWER takes a string"]),
        ([[{"IS_ALPHA": "yes"}]], ["IS_ALPHA takes True or False"]),
        ([[{"LOWER": {"IN": "abc"}}]], ["IN for LOWER takes a list"]),
        ([[{"MORPH": {"IS_SUBSET": ["Plur"]}}]], ["Field=Value"]),
        ([[{"LENGTH": {"REGEX": "1"}}]], ["REGEX applies to string attributes"]),
        ([[{"_": "x"}]], ["'_' takes a dict"]),
        ([["LOWER"]], ["each token of a pattern is a dict"]),
        ([[]], ["pattern is empty"]),
        ([[{"LOWER": "a", "OP": "{0}"}]], ["matches nothing"]),
    ],
)
def test_invalid_patterns_name_key_pattern_token(vocab, patterns, fragments):
    m = Matcher(vocab)
    with pytest.raises(MatchPatternError) as info:
        m.add("BAD", patterns)
    message = str(info.value)
    assert "'BAD'" in message
    for fragment in fragments:
        assert fragment in message
    assert isinstance(info.value, TreadleError) and isinstance(info.value, ValueError)
    assert "BAD" not in m  # nothing half-added


def test_patterns_must_be_a_list_of_patterns(vocab):
    m = Matcher(vocab)
    with pytest.raises(MatchPatternError, match="wrap a single pattern"):
        m.add("K", [{"LOWER": "a"}])
    with pytest.raises(MatchPatternError, match="list of patterns"):
        m.add("K", {"LOWER": "a"})
    with pytest.raises(MatchPatternError, match="No patterns"):
        m.add("K", [])
    with pytest.raises(MatchPatternError, match="non-empty strings"):
        m.add("", [[{"LOWER": "a"}]])


def test_failed_add_to_existing_key_keeps_old_patterns(vocab):
    m = Matcher(vocab)
    m.add("K", [[{"LOWER": "a"}]])
    with pytest.raises(MatchPatternError, match="pattern 1"):
        m.add("K", [[{"LOWR": "b"}]])
    assert len(m.get("K")[1]) == 1
    assert offsets(m, make(vocab, "a b")) == [(0, 1)]


def test_lexeme_results_follow_vocab_overrides(vocab):
    # Results for lexeme attributes are cached per word; changing a lexeme must show.
    m = Matcher(vocab)
    m.add("STOP", [[{"IS_STOP": True}]])
    doc = make(vocab, "zyx")
    assert offsets(m, doc) == []
    vocab["zyx"].is_stop = True
    assert offsets(m, doc) == [(0, 1)]


def test_new_words_after_first_call_and_norm_overrides(vocab):
    m = Matcher(vocab)
    m.add("N", [[{"NORM": "going"}]])
    m.add("L", [[{"LOWER": "brandnew"}]])
    assert offsets(m, make(vocab, "a b")) == []
    doc = Doc(vocab, ["gonna", "BrandNew"], norms=["going", None])
    assert spans(m, doc) == [("N", 0, 1), ("L", 1, 2)]


def test_docs_from_another_vocab(vocab):
    m = Matcher(vocab)
    m.add("A", [[{"LOWER": "apple"}]])
    other = Vocab()
    other.get_lex_index("filler")  # different lexeme indices for the same words
    assert offsets(m, make(vocab, "apple pie")) == [(0, 1)]
    assert offsets(m, Doc(other, ["pie", "Apple"])) == [(1, 2)]
    assert offsets(m, make(vocab, "pie apple")) == [(1, 2)]


def test_many_literal_patterns_keyed_by_two_tokens(vocab):
    # Patterns starting with two required tokens are indexed by both; the result must
    # not depend on which of the two lookups (by position or by pattern) is used.
    m = Matcher(vocab)
    words = [f"t{i}" for i in range(40)]
    for i in range(40):
        m.add(f"P{i}", [[{"LOWER": words[i]}, {"LOWER": words[(i + 1) % 40]}, {"OP": "?"}]])
    m.add("SHORT", [[{"LOWER": "t1"}, {"LOWER": {"IN": ["t2", "t3"]}}]])
    doc = Doc(vocab, ["t1", "t2", "t3", "t5", "t1", "t3"])
    assert spans(m, doc) == [
        ("P1", 0, 2), ("SHORT", 0, 2), ("P1", 0, 3), ("P2", 1, 3), ("P2", 1, 4),
        ("SHORT", 4, 6),
    ]


def test_allow_missing_false_reports_missing_annotation(vocab):
    m = Matcher(vocab)
    m.add("NOUNS", [[{"POS": "NOUN"}]])
    bare = make(vocab, "dogs bark")
    assert m(bare) == []  # allowed by default
    with pytest.raises(MatchPatternError, match=r"'NOUNS' match on POS.*no POS annotation"):
        m(bare, allow_missing=False)
    tagged = make(vocab, "dogs bark", pos=["NOUN", "VERB"])
    assert offsets(m, tagged) == [(0, 1)]
    assert len(m(tagged, allow_missing=False)) == 1


def test_hash_literals_iob_and_length_in(vocab):
    doc = make(vocab, "John lives in New York", ents=["B-PER", "O", "O", "B-GPE", "I-GPE"])
    m = Matcher(vocab)
    m.add("HASH", [[{"ORTH": vocab.strings.add("lives")}]])
    m.add("ENT", [[{"ENT_IOB": "B"}, {"ENT_IOB": "I", "OP": "*"}]], greedy="LONGEST")
    m.add("LEN", [[{"LENGTH": {"IN": [2, 3]}}]])
    m.add("SS", [[{"SENT_START": True}]])
    assert offsets(m, doc, "HASH") == [(1, 2)]
    assert offsets(m, doc, "ENT") == [(0, 1), (3, 5)]
    assert offsets(m, doc, "LEN") == [(2, 3), (3, 4)]
    assert offsets(m, doc, "SS") == [(0, 1)]


def test_greedy_keeps_alignments(vocab):
    m = Matcher(vocab)
    m.add("A", [[{"LOWER": "a"}, {"LOWER": "b", "OP": "*"}]], greedy="LONGEST")
    (match,) = m(make(vocab, "a b b"), with_alignments=True)
    assert match[1:] == (0, 3, [0, 1, 1])
