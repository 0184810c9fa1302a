"""Reading a deployment spec from YAML or JSON text (or already-parsed data); an invalid one is refused with an
error that names each offending field."""

import json
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from facegate.errors import InputError
from facegate.policy.spec import Deployment


def parse_spec(text: str, format: Literal["yaml", "json"] = "yaml") -> Deployment:
    """Parse a deployment spec from YAML (or JSON) text; refuse an invalid one naming each offending field."""
    try:
        data = json.loads(text) if format == "json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InputError(f"not valid YAML: {problem}{where}") from None
    return spec_from_data(data)


def spec_from_data(data: Any) -> Deployment:
    """Validate already-parsed data (a mapping) as a deployment spec."""
    if not isinstance(data, dict):
        raise InputError("not a deployment spec: the top level must be a mapping with id, name, handler, ...")
    try:
        return Deployment.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"invalid deployment spec: {'; '.join(_describe(e) for e in exc.errors())}") from None


def _describe(error: Any) -> str:
    field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]).lstrip(".")
    field = field or "(top level)"
    kind = error["type"]
    if kind == "missing":
        return f"{field}: required field is missing"
    if kind == "extra_forbidden":
        if error.get("input") is None:
            return f"{field}: unknown field (if it is part of a value, quote the value: a comma in {{...}} splits it)"
        return f"{field}: unknown field"
    message = str(error["msg"]).removeprefix("Value error, ")
    if field == "(top level)" and message.startswith("alternatives"):
        return message
    return f"{field}: {message}"
