"""The language of a generated document: bilingual ('中文 / English') by default, Chinese only where the spec is
written in Chinese, so that no English sentence is left in a Chinese document."""

import re

from facegate.policy.answers import stated
from facegate.policy.document import Bullets, Document, Entry, Gap, Paragraph, Section, Table, Value
from facegate.policy.spec import Deployment

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_SEPARATOR = re.compile(r"(; |；)")
# An English sentence: four or more Latin words in a row (field paths, e-mail addresses and rule IDs are not words).
ENGLISH_SENTENCE = re.compile(r"(?<![\w.@/-])(?:[A-Za-z][a-z'’]*[,:]?\s+){3,}[A-Za-z][a-z'’]*(?![\w@/-])")


def chinese_spec(spec: Deployment) -> bool:
    """Whether the spec is written in Chinese: its name and purpose in Chinese, with no English versions beside."""
    said = [t for t in (spec.name, spec.purpose.description, spec.purpose.necessity) if t and stated(t)]
    return bool(said) and all(_chinese(t) for t in said) and not spec.translations


def _chinese(text: str) -> bool:
    cjk = len(_CJK.findall(text))
    return cjk > 0 and cjk * 3 >= len(_LATIN.findall(text))


def _opens_in_chinese(piece: str) -> bool:
    piece = re.sub(r"^\W*[A-Z][A-Z0-9]*-[\w/–-]+ — ", "", piece)  # a rule ID opens Chinese text ("CN25-5b — 首次...")
    piece = re.sub(r"^\W*facegate\b", "", piece)  # so does the product's name
    piece = re.sub(r"^(?:[^\w\u3400-\u9fff]|[\dA-Z_])*", "", piece)  # and "1:N", "PIN": Chinese if Chinese follows
    first = re.search(r"[A-Za-z\u3400-\u9fff]", piece)
    return first is not None and bool(_CJK.match(first.group(0)))


def chinese(text: str) -> str:
    """The Chinese half of each '中文 / English' pair in `text`; text without such pairs comes back as it is."""
    halves = text.split(" / ")
    if len(halves) == 2 and _opens_in_chinese(halves[0]) and not _opens_in_chinese(halves[1]):
        return halves[0].replace("; ", "；")  # one pair whose halves hold their own "；" / "; " lists
    out = []
    for part in _SEPARATOR.split(text):
        if part in ("; ", "；"):
            out.append("；")
            continue
        pieces = part.split(" / ")
        kept = [p for p in pieces if _opens_in_chinese(p)]
        out.append(" / ".join(kept) if len(pieces) > 1 and kept else part)
    return "".join(out)


def _value(value: Value) -> Value:
    if isinstance(value, Gap):
        return value  # rendered in Chinese by the document's language; `what` keeps distinct gaps apart
    return chinese(value)


def _block(block: Entry | Paragraph | Bullets | Table) -> Entry | Paragraph | Bullets | Table:
    if isinstance(block, Entry):
        return Entry(chinese(block.label), _value(block.value))
    if isinstance(block, Paragraph):
        return Paragraph(_value(block.value))
    if isinstance(block, Bullets):
        return Bullets([_value(v) for v in block.items])
    return Table([chinese(h) for h in block.headers], [[_value(c) for c in row] for row in block.rows])


def in_chinese(doc: Document) -> Document:
    """The document with only the Chinese of every bilingual text, and its gaps worded in Chinese."""
    head, dash, tail = doc.title.partition(" — ")
    return Document(
        chinese(head) + dash + tail,
        [Entry(chinese(e.label), _value(e.value)) for e in doc.meta],
        [Section(chinese(s.heading), [_block(b) for b in s.blocks]) for s in doc.sections],
        language="zh",
    )


def for_spec(doc: Document, spec: Deployment) -> Document:
    """The document in the spec's language: Chinese only for a Chinese spec, else bilingual."""
    return in_chinese(doc) if chinese_spec(spec) else doc


def english_sentences(text: str) -> list[str]:
    """English sentences left in a text (what a Chinese document must not hold)."""
    return [m.group(0) for m in ENGLISH_SENTENCE.finditer(text)]
