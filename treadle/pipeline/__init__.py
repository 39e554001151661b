"""Pipeline components, one public module each, named after its factory
(``tagger.py`` registers ``tagger``); ``factories.py`` holds the factory table and the
``@factory``/``@component`` decorators, and ``_internal/`` the machinery components
share. The first lookup of an unknown factory imports every component module, so
``nlp.add_pipe("tagger")`` needs no explicit import."""

from treadle.pipeline._internal.pipe import Pipe
from treadle.pipeline._internal.trainable import TrainablePipe

__all__ = ["Pipe", "TrainablePipe"]
