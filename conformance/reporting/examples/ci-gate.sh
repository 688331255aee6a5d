#!/usr/bin/env bash
# registry-harness release gate for any CI system (GitLab CI, Jenkins, Buildkite, a cron job, ...).
#
#   REGISTRY_URL=http://127.0.0.1:5000 START_COMMAND='docker-registry serve config.yml' \
#   GATE_CONFIG=gate.toml BASELINE=last/summary.json bash ci-gate.sh
#
# Environment (all optional):
#   REGISTRY_URL    registry under test; empty = the bundled reference server
#   START_COMMAND   starts the registry under test in the background (stopped again on exit)
#   START_TIMEOUT   seconds to wait for REGISTRY_URL/v2/ to answer (default 60)
#   GATE_CONFIG     gate TOML merged over the default (registry-harness gate --print-default-config)
#   BASELINE        previous load summary.json / run folder / gate folder for regression gating
#   TOLERANCE       relative tolerance against the baseline (default: the config's)
#   OUTPUT_DIR      run folder (default reports/gate/<utc>_ci); archive it as the job's artifact
#   HARNESS_SOURCE  pip-installable source of registry-harness (default: the checkout this script is in)
#   SKIP_INSTALL=1  use the registry-harness already on PATH
# Exit code: the gate's (0 every gate holds, 1 a gate failed, 2 bad input or the registry did not start).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_dir="${HARNESS_SOURCE:-$(cd "$here/../../.." && pwd)}"
out="${OUTPUT_DIR:-reports/gate/$(date -u +%Y%m%dT%H%M%SZ)_ci}"

if [ "${SKIP_INSTALL:-0}" != "1" ]; then
  python3 -m venv .registry-harness-venv
  # shellcheck disable=SC1091
  . .registry-harness-venv/bin/activate
  python -m pip install --quiet "${source_dir}[load]"
fi

registry_pid=""
cleanup() {
  if [ -n "$registry_pid" ] && kill -0 "$registry_pid" 2>/dev/null; then
    kill "$registry_pid" 2>/dev/null || true
    wait "$registry_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

if [ -n "${START_COMMAND:-}" ]; then
  if [ -z "${REGISTRY_URL:-}" ]; then
    echo "ci-gate: START_COMMAND needs REGISTRY_URL" >&2
    exit 2
  fi
  mkdir -p "$out"
  bash -c "$START_COMMAND" > "$out/registry-under-test.log" 2>&1 &
  registry_pid=$!
  ready=""
  for _ in $(seq "${START_TIMEOUT:-60}"); do
    if curl -s -o /dev/null --max-time 2 "${REGISTRY_URL%/}/v2/"; then ready=1; break; fi
    sleep 1
  done
  if [ -z "$ready" ]; then
    echo "ci-gate: $REGISTRY_URL did not answer; its log:" >&2
    cat "$out/registry-under-test.log" >&2
    exit 2
  fi
fi

args=(gate --output-dir "$out")
[ -n "${REGISTRY_URL:-}" ] && args+=(--registry-url "$REGISTRY_URL")
[ -n "${GATE_CONFIG:-}" ] && args+=(--config "$GATE_CONFIG")
[ -n "${BASELINE:-}" ] && args+=(--baseline "$BASELINE")
[ -n "${TOLERANCE:-}" ] && args+=(--tolerance "$TOLERANCE")

set +e
registry-harness "${args[@]}"
code=$?
set -e
echo "ci-gate: exit $code; reports in $out (junit: $out/conformance/junit.xml)"
exit "$code"
