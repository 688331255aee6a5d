"""The whole ledger: every `Rule` defined in `conformance.ledger.rules.*`, by id.

    from conformance.ledger.catalog import LEDGER, rule_by_id
    LEDGER["manifest-get-200"]      # the Rule

Modules are found by walking the `rules` package, so a new area module needs no registration here. Two
rules with one id, or one rule object under two constant names in different modules, are a harness bug
(`LedgerError` at import).
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from conformance.ledger import rules as _rules_package
from conformance.ledger.model import Rule


class LedgerError(Exception):
    """The ledger is inconsistent (duplicate ids, unknown id): a harness bug."""


def _area_modules() -> list[ModuleType]:
    names = sorted(info.name for info in pkgutil.iter_modules(_rules_package.__path__))
    return [importlib.import_module(f"{_rules_package.__name__}.{name}") for name in names]


def _collect() -> tuple[dict[str, Rule], dict[str, str]]:
    ledger: dict[str, Rule] = {}
    homes: dict[str, str] = {}
    for module in _area_modules():
        for name, value in vars(module).items():
            if not isinstance(value, Rule) or name.startswith("_"):
                continue
            known = ledger.get(value.id)
            if known is not None and known is not value:
                raise LedgerError(f"rule id {value.id!r} defined twice ({homes[value.id]} and "
                                  f"{module.__name__}.{name})")
            if known is None:
                ledger[value.id] = value
                homes[value.id] = f"{module.__name__}.{name}"
    return ledger, homes


LEDGER, HOMES = _collect()
"""Every rule by id, and where each is defined (`module.CONSTANT`)."""


def rule_by_id(rule_id: str) -> Rule:
    """The rule with this id; `LedgerError` when there is none."""
    try:
        return LEDGER[rule_id]
    except KeyError:
        raise LedgerError(f"no rule {rule_id!r} in the ledger") from None
