"""A trace from a workload model (`model.py`): sessions of docker-like pulls and pushes on a bursty clock.

Session arrivals are a Poisson process whose rate is multiplied by `burst_factor` while a two-state
(ON/OFF) Markov chain is ON, `burst_share` of the time on average, bursts lasting `burst_mean_s` on
average. Each session picks a repository by Zipf popularity (`zipf_s`; 0 = uniform) and a client, then:

- a pull (`pull_share` of sessions): HEAD the manifest by tag (when `head_before_get`), GET it, GET the
  config and every layer the client does not hold (`cached_share`); `missing_share` of pulls ask for a tag
  that does not exist and stop at the 404;
- a push: for each layer of a new image (`layer_counts` layers, else uniform in `layers_min`..`layers_max`;
  sizes from `layer_sizes` or a log-normal of `layer_median`/`layer_sigma`), HEAD the blob when
  `push_head` (200 for the `existing_share` the repository already holds, which are not uploaded), then
  POST, PATCH (when `chunked_push`) and PUT ?digest=; the config the same; then PUT the manifest under a
  new tag.

Everything is drawn from one `random.Random(seed)`: the same model, seed and size give the same trace.
Images of a repository keep their layers, so every digest always has the same size.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field

from load.replay.model import DEFAULT_REQUESTS, CountMix, Model
from load.replay.records import Record, finish


@dataclass
class Image:
    """One image: layers (digest, size), config (digest, size), manifest size."""

    layers: list[tuple[str, int]]
    config: tuple[str, int]
    manifest_size: int


@dataclass
class Repo:
    """A repository of the generated registry: its images by tag, and every layer it holds."""

    name: str
    images: dict[str, Image] = field(default_factory=dict)
    layers: list[tuple[str, int]] = field(default_factory=list)


def zipf_weights(n: int, s: float) -> list[float]:
    """Normalized Zipf weights 1/k^s for ranks 1..n."""
    raw = [1.0 / (k ** s) for k in range(1, n + 1)]
    total = sum(raw)
    return [w / total for w in raw]


def lognormal_cdf(x: float, median: float, sigma: float) -> float:
    """P(size <= x) of a log-normal with this median and sigma."""
    if x <= 0:
        return 0.0
    return 0.5 * (1 + math.erf(math.log(x / median) / (sigma * math.sqrt(2))))


class Generator:
    """Draws sessions from a model."""

    def __init__(self, model: Model, seed: int) -> None:
        self.model = model
        self.rng = random.Random(seed)
        self.repos = [Repo(f"model/repo-{i:04d}") for i in range(max(1, int(model["repos"])))]
        self.weights = zipf_weights(len(self.repos), float(model["zipf_s"]))
        self.records: list[Record] = []
        self.tag_counter = 0
        self.now, self.on, self.switch = 0.0, False, 0.0

    def digest(self) -> str:
        return "sha256:" + self.rng.getrandbits(256).to_bytes(32, "big").hex()

    def layer_size(self) -> int:
        mix = self.model["layer_sizes"]
        if mix is not None:
            return int(mix.pick(self.rng))
        median, sigma = float(self.model["layer_median"]), float(self.model["layer_sigma"])
        return max(1, int(self.rng.lognormvariate(math.log(median), sigma)))

    def new_image(self, repo: Repo, reuse: bool) -> Image:
        counts = self.model["layer_counts"]
        if isinstance(counts, CountMix):
            count = counts.pick(self.rng)
        else:
            count = self.rng.randint(int(self.model["layers_min"]), int(self.model["layers_max"]))
        layers = []
        for _ in range(count):
            if reuse and repo.layers and self.rng.random() < self.model["existing_share"]:
                layers.append(self.rng.choice(repo.layers))
            else:
                layers.append((self.digest(), self.layer_size()))
        config = (self.digest(), int(self.model["config_size"]))
        return Image(layers, config, int(self.model["manifest_size"]))

    def image_of(self, repo: Repo) -> tuple[str, Image]:
        if not repo.images:
            for _ in range(max(1, int(self.model["tags_per_repo"]))):
                self.add_tag(repo, self.new_image(repo, reuse=False))
        tag = self.rng.choice(sorted(repo.images))
        return tag, repo.images[tag]

    def add_tag(self, repo: Repo, image: Image) -> str:
        self.tag_counter += 1
        tag = f"v{self.tag_counter}"
        repo.images[tag] = image
        repo.layers.extend(layer for layer in image.layers if layer not in repo.layers)
        return tag

    def emit(self, t: float, request: tuple[str, str, int], size: int = 0, *,
             request_size: int | None = None, client: str | None = None) -> float:
        method, path, status = request
        self.records.append(Record(t, method, path, status, size, request_size, None, client))
        return t + self.rng.expovariate(1.0 / float(self.model["request_gap_s"]))

    def pull(self, t: float, repo: Repo, client: str) -> None:
        base = f"/v2/{repo.name}"
        tag, image = self.image_of(repo)
        if self.rng.random() < self.model["missing_share"]:
            method = "HEAD" if self.model["head_before_get"] else "GET"
            missing = f"{base}/manifests/missing-{self.rng.getrandbits(32):08x}"
            self.emit(t, (method, missing, 404), client=client)
            return
        if self.model["head_before_get"]:
            t = self.emit(t, ("HEAD", f"{base}/manifests/{tag}", 200), client=client)
        t = self.emit(t, ("GET", f"{base}/manifests/{tag}", 200), image.manifest_size, client=client)
        t = self.emit(t, ("GET", f"{base}/blobs/{image.config[0]}", 200), image.config[1], client=client)
        for digest, size in image.layers:
            if self.rng.random() >= self.model["cached_share"]:
                t = self.emit(t, ("GET", f"{base}/blobs/{digest}", 200), size, client=client)

    def upload(self, t: float, repo: Repo, digest: str, size: int, client: str) -> float:
        base = f"/v2/{repo.name}/blobs/uploads"
        session = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        t = self.emit(t, ("POST", f"{base}/", 202), request_size=0, client=client)
        finish = ("PUT", f"{base}/{session}?digest={digest}", 201)
        if self.model["chunked_push"]:
            t = self.emit(t, ("PATCH", f"{base}/{session}", 202), request_size=size, client=client)
            return self.emit(t, finish, request_size=0, client=client)
        return self.emit(t, finish, request_size=size, client=client)

    def push(self, t: float, repo: Repo, client: str) -> None:
        self.image_of(repo)  # the repository has its initial images before anything is pushed into it
        image = self.new_image(repo, reuse=True)
        held = set(repo.layers)
        for digest, size in [*image.layers, image.config]:
            exists = (digest, size) in held
            if self.model["push_head"]:
                head = ("HEAD", f"/v2/{repo.name}/blobs/{digest}", 200 if exists else 404)
                t = self.emit(t, head, client=client)
            if not exists:
                t = self.upload(t, repo, digest, size, client)
                held.add((digest, size))
        tag = self.add_tag(repo, image)
        self.emit(t, ("PUT", f"/v2/{repo.name}/manifests/{tag}", 201), request_size=image.manifest_size,
                  client=client)

    def arrivals(self) -> float:
        """Advance the bursty clock to the next session start (returns its time)."""
        rate = float(self.model["sessions_per_s"])
        factor, share = float(self.model["burst_factor"]), float(self.model["burst_share"])
        if share <= 0 or factor == 1:
            self.now += self.rng.expovariate(rate)
            return self.now
        while True:
            current = rate * (factor if self.on else 1.0)
            step: float = self.rng.expovariate(current)
            if self.now + step < self.switch:
                self.now += step
                return self.now
            self.now = self.switch
            self.on = not self.on
            mean_on = float(self.model["burst_mean_s"])
            mean = mean_on if self.on else mean_on * (1 - share) / share
            self.switch = self.now + self.rng.expovariate(1.0 / mean)

    def run(self, requests: int) -> list[Record]:
        if float(self.model["burst_share"]) > 0:
            mean_off = float(self.model["burst_mean_s"]) * (1 - float(self.model["burst_share"])) \
                / float(self.model["burst_share"])
            self.switch = self.rng.expovariate(1.0 / mean_off)
        clients = max(1, int(self.model["clients"]))
        while len(self.records) < requests:
            t = self.arrivals()
            repo = self.rng.choices(self.repos, self.weights)[0]
            client = f"client-{self.rng.randrange(clients):04d}"
            if self.rng.random() < self.model["pull_share"]:
                self.pull(t, repo, client)
            else:
                self.push(t, repo, client)
        return finish(self.records)


def generate(model: Model, *, seed: int = 1, requests: int | None = None) -> list[Record]:
    """About `requests` (default 2000) records of the model, sorted, t from 0."""
    return Generator(model, seed).run(requests or DEFAULT_REQUESTS)
