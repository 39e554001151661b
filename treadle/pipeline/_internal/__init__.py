"""Machinery the components share; nothing here is a component.

``pipe``: the :class:`Pipe` base and its declared serialization; ``trainable``:
:class:`TrainablePipe`; ``labels``: label indices and gold-value projection for the
token classifiers; ``transition_pipe`` and ``transition/``: the transition-based
parser/ner machinery (systems, oracles, beam search); ``edit_tree``: the lemmatizer's
edit trees; ``span_rules``: the pattern machinery of the span and entity rulers.
"""
