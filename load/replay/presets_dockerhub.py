"""The `dockerhub-2019` preset: Docker Hub's images as the 2017 analysis by Zhao et al. measured them.

Zhao, Tarasov, Albahar, Anwar et al. crawled Docker Hub's list of repositories and downloaded the
"latest" image of each (355,319 images of 457,627 unique repositories, 1,792,609 compressed layers,
47 TB) and published the analysis as "Large-Scale Analysis of the Docker Hub Dataset" (IEEE CLUSTER
2019). That paper's body could not be read
here (every stored copy stops after its introduction). What was read is the authors' own compiled PDF
of their IEEE CLOUD 2019 submission on the same dataset ("Slimmer", `SLIMMER`): its compressed layer
sizes, compressed image sizes and pull skew are this preset's `Reported` figures, quoted verbatim, and
the layer counts come from the authors' LaTeX draft of the same section (`HUB_DRAFT`). Other drafts of
the same group carry a second set of numbers (half of the layers under 4 MB, 90% under 63 MB; half of
the images under 8 layers, 90% under 18); which set the published paper holds was not checked, and
`--set layer_sizes=... layer_counts=...` gives either.

The study is of stored images, not of requests: how often images are pushed, what a puller already
holds, request rates and bursts are this project's choices (`HARNESS`), a pull fetching every layer
as a node without the image does. Layers and layer counts are drawn independently; fitted together
they give the reported image sizes, which the tests measure on generated traces with the rest.
"""

from __future__ import annotations

from load.options import SizeMix
from load.replay.model import HARNESS, CountMix, Model, Reported
from load.replay.model import param as _p

SLIMMER = ("Zhao, Tarasov, Albahar, Anwar et al., \"Slimmer: Weight Loss Secrets for Docker Registries\", "
           "the authors' IEEE CLOUD 2019 submission on their Docker Hub dataset, §III-B and §IV-C, read "
           "from its compiled PDF (nnzhaocs/scripts-for-alltest workshop-cloud/bare_conf.pdf @d0829b8, "
           "built 2019-03-02): a SUBMITTED manuscript, not the published \"Large-Scale Analysis of the "
           "Docker Hub Dataset\" (IEEE CLUSTER 2019), whose text could not be read here")
HUB_DRAFT = ("the same authors' LaTeX draft of that analysis (nnzhaocs/scripts-for-alltest "
             "workshop-cloud/char_images.tex @d0829b8, the paragraph on the layer count per image, not in "
             "the submitted PDF), NOT a published text")
HUB_LAYER_SIZES = ("32B:6,8KB:9,60KB:12,250KB:12,700KB:11,3MB:12,8MB:10,18MB:8,32MB:6,52MB:4,78MB:7.3,"
                   "115MB:2.3,250MB:0.3,600MB:0.1")
HUB_LAYER_COUNTS = "1:1.35,2:4,4:8,6:12,8:12.65,9:12,11:14,13:9,16:8,20:5,24:4,30:5,45:3,70:1.5,120:0.5"
_STORED = "the study is of stored images, not of requests"
_SIZES = "We found that 50% of the layers are smaller than 1 MB and 90% of the layers are smaller than 64 MB"
_IMAGES = ("We find that 80% of the images have an uncompressed size less than 794 MB and compressed size "
           "of 312 MB.")

DOCKERHUB = Model("dockerhub-2019", "Docker Hub's images as Zhao et al. measured them in 2017 (compressed "
                  "layers half under 1 MB, 90% under 64 MB; images median 157 MB, 80% under 312 MB, half "
                  "under 10 layers; 90% of pulls to 0.25% of images), pulled whole by fresh nodes", {
    "pull_share": _p(0.95, HARNESS, "share of pull sessions (" + _STORED + ")", False),
    "layer_sizes": _p(SizeMix.parse(HUB_LAYER_SIZES), SLIMMER, "compressed layer sizes: a discrete mix with "
                      "half of the layers under 1 MB and 90% under 64 MB ('" + _SIZES + " in compressed "
                      "format'); the points within each side are fitted so that images of layer_counts "
                      "layers have the reported median and 80th percentile (MB read as 10^6; no mass lies "
                      "between 10^6 and 2^20 or between 64*10^6 and 64*2^20); the introduction's 'around "
                      "60%' of layers under 10 MB, not said to be compressed, is not used (this mix has "
                      "72%)", True),
    "layer_median": _p(0, HARNESS, "unused (layer_sizes is a mix)", False),
    "layer_sigma": _p(0.0, HARNESS, "unused (layer_sizes is a mix)", False),
    "layers_min": _p(1, HARNESS, "unused (layer_counts)", False),
    "layers_max": _p(1, HARNESS, "unused (layer_counts)", False),
    "layer_counts": _p(CountMix.parse(HUB_LAYER_COUNTS), HUB_DRAFT, "layers per image: half of the images "
                       "under 10 layers, 90% under 26, 4,792 of 355,319 (1.35%) with one layer, at most 120 "
                       "('90% of the images have less than 26 layers while half of the images have less than "
                       "10 layers'; 'The maximum layer count is 120'); the points between are this "
                       "project's", True),
    "repos": _p(2000, HARNESS, "repositories (this project's scale; the study analysed the latest image of "
                "each of 355,319 repositories)", False),
    "zipf_s": _p(2.05, SLIMMER, "Zipf exponent over 2000 repositories giving the top 0.25% of them (5) 90% "
                 "of pulls ('90% of pulls went to only 0.25% of images based on image pull counts'; Docker "
                 "Hub counts pulls per repository, and the study kept one image per repository)", True),
    "tags_per_repo": _p(10, HARNESS, "images per repository before any push", False),
    "head_before_get": _p(True, HARNESS, "docker pull asks the manifest (HEAD) before GETting it", False),
    "cached_share": _p(0.0, HARNESS, "every pull fetches every layer, as a node that holds none of the "
                       "image does (the study's sizes are of whole images)", False),
    "missing_share": _p(0.02, HARNESS, "pulls of a tag that does not exist (404)", False),
    "push_head": _p(True, HARNESS, "docker push HEADs each blob before uploading it", False),
    "chunked_push": _p(True, HARNESS, "docker push uploads with POST, PATCH, PUT", False),
    "existing_share": _p(0.1, HARNESS, "share of a pushed image's layers the repository already holds; lead "
                         "(a share of all stored layers, so not this quantity): 'around 90% of layers are "
                         "referenced by a single image' (" + SLIMMER + ")", False),
    "sessions_per_s": _p(1.0, HARNESS, "mean session arrival rate (" + _STORED + "): ~19 requests/s, "
                         "~0.2 GB/s of whole-image pulls", False),
    "burst_factor": _p(1.0, HARNESS, "no bursts (" + _STORED + ")", False),
    "burst_share": _p(0.0, HARNESS, "no bursts (" + _STORED + ")", False),
    "burst_mean_s": _p(10.0, HARNESS, "unused without bursts", False),
    "request_gap_s": _p(0.02, HARNESS, "mean gap between the requests of one session", False),
    "manifest_size": _p(2500, HARNESS, "bytes per manifest (the study gives none)", False),
    "config_size": _p(3000, HARNESS, "bytes per image config (the study gives none)", False),
    "clients": _p(10_000, HARNESS, "distinct pulling nodes", False),
}, (
    Reported("compressed_layers_under_1mb", 0.5, SLIMMER, _SIZES + " in compressed format."),
    Reported("compressed_layers_under_64mb", 0.9, SLIMMER, _SIZES + " in compressed format."),
    Reported("median_compressed_image_mb", 157, SLIMMER,
             _IMAGES + " In the median, this decreases to 406 MB and 157 MB, respectively."),
    Reported("compressed_images_under_312mb", 0.8, SLIMMER, _IMAGES),
    Reported("images_under_10_layers", 0.5, HUB_DRAFT, "half of the images have less than 10 layers"),
    Reported("images_under_26_layers", 0.9, HUB_DRAFT, "90% of the images have less than 26 layers"),
    Reported("pulls_to_top_quarter_percent", 0.9, SLIMMER,
             "we found that 90% of pulls went to only 0.25% of images based on image pull counts"),
))
