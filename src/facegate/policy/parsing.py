"""Reading a deployment spec from YAML or JSON text (or already-parsed data); an invalid one is refused with an
error that names each offending field."""

import json
import re
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
        raise InputError(f"invalid deployment spec: {'; '.join(_grouped(exc.errors()))}") from None


def _grouped(errors: list[Any]) -> list[str]:
    """Each error once: the same message on the same field of several list items (every risk's likelihood) is one
    error naming the items ('impact_assessment.risks[0, 1, 2].likelihood: ...')."""
    items: dict[tuple[str, str], list[str]] = {}
    for error in errors:
        field, message = _describe(error)
        index = re.search(r"\[(\d+)\]", field)
        shape = field if index is None else f"{field[: index.start()]}[{{}}]{field[index.end():]}"
        items.setdefault((shape, message), []).append(index.group(1) if index else "")
    out = []
    for (shape, message), indices in items.items():
        field = shape.replace("[{}]", f"[{', '.join(dict.fromkeys(indices))}]")
        out.append(f"{field}: {message}" if field else message)
    return out


def _describe(error: Any) -> tuple[str, str]:
    field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]).lstrip(".")
    field = field or "(top level)"
    kind, value = error["type"], error.get("input")
    if kind == "missing":
        return field, "required field is missing"
    if kind == "extra_forbidden":
        if value is None:
            return field, "unknown field (if it is part of a value, quote the value: a comma in {...} splits it)"
        return field, "unknown field"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch" and field == "id":  # the deployment's slug (spec.Slug), not a raw regex
        return field, (
            f"{value!r} is not a valid id: an id has 1 to 63 characters, only lowercase letters a-z, digits and "
            "hyphens (-), and starts with a letter (e.g. smart-store-24h)"
        )
    if kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
        message += f" (YAML reads {value} written without quotes as a number: write it in quotes, '{value}')"
    if field == "(top level)" and message.startswith("alternatives"):
        return "", message
    return field, message
