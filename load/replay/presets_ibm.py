"""The presets of the IBM Cloud registry traces: `fast18-shape` and `ibm-dal-2017`.

`fast18-shape` has the request structure the FAST '18 paper (Anwar et al., "Improving Docker Registry
Design based on Production Workload Analysis", USENIX FAST 2018,
https://www.usenix.org/conference/fast18/presentation/anwar) characterises — pulls as a manifest
request followed by layer GETs, pushes, a skewed repository popularity, bursts — but NONE OF ITS
NUMBERS WAS READ FROM THE PAPER: they are this project's estimates, marked `verified: false`. A second
attempt (2026-12-07) to read the paper through the stored-page search found only the opening of each
copy (docslib.org, documents.pub, usenix.org: title, authors, abstract, first lines of the
introduction), never section 4 or its figures, so no number could be checked. What was verified: the
abstract (75 days, five IBM data centers, request type distribution, access patterns and response
times characterised) and the trace record format (cacheMon/cache_dataset README, "IBM Docker
Dataset"; chalianwar/docker-performance master.py). Leads from a third-party summary of the paper
(not the paper, so not used as verified values) are in the `says` of `pull_share` and
`layer_median`.

`ibm-dal-2017` reproduces the figures that a published paper of the FAST '18 group reports for one
day of the same IBM traces (Bolt, IEEE CLOUD 2019, §V, read from a PDF copy of it: 0.26 M requests on
July 24th 2017, over 1000 clients, 4% write requests, 25% of requested layers over 1 MB, 13.7 MB mean
layer size), with repository skew from a co-author's unpublished draft (10% of repositories take 94% of
requests) and no bursts after a reader's notes on FAST '18. Each such figure is a `Reported` (value,
verbatim quote, source) that the tests measure on generated traces; the parameters calibrated to them
are `verified`, everything else is this project's choice and says so.
"""

from __future__ import annotations

from dataclasses import replace

from load.options import SizeMix
from load.replay.model import HARNESS, Model, Reported
from load.replay.model import param as _p

FAST18 = "Anwar et al., USENIX FAST '18, https://www.usenix.org/conference/fast18/presentation/anwar"
SUMMARY = ("a third-party reading-notes file summarising the paper (code index, file id 32506810816; its "
           "repository is not named there), NOT the paper's text")

_EST = "estimate of this project, NOT read from the paper (its section 4 and figures were not reachable)"
FAST18_SHAPE = Model("fast18-shape", "the FAST '18 request structure, this project's (unverified) numbers", {
    "pull_share": _p(0.9, FAST18, "share of pull sessions: " + _EST + "; lead, from " + SUMMARY
                     + ": GET requests dominate (no share given; the notes put request types in the "
                     "paper's §4.1)", False),
    "layer_sizes": _p(None, FAST18, "layer sizes drawn from a log-normal (below)", False),
    "layer_median": _p(2_000_000, FAST18, "median layer size in bytes: " + _EST + "; lead, from " + SUMMARY
                       + ": 65% of layers under 1 MB and 80% under 10 MB; a log-normal through those two "
                       "points would have median ~0.14 MB and sigma ~5.0 (p99 ~17 GB), so the paper's "
                       "CDF must be read before refitting", False),
    "layer_sigma": _p(1.8, FAST18, "log-normal sigma of layer sizes (heavy tail): " + _EST
                      + "; see layer_median for the lead", False),
    "layers_min": _p(1, FAST18, "layers per image, uniform between min and max: " + _EST, False),
    "layers_max": _p(9, FAST18, "layers per image, uniform between min and max: " + _EST, False),
    "layer_counts": _p(None, HARNESS, "unused (layers_min..layers_max)", False),
    "repos": _p(200, FAST18, "repositories: " + _EST, False),
    "zipf_s": _p(1.0, FAST18, "repository popularity, Zipf s=1: " + _EST + "; lead, from " + SUMMARY
                 + ": accesses to layers, manifests, repositories and by users are heavily skewed (no "
                 "exponent given)", False),
    "tags_per_repo": _p(3, FAST18, "images per repository: " + _EST, False),
    "head_before_get": _p(True, FAST18, "docker pull asks the manifest (HEAD) before GETting it", False),
    "cached_share": _p(0.5, FAST18, "share of an image's layers the puller already holds: " + _EST, False),
    "missing_share": _p(0.02, FAST18, "pulls of a tag that does not exist (404): " + _EST, False),
    "push_head": _p(True, FAST18, "docker push HEADs each blob before uploading it", False),
    "chunked_push": _p(True, FAST18, "docker push uploads with POST, PATCH, PUT", False),
    "existing_share": _p(0.3, FAST18, "share of pushed layers the repository already holds: " + _EST, False),
    "sessions_per_s": _p(3.0, FAST18, "mean session arrival rate outside bursts: " + _EST, False),
    "burst_factor": _p(6.0, FAST18, "arrival rate multiplier during a burst: " + _EST + "; lead, from "
                       + SUMMARY + ": no pronounced repeated spikes, weak weekend declines (the notes put "
                       "bursts in §4.5)", False),
    "burst_share": _p(0.15, FAST18, "share of time in bursts: " + _EST, False),
    "burst_mean_s": _p(20.0, FAST18, "mean burst length in seconds: " + _EST, False),
    "request_gap_s": _p(0.02, HARNESS, "mean gap between the requests of one session", False),
    "manifest_size": _p(1500, FAST18, "bytes per manifest: " + _EST, False),
    "config_size": _p(3000, FAST18, "bytes per image config: " + _EST, False),
    "clients": _p(500, FAST18, "distinct clients: " + _EST, False),
})

BOLT = ("Littley, Anwar et al., \"Bolt: Towards a Scalable Docker Registry via Hyperconvergence\", IEEE "
        "CLOUD 2019, §V (its text read from a PDF copy: manjunath5496/Basic-Docker-Commands d(15).pdf "
        "@eff4666)")
READER = ("a reader's notes on FAST '18 (accelazh/accelazh.github.io _posts/2019-01-31-FAST18-OSDI18-Etc-"
          "Paper-Reading.md @2ac9357), NOT the paper's text")
DRAFT = ("an unpublished 2019-2020 draft by FAST '18 co-author N. Zhao analysing the same dal trace "
         "(nnzhaocs/scripts-for-alltest hotstorage19/workload-analysis.tex @c68f520), NOT a published paper")
DAL_DAY_REQUESTS = 260_000
DAL_LAYER_SIZES = "4KB:15,60KB:25,300KB:20,700KB:15,3MB:12,20MB:7.5,100MB:4,300MB:1,930MB:0.5"
_CHOICE = "registry-harness choice, as in fast18-shape (no published value)"
IBM_DAL = Model("ibm-dal-2017", "the IBM dal registry's trace of 24 July 2017 as Bolt (IEEE CLOUD 2019) "
                "reports it: 0.26 M requests, over 1000 clients, 4% writes, a quarter of requested layers "
                "over 1 MB, 13.7 MB mean layer size", {
    **{name: replace(param, source=HARNESS, says=param.says.replace(_EST, _CHOICE))
       for name, param in FAST18_SHAPE.params.items()},
    "pull_share": _p(0.9844, BOLT, "calibrated so that write requests (POST, PATCH, PUT) are 4% of all "
                     "requests, as reported ('The trace also contains 4% write requests'); which methods "
                     "Bolt counts as writes is not stated", True),
    "layer_sizes": _p(SizeMix.parse(DAL_LAYER_SIZES), BOLT, "a discrete mix with 25% of layers over 1 MB "
                      "('25% of the layers requested were greater than 1 MB', §V-C) and a mean of 13.7 MB "
                      "('an average layer size of 13.7 MB', §V); the points within each side are this "
                      "project's (the paper's Figure 7 CDF, 10^3 to 10^9 bytes, was not read numerically); "
                      "no mass near 1 MB, so 10^6 and 2^20 readings agree", True),
    "layer_median": _p(0, HARNESS, "unused (layer_sizes is a mix)", False),
    "layer_sigma": _p(0.0, HARNESS, "unused (layer_sizes is a mix)", False),
    "zipf_s": _p(1.75, DRAFT, "Zipf exponent over 200 repositories giving the top 10% of them ~94% of "
                 "sessions ('94% of all requests accessed only 10% of the (popular) repositories', said of "
                 "the whole 75-day dal trace)", True),
    "clients": _p(1000, BOLT, "'holds over 1000 clients connected in parallel'", True),
    "burst_factor": _p(1.0, READER, "no bursts: 'we did not find pronounced repeated spikes'", True),
    "burst_share": _p(0.0, READER, "no bursts: 'we did not find pronounced repeated spikes'", True),
    "sessions_per_s": _p(0.534, BOLT, "session rate giving 0.26 M requests in 24 hours ('This trace "
                         "contains around 0.26 Million requests in total', the trace of July 24th, 2017, "
                         "read here as one whole day) with this model's ~5.6 requests per session", True),
}, (
    Reported("write_request_share", 0.04, BOLT, "The trace also contains 4% write requests."),
    Reported("requested_layers_over_1mb", 0.25, BOLT, "25% of the layers requested were greater than 1 MB"),
    Reported("mean_layer_mb", 13.7, BOLT, "just over 1500 layers with an average layer size of 13.7 MB"),
    Reported("requests_per_s", DAL_DAY_REQUESTS / 86400, BOLT,
             "a production traces from an IBM registry from July 24th, 2017 [15]. This trace contains around "
             "0.26 Million requests in total"),
    Reported("top_tenth_repository_share", 0.94, DRAFT,
             "94% of all requests accessed only 10% of the (popular) repositories"),
))
