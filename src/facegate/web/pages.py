"""Rendering web pages: the Jinja2 environment, the document blocks, and the error shown as a page."""

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from facegate.policy.document import Bullets, Entry, Gap, Paragraph, Table

from . import i18n
from .form_words import problem_zh

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

KINDS = {401: "unauthorized", 403: "forbidden", 404: "not-found", 409: "conflict", 422: "invalid-input"}


def block_kind(block: object) -> str:
    """The name of a document block's type, for the templates."""
    for kind, cls in (("entry", Entry), ("paragraph", Paragraph), ("bullets", Bullets), ("table", Table)):
        if isinstance(block, cls):
            return kind
    return "unknown"


def is_gap(value: object) -> bool:
    """Whether a document value is a gap the spec does not fill."""
    return isinstance(value, Gap)


TEMPLATES.env.filters["block_kind"] = block_kind
TEMPLATES.env.tests["gap"] = is_gap
TEMPLATES.env.globals.update(t=i18n.t_html, plural=i18n.plural_html, label=i18n.label, label_of=i18n.label,
                             rule_title=i18n.rule_title, rule_note=i18n.rule_note, room=i18n.room, chinese=i18n.chinese,
                             problem_zh=problem_zh, said=i18n.said_html,
                             refusal_zh=i18n.refusal_zh)  # fmt: skip


def render(request: Request, name: str, status_code: int = 200, region: str | None = None, **context: Any
           ) -> HTMLResponse:  # fmt: skip
    """A template rendered as a page, in the language the request reads (`region`: the handler's, if one)."""
    language = i18n.choose(request, region)
    with i18n.speaking(language):
        context.update(lang=language, languages=i18n.switch_links(request))
        response = TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)
    i18n.remember(request, response)
    return response
