"""Manifest GET/HEAD (with the Accept rule of negotiation.py), PUT (validated) and DELETE."""

from __future__ import annotations

import json
from typing import Any

from reference_server import negotiation
from reference_server.digests import digest_bytes
from reference_server.errors import ErrorItem, OciError
from reference_server.grammar import (
    Digest,
    GrammarError,
    RepositoryName,
    Tag,
    looks_like_digest,
    parse_digest,
)
from reference_server.handlers.base import (
    Context,
    deletes_enabled,
    not_modified,
    valid_digest,
    valid_name,
    valid_tag,
)
from reference_server.manifest_rules import ManifestInfo, ManifestInvalidError, inspect
from reference_server.messages import Request, Response
from reference_server.routes import Match
from reference_server.storage.errors import BlobNotFoundError, ManifestNotFoundError


def _reference(raw: str) -> Digest | Tag:
    return valid_digest(raw) if looks_like_digest(raw) else valid_tag(raw)


def _answer(body: bytes, media_type: str, digest: Digest, request: Request) -> Response:
    digest_text = str(digest).encode()
    etag = b'"%s"' % digest_text
    headers = [
        (b"content-type", media_type.encode()),
        (b"docker-content-digest", digest_text),
        (b"etag", etag),
    ]
    if not_modified(request, etag):
        return Response(304, headers)
    return Response(200, headers, body)


async def get_manifest(ctx: Context, request: Request, match: Match) -> Response:
    """GET/HEAD ``/v2/<name>/manifests/<reference>``: the exact bytes pushed."""
    name = valid_name(match.name)
    reference = _reference(match.reference)
    store = ctx.storage.manifests
    if isinstance(reference, Digest):
        body, media_type = store.get(name, reference)
        return _answer(body, media_type, reference, request)
    digest = store.resolve(name, reference)
    body, media_type = store.get(name, digest)
    ranges = negotiation.parse_accept(request.header(b"accept"))
    if negotiation.wants_single_manifest(ranges, media_type):
        child = _accepted_child(ctx, request, name, body, ranges)
        if child is not None:
            return child
    return _answer(body, media_type, digest, request)


def _accepted_child(
    ctx: Context, request: Request, name: RepositoryName, body: bytes, ranges: list[str] | None
) -> Response | None:
    try:
        index = json.loads(body)
    except ValueError:
        return None
    for entry in negotiation.child_candidates(index, ranges):
        try:
            child_digest = parse_digest(entry["digest"])
            child_body, child_type = ctx.storage.manifests.get(name, child_digest)
        except (GrammarError, ManifestNotFoundError, KeyError, TypeError):
            continue
        return _answer(child_body, child_type, child_digest, request)
    return None


async def put_manifest(ctx: Context, request: Request, match: Match) -> Response:
    """PUT ``/v2/<name>/manifests/<reference>[?tag=..]``: validate, store, tag, index the subject."""
    name = valid_name(match.name)
    reference = _reference(match.reference)
    tags: list[Tag] = [] if isinstance(reference, Digest) else [reference]
    tags.extend(valid_tag(raw) for raw in request.query.get("tag", []))
    body = await request.read_limited(ctx.config.max_manifest_bytes)
    algorithm = reference.algorithm if isinstance(reference, Digest) else "sha256"
    digest = digest_bytes(body, algorithm)
    if isinstance(reference, Digest) and digest != reference:
        raise OciError(
            "DIGEST_INVALID",
            "manifest body does not hash to the digest in the URL",
            {"expected": str(reference), "actual": str(digest)},
        )
    try:
        info = inspect(body, request.header(b"content-type"))
    except ManifestInvalidError as exc:
        raise OciError("MANIFEST_INVALID", str(exc)[:2000], {"reasons": exc.reasons[:50]}) from None
    _check_references(ctx, name, info)
    store = ctx.storage.manifests
    store.put(name, digest, body, info.media_type, list(dict.fromkeys(tags)))
    headers = [
        (b"location", f"/v2/{name}/manifests/{digest}".encode()),
        (b"docker-content-digest", str(digest).encode()),
    ]
    if info.subject is not None:
        headers.append((b"oci-subject", info.subject.encode()))
        try:
            subject = parse_digest(info.subject)
        except GrammarError:
            subject = None
        if subject is not None:
            ctx.storage.referrers.add(name, subject, digest, _referrer_descriptor(info, digest, len(body)))
    headers.extend((b"oci-tag", tag.encode()) for tag in dict.fromkeys(tags) if request.query.get("tag"))
    return Response(201, headers)


def _referrer_descriptor(info: ManifestInfo, digest: Digest, size: int) -> dict[str, Any]:
    descriptor: dict[str, Any] = {"mediaType": info.media_type, "digest": str(digest), "size": size}
    if info.artifact_type is not None:
        descriptor["artifactType"] = info.artifact_type
    if info.annotations:
        descriptor["annotations"] = info.annotations
    return descriptor


def _check_references(ctx: Context, name: RepositoryName, info: ManifestInfo) -> None:
    """Every config/layer blob and child manifest must be in this repository with the declared size."""
    missing: list[ErrorItem] = []
    wrong_size: list[str] = []
    for ref in info.blobs:
        size = None if ref.digest is None else ctx.storage.blobs.size_in_or_none(name, ref.digest)
        if size is None:
            missing.append(
                ErrorItem(
                    "MANIFEST_BLOB_UNKNOWN",
                    f"{ref.path}: blob {ref.raw_digest} is not in {name}",
                    {"digest": ref.raw_digest},
                )
            )
        elif size != ref.size:
            wrong_size.append(f"{ref.path}: size {ref.size} but blob {ref.raw_digest} has {size} bytes")
    for ref in info.children:
        size = None
        if ref.digest is not None:
            try:
                size = ctx.storage.manifests.size(name, ref.digest)
            except ManifestNotFoundError:
                try:
                    size = ctx.storage.blobs.size_in(name, ref.digest)
                except BlobNotFoundError:
                    size = None
        if size is None:
            missing.append(
                ErrorItem(
                    "MANIFEST_BLOB_UNKNOWN",
                    f"{ref.path}: manifest {ref.raw_digest} is not in {name}",
                    {"digest": ref.raw_digest},
                )
            )
        elif size != ref.size:
            wrong_size.append(f"{ref.path}: size {ref.size} but manifest {ref.raw_digest} has {size} bytes")
    if wrong_size:
        raise OciError("MANIFEST_INVALID", "; ".join(wrong_size)[:2000], {"reasons": wrong_size[:50]})
    if missing:
        raise OciError.many(missing[:100])


async def delete_manifest(ctx: Context, request: Request, match: Match) -> Response:
    """DELETE ``/v2/<name>/manifests/<reference>``: a tag removes only the tag, a digest the manifest."""
    name = valid_name(match.name)
    reference = _reference(match.reference)
    deletes_enabled(ctx)
    store = ctx.storage.manifests
    if not isinstance(reference, Digest):
        store.delete_tag(name, reference)
        return Response(202)
    body, _media_type = store.get(name, reference)
    store.delete(name, reference)
    subject = _subject_of(body)
    if subject is not None:
        ctx.storage.referrers.remove(name, subject, reference)
    return Response(202)


def _subject_of(body: bytes) -> Digest | None:
    try:
        document = json.loads(body)
        return parse_digest(document["subject"]["digest"])
    except (ValueError, KeyError, TypeError, GrammarError):
        return None
