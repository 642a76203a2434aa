"""The ``applies_if`` language of the measures data file: a small, safe subset of Python expressions.

Allowed: ``and``, ``or``, ``not``, comparisons (``== != < <= > >= in``, ``not in``), names from the
environment, string and number literals, ``risk['<harm>']`` and ``max_risk('<harm>', ...)``. Nothing is
``eval``-ed; the AST is walked here, so a data file can never run code.

Evaluation is three-valued. A harm the operator has not assessed has no level, and a measure that hinges on
it is neither applicable nor inapplicable: it is *undetermined* (``UNKNOWN``), which the enforcement check
reports. ``and``/``or``/``not`` follow Kleene's logic, so ``large or risk['fraud'] >= 'medium'`` is still
true for a large service whose fraud risk is unknown.

Every name and ``risk[...]`` lookup the evaluation touches is recorded in ``Evaluation.bindings``: that is
the "why" printed beside each measure.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from firstlight.compliance._levels import RiskLevel

__all__ = ["UNKNOWN", "Evaluation", "ExpressionError", "compile_expression", "evaluate"]


class _Unknown:
    """The third truth value (and the value of an unassessed harm)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        raise TypeError("UNKNOWN has no truth value; test `is UNKNOWN` first")


UNKNOWN: Any = _Unknown()


class ExpressionError(ValueError):
    """An ``applies_if`` expression uses something outside the language."""


_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_FUNCTIONS = frozenset({"max_risk"})


def compile_expression(source: str, *, names: frozenset[str], harms: frozenset[str]) -> ast.Expression:
    """Parse and check an expression: only known names, harms and constructs. Raises ``ExpressionError``."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse {source!r}: {exc.msg}") from exc
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id not in names and node.id not in _FUNCTIONS and node.id not in {"true", "false"}:
                raise ExpressionError(f"unknown name {node.id!r} in {source!r}")
        elif isinstance(node, ast.Subscript):
            if not (isinstance(node.value, ast.Name) and node.value.id == "risk"):
                raise ExpressionError(f"only risk[...] may be subscripted, in {source!r}")
            _harm_literal(node.slice, harms, source)
        elif isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS) or node.keywords:
                raise ExpressionError(f"only max_risk(...) may be called, in {source!r}")
            for arg in node.args:
                _harm_literal(arg, harms, source)
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, str | int | float):
                raise ExpressionError(f"unsupported literal {node.value!r} in {source!r}")
        elif not isinstance(
            node,
            ast.Expression
            | ast.BoolOp
            | ast.UnaryOp
            | ast.Compare
            | ast.Load
            | ast.And
            | ast.Or
            | ast.Not
            | ast.cmpop,
        ):
            raise ExpressionError(f"unsupported construct {type(node).__name__} in {source!r}")
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.Not):
            raise ExpressionError(f"unsupported operator in {source!r}")
    return tree


def _harm_literal(node: ast.AST, harms: frozenset[str], source: str) -> str:
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        raise ExpressionError(f"harm names must be string literals, in {source!r}")
    if node.value not in harms:
        raise ExpressionError(f"unknown harm {node.value!r} in {source!r}")
    return node.value


@dataclass
class Evaluation:
    """The value (True, False or UNKNOWN) and the bindings it was computed from."""

    value: Any
    bindings: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> bool | None:
        return None if self.value is UNKNOWN else bool(self.value)


def evaluate(
    tree: ast.Expression,
    env: Mapping[str, Any],
    risk: Mapping[str, RiskLevel | None],
) -> Evaluation:
    """Evaluate a compiled expression; unassessed harms (``None`` in ``risk``) make it UNKNOWN."""
    result = Evaluation(value=None)
    result.value = _Walker(env, risk, result.bindings).visit(tree.body)
    return result


class _Walker:
    def __init__(self, env: Mapping[str, Any], risk: Mapping[str, Any], bindings: dict[str, Any]):
        self.env = env
        self.risk = risk
        self.bindings = bindings

    def visit(self, node: ast.AST) -> Any:
        if isinstance(node, ast.BoolOp):
            return self._boolop(node)
        if isinstance(node, ast.UnaryOp):
            value = self.visit(node.operand)
            return UNKNOWN if value is UNKNOWN else not value
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.Name):
            if node.id in {"true", "false"}:
                return node.id == "true"
            value = self.env[node.id]
            self.bindings[node.id] = _show(value)
            return value
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Subscript):
            harm = node.slice.value  # type: ignore[attr-defined]
            return self._level(harm)
        if isinstance(node, ast.Call):
            harms = [arg.value for arg in node.args]  # type: ignore[attr-defined]
            levels = [self._level(harm) for harm in harms]
            known = [level for level in levels if level is not UNKNOWN]
            if known and max(known, key=lambda level: level.rank) == RiskLevel.HIGH:
                return RiskLevel.HIGH
            if len(known) < len(levels) or not known:
                return UNKNOWN
            return max(known, key=lambda level: level.rank)
        raise ExpressionError(f"unsupported construct {type(node).__name__}")  # pragma: no cover

    def _level(self, harm: str) -> Any:
        level = self.risk.get(harm)
        self.bindings[f"risk['{harm}']"] = "not assessed" if level is None else str(level)
        return UNKNOWN if level is None else level

    def _boolop(self, node: ast.BoolOp) -> Any:
        values = [self.visit(value) for value in node.values]
        if isinstance(node.op, ast.And):
            if any(value is not UNKNOWN and not value for value in values):
                return False
            return UNKNOWN if any(value is UNKNOWN for value in values) else True
        if any(value is not UNKNOWN and value for value in values):
            return True
        return UNKNOWN if any(value is UNKNOWN for value in values) else False

    def _compare(self, node: ast.Compare) -> Any:
        left = self.visit(node.left)
        outcome: Any = True
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.visit(right_node)
            if left is UNKNOWN or right is UNKNOWN:
                outcome = UNKNOWN if outcome is not False else False
            elif not _COMPARE[type(op)](left, right):
                return False
            left = right
        return outcome


def _show(value: Any) -> Any:
    if value is UNKNOWN:
        return "unknown"
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, RiskLevel):
        return str(value)
    return value
