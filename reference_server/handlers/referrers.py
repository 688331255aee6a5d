"""Referrers API: ``GET /v2/<name>/referrers/<digest>[?artifactType=]`` -> an image index, paged by digest."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from reference_server.handlers.base import Context, valid_digest, valid_name
from reference_server.media_types import OCI_INDEX
from reference_server.messages import Request, Response
from reference_server.routes import Match


async def list_referrers(ctx: Context, request: Request, match: Match) -> Response:
    """200 with an index of the manifests whose subject is the digest (empty when none or unknown repository).

    Pages hold at most ``--referrers-page-size`` descriptors, ordered by digest; the ``Link`` (rel="next")
    URL carries ``last=<digest of the final entry>`` and the filter.
    """
    name = valid_name(match.name)
    subject = valid_digest(match.reference)
    descriptors = ctx.storage.referrers.list(name, subject)
    headers = [(b"content-type", OCI_INDEX.encode())]
    artifact_type = request.param("artifactType")
    if artifact_type is not None:
        descriptors = [d for d in descriptors if d.get("artifactType") == artifact_type]
        headers.append((b"oci-filters-applied", b"artifactType"))
    last = request.param("last")
    if last is not None:
        descriptors = [d for d in descriptors if str(d.get("digest", "")) > last]
    size = ctx.config.referrers_page_size
    page = descriptors[:size]
    if len(descriptors) > size:
        query = {"last": page[-1]["digest"]}
        if artifact_type is not None:
            query["artifactType"] = artifact_type
        headers.append((b"link", f'</v2/{name}/referrers/{subject}?{urlencode(query)}>; rel="next"'.encode()))
    body = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": page}
    return Response(200, headers, json.dumps(body).encode())
