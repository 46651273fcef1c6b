"""Jinja2 templates for titles, descriptions and posts: sandboxed, and strict about variables.

A template that names a variable we do not provide is an error naming the variable and the
template, never an empty string in a published description.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import SandboxedEnvironment


class TemplateError(ValueError):
    """A template cannot be compiled or rendered; the message names the template."""


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    # Plain text out (no HTML escaping); keep the organizer's line breaks exactly.
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False,
                                keep_trailing_newline=False, trim_blocks=True,
                                lstrip_blocks=True)


@lru_cache(maxsize=256)
def compile_template(source: str, name: str) -> Template:
    """Compile once; a syntax error names the template and the line."""
    from jinja2 import TemplateSyntaxError

    try:
        return _environment().from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"template {name}: {exc.message} (line {exc.lineno})") from None


def render(source: str, name: str, variables: Mapping[str, Any]) -> str:
    """Render a template with the given variables, naming the template in every error."""
    from jinja2 import TemplateError as JinjaError
    from jinja2 import UndefinedError
    from jinja2.exceptions import SecurityError

    template = compile_template(source, name)
    try:
        return template.render(**variables).strip()
    except UndefinedError as exc:
        known = ", ".join(sorted(variables))
        raise TemplateError(f"template {name}: {exc.message} (variables available: {known})"
                            ) from None
    except SecurityError as exc:
        raise TemplateError(f"template {name}: not allowed: {exc}") from None
    except JinjaError as exc:
        raise TemplateError(f"template {name}: {exc}") from None
