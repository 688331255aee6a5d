"""Rules of authentication and authorization (marker `auth`).

HTTP's 401, the Basic and Bearer schemes, Docker token authentication (distribution's token.md, scope.md,
jwt.md) and the spec's two auth codes.

spec.md leaves authentication out of its purview ("This endpoint MAY be used for authentication/authorization
purposes, but this is out of the purview of this specification"); it only names the codes `UNAUTHORIZED` and
`DENIED`. So each rule says which document binds the registry, by these positions (the audit,
`conformance/ledger/audit/auth.md`, gives the reasons):

1. **HTTP binds directly.** "The API operates over HTTP" (spec.md#api, both versions): a 401 is HTTP's
   status, and RFC 9110 section 15.5.2 defines it with a MUST on the server that sends it. The suite applies
   that MUST as HTTP, in a v1.1 run too, not only through the main branch's "SHOULD follow the HTTP
   semantics" (which covers behaviour the spec does not define; a 401 without a challenge is no HTTP 401).
2. **The scheme a challenge names binds it.** `Basic` is RFC 7617's scheme, `Bearer` RFC 6750's (token.md:
   "This format is documented in Section 3 of RFC 6750"); each RFC binds a registry sending its challenge.
3. **Docker token auth binds a registry whose Bearer realm is a token URL.** distribution's token documents
   are the protocol's only definition. They write their keywords in lower case (jwt.md sets **must** in
   bold); the suite reads them as RFC 2119 keywords and quotes them as written (markup removed).
4. **The token service the challenge names is part of the registry under test** (the registry trusts it and
   sends its clients there), so its sentences bind it too.
5. **Access policy is nobody's rule.** Which user may read or write which repository is the operator's
   policy (token.md: "up to the policy of that access control provider"). Checks that presume ghcr.io's
   model (a freshly pushed repository is private to its owner, users are isolated) report another policy as
   advice (`ACCESS_POLICY`). What IS a requirement: a token registry must refuse a request its token does not
   cover (`SCOPE_ENFORCED`) and a token that fails verification (`TOKEN_VERIFIED`); where the suite can read
   the token's `access` claim (a JWT, as distribution's), it knows whether the token covered the request.
6. **"Not allowed" is 401 with a challenge or 403.** The documents disagree (jwt.md: 403; scope.md: a
   challenge; RFC 6750 section 3.1: 403 for `insufficient_scope`; distribution: 401 with
   `error="insufficient_scope"`). The suite accepts both and does not warn about either (`REFUSAL_STATUS`).
"""

from __future__ import annotations

from conformance.ledger.documents import RFC6750, RFC7617, RFC9110, SPEC, TOKEN_AUTH, TOKEN_JWT, TOKEN_SCOPE
from conformance.ledger.model import Keyword, Rule
from conformance.ledger.rules import general

# spec.md -----------------------------------------------------------------------------------------------
AUTH_OUT_OF_PURVIEW = Rule(
    "auth-out-of-purview", SPEC, "determining-support", Keyword.MAY,
    "This endpoint MAY be used for authentication/authorization purposes, but this is out of the purview of "
    "this specification.",
    position="An anonymous GET /v2/ of a registry that requires authentication answers 200 or 401 (the "
    "endpoint table's end-1); another answer is advice. Everything else about authentication rests on the "
    "documents of HTTP and of the scheme the registry's challenge names (see the rules module).",
)
CODE_UNAUTHORIZED = Rule(
    "error-code-unauthorized", SPEC, "error-codes", Keyword.NONE,
    "`UNAUTHORIZED` | authentication required",
    position="No sentence ties the code to a status: a JSON 401 body naming another code is advice (the "
    "envelope itself is judged on error-envelope).",
)
CODE_DENIED = Rule(
    "error-code-denied", SPEC, "error-codes", Keyword.NONE,
    "`DENIED` | requested access to the resource is denied",
    position="No sentence ties the code to a status: a JSON 403 body naming another code is advice.",
)

# HTTP --------------------------------------------------------------------------------------------------
CHALLENGE_ON_401 = Rule(
    "challenge-on-401", RFC9110, "section-15.5.2", Keyword.MUST,
    "The server generating a 401 response MUST send a WWW-Authenticate header field (Section 11.6.1) "
    "containing at least one challenge applicable to the target resource.",
    position="Binds as HTTP itself, in both spec versions (see the rules module). A WWW-Authenticate value "
    "that does not parse as challenges (RFC 9110 section 11.6.1 grammar) contains none. A registry whose "
    "challenges name only schemes the harness does not speak (neither Basic nor Bearer) is unsupported.",
)

# Basic (RFC 7617) --------------------------------------------------------------------------------------
BASIC_REALM = Rule(
    "basic-realm", RFC7617, "section-2", Keyword.REQUIRED,
    "The authentication parameter 'realm' is REQUIRED ([RFC7235], Section 2.2).",
)
BASIC_VALIDATES = Rule(
    "basic-validates-credentials", RFC7617, "section-2", Keyword.NONE,
    "The server will service the request only if it can validate the user-id and password for the "
    "protection space applying to the requested resource.",
    position="The scheme's definition, without a keyword: a Basic registry that serves a request with a "
    "wrong password (after challenging the anonymous one) is reported as advice. No document the suite "
    "holds a registry to makes it a failure.",
)

# Bearer (RFC 6750) -------------------------------------------------------------------------------------
BEARER_AUTH_PARAMS = Rule(
    "bearer-auth-params", RFC6750, "section-3", Keyword.MUST,
    "All challenges defined by this specification MUST use the auth-scheme value \"Bearer\". This scheme "
    "MUST be followed by one or more auth-param values.",
)
BEARER_CHALLENGE_ON_REFUSAL = Rule(
    "bearer-challenge-on-refusal", RFC6750, "section-3", Keyword.MUST,
    "If the protected resource request does not include authentication credentials or does not contain an "
    "access token that enables access to the protected resource, the resource server MUST include the HTTP "
    "\"WWW-Authenticate\" response header field",
    contested=True,
    position="Judged on a 403 of a Bearer registry (a 401 is judged on challenge-on-401). jwt.md describes a "
    "plain 403 for a token that does not satisfy the registry, so a 403 without a challenge is advice by "
    "default and fails only under --registry-strict-readings.",
)
BEARER_ERROR_ATTRIBUTE = Rule(
    "bearer-error-attribute", RFC6750, "section-3", Keyword.SHOULD,
    "If the protected resource request included an access token and failed authentication, the resource "
    "server SHOULD include the \"error\" attribute to provide the client with the reason why the access "
    "request was declined.",
    position="Judged on the challenge answering a tampered, expired or other-audience token.",
)
BEARER_NO_ERROR_WITHOUT_TOKEN = Rule(
    "bearer-no-error-without-credentials", RFC6750, "section-3.1", Keyword.SHOULD_NOT,
    "If the request lacks any authentication information (e.g., the client was unaware that authentication "
    "is necessary or attempted using an unsupported authentication method), the resource server SHOULD NOT "
    "include an error code or other error information.",
    position="Governs the challenge's auth-params (`error`, `error_description`, `error_uri`), not the OCI "
    "error body, which spec.md defines and token.md's own example carries (`UNAUTHORIZED`).",
)
BEARER_ERROR_CODES = Rule(
    "bearer-error-codes", RFC6750, "section-3.1", Keyword.NONE,
    "When a request fails, the resource server responds using the appropriate HTTP status code (typically, "
    "400, 401, 403, or 405) and includes one of the following error codes in the response:",
    position="Which code (invalid_token for a token that fails verification, insufficient_scope for a token "
    "without the scope) is named without a keyword: another code is advice.",
)
BEARER_INVALID_TOKEN_401 = Rule(
    "bearer-invalid-token-401", RFC6750, "section-3.1", Keyword.SHOULD,
    "The access token provided is expired, revoked, malformed, or invalid for other reasons. The resource "
    "SHOULD respond with the HTTP 401 (Unauthorized) status code.",
    position="jwt.md's \"will return a 403\" has no keyword, and distribution itself answers 401: a 403 "
    "(or a hiding 404) for a tampered, expired or other-audience token is a warning.",
)
BEARER_INSUFFICIENT_SCOPE_403 = Rule(
    "bearer-insufficient-scope-403", RFC6750, "section-3.1", Keyword.SHOULD,
    "The request requires higher privileges than provided by the access token. The resource server SHOULD "
    "respond with the HTTP 403 (Forbidden) status code",
    unchecked="Docker token auth answers a token without the scope with a challenge naming the scope it "
    "needs (scope.md 'Resource Provider Use'; distribution answers 401 insufficient_scope), so clients fetch "
    "a token with that scope; the more specific protocol wins and the suite accepts 401 with a challenge "
    "or 403 (refusal-status)",
)
BEARER_PARAMS_ONCE = Rule(
    "bearer-params-once", RFC6750, "section-3", Keyword.MUST_NOT,
    "The \"realm\" attribute MUST NOT appear more than once.",
    unchecked="the harness's challenge parser keeps the first of repeated parameters, so a repetition is not "
    "observed (the same holds for scope, error, error_description and error_uri)",
)

# Docker token authentication: the registry (token.md, scope.md, jwt.md) -----------------------------------
TOKEN_CHALLENGE = Rule(
    "token-challenge", TOKEN_AUTH, "how-to-authenticate", Keyword.NONE,
    "If the registry server requires authentication it will return a `401 Unauthorized` response with a "
    "`WWW-Authenticate` header detailing how to authenticate to this registry.",
    unchecked="no keyword, and its content is judged by RFC 9110's challenge-on-401 (MUST) and the "
    "token-realm and scope-challenge descriptions",
)
TOKEN_REALM = Rule(
    "token-realm", TOKEN_AUTH, "how-to-authenticate", Keyword.NONE,
    "To respond to this challenge, the client will need to make a `GET` request to the URL "
    "`https://auth.docker.io/token` using the `service` and `scope` values from the `WWW-Authenticate` "
    "header.",
    position="A Bearer realm that is no absolute http(s) URL is advice, and the token checks are then "
    "unsupported (the registry does not use Docker token auth: the suite cannot obtain tokens); a challenge "
    "without `service` is advice.",
)
SCOPE_CHALLENGE = Rule(
    "scope-challenge", TOKEN_SCOPE, "resource-provider-use", Keyword.NONE,
    "When appropriate authorization is not provided either due to lack of scope or missing token, the "
    "resource provider to return a `WWW-AUTHENTICATE` HTTP header with the `realm` as the authorization "
    "server, the `service` as the expected audience identifying string, and a `scope` field for each "
    "required resource scope to complete the request.",
    position="The sentence has no verb, let alone a keyword: a challenge that does not name the repository "
    "and action the request needs is advice.",
)
SCOPE_GRAMMAR = Rule(
    "scope-grammar", TOKEN_SCOPE, "resource-scope-grammar", Keyword.NONE,
    "resourcescope := resourcetype \":\" resourcename \":\" action [ ',' action ]*",
)
SCOPE_ENFORCED = Rule(
    "scope-enforced", TOKEN_SCOPE, "resource-provider-use", Keyword.MUST,
    "The resource provider must ensure that ANY resource being accessed as the result of a request has the "
    "appropriate access scope.",
    position="Fails a Bearer registry that serves a request with a token that does not carry the scope: a "
    "pull-only token that pushes, or a token whose `access` claim (read when the token is a JWT) grants no "
    "action the request needs. Whether a user is granted a scope is the token service's policy "
    "(access-policy); a request without any token that is served is policy too (public content).",
)
TOKEN_VERIFIED = Rule(
    "token-verified", TOKEN_JWT, "verifying-the-token", Keyword.MUST,
    "The registry must now verify the token presented by the user by inspecting the claim set within.",
    position="A token with a broken signature, one past its `exp`, and one for another audience (`aud`) fail "
    "the verification jwt.md lists, so the registry must refuse them. Expiry is allowed a clock-skew leeway "
    "(distribution 2.8.2 and 3.1.1 add 60 s): an expired token still accepted within the suite's wait is "
    "noted, never judged.",
)
REFUSAL_STATUS = Rule(
    "refusal-status", TOKEN_JWT, "verifying-the-token", Keyword.NONE,
    "If any of these requirements are not met, the registry will return a `403 Forbidden` response to "
    "indicate that the token is invalid.",
    position="The documents disagree (jwt.md: 403; scope.md: a challenge naming the scope; RFC 6750 section "
    "3.1: 401 for invalid_token, 403 for insufficient_scope; distribution: 401 with the RFC 6750 error). The "
    "suite accepts 401 with a challenge or 403 for every refusal, and 404 where a read may hide that a "
    "private repository exists; a refusal with another status is advice.",
)
ACCESS_POLICY = Rule(
    "access-policy", TOKEN_AUTH, "example", Keyword.NONE,
    "Whether the token server requires authentication is up to the policy of that access control provider.",
    position="Access policy is the operator's, defined by no document. The checks presume ghcr.io's model (a "
    "freshly pushed repository is private to its owner, each user's namespace is theirs alone); a registry "
    "whose policy lets an anonymous client or another user in is reported as advice, unless the token it "
    "served the request with demonstrably lacks the scope (scope-enforced).",
)

# Docker token authentication: the token service ------------------------------------------------------------
TOKEN_SERVICE_401 = Rule(
    "token-service-401", TOKEN_AUTH, "example", Keyword.SHOULD,
    "If an attempt to authenticate to the token server fails, the token server should return a `401 "
    "Unauthorized` response indicating that the provided credentials are invalid.",
)
TOKEN_SERVICE_AUTHENTICATES = Rule(
    "token-service-authenticates", TOKEN_AUTH, "example", Keyword.SHOULD,
    "The token server should first attempt to authenticate the client using any authentication credentials "
    "provided with the request.",
    position="A token issued for a wrong password that then gets a push into the user's repository accepted "
    "was issued without authenticating the credentials sent.",
)
TOKEN_NO_ERROR_FOR_MISSING_ACCESS = Rule(
    "token-no-error-for-missing-access", TOKEN_JWT, "verifying-the-token", Keyword.SHOULD_NOT,
    "The token server should not return errors when the user does not have the requested authorization.",
    position="token.md's \"it must not be considered an error\" speaks of a subset of the requested access; "
    "for a user with no access at all the suite applies jwt.md's should not (a warning).",
)
TOKEN_PARTIAL_GRANT = Rule(
    "token-partial-grant", TOKEN_AUTH, "example", Keyword.MUST_NOT,
    "If the client only has a subset of the requested access it must not be considered an error as it is not "
    "the responsibility of the token server to indicate authorization errors as part of this workflow.",
    unchecked="the suite cannot set up, on an arbitrary registry, a repository where the user holds some but "
    "not all actions (the no-access case is token-no-error-for-missing-access)",
)
TOKEN_RESPONSE_TOKEN = Rule(
    "token-response-token", TOKEN_AUTH, "token-response-fields", Keyword.MUST,
    "At least one of these fields must be specified, but both may also appear (for compatibility with older "
    "clients).",
    position="A token response that is no JSON object carries neither `token` nor `access_token`.",
)
TOKEN_RESPONSE_EQUAL = Rule(
    "token-response-equal", TOKEN_AUTH, "token-response-fields", Keyword.SHOULD,
    "When both are specified, they should be equivalent; if they differ the client's choice is undefined.",
)
TOKEN_MIN_LIFETIME = Rule(
    "token-min-lifetime", TOKEN_AUTH, "token-response-fields", Keyword.SHOULD,
    "For compatibility with older clients, a token should never be returned with less than 60 seconds to "
    "live.",
    position="`expires_in` below 60 breaks it (an omitted one means 60 s). The bundled token server the "
    "suite starts itself issues 2 s tokens to check expiry: the harness's choice, noted there, not judged.",
)
TOKEN_EXPIRES_IN = Rule(
    "token-expires-in", TOKEN_AUTH, "token-response-fields", Keyword.NONE,
    "(Optional) The duration in seconds since the token was issued that it will remain valid.",
)
TOKEN_ISSUED_AT = Rule(
    "token-issued-at", TOKEN_AUTH, "token-response-fields", Keyword.NONE,
    "(Optional) The RFC3339-serialized UTC standard time at which a given token was issued.",
)
TOKEN_OPAQUE = Rule(
    "token-opaque", TOKEN_AUTH, "token-response-fields", Keyword.NONE,
    "An opaque Bearer token that clients should supply to subsequent requests in the Authorization header.",
    unchecked="the suite treats tokens as opaque: it never judges a token's structure (jwt.md's JOSE header "
    "and claims describe distribution's implementation, checked by the registry that verifies them); it only "
    "reads a JWT's `access` and `aud` claims, when present, to know what a token grants",
)
NO_CALLBACK = Rule(
    "token-no-callback", TOKEN_JWT, "verifying-the-token", Keyword.NONE,
    "At no point in this process should the registry need to call back to the authorization server.",
    unchecked="how the registry verifies a token is not observable from the client side",
)

CHALLENGE_RULES = (CHALLENGE_ON_401, BASIC_REALM, BEARER_AUTH_PARAMS, TOKEN_REALM, SCOPE_CHALLENGE,
                   SCOPE_GRAMMAR)
"""Rules every challenge is judged on (`conformance.checks.auth_challenges.check_challenge`)."""
REFUSAL_RULES = (*CHALLENGE_RULES, REFUSAL_STATUS, BEARER_CHALLENGE_ON_REFUSAL, CODE_UNAUTHORIZED,
                 CODE_DENIED, general.ERROR_ENVELOPE, general.ERROR_CODE_TABLE)
"""Rules every refusal is judged on (`check_refused`), besides the rule the refusal itself rests on."""
TOKEN_ANSWER_RULES = (TOKEN_RESPONSE_TOKEN,)
"""Rules every token request of the suite is judged on (`conformance.checks.auth_tokens.fetch_token`)."""
INVALID_TOKEN_RULES = (TOKEN_VERIFIED, BEARER_INVALID_TOKEN_401, BEARER_ERROR_ATTRIBUTE, BEARER_ERROR_CODES,
                       *REFUSAL_RULES)
"""Rules a token that fails verification is judged on (`check_invalid_token_refused`)."""
