"""Closed bilingual vocabularies for the facts a spec declares: each value has zh and en labels and the synonyms
real specs use; free text resolves to one canonical value or is refused naming the nearest allowed values."""

import difflib
import re
from dataclasses import dataclass

from facegate.errors import InputError
from facegate.policy.terms import VOCABULARIES as VOCABULARIES  # the vocabularies, read through this module
from facegate.policy.terms import Term

_CJK = re.compile(r"[\u3400-\u9fff]")
# Words that start a modifier after the head noun in English ("lift lobby by the guest room").
_PREPOSITIONS = frozenset({
    "by", "near", "beside", "next", "outside", "opposite", "facing", "at", "in", "inside", "of", "on", "for", "to",
    "from", "within", "behind", "along", "serving", "leading", "towards", "toward", "adjacent", "across", "between",
    "under", "over", "above", "below",
})  # fmt: skip
_LOCATIVES = re.compile(r"旁边|旁|附近|外侧|外面|门外|对面|周边|边上|隔壁")
# Heads that are part of the room they follow: a device on a guest room's door or lock is in the guest room.
_PART_OF = frozenset({"door", "lock", "doorlock", "interior", "inside", "bedside", "bed"})
_PART_OF_ZH = ("门", "门锁", "锁", "内", "里", "床头", "床旁")
_ARTICLES = frozenset({"the", "a", "an", "each", "every", "all", "our"})


def has_chinese(text: str) -> bool:
    """Whether the text contains Chinese characters."""
    return bool(_CJK.search(text))


def _word(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and len(word) > 3 and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _key(text: str) -> str:
    text = re.sub(r"[\s_\-/,.;:()（）'’\"]+", " ", text.lower()).strip()
    text = re.sub(r"\bcheck in\b", "checkin", text)
    return " ".join(_word(w) for w in text.split() if w not in _ARTICLES)


def _compact(text: str) -> str:
    return re.sub(r"[\s_\-/,.;:()（）'’\"、，。；：]+", "", text.lower())


@dataclass(frozen=True)
class _Index:
    terms: dict[str, Term]
    english: dict[str, Term]
    chinese: tuple[tuple[str, Term], ...]


def _index(terms: tuple[Term, ...]) -> _Index:
    english: dict[str, Term] = {}
    chinese: list[tuple[str, Term]] = []
    for term in terms:
        for name in (term.value, term.en, term.zh, *term.synonyms):
            if has_chinese(name):
                chinese.append((_compact(name), term))
            else:
                english.setdefault(_key(name), term)
    chinese.sort(key=lambda item: -len(item[0]))
    return _Index({t.value: t for t in terms}, english, tuple(chinese))


_INDEXES = {kind: _index(terms) for kind, terms in VOCABULARIES.items()}
_BY_VALUE: dict[str, Term] = {}
for _terms in VOCABULARIES.values():
    for _term in _terms:
        _BY_VALUE.setdefault(_term.value, _term)


def _english_head(key: str, index: _Index, prefer: str | None) -> Term | None:
    words = key.split()
    for i, word in enumerate(words):
        if i and word in _PREPOSITIONS:
            words = words[:i]
            break
    exact = index.english.get(" ".join(words))
    if exact is not None:
        return exact
    if prefer is not None and words and words[-1] in _PART_OF:  # the room's own door is the room ("guest room door")
        for start in range(len(words)):
            for end in range(len(words), start, -1):
                term = index.english.get(" ".join(words[start:end]))
                if term is not None and prefer in term.tags:
                    return term
    for start in range(len(words)):  # the longest tail: "staff changing room" is a changing room
        term = index.english.get(" ".join(words[start:]))
        if term is not None:
            return term
    for end in range(len(words), 0, -1):  # else the longest head: "turnstiles main hall" is a turnstile
        term = index.english.get(" ".join(words[:end]))
        if term is not None:
            return term
    return None


def _chinese_head(text: str, index: _Index, prefer: str | None) -> Term | None:
    head = re.sub(r"[（(].*?[)）]", "", text).split("的")[-1]
    # A locative ("客房旁电梯厅": the lift lobby beside the guest rooms) leaves the head noun after it.
    head = _compact([part for part in _LOCATIVES.split(head) if part.strip()][-1] if head.strip() else head)
    exact = next((t for name, t in index.chinese if name == head), None)
    if exact is not None:
        return exact
    if prefer is not None and head.endswith(_PART_OF_ZH) and not head.endswith(("门口", "大门", "入口", "出入口")):
        for name, term in index.chinese:
            if prefer in term.tags and name in head:
                return term
    best: tuple[int, int, Term] | None = None
    for name, term in index.chinese:  # the word that ends last is the head noun; longer wins a tie
        at = head.rfind(name)
        if at >= 0:
            rank = (at + len(name), len(name), term)
            if best is None or rank[:2] > best[:2]:
                best = rank
    return best[2] if best else None


def resolve(kind: str, text: str, *, prefer: str | None = None) -> Term | None:
    """The term a free-text value names in vocabulary `kind`, or None when it names none."""
    index = _INDEXES[kind]
    if text in index.terms:
        return index.terms[text]
    key = _key(text)
    if key in index.english:
        return index.english[key]
    compact = _compact(text)
    for name, term in index.chinese:
        if name == compact:
            return term
    if kind == "country":  # the most specific place named wins: "Hong Kong, China" is Hong Kong
        return _longest_named(text, index)
    if has_chinese(text):
        head = _chinese_head(text, index, prefer)
        if head is not None:
            return head
        key = _key(_CJK.sub(" ", text))
    return _english_head(key, index, prefer) if key else None


def _longest_named(text: str, index: _Index) -> Term | None:
    compact, padded = _compact(text), f" {_key(text)} "
    found = [(len(n), t) for n, t in index.chinese if n in compact]
    found += [(len(n), t) for n, t in index.english.items() if f" {n} " in padded]
    return max(found, key=lambda item: item[0])[1] if found else None


def canonical(kind: str, text: str, *, field: str, prefer: str | None = None) -> str:
    """The canonical value of `text` in vocabulary `kind`; an unknown value is an input error naming the nearest."""
    term = resolve(kind, str(text), prefer=prefer)
    if term is None:
        raise InputError(f"{field}: {text!r} is not a known {kind.replace('_', ' ')}; {nearest_hint(kind, text)}")
    return term.value


def nearest_hint(kind: str, text: str) -> str:
    """A hint naming the allowed values nearest to `text` (and where the full list is)."""
    index = _INDEXES[kind]
    names = {**{k: t for k, t in index.english.items()}, **{n: t for n, t in index.chinese}}
    probe = _compact(text) if has_chinese(text) else _key(text)
    close = difflib.get_close_matches(probe, list(names), n=8, cutoff=0.4)
    values = list(dict.fromkeys(names[c].value for c in close))[:4]
    if not values:
        values = [t.value for t in VOCABULARIES[kind][:4]]
    shown = ", ".join(f"{v} ({index.terms[v].zh} / {index.terms[v].en})" for v in values)
    return f"nearest allowed values: {shown}; `facegate vocabulary {kind}` lists them all"


def term(value: str) -> Term | None:
    """The term with this canonical value, in any vocabulary."""
    return _BY_VALUE.get(value)


def label(value: str | None, language: str = "zh") -> str:
    """The label of a canonical value in `language` ('zh', 'en' or 'both'); an unknown value comes back as is."""
    if value is None:
        return ""
    found = _BY_VALUE.get(value)
    if found is None:
        return value.replace("_", " ") if language == "en" else value
    if language == "en":
        return found.en
    if language == "both":
        return f"{found.zh} / {found.en}"
    return found.zh


def labels(values: list[str] | tuple[str, ...], language: str = "zh") -> str:
    """Labels of several values, joined in the language's list style."""
    return ("、" if language == "zh" else ", ").join(label(v, language) for v in values)


def tagged(kind: str, tag: str) -> tuple[str, ...]:
    """The values of vocabulary `kind` that carry `tag` (e.g. premises where children are likely)."""
    return tuple(t.value for t in VOCABULARIES[kind] if tag in t.tags)


def term_dict(found: Term) -> dict[str, object]:
    """A term as `facegate vocabulary --json` and the API show it."""
    return {"value": found.value, "zh": found.zh, "en": found.en, "synonyms": list(found.synonyms),
            "tags": sorted(found.tags)}  # fmt: skip


_TOKEN = re.compile(r"(?<![\w.\[`/-])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w(\[`/-])")


def humanise(text: str) -> str:
    """Text with each enum token (e.g. on_premises) replaced by its labels; field paths (storage.location) stay."""

    def swap(match: re.Match[str]) -> str:
        found = _BY_VALUE.get(match.group(1))
        return f"{found.zh}（{found.en}）" if found is not None else match.group(1)

    return _TOKEN.sub(swap, text)


def enum_tokens() -> frozenset[str]:
    """Every canonical value that reads as a code token (it holds an underscore): what documents must not show."""
    return frozenset(v for v in _BY_VALUE if "_" in v)
