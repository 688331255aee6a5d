"""`python -m load.replay`: replay a trace, convert it, or generate one from a published workload model.

    python -m load.replay TRACE [--registry-url URL | --target reference|distribution] [--speed N]
                                [--json OUT] [--run-dir DIR] [--format auto|combined|distribution|ibm|jsonl]
    python -m load.replay TRACE --convert OUT.jsonl          # normalized JSON lines, then exit
    python -m load.replay --model NAME --out DAY.jsonl [--seed N] [--requests N] [--set key=value ...]
    python -m load.replay --list-models

With no `--registry-url` the bundled reference server (or `--target distribution`, Debian's distribution
2.8.2) is started on 127.0.0.1 for the run and stopped after it. A given URL must be on loopback. Exit 0
when the replay ran (3 with `--strict` when the recorded mix was not reproduced or a size or digest
check failed), 2 on bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import time
from pathlib import Path
from typing import Any

from conformance.registries import (
    RegistryProcess,
    RegistryStartError,
    start_distribution,
    start_reference_server,
)
from load.content import ContentPool
from load.options import OptionError, parse_size
from load.replay import formats, generate, models
from load.replay.engine import EngineSettings, SeedError, generator_verdict, probe_auth, replay
from load.replay.model import ModelError
from load.replay.plan import DEFAULT_OBJECT_SIZE, DEFAULT_UPLOAD_SIZE, build_plan
from load.replay.records import TraceError, header, write_jsonl
from load.replay.report import write_cli_run
from load.replay.synthetic import ContentStore
from load.summary import environment_meta
from load.target import TargetError, check_host

STRICT_EXIT = 3


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="python -m load.replay", description=__doc__.split("\n\n")[0])
    p.add_argument("trace", nargs="?", type=Path, help="trace file (combined/distribution/IBM/normalized)")
    p.add_argument("--format", default="auto", choices=formats.FORMATS, help="trace format (default: detect)")
    p.add_argument("--convert", type=Path, help="write normalized JSON lines here and exit")
    p.add_argument("--registry-url", default="", help="registry to replay against (loopback only)")
    p.add_argument("--target", default="reference", choices=["reference", "distribution"],
                   help="bundled registry started when no --registry-url is given")
    p.add_argument("--speed", type=float, default=1.0, help="divide recorded inter-arrival times by N")
    p.add_argument("--limit", type=int, default=0, help="replay only the first N records")
    p.add_argument("--duration", type=float, default=0.0, help="replay only the first S seconds of the trace")
    p.add_argument("--json", type=Path, help="also write the replay summary JSON here")
    p.add_argument("--run-dir", type=Path, help="report folder (default reports/load/<utc>_replay)")
    p.add_argument("--namespace", default="replay", help="repository namespace (a run id is added)")
    p.add_argument("--run-id", default="", help="run id in repository names (default random)")
    p.add_argument("--verify-share", type=float, default=0.1, help="share of blob GETs sha256-checked")
    p.add_argument("--request-timeout", type=float, default=120.0, help="total deadline of every request (s)")
    p.add_argument("--max-connections", type=int, default=512, help="connection pool size")
    p.add_argument("--upload-size", default=str(DEFAULT_UPLOAD_SIZE), help="size of uploads of unknown size")
    p.add_argument("--object-size", default=str(DEFAULT_OBJECT_SIZE), help="size of blobs only HEADed")
    p.add_argument("--pool-size", default="64MiB", help="content pool size")
    p.add_argument("--strict", action="store_true", help="exit 3 unless the recorded mix was reproduced")
    p.add_argument("--model", help="generate a trace from this preset (see --list-models)")
    p.add_argument("--out", type=Path, help="where --model writes its trace")
    p.add_argument("--seed", type=int, default=1, help="random seed of --model")
    p.add_argument("--requests", type=int, default=0, help="about this many requests for --model")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a model parameter")
    p.add_argument("--list-models", action="store_true", help="print the presets and their sources")
    return p


def start_target(kind: str) -> RegistryProcess:
    """The bundled registry for the run."""
    return start_distribution() if kind == "distribution" else start_reference_server()


def run_model(args: argparse.Namespace) -> int:
    """`--model`: write a generated trace."""
    if args.out is None:
        raise OptionError("--model needs --out FILE")
    model = models.preset(args.model, args.set)
    records = generate.generate(model, seed=args.seed, requests=args.requests or None)
    with args.out.open("w", encoding="utf-8") as handle:
        head = header(f"model:{model.name} seed={args.seed}", "model", 0.0, len(records))
        write_jsonl(handle, records, head)
    print(f"wrote {len(records)} requests over {records[-1].t if records else 0:.1f} s to {args.out}")
    return 0


def default_run_dir() -> Path:
    """reports/load/<utc>_replay."""
    root = Path(__file__).resolve().parents[2]
    return root / "reports" / "load" / (time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "_replay")


def run_replay(args: argparse.Namespace) -> int:
    """Replay (or convert) the trace."""
    parsed = formats.load_trace(args.trace, args.format)
    records = parsed.records
    if args.duration > 0:
        records = [r for r in records if r.t <= args.duration]
    if args.limit > 0:
        records = records[: args.limit]
    if args.convert is not None:
        with args.convert.open("w", encoding="utf-8") as handle:
            head = header(str(args.trace), parsed.fmt, parsed.origin, len(records))
            count = write_jsonl(handle, records, head)
        print(f"wrote {count} records ({parsed.skipped} lines skipped) to {args.convert}")
        return 0
    if args.speed <= 0:
        raise OptionError("--speed must be > 0")
    settings = EngineSettings(speed=args.speed, request_timeout=args.request_timeout,
                              max_connections=args.max_connections, verify_share=args.verify_share)
    registry = None
    url = args.registry_url.rstrip("/")
    if url:
        check_host(url)
    else:
        registry = start_target(args.target)
        url = registry.url
    try:
        auth = asyncio.run(probe_auth(url, settings))
        run_id = args.run_id or secrets.token_hex(3)
        plan = build_plan(records, namespace=f"{args.namespace.strip('/')}/{run_id}", auth=auth,
                          upload_size=parse_size(args.upload_size), object_size=parse_size(args.object_size))
        store = ContentStore(ContentPool(max(1024 * 1024, parse_size(args.pool_size))), plan.blob_sizes,
                             plan.manifest_sizes)
        started = time.time()
        result = replay(url, plan, store, settings)
        stopped = time.time()
    finally:
        if registry is not None:
            registry.stop()
    span = records[-1].t if records else 0.0
    summary = result.stats.summary(speed=args.speed, span=span, clock_start=result.clock_start)
    summary["trace"] = {"path": str(args.trace), "format": parsed.fmt, "records": len(records),
                        "lines_skipped": parsed.skipped, "skipped_line_numbers": parsed.skipped_lines}
    summary["target"] = {"url": url, "bundled": args.target if registry is not None else None,
                         "auth_required": auth, "namespace": plan.namespace}
    summary["seeding"] = result.seeding
    summary["sizes"] = dict(plan.size_sources)
    summary["generator"] = generator_verdict(summary, result.cpu_percent)
    meta: dict[str, Any] = {**environment_meta(), "host": url, "user_classes": ["TraceReplay"], "workers": 0}
    run_dir = args.run_dir or default_run_dir()
    write_cli_run(run_dir, summary, meta, started, stopped)
    if args.json is not None:
        args.json.write_text(json.dumps(summary, indent=2, sort_keys=True), encoding="utf-8")
    print_summary(summary, run_dir)
    checks = summary["checks"]
    failed = (not summary["requests"]["mix_reproduced"] or checks["digest_mismatches"]
              or checks["sizes_checked"] != checks["sizes_matched"])
    return STRICT_EXIT if args.strict and failed else 0


def print_summary(summary: dict[str, Any], run_dir: Path) -> None:
    """A few human lines."""
    requests, rate, lag = summary["requests"], summary["rate"], summary["lag"]
    print(f"replayed {requests['total']['sent']} of {requests['total']['recorded']} recorded requests at "
          f"{summary['speed']}x: {rate['achieved_rps']} req/s achieved, {rate['scheduled_rps']} scheduled")
    print(f"mix reproduced: {requests['mix_reproduced']} "
          f"({requests['mismatched']} answers off the recorded class)")
    print(f"schedule lag p50 {lag['p50_ms']} ms, p99 {lag['p99_ms']} ms, max {lag['max_ms']} ms")
    for op, figures in summary["operations"].items():
        print(f"  {op:16} {figures['count']:6}  p50 {figures['p50_ms']:8} ms  p99 {figures['p99_ms']:8} ms  "
              f"{figures['mb_s_up']:8.2f} MB/s up  {figures['mb_s_down']:8.2f} MB/s down")
    if summary["generator"]["limited"]:
        reasons = "; ".join(summary["generator"]["reasons"])
        print(f"WARNING: the load generator may have limited this run: {reasons}")
    print(f"run folder: {run_dir}")


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parser().parse_args(argv)
    try:
        if args.list_models:
            print(models.describe_all())
            return 0
        if args.model:
            return run_model(args)
        if args.trace is None:
            parser().print_usage(sys.stderr)
            return 2
        return run_replay(args)
    except (TraceError, OptionError, TargetError, ModelError) as exc:
        sys.stderr.write(f"load.replay: {exc}\n")
        return 2
    except (SeedError, RegistryStartError) as exc:
        sys.stderr.write(f"load.replay: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
