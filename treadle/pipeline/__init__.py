"""Pipeline components, one module each. Importing a module registers its factory;
``Language`` imports every module here on first need, so ``nlp.add_pipe("name")``
finds built-in components without an explicit import."""

from treadle.pipeline._internal.pipe import Pipe, TrainablePipe

__all__ = ["Pipe", "TrainablePipe"]
