"""Fixtures for the treadle.tokens tests."""

import pytest

from treadle.tokens import Doc, Vocab


@pytest.fixture
def doc():
    """"The U.S. economy grew 3.5%." as seven tokens, for the Token and Span views."""
    return Doc(Vocab(), ["The", "U.S.", "economy", "grew", "3.5", "%", "."],
               spaces=[True, True, True, True, False, False, False])
