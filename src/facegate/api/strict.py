"""The API refuses a query parameter its route does not take (422 `unknown_parameter`), so a misspelt filter or
a paging parameter of another API (`?page=2`) is never silently ignored."""

from fastapi import Request
from fastapi.dependencies.models import Dependant

from facegate.errors import UnknownParameterError

_declared: dict[int, frozenset[str]] = {}


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
