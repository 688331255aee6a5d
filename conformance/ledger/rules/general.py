"""Rules every area shares: the conformance categories, HTTP itself and the error envelope (spec.md "API")."""

from __future__ import annotations

from conformance.ledger.documents import RFC9110, RFC9112, SPEC
from conformance.ledger.model import Keyword, Reference, Rule, SpecVersion

PULL_CATEGORY = Rule(
    "pull-category", SPEC, "requirements", Keyword.MUST,
    "All registries conforming to this specification MUST support, at a minimum, all APIs in the "
    "**Pull** category.",
    unchecked="each pull check judges the sentence of the API it calls (and a refused pull step fails on "
    "category-claim); the category sentence adds no verdict of its own",
)
CATEGORY_CLAIM = Rule(
    "category-claim", SPEC, "requirements", Keyword.MUST,
    "A registry claiming conformance with one of these specification categories MUST implement all APIs "
    "in the claimed category.",
    position="A run that keeps a category switched on treats the registry as claiming it, so a refused "
    "step of a valid workflow in that category (a push the check needs as setup, say) fails the check. "
    "Switch a category off (--no-push, OCI_API_*) for a registry that does not claim it.",
)
OTHER_CATEGORIES = Rule(
    "other-categories", SPEC, "requirements", Keyword.SHOULD,
    "Registries SHOULD also support the **Push**, **Content Discovery**, and **Content Management** "
    "categories.",
    unchecked="which categories a run checks is the user's choice (switches); a registry without one is "
    "run with it switched off, so the suite never sees the absence",
)
HTTP_COMPLETE_ANSWER = Rule(
    "http-complete-answer", RFC9112, "section-6.3", Keyword.MUST,
    "If the sender closes the connection or the recipient times out before the indicated number of octets "
    "are received, the recipient MUST consider the message to be incomplete and close the connection.",
    position="The API operates over HTTP (spec.md#api). An exchange that gets no complete HTTP answer within "
    "the request deadline (refused or reset connection, stalled or trickling body, a body shorter than its "
    "Content-Length) answered nothing, so no requirement of its check can hold: the check fails, naming the "
    "request, whatever the keyword of the sentence it tests.",
)
HTTP_SEMANTICS = Rule(
    "http-semantics", SPEC, "api", Keyword.SHOULD,
    "Where this specification does not define specific behavior, implementations SHOULD follow the HTTP "
    "semantics defined in RFC 9110.",
    since=SpecVersion.MAIN,
    unchecked="a frame for the specific rules below (server errors, 405, Allow, ...), each its own rule",
)
SERVER_ERROR_FOR_CLIENT_ERROR = Rule(
    "server-error-for-client-error", SPEC, "api", Keyword.SHOULD,
    "Where this specification does not define specific behavior, implementations SHOULD follow the HTTP "
    "semantics defined in RFC 9110.",
    since=SpecVersion.MAIN,
    refers_to=Reference(
        RFC9110, "section-15.6",
        "The 5xx (Server Error) class of status code indicates that the server is aware that it has erred "
        "or is incapable of performing the requested method.",
    ),
    position="A 5xx answer to input the client got wrong says the server erred: a departure from HTTP "
    "semantics (a SHOULD of the main-branch text, advice for v1.1), unless a specific MUST of the spec names "
    "the answer (for example a GET or HEAD of a well-formed reference that does not exist MUST be 404).",
)
ERROR_ENVELOPE = Rule(
    "error-envelope", SPEC, "error-codes", Keyword.MUST,
    "A `4XX` response code from the registry MAY return a body in any format. If the response body is in "
    "JSON format, it MUST have the following format",
)
ERROR_CODE_SHAPE = Rule(
    "error-code-shape", SPEC, "error-codes", Keyword.MUST,
    "The `code` field MUST be a unique identifier, containing only uppercase alphabetic characters and "
    "underscores.",
)
ERROR_CODE_TABLE = Rule(
    "error-code-table", SPEC, "error-codes", Keyword.MUST,
    "The `code` field MUST be one of the following:",
)
ERROR_MESSAGE = Rule(
    "error-message", SPEC, "error-codes", Keyword.SHOULD,
    "The `message` field is OPTIONAL, and if present, it SHOULD be a human readable string or MAY be empty.",
)
RETRY_AFTER = Rule(
    "retry-after", SPEC, "error-codes", Keyword.SHOULD,
    "A `429 Too Many Requests` response (RFC 6585 (section 4)) SHOULD include a `Retry-After` header per "
    "RFC 9110 (section 10.2.3).",
    since=SpecVersion.MAIN,
    unchecked="no check provokes rate limiting",
)
WARNING_HEADER_FORMAT = Rule(
    "warning-header-format", SPEC, "warnings", Keyword.MUST,
    "If included, `Warning` headers MUST specify a `warn-code` of `299` and a `warn-agent` of `-`, and MUST "
    "NOT specify a `warn-date` value.",
)
WARNING_HEADER_SIZE = Rule(
    "warning-header-size", SPEC, "warnings", Keyword.MUST_NOT,
    "A registry MUST NOT send more than 4096 bytes of warning data from all headers combined.",
)
DETERMINING_SUPPORT = Rule(
    "determining-support", SPEC, "determining-support", Keyword.NONE,
    "If the response is `200 OK`, then the registry implements this specification.",
)
ENDPOINT_TABLE = Rule(
    "endpoint-table", SPEC, "endpoints", Keyword.NONE,
    "Below is a summary of the endpoints used by the API.",
    position="The endpoint table lists success and failure status codes without a keyword: an answer "
    "outside it is advice, unless a sentence with a keyword names the status.",
)
REDIRECTS = Rule(
    "redirects", SPEC, "api", Keyword.MAY,
    "Registries MAY respond to any request with a redirect per RFC 9110 (section 15.4); clients SHOULD "
    "follow such redirects, and MUST NOT forward `Authorization` headers across host boundaries unless "
    "explicitly configured to do so.",
    since=SpecVersion.MAIN,
    unchecked="binds clients (the harness follows redirects and strips Authorization across origins: "
    "tests/conformance/client); a registry's redirect is always allowed",
)
ERROR_DETAIL = Rule(
    "error-detail", SPEC, "error-codes", Keyword.MAY,
    "The `detail` field is OPTIONAL and MAY contain arbitrary JSON data providing information the client can "
    "use to resolve the issue.",
    unchecked="a MAY: any detail (or none) is allowed, so there is nothing to judge",
)
STATUS_AFTER_REDIRECTS = Rule(
    "status-after-redirects", SPEC, "api", Keyword.NONE,
    "The status codes documented in this specification are those returned after any redirects have been "
    "followed.",
    since=SpecVersion.MAIN,
    position="The suite judges the answer at the end of a redirect chain (the client follows redirects). A "
    "redirect that cleans a request up (an invalid name with `//` or dot segments to a valid one) means "
    "the registry did not act on what was sent: the answer after it is judged as an answer to the cleaned "
    "request.",
)
UNDEFINED_METHOD_405 = Rule(
    "undefined-method-405", SPEC, "api", Keyword.SHOULD,
    "Where this specification does not define specific behavior, implementations SHOULD follow the HTTP "
    "semantics defined in RFC 9110.",
    since=SpecVersion.MAIN,
    refers_to=Reference(
        RFC9110, "section-9.1",
        "An origin server that receives a request method that is recognized and implemented, but not allowed "
        "for the target resource, SHOULD respond with the 405 (Method Not Allowed) status code.",
    ),
    position="A method an endpoint does not define (PATCH on tags/list, POST on a manifest URL, PUT on a "
    "blob URL) SHOULD get 405; a 404 or 400 also refuses it and departs from HTTP semantics only at SHOULD "
    "level (main; advice for v1.1), as does a 2xx. A 5xx is judged by SERVER_ERROR_FOR_CLIENT_ERROR.",
)
METHOD_NOT_ALLOWED_ALLOW = Rule(
    "method-not-allowed-allow", SPEC, "api", Keyword.SHOULD,
    "Where this specification does not define specific behavior, implementations SHOULD follow the HTTP "
    "semantics defined in RFC 9110.",
    since=SpecVersion.MAIN,
    refers_to=Reference(
        RFC9110, "section-15.5.6",
        "The origin server MUST generate an Allow header field in a 405 (Method Not Allowed) response "
        "containing a list of the target resource's currently supported methods.",
    ),
)
