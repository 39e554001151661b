"""Starter-config templates used by ``treadle init config``."""

from treadle.training.templates.quickstart import (
    COMPONENT_TEMPLATES,
    OPTIMIZE_CHOICES,
    ComponentTemplate,
    TemplateContext,
    build_starter_config,
    default_transformer,
    fill_starter_config,
    make_starter_config,
    starter_config_header,
    transformers_available,
)

__all__ = [
    "COMPONENT_TEMPLATES",
    "OPTIMIZE_CHOICES",
    "ComponentTemplate",
    "TemplateContext",
    "build_starter_config",
    "default_transformer",
    "fill_starter_config",
    "make_starter_config",
    "starter_config_header",
    "transformers_available",
]
