"""Rule-based matching: ``Matcher`` (token patterns) and ``PhraseMatcher`` (phrases)."""

from treadle.matcher.matcher import Matcher
from treadle.matcher.phrase_matcher import PhraseMatcher

__all__ = ["Matcher", "PhraseMatcher"]
