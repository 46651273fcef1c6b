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


# The longest text or list an operator in a template may build (a description is at most
# 5,000 bytes; a post 63,206 characters), and the largest power it may compute, in bits.
MAX_BUILT_LENGTH = 100_000
MAX_POWER_BITS = 4096
# Tags that would read another template: a template here is one self-contained text.
_LOADING_TAGS = {"Include": "include", "Import": "import", "FromImport": "from … import",
                 "Extends": "extends"}


def _bounded_binop(operator: str, left: Any, right: Any) -> Any:
    """`*` and `**` as Python computes them, refused when the result would be huge."""
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and \
                    len(seq) * times > MAX_BUILT_LENGTH:
                raise _security_error(f"'{operator}' would build {len(seq) * times:,} items "
                                      f"(at most {MAX_BUILT_LENGTH:,})")
        return left * right
    if isinstance(left, int) and isinstance(right, int) and right > 0 and \
            abs(left).bit_length() * right > MAX_POWER_BITS:
        raise _security_error(f"'{operator}' would compute a number of about "
                              f"{abs(left).bit_length() * right:,} bits")
    return left**right


def _check_arguments(what: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """No number above MAX_BUILT_LENGTH as an argument: `'x'|center(10**9)` or
    `title.ljust(10**9)` would build a gigabyte of text."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and \
                abs(value) > MAX_BUILT_LENGTH:
            raise _security_error(f"{what} was given {value:,} (at most "
                                  f"{MAX_BUILT_LENGTH:,} in a template)")


def _bounded_filter(name: str, fn: Any) -> Any:
    import functools

    @functools.wraps(fn)  # keeps Jinja's pass_context/pass_eval_context marks
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _check_arguments(f"the filter {name!r}", args[1:], kwargs)
        return fn(*args, **kwargs)

    return bounded


def _security_error(message: str) -> Exception:
    from jinja2.exceptions import SecurityError

    return SecurityError(message)


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    from jinja2 import StrictUndefined
    from jinja2.runtime import Context
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

    class BoundedSandbox(SandboxedEnvironment):
        """The sandbox, with `*`, `**`, filters and method calls refused when they would
        exhaust the memory."""

        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
            return _bounded_binop(operator, left, right)

        def call(__self, __context: Context, __obj: Any, *args: Any,
                 **kwargs: Any) -> Any:
            name = str(getattr(__obj, "__name__", "a call")).removeprefix("safe_")  # range
            _check_arguments(f"{name}()", args, kwargs)
            return super().call(__context, __obj, *args, **kwargs)

    # Plain text out (no HTML escaping); keep the organizer's line breaks exactly.
    env = BoundedSandbox(undefined=NamedUndefined, autoescape=False,
                         keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)
    env.filters = {name: _bounded_filter(name, fn) for name, fn in env.filters.items()}
    return env


def _refuse_loading(source: str, name: str) -> None:
    """Refuse {% include %}, {% import %} and {% extends %}: there is no other template."""
    from jinja2 import TemplateSyntaxError, nodes

    try:
        tree = _environment().parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"template {name}: {exc.message} (line {exc.lineno})") from None
    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        tag = _LOADING_TAGS[type(node).__name__]
        raise TemplateError(f"template {name}: {{% {tag} %}} is not allowed (line "
                            f"{node.lineno}): a template cannot read other files or templates")


@lru_cache(maxsize=256)
def compile_template(source: str, name: str) -> Template:
    """Compile once; a syntax error names the template and the line."""
    from jinja2 import TemplateSyntaxError

    _refuse_loading(source, name)
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
    except RecursionError:
        raise TemplateError(f"template {name}: it calls itself without end (a macro that "
                            "calls itself?)") from None
    except (ArithmeticError, LookupError, TypeError, ValueError) as exc:
        # Python's own errors inside an expression: 1/0, range(10**9), a wrong argument.
        raise TemplateError(f"template {name}: cannot be rendered: {type(exc).__name__}: "
                            f"{exc}") from None
