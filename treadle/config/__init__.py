"""Config files and function registries."""

from treadle.config.config import Config
from treadle.config.registry import Registries, Registry, registry
from treadle.errors import ConfigValidationError

__all__ = ["Config", "Registries", "Registry", "registry", "ConfigValidationError"]
