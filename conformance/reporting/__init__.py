"""Human-facing reports of conformance runs and the release gate.

- `validation`: `validate_results(document)` checks a results.json document against
  `schemas/must/results.json` and its internal consistency (counts match the checks);
- `model`: grouping of checks by category and spec area, shared by the HTML and compare views;
- `html`: `write_html_report(results, path)`, the self-contained report.html of one run;
- `hook`: `write_html_beside(results_json_path)`, the one call the plugin's writer makes;
- `compare`: `registry-harness compare RESULTS...`, a checks x registries matrix (HTML + Markdown);
- `gate_config`, `gate_steps`, `gate`: `registry-harness gate`, conformance + load + baseline in one run.

Nothing here imports locust: the gate runs Locust as a subprocess.
"""
