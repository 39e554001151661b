"""English special cases: contractions (split as Universal Dependencies does, with the
normal form of each piece), informal fused forms, and abbreviations that keep their
period.

Every contraction is generated in lower, Title and UPPER case and with both the
straight (') and typographic (’) apostrophe, so "Don't", "DON'T" and "don’t" all split.
"""

from __future__ import annotations

from collections.abc import Iterable

Exceptions = dict[str, list[dict[str, str]]]

_APOSTROPHES = ("'", "’")

# Auxiliaries whose negation is written X + n't with X unchanged.
_REGULAR_NEGATED = ["do", "does", "did", "is", "are", "was", "were", "has", "have", "had", "could", "would", "should", "might", "must", "need", "dare", "ought"]
# Negations where the auxiliary's written form changes: piece -> NORM of that piece.
_IRREGULAR_NEGATED = {"ca": "can", "wo": "will", "sha": "shall", "ai": "be"}

# Pronouns (and a few wh-words) that take 'm/'re/'ve/'ll/'d/'s clitics.
_CLITICS = {
    "'m": ("am", ["i"]),
    "'re": ("are", ["you", "we", "they", "who", "what", "there", "here", "where", "how"]),
    "'ve": (
        "have",
        ["i", "you", "we", "they", "who", "what", "there", "could", "would", "should",
         "might", "must"],
    ),
    "'ll": (
        "will",
        ["i", "you", "he", "she", "it", "we", "they", "who", "what", "there", "that", "this"],
    ),
    "'d": (
        "'d",
        ["i", "you", "he", "she", "it", "we", "they", "who", "what", "there", "that"],
    ),
    "'s": (
        "'s",
        ["he", "she", "it", "that", "there", "here", "what", "who", "where", "how", "when",
         "why", "everyone", "everybody", "nobody", "someone", "somebody", "this"],
    ),
}


def _case_variants(pieces: list[str]) -> Iterable[list[str]]:
    """lower, Title (first piece capitalised) and UPPER variants of a split form."""
    yield [p.lower() for p in pieces]
    first = pieces[0]
    yield [first[:1].upper() + first[1:].lower()] + [p.lower() for p in pieces[1:]]
    yield [p.upper() for p in pieces]


def _add(exc: Exceptions, pieces: list[str], norms: list[str | None]) -> None:
    for apos in _APOSTROPHES:
        for variant in _case_variants(pieces):
            variant = [p.replace("'", apos) for p in variant]
            entry = []
            for orth, nrm in zip(variant, norms, strict=True):
                attrs = {"ORTH": orth}
                if nrm is not None:
                    attrs["NORM"] = nrm
                entry.append(attrs)
            exc.setdefault("".join(variant), entry)


def _contractions() -> Exceptions:
    exc: Exceptions = {}
    for aux in _REGULAR_NEGATED:
        _add(exc, [aux, "n't"], [aux, "not"])
    for piece, full in _IRREGULAR_NEGATED.items():
        _add(exc, [piece, "n't"], [full, "not"])
    for clitic, (norm, hosts) in _CLITICS.items():
        for host in hosts:
            _add(exc, [host, clitic], [host, norm])
    _add(exc, ["let", "'s"], ["let", "us"])
    # Stand-alone clitics (after a space, as in "Jones 's") stay one token.
    for piece in ("'s", "'m", "'re", "'ve", "'ll", "'d", "n't"):
        _add(exc, [piece], [None])
    # Fused informal forms without an apostrophe, split as UD English does.
    fused = {
        "cannot": (["can", "not"], ["can", "not"]),
        "gonna": (["gon", "na"], ["going", "to"]),
        "wanna": (["wan", "na"], ["want", "to"]),
        "gotta": (["got", "ta"], ["got", "to"]),
        "outta": (["out", "ta"], ["out", "of"]),
        "sorta": (["sort", "a"], ["sort", "of"]),
        "gimme": (["gim", "me"], ["give", "me"]),
        "lemme": (["lem", "me"], ["let", "me"]),
        "dunno": (["du", "n", "no"], ["do", "not", "know"]),
        "dont": (["do", "nt"], ["do", "not"]),
        "didnt": (["did", "nt"], ["did", "not"]),
        "doesnt": (["does", "nt"], ["does", "not"]),
        "isnt": (["is", "nt"], ["is", "not"]),
        "arent": (["are", "nt"], ["are", "not"]),
        "wasnt": (["was", "nt"], ["was", "not"]),
        "werent": (["were", "nt"], ["were", "not"]),
        "hasnt": (["has", "nt"], ["has", "not"]),
        "havent": (["have", "nt"], ["have", "not"]),
        "hadnt": (["had", "nt"], ["had", "not"]),
        "couldnt": (["could", "nt"], ["could", "not"]),
        "wouldnt": (["would", "nt"], ["would", "not"]),
        "shouldnt": (["should", "nt"], ["should", "not"]),
        "cant": (["ca", "nt"], ["can", "not"]),
        "aint": (["ai", "nt"], ["be", "not"]),
        "im": (["i", "m"], ["i", "am"]),
        "ive": (["i", "ve"], ["i", "have"]),
        "youre": (["you", "re"], ["you", "are"]),
        "theyre": (["they", "re"], ["they", "are"]),
        "thats": (["that", "s"], ["that", "'s"]),
        "whats": (["what", "s"], ["what", "'s"]),
        "theres": (["there", "s"], ["there", "'s"]),
        "y'all": (["y'", "all"], ["you", "all"]),
    }
    for pieces, norms in fused.values():
        _add(exc, pieces, norms)
    # "Lets" at the start of a sentence is nearly always "Let's"; lower-case "lets" is
    # usually the verb, so only the capitalised forms split.
    for orth in ("Lets", "LETS"):
        exc[orth] = [{"ORTH": orth[:3], "NORM": "let"}, {"ORTH": orth[3:], "NORM": "us"}]
    # Words with a leading apostrophe that are one token.
    for word, norm in {"'cause": "because", "'em": "them", "'til": "until", "'n'": "and",
                       "'bout": "about", "o'clock": "o'clock", "ma'am": "madam"}.items():
        _add(exc, [word], [norm])
    return exc


# Abbreviations that keep their final period. Titles, months, days, US states (only the
# forms that are not also ordinary words), corporate suffixes and common Latin/English
# shortenings. Dotted initialisms (U.S., e.g.) are matched by a pattern instead.
ABBREVIATIONS: list[str] = (
    ["Mr.", "Mrs.", "Ms.", "Messrs.", "Mmes.", "Dr.", "Drs.", "Prof.", "Profs.", "Rev.", "Revs.", "Hon.", "Sr.", "Jr.", "St.", "Sen.", "Sens.", "Rep.", "Reps.", "Gov.", "Gen.", "Lt.", "Col.", "Maj.", "Capt.", "Cpt.", "Cmdr.", "Sgt.", "Adm.", "Pres.", "Supt.", "Atty.", "Esq.", "Jan.", "Feb.", "Mar.", "Apr.", "Jun.", "Jul.", "Aug.", "Sep.", "Sept.", "Oct.", "Nov.", "Dec.", "Mon.", "Tue.", "Tues.", "Wed.", "Thu.", "Thur.", "Thurs.", "Fri.", "Sat.", "Sun.", "Ala.", "Ariz.", "Ark.", "Calif.", "Colo.", "Conn.", "Del.", "Fla.", "Ga.", "Ill.", "Kan.", "Kans.", "Ky.", "Md.", "Mich.", "Minn.", "Miss.", "Mont.", "Neb.", "Nebr.", "Nev.", "Okla.", "Tenn.", "Tex.", "Va.", "Vt.", "Wis.", "Wisc.", "Wyo.", "Inc.", "Corp.", "Co.", "Ltd.", "Bros.", "Assn.", "Assoc.", "Dept.", "Univ.", "Mfg.", "Intl.", "Ave.", "Blvd.", "Rd.", "Mt.", "Ft.", "Hwy.", "Pkwy.", "Ste.", "Apt.", "Sq.", "etc.", "vs.", "viz.", "cf.", "al.", "approx.", "est.", "ext.", "misc.", "No.", "Nos.", "vol.", "Vol.", "pp.", "p.", "ed.", "eds.", "fig.", "Fig.", "figs.", "max.", "min.", "dept.", "tel.", "Tel.", "govt.", "Mt.", "ca.", "ft.", "lbs.", "oz.", "sq.", "yr.", "yrs.", "mos.", "hrs.", "mins.", "secs.", "appt.", "attn.", "Attn.", "encl.", "a.m.", "p.m.", "e.g.", "i.e.", "A.M.", "P.M.", "E.g.", "I.e."]
)

# Words that contain an internal period-free punctuation mark but are single words.
_SINGLE_WORDS = ["w/", "w/o", "b/c", "c/o", "s/he", "N/A", "n/a", "Yahoo!", "Jeopardy!"]


def english_exceptions() -> Exceptions:
    exc = _contractions()
    for abbr in ABBREVIATIONS:
        exc[abbr] = [{"ORTH": abbr}]
    # Titles also appear in lower case in informal text; other lower-cased forms
    # ("sat.", "sun.") are ordinary words ending a sentence.
    for abbr in ("mr.", "mrs.", "ms.", "dr.", "prof.", "jr.", "sr.", "st.", "inc.", "corp.",
                 "ltd."):
        exc.setdefault(abbr, [{"ORTH": abbr}])
    for word in _SINGLE_WORDS:
        exc[word] = [{"ORTH": word}]
    return exc
