"""report.html's "Left in the registry" section (id `leftovers`): what cleanup could not delete, and why.

Shown only when results.json's `cleanup` block (`conformance.cleanup_ledger`) counts something left: the
counts per kind (registered, deleted, left), every repository (a `<details>`) with its leftovers, the cause
and reason of each (with the DELETE's status and OCI error code when the registry refused), and the hint
on removing them. Leftovers are never a failure, so the section is informative, not a verdict.
"""

from __future__ import annotations

from html import escape
from typing import Any

KINDS = ("tag", "manifest", "blob", "total")


def _e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def has_leftovers(results: dict[str, Any]) -> bool:
    """True when the run's cleanup left something in the registry."""
    block = results.get("cleanup")
    return bool(block and block["left"]["total"])


def _counts(block: dict[str, Any]) -> str:
    head = "".join(f"<th>{kind}</th>" for kind in KINDS)
    rows = "".join(
        f'<tr><th scope="row">{name}</th>'
        + "".join(f'<td class="num">{block[name][kind]}</td>' for kind in KINDS) + "</tr>"
        for name in ("registered", "deleted", "left"))
    return f'<table class="counts"><thead><tr><th></th>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _answer(item: dict[str, Any]) -> str:
    if item["status"] is None:
        return ""
    code = f" {item['error_code']}" if item.get("error_code") else ""
    return f"{item['status']}{code}"


def _repository(repository: dict[str, Any]) -> str:
    rows = "".join(
        f'<tr class="c-{_e(item["cause"])}"><td>{_e(item["kind"])}</td><td><code>{_e(item["reference"])}'
        f'</code></td><td>{_e(item["cause"])}</td><td>{_e(_answer(item))}</td><td>{_e(item["reason"])}</td>'
        f'<td><code>{_e(item["check"])}</code></td></tr>'
        for item in repository["left"])
    return (f'<details class="leftover"><summary><code>{_e(repository["repository"])}</code> '
            f'({len(repository["left"])} left)</summary>'
            "<table><thead><tr><th>kind</th><th>reference</th><th>cause</th><th>answer</th><th>reason</th>"
            f"<th>pushed by</th></tr></thead><tbody>{rows}</tbody></table></details>")


def leftovers_section(results: dict[str, Any]) -> str:
    """The section's HTML, or "" when nothing was left."""
    if not has_leftovers(results):
        return ""
    block = results["cleanup"]
    repositories = block["repositories"]
    return (
        '<section id="leftovers"><h2>Left in the registry</h2>'
        f'<p>Cleanup left {block["left"]["total"]} of {block["registered"]["total"]} registered things in '
        f'{len(repositories)} repositor{"y" if len(repositories) == 1 else "ies"}. This is no failure: '
        "cleanup is not judged.</p>"
        + _counts(block)
        + f'<p class="hint"><strong>How to remove them:</strong> {_e(block["hint"])}</p>'
        + "".join(_repository(repository) for repository in repositories)
        + "</section>"
    )
