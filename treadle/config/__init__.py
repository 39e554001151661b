"""Config files and function registries."""

from treadle.config.registry import Registries, Registry, registry
from treadle.errors import ConfigValidationError

__all__ = ["Registries", "Registry", "registry", "ConfigValidationError"]
