"""Operator-loaded term lists for chat and payment notes, and the pluggable text-classifier interface.

Firstlight ships only *neutral example lists* (``detect/termlists/*.txt``): price, payment and
platform-move phrases, and innocuous placeholder phrases for the sensitive categories. Real lists (for
example keyword lists shared through the Tech Coalition's Lantern, the Egmont Group or an operator's own
moderation team) are restricted; an operator loads them at run time from files in the formats such lists
come in:

- plain text, one term per line, ``#`` comments; the category is the file name (``off_platform.txt``) or a
  ``# category: NAME`` line; a line ``category<TAB>term`` sets both;
- CSV with a header naming a term column (``term``, ``keyword``, ``value`` or ``signal``) and a category
  column (``category``, ``label`` or ``tag``);
- JSON or JSON Lines: objects with ``term``/``keyword`` and ``category``, or python-threatexchange
  *trend queries* (``{"and": [{"or": [...]}], "not": [...]}``, matched by pytx's own ``TrendQuery``).

Matching is on case-folded, NFKC-normalised text at word boundaries. The matcher is itself a
python-threatexchange ``Classifier`` (one label per category), so a model-based classifier can be plugged in
beside it through the same interface.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from threatexchange.classifier.classifier import (
    ClassificationInfo,
    ClassificationResult,
    Classifier,
)
from threatexchange.content_type.content_base import ContentType
from threatexchange.content_type.text import TextContent
from threatexchange.signal_type.trend_query import TrendQuery

from firstlight.detect.config import CHAT_CATEGORIES
from firstlight.errors import Invalid

__all__ = [
    "EXAMPLE_TERMLIST_DIR",
    "ChatScorer",
    "TermHitInfo",
    "TermList",
    "TermListClassifier",
    "load_classifier",
    "load_term_lists",
    "normalise_text",
]

EXAMPLE_TERMLIST_DIR = Path(__file__).parent / "termlists"
_TERM_COLUMNS = ("term", "keyword", "value", "signal")
_CATEGORY_COLUMNS = ("category", "label", "tag")
_CATEGORY_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_TERMS = 200_000
MAX_TERM_CHARS = 500


def normalise_text(text: str) -> str:
    """Case-fold, NFKC-normalise and collapse whitespace, so ``Ｐrice`` and ``price`` match alike."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass
class TermList:
    """Terms and trend queries per category. Build with ``add``/``load_*``; match with ``hits``."""

    terms: dict[str, set[str]] = field(default_factory=dict)
    queries: dict[str, list[TrendQuery]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    _compiled: dict[str, re.Pattern[str]] | None = field(default=None, repr=False)

    def add(self, category: str, term: str) -> None:
        category = category.strip().lower()
        if not _CATEGORY_RE.match(category):
            raise Invalid(f"bad term-list category {category!r}", code="termlist")
        term = normalise_text(term)
        if not term:
            return
        if len(term) > MAX_TERM_CHARS:
            raise Invalid(f"term longer than {MAX_TERM_CHARS} characters", code="termlist")
        if self.size >= MAX_TERMS:
            raise Invalid(f"term lists hold at most {MAX_TERMS} terms", code="termlist")
        self.terms.setdefault(category, set()).add(term)
        self._compiled = None

    def add_query(self, category: str, query: dict[str, Any]) -> None:
        try:
            parsed = TrendQuery({"and": query.get("and", []), "not": query.get("not", [])})
        except (KeyError, TypeError, AttributeError, re.error) as exc:
            raise Invalid(f"bad trend query for {category}: {exc}", code="termlist") from exc
        self.queries.setdefault(category.strip().lower(), []).append(parsed)

    @property
    def size(self) -> int:
        return sum(len(t) for t in self.terms.values()) + sum(len(q) for q in self.queries.values())

    @property
    def categories(self) -> list[str]:
        return sorted(set(self.terms) | set(self.queries))

    def _patterns(self) -> dict[str, re.Pattern[str]]:
        if self._compiled is None:
            self._compiled = {
                cat: re.compile(
                    r"(?<!\w)(?:"
                    + "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
                    + r")(?!\w)"
                )
                for cat, terms in self.terms.items()
                if terms
            }
        return self._compiled

    def hits(self, text: str) -> dict[str, int]:
        """Number of term hits per category in ``text`` (categories without hits are left out)."""
        norm = normalise_text(text)
        found: dict[str, int] = {}
        for cat, pattern in self._patterns().items():
            n = len(pattern.findall(norm))
            if n:
                found[cat] = n
        for cat, queries in self.queries.items():
            n = sum(1 for q in queries if q.matches(norm))
            if n:
                found[cat] = found.get(cat, 0) + n
        return found

    # --- loading -----------------------------------------------------------------------------------
    def load_path(self, path: Path) -> None:
        """Load a file, or every ``.txt``/``.csv``/``.json``/``.jsonl`` file in a folder."""
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.stem.upper() == "README":
                    continue
                if child.suffix.lower() in {".txt", ".csv", ".json", ".jsonl"}:
                    self.load_path(child)
            return
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise Invalid(f"cannot read term list {path.name}: {exc}", code="termlist") from exc
        suffix = path.suffix.lower()
        if suffix == ".csv":
            self.load_csv(text, source=path.name)
        elif suffix in {".json", ".jsonl"}:
            self.load_json(text, default_category=path.stem, source=path.name)
        else:
            self.load_text(text, default_category=path.stem, source=path.name)

    def load_text(self, text: str, *, default_category: str, source: str = "text") -> None:
        category = default_category
        for raw in text.splitlines():
            line = raw.strip()
            if not line:
                continue
            if line.startswith("#"):
                header = line[1:].strip()
                if header.lower().startswith("category:"):
                    category = header.split(":", 1)[1].strip()
                continue
            if "\t" in raw:
                cat, term = raw.split("\t", 1)
                self.add(cat, term)
            else:
                self.add(category, line)
        self.sources.append(source)

    def load_csv(self, text: str, *, source: str = "csv") -> None:
        reader = csv.DictReader(io.StringIO(text))
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        term_col = next((c for c in _TERM_COLUMNS if c in header), None)
        cat_col = next((c for c in _CATEGORY_COLUMNS if c in header), None)
        if term_col is None or cat_col is None:
            raise Invalid(
                f"{source}: CSV needs a term column ({', '.join(_TERM_COLUMNS)}) and a category "
                f"column ({', '.join(_CATEGORY_COLUMNS)})",
                code="termlist",
            )
        for row in reader:
            norm = {(k or "").strip().lower(): (v or "") for k, v in row.items()}
            if norm.get(term_col, "").strip():
                self.add(norm[cat_col], norm[term_col])
        self.sources.append(source)

    def load_json(self, text: str, *, default_category: str, source: str = "json") -> None:
        try:
            stripped = text.strip()
            if stripped.startswith("["):
                items = json.loads(stripped)
            elif stripped.startswith("{") and "\n{" not in stripped:
                items = [json.loads(stripped)]
            else:
                items = [json.loads(line) for line in stripped.splitlines() if line.strip()]
        except json.JSONDecodeError as exc:
            raise Invalid(f"{source}: not JSON: {exc}", code="termlist") from exc
        for item in items:
            if not isinstance(item, dict):
                raise Invalid(f"{source}: each entry must be an object", code="termlist")
            category = str(item.get("category") or item.get("label") or default_category)
            if "and" in item or "not" in item:
                self.add_query(category, item)
                continue
            term = item.get("term") or item.get("keyword") or item.get("value")
            if not isinstance(term, str):
                raise Invalid(f"{source}: entry without a term: {item!r:.80}", code="termlist")
            self.add(category, term)
        self.sources.append(source)


def load_term_lists(paths: Iterable[str | Path]) -> TermList:
    """One ``TermList`` from files and folders (the shipped examples when ``paths`` is empty)."""
    terms = TermList()
    resolved = [Path(p) for p in paths] or [EXAMPLE_TERMLIST_DIR]
    for path in resolved:
        if not path.exists():
            raise Invalid(f"term list not found: {path}", code="termlist")
        terms.load_path(path)
    return terms


@dataclass
class TermHitInfo(ClassificationInfo):
    """A category label with the number of term hits as its weight."""

    weight: float = 0.0

    def weight_str(self) -> str:
        return f"{self.weight:g}"


class TermListClassifier(Classifier):
    """A python-threatexchange ``Classifier`` over a ``TermList``: one label per category."""

    def __init__(self, terms: TermList | None = None) -> None:
        self.terms = terms if terms is not None else load_term_lists([])

    @classmethod
    def get_name(cls) -> str:
        return "term_list"

    @classmethod
    def get_content_types(cls) -> list[type[ContentType]]:
        return [TextContent]

    def classify(
        self, content_type: type[ContentType], content_val: str
    ) -> ClassificationResult[TermHitInfo]:
        if content_type is not TextContent:
            raise Invalid("term lists classify text only", code="termlist")
        hits = self.terms.hits(content_val)
        return ClassificationResult(
            {cat: TermHitInfo(is_match=cat in hits, weight=hits.get(cat, 0)) for cat in self.terms.categories}
        )


def load_classifier(spec: str) -> Classifier:
    """Instantiate ``"package.module:ClassName"`` (a pytx ``Classifier``) with its default settings."""
    module_name, _, class_name = spec.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise Invalid(f"cannot load text classifier {spec!r}: {exc}", code="classifier") from exc
    if not (isinstance(cls, type) and issubclass(cls, Classifier)):
        raise Invalid(f"{spec!r} is not a threatexchange Classifier", code="classifier")
    if TextContent not in cls.get_content_types():
        raise Invalid(f"{spec!r} does not classify text", code="classifier")
    return cls.get_with_default_settings()


class ChatScorer:
    """Turns a message into category values in [0, 1]: term-list hits plus any plugged classifiers.

    A plugged classifier's labels that name a chat category add to that category; any other positive
    label counts as ``classifier``. A label's value is its ``weight`` when it has one in [0, 1], else 1.
    """

    def __init__(self, terms: TermList, classifiers: Sequence[Classifier] = ()) -> None:
        self.terms = terms
        self.classifiers = list(classifiers)

    def score(self, text: str) -> dict[str, float]:
        values: dict[str, float] = {cat: float(min(1, n)) for cat, n in self.terms.hits(text).items()}
        for clf in self.classifiers:
            result = clf.classify(TextContent, text)
            for label, info in result.labels.items():
                if not info.is_match:
                    continue
                weight = getattr(info, "weight", None)
                value = float(weight) if isinstance(weight, int | float) and 0 <= weight <= 1 else 1.0
                key = label if label in CHAT_CATEGORIES else "classifier"
                values[key] = max(values.get(key, 0.0), value)
        return values


@lru_cache(maxsize=8)
def cached_scorer(paths: tuple[str, ...], classifiers: tuple[str, ...]) -> ChatScorer:
    """One scorer per configuration per process: compiling large lists is the slow part."""
    return ChatScorer(load_term_lists(paths), [load_classifier(c) for c in classifiers])
