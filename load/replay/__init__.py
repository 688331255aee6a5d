"""Trace replay: recorded registry traffic replayed on its schedule, open model, statuses reproduced.

Access logs, the IBM FAST '18 traces or generated model days are replayed against a registry with the
recorded inter-arrival times (scaled by `--speed`); the lag behind schedule is measured.

`python -m load.replay TRACE` (see `__main__.py` and the "Trace replay" section of load/README.md). The
modules: `records` (the normalized record), `formats` (parsers and `--convert`), `plan` (content mapping,
seeding, chains, worker shares), `synthetic` (deterministic content of the recorded sizes), `exchange`
(one request of the plan, client-neutral), `stats` and `report` (figures and the run folder), `engine`
(the one-machine asyncio/httpx engine), `models`/`generate` (`--model` presets), `locust_user` (the same
replay as a Locust scenario). Nothing here but `locust_user` imports locust, and nothing `locust_user`
imports pulls in httpx.
"""
