"""Transition systems shared by the parser and the entity recognizer."""
