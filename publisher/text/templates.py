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


class _Vars(dict[str, Any]):
    """A table of template variables that knows its own name, for error messages."""

    def __init__(self, path: str, data: Mapping[str, Any]) -> None:
        super().__init__(data)
        self.path = path


def _wrap(path: str, value: Any) -> Any:
    if isinstance(value, Mapping):
        return _Vars(path, {k: _wrap(f"{path}.{k}", v) for k, v in value.items()})
    if isinstance(value, list):
        return [_wrap(f"{path}[{i}]", v) for i, v in enumerate(value)]
    return value


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    class NamedUndefined(StrictUndefined):
        """Says `campaign.sponsor is undefined`, not "'dict object' has no attribute"."""

        @property
        def _undefined_message(self) -> str:
            obj, name = self._undefined_obj, self._undefined_name
            if isinstance(obj, _Vars) and name is not None:
                return (f"'{obj.path}.{name}' is undefined ({obj.path} has: "
                        f"{', '.join(sorted(obj)) or 'nothing'})")
            return str(StrictUndefined._undefined_message.fget(self))  # type: ignore[attr-defined]

    # Plain text out (no HTML escaping); keep the organizer's line breaks exactly.
    return SandboxedEnvironment(undefined=NamedUndefined, autoescape=False,
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
        return template.render(**{k: _wrap(k, v) for k, v in variables.items()}).strip()
    except UndefinedError as exc:
        known = ", ".join(sorted(variables))
        raise TemplateError(f"template {name}: {exc.message} (variables available: {known})"
                            ) from None
    except SecurityError as exc:
        raise TemplateError(f"template {name}: not allowed: {exc}") from None
    except JinjaError as exc:
        raise TemplateError(f"template {name}: {exc}") from None
