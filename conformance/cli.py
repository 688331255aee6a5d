"""The `registry-harness` command: run the conformance suite or start the bundled registry.

    registry-harness run [pytest args...]     pytest <installed conformance/suites> [pytest args...]
    registry-harness serve [server args...]   exec `python -m reference_server [server args...]`

`run` passes every argument after it unchanged to pytest, run in a child process (`--registry-url`,
`-m push`, `-n 2`, `-k ...`), and returns pytest's exit code. `serve` replaces this process with
the reference server, a separate program: the checker never imports the registry it checks.
Each subcommand is one entry of `COMMANDS`; new ones (report gating, comparing runs) go there.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from conformance.reporting import compare, gate

SUITES_DIR = Path(__file__).resolve().parent / "suites"


def run_suite(args: Sequence[str]) -> int:
    """Run `python -m pytest <suites> args...` in a child process; return pytest's exit code.

    A child process, because this package is already imported here and pytest could then not
    rewrite the assertions of the suites' modules.
    """
    return subprocess.call([sys.executable, "-m", "pytest", str(SUITES_DIR), *args])


def serve(args: Sequence[str]) -> int:
    """Replace this process with `python -m reference_server args...` (returns only if exec fails)."""
    argv = [sys.executable, "-m", "reference_server", *args]
    try:
        os.execv(sys.executable, argv)
    except OSError as exc:
        print(f"registry-harness serve: cannot start {' '.join(argv)}: {exc}", file=sys.stderr)
        return 1
    return 0  # pragma: no cover (execv does not return on success)


COMMANDS: dict[str, tuple[Callable[[Sequence[str]], int], str]] = {
    "run": (run_suite, "run the conformance suite (arguments go to pytest)"),
    "serve": (serve, "start the bundled reference registry (arguments go to python -m reference_server)"),
    "compare": (compare.main, "compare results.json of several runs: checks x registries (HTML + Markdown)"),
    "gate": (gate.main, "release gate: conformance + load thresholds (+ baseline); exit 0 only if all hold"),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: one subcommand per `COMMANDS` entry, each taking the rest of the line."""
    parser = argparse.ArgumentParser(
        prog="registry-harness",
        description="Conformance and load-testing harness for OCI / Docker registries.",
    )
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (_, help_text) in COMMANDS.items():
        sub = subcommands.add_parser(name, help=help_text, add_help=False)
        sub.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `registry-harness` console script."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not arguments or arguments[0] in ("-h", "--help"):
        parser.print_help(sys.stderr if not arguments else sys.stdout)
        return 2 if not arguments else 0
    if arguments[0] not in COMMANDS:
        parser.print_usage(sys.stderr)
        print(f"registry-harness: unknown command {arguments[0]!r} (choose from {', '.join(COMMANDS)})",
              file=sys.stderr)
        return 2
    command, _ = COMMANDS[arguments[0]]
    return command(arguments[1:])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
