"""The matchers used by rule-based components; they live in :mod:`treadle.matcher`."""

from treadle.matcher import Matcher, PhraseMatcher

__all__ = ["Matcher", "PhraseMatcher"]
