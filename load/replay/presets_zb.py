"""The `zb-mixed` preset: two of zot's `zb` tests combined.

`zb-mixed` combines two of zot's `zb` tests as described in the project's research note
(shared/notes/load-testing.md, section 1.2, zot HEAD 6d19b44) and zb's test table (`testSuite` in
cmd/zb/perf.go, three stored versions read through the code index): the 75/25 pull/push coin of
"Pull 75% and Push 25% Mixed 1MB/10MB/100MB" (each of those three tests uses ONE fixed size) with the
20/70/10 mix of 1/10/100 MB of "Pull Mixed" and "Push Monolith Mixed"; no single zb test runs that
combination. One layer + config + manifest per image, HEAD then GET of the manifest, the config and
each layer, monolithic pushes (zb's MixedPullAndPush pushes with pushMonolithAndCollect), one
repository. zb is a closed loop, so arrivals (Poisson) and the session rate are this project's choice;
whether zb's "MB" is 10^6 or 2^20 was not checked.
"""

from __future__ import annotations

from load.options import SizeMix
from load.replay.model import HARNESS, Model
from load.replay.model import param as _p

NOTES = "shared/notes/load-testing.md §1.2 (zb, zot HEAD 6d19b44)"
ZB_PERF = "zot cmd/zb/perf.go (testSuite, MixedPullAndPush; three stored versions, read via the code index)"

ZB_MIXED = Model("zb-mixed", "zot's zb 'Pull 75% and Push 25%' coin with the 20/70/10 1/10/100 MB layer mix "
                 "of zb's 'Pull Mixed' (two zb tests combined; zb's 75/25 tests each use one fixed size)", {
    "pull_share": _p(0.75, NOTES, "zb test 'Pull 75% and Push 25%': a weighted coin per request", True),
    "layer_sizes": _p(SizeMix.parse("1MB:20,10MB:70,100MB:10"), NOTES,
                      "zb 'Pull Mixed 20% 1MB, 70% 10MB, 10% 100MB' (MB vs MiB not checked); zb's 'Pull 75% "
                      "and Push 25%' tests do not mix sizes (one test each for 1, 10 and 100 MB)", True),
    "layer_median": _p(0, HARNESS, "unused (layer_sizes is a mix)", False),
    "layer_sigma": _p(0.0, HARNESS, "unused (layer_sizes is a mix)", False),
    "layers_min": _p(1, NOTES, "zb's image shape is fixed: one layer, one config, one manifest", True),
    "layers_max": _p(1, NOTES, "zb's image shape is fixed: one layer, one config, one manifest", True),
    "layer_counts": _p(None, HARNESS, "unused (layers_min..layers_max)", False),
    "repos": _p(1, NOTES, "zb pushes and pulls in the one repository given with -r", True),
    "zipf_s": _p(0.0, NOTES, "one repository: no popularity skew", True),
    "tags_per_repo": _p(4, HARNESS, "images pre-existing in the repository", False),
    "head_before_get": _p(True, NOTES, "a zb pull: HEAD manifest, GET manifest, GET config, GET layers",
                          True),
    "cached_share": _p(0.0, NOTES, "zb GETs every layer of every pull", True),
    "missing_share": _p(0.0, NOTES, "zb pulls only images it pushed", True),
    "push_head": _p(False, NOTES, "zb's push is POST + PUT per blob, no HEAD named", True),
    "chunked_push": _p(False, ZB_PERF, "MixedPullAndPush pushes with pushMonolithAndCollect (POST, one PUT)",
                       True),
    "existing_share": _p(0.0, NOTES, "every zb push uploads new content", True),
    "sessions_per_s": _p(2.0, HARNESS, "zb is a closed loop; arrivals here are Poisson at this rate", False),
    "burst_factor": _p(1.0, HARNESS, "no bursts (zb has none)", False),
    "burst_share": _p(0.0, HARNESS, "no bursts", False),
    "burst_mean_s": _p(10.0, HARNESS, "unused without bursts", False),
    "request_gap_s": _p(0.005, HARNESS, "mean gap between the requests of one session", False),
    "manifest_size": _p(1200, HARNESS, "bytes per manifest (above the synthetic minimum)", False),
    "config_size": _p(1500, HARNESS, "bytes per image config", False),
    "clients": _p(10, NOTES, "zb -c 10 in zot's CI benchmark", True),
})

