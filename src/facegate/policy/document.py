"""A generated document (notice, impact assessment) as plain parts, rendered to Markdown or escaped HTML."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Literal

GAP_LABEL = "缺失 / GAP"
HANDLER_FILLS = "待处理者填写（facegate 不保存） / to be completed by the handler (not held in facegate):"
GAP_LABEL_ZH = "缺失"
HANDLER_FILLS_ZH = "待处理者填写（facegate 不保存）："


@dataclass(frozen=True)
class Gap:
    """Something the document needs that the spec does not say: shown as a gap, never invented."""

    field: str
    what: str
    handler_fills: bool = False  # a blank the handler completes outside facegate, not a field of the spec

    def text(self) -> str:
        """The gap as one line of plain text."""
        if self.handler_fills:
            return f"{GAP_LABEL}: {HANDLER_FILLS} {self.field}."
        what = f"{self.what} — " if self.what else ""
        return f"{GAP_LABEL}: {what}not stated in the deployment spec; set {self.field}."


Value = str | Gap


@dataclass(frozen=True)
class Entry:
    """A labelled value, e.g. 'Handler name: Example Co.'."""

    label: str
    value: Value


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text (or a gap)."""

    value: Value


@dataclass(frozen=True)
class Bullets:
    """A bulleted list."""

    items: list[Value]


@dataclass(frozen=True)
class Table:
    """A table with a header row."""

    headers: list[str]
    rows: list[list[Value]]


Block = Entry | Paragraph | Bullets | Table


@dataclass(frozen=True)
class Section:
    """A headed section of blocks."""

    heading: str
    blocks: Sequence[Block] = field(default_factory=list)


@dataclass(frozen=True)
class Document:
    """A title, a few lines of metadata, and sections."""

    title: str
    meta: list[Entry]
    sections: list[Section]
    language: Literal["bilingual", "zh"] = "bilingual"  # "zh": Chinese only (policy.language.in_chinese)

    @property
    def gaps(self) -> list[Gap]:
        """Every gap in the document, in order, without repeats."""
        found: dict[tuple[str, str], Gap] = {}
        for value in _values(self):
            if isinstance(value, Gap):
                found.setdefault((value.field, value.what), value)
        return list(found.values())

    def render(self, format: Literal["md", "html"]) -> str:
        """The document as Markdown or as a standalone HTML page."""
        return to_html(self) if format == "html" else to_markdown(self)


def _values(doc: Document) -> list[Value]:
    values: list[Value] = [e.value for e in doc.meta]
    for section in doc.sections:
        for block in section.blocks:
            if isinstance(block, Entry | Paragraph):
                values.append(block.value)
            elif isinstance(block, Bullets):
                values.extend(block.items)
            else:
                values.extend(cell for row in block.rows for cell in row)
    return values


def _md(value: Value, zh: bool = False) -> str:
    if isinstance(value, Gap) and zh:
        if value.handler_fills:
            return f"**{GAP_LABEL_ZH}：**{HANDLER_FILLS_ZH}{_md_text(value.field)}。"
        return f"**{GAP_LABEL_ZH}：**部署规格未说明，请填写 `{value.field}`。"
    if isinstance(value, Gap) and value.handler_fills:
        return f"**{GAP_LABEL}:** {HANDLER_FILLS} {_md_text(value.field)}."
    if isinstance(value, Gap):
        what = f"{_md_text(value.what)} — " if value.what else ""
        return f"**{GAP_LABEL}:** {what}not stated in the deployment spec; set `{value.field}`."
    return _md_text(value)


def _md_text(text: str) -> str:
    # Operator text must not turn into Markdown (or raw HTML) structure.
    for char in "\\`*[]<>|#":
        text = text.replace(char, "\\" + char)
    return " ".join(text.split())


def to_markdown(doc: Document) -> str:
    """Render `doc` as GitHub-flavoured Markdown."""
    zh = doc.language == "zh"
    colon = "：" if zh else ": "
    lines = [f"# {_md_text(doc.title)}", ""]
    lines += [f"- **{_md_text(e.label)}{colon.strip()}** {_md(e.value, zh)}" for e in doc.meta]
    for section in doc.sections:
        lines += ["", f"## {_md_text(section.heading)}", ""]
        previous: Block | None = None
        for block in section.blocks:
            if previous is not None and not (isinstance(block, Entry) and isinstance(previous, Entry)):
                lines.append("")  # a blank line between blocks, so a table or list is not swallowed by the last
            previous = block
            if isinstance(block, Entry):
                lines.append(f"- **{_md_text(block.label)}{colon.strip()}** {_md(block.value, zh)}")
            elif isinstance(block, Paragraph):
                lines.append(_md(block.value, zh))
            elif isinstance(block, Bullets):
                lines += [f"- {_md(item, zh)}" for item in block.items]
            else:
                lines.append("| " + " | ".join(_md_text(h) for h in block.headers) + " |")
                lines.append("|" + "---|" * len(block.headers))
                lines += ["| " + " | ".join(_md(cell, zh) for cell in row) + " |" for row in block.rows]
    return "\n".join(line.rstrip() for line in _squeeze(lines)).strip() + "\n"


def _squeeze(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if line == "" and out and out[-1] == "":
            continue
        out.append(line)
    return out


def _html(value: Value, zh: bool = False) -> str:
    if isinstance(value, Gap) and zh:
        if value.handler_fills:
            fills = f"{HANDLER_FILLS_ZH}{escape(value.field)}"
            return f'<span class="gap"><strong>{GAP_LABEL_ZH}：</strong>{fills}。</span>'
        return (
            f'<span class="gap"><strong>{GAP_LABEL_ZH}：</strong>部署规格未说明，请填写 '
            f"<code>{escape(value.field)}</code>。</span>"
        )
    if isinstance(value, Gap) and value.handler_fills:
        fills = f"{escape(HANDLER_FILLS)} {escape(value.field)}"
        return f'<span class="gap"><strong>{escape(GAP_LABEL)}:</strong> {fills}.</span>'
    if isinstance(value, Gap):
        what = f"{escape(value.what)} — " if value.what else ""
        return (
            f'<span class="gap"><strong>{escape(GAP_LABEL)}:</strong> {what}not stated in the deployment spec; '
            f"set <code>{escape(value.field)}</code>.</span>"
        )
    return escape(value)


STYLE = (
    "body{font-family:system-ui,'Noto Sans SC',sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.6;font-size:1.05rem}table{border-collapse:collapse}td,th{border:1px solid #888;padding:.3rem}"
    ".gap{background:#fff3cd;color:#5c3c00;padding:0 .2rem}"
)


def to_html(doc: Document) -> str:
    """Render `doc` as a standalone, accessible HTML page; every piece of text is escaped."""
    zh = doc.language == "zh"
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(doc.title)}</title><style>{STYLE}</style></head>",
        "<body><main>",
        f"<h1>{escape(doc.title)}</h1>",
        "<ul>"
        + "".join(f"<li><strong>{escape(e.label)}:</strong> {_html(e.value, zh)}</li>" for e in doc.meta)
        + "</ul>",
    ]
    for section in doc.sections:
        out.append(f"<section><h2>{escape(section.heading)}</h2>")
        entries: list[str] = []
        for block in section.blocks:
            if isinstance(block, Entry):
                entries.append(f"<dt>{escape(block.label)}</dt><dd>{_html(block.value, zh)}</dd>")
                continue
            if entries:
                out.append("<dl>" + "".join(entries) + "</dl>")
                entries = []
            if isinstance(block, Paragraph):
                out.append(f"<p>{_html(block.value, zh)}</p>")
            elif isinstance(block, Bullets):
                out.append("<ul>" + "".join(f"<li>{_html(item, zh)}</li>" for item in block.items) + "</ul>")
            else:
                head = "".join(f'<th scope="col">{escape(h)}</th>' for h in block.headers)
                body = "".join(
                    "<tr>" + "".join(f"<td>{_html(c, zh)}</td>" for c in row) + "</tr>" for row in block.rows
                )
                out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        if entries:
            out.append("<dl>" + "".join(entries) + "</dl>")
        out.append("</section>")
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"
