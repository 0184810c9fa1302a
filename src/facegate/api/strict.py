"""The API refuses a query parameter its route does not take (422 `unknown_parameter`), so a misspelt filter or
a paging parameter of another API (`?page=2`) is never silently ignored, nor one given twice; and it refuses control
characters in a body's text, which a terminal would obey and PostgreSQL cannot store."""

import re
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant

from facegate.errors import InputError, UnknownParameterError

_declared: dict[int, frozenset[str]] = {}
# C0 controls but tab and line breaks, DEL and the C1 controls (ESC, NUL, CSI, ...).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def query_names(dependant: Dependant) -> set[str]:
    """The query parameters a route takes, its dependencies' included."""
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= query_names(sub)
    return names


async def known_query(request: Request) -> None:
    """A router dependency: refuse the request when its query string names a parameter the route does not take."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    names = _declared.get(id(route))
    if names is None:
        names = _declared[id(route)] = frozenset(query_names(dependant))
    unknown = sorted(set(request.query_params) - names)
    if unknown:
        raise UnknownParameterError(unknown, sorted(names))
    repeated = sorted({name for name in request.query_params if len(request.query_params.getlist(name)) > 1})
    if repeated:  # no route takes a list: the last value would decide silently
        raise InputError(f"query parameter {', '.join(repeated)} given more than once: give each once")


def control_field(value: Any, path: str = "body") -> str | None:
    """The first field of a decoded body (its path) whose name or text holds a control character, else None."""
    if isinstance(value, str):
        return path if CONTROL.search(value) else None
    pairs = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in pairs:
        if isinstance(key, str) and CONTROL.search(key):
            return path
        if found := control_field(item, f"{path}.{key}"):
            return found
    return None


async def control_in(request: Request) -> str | None:
    """The first field of a request's JSON or form body whose text holds a control character (tab and line breaks
    aside), else None; a body that cannot be read is left to the route. Reads Starlette's cached copy once parsed."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json" or kind.endswith("+json"):
        try:
            return control_field(await request.json()) if await request.body() else None
        except ValueError:  # not JSON: the route's own parsing says so
            return None
    if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.form()
        return control_field({name: value for name, value in form.multi_items() if isinstance(value, str)})
    return None


async def plain_text(request: Request) -> None:
    """A router dependency: refuse a JSON or form body with a control character in any text."""
    if not getattr(getattr(request.scope.get("route"), "dependant", None), "body_params", None):
        return  # a route that takes no body never parsed it: there is nothing to store
    if found := await control_in(request):
        raise InputError(f"{found}: control characters are not allowed in text (U+0000 to U+001F but tab and line "
                         "breaks, U+007F to U+009F)")  # fmt: skip
