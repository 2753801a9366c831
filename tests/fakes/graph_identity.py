"""Fake Microsoft identity platform (v2.0) for one tenant: OpenID configuration, device-code
grant, refresh-token grant, revoked consent, "Allow public client flows" turned off
(``public_client``: AADSTS7000218), transient token-endpoint failures (``faults``:
5xx, 429, dropped connections), and what each consent covers (``withhold`` drops scopes from
a sign-in; a refresh asking beyond the consent gets AADSTS65001). Speaks what MSAL Python
sends and expects.

The client-credentials grant (an organisation's app, MSAL's ConfidentialClientApplication):
``client_secret`` (a wrong one gets AADSTS7000215) or a ``client_assertion`` JWT signed with a
key of one of ``certificates`` and naming it by ``x5t#S256`` (else AADSTS700027); the scope
must be one ``<resource>/.default``; the token carries ``roles``, the application permissions
an administrator consented to (kept in ``roles_of`` for the Graph fake)."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes

Reply = tuple[int, dict[str, str], bytes]
_RESERVED = {"openid", "profile", "offline_access", "email"}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _json(status: int, body: dict[str, Any]) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


@dataclass
class FakeIdentity:
    tenant: str = "contoso-tenant"
    client_id: str = "11111111-2222-3333-4444-555555555555"
    username: str = "me@contoso.example"
    expires_in: int = 3600
    revoked: bool = False
    pending_polls: int = 0  # "authorization_pending" answers before the device code works
    access: set[str] = field(default_factory=set)
    refresh: set[str] = field(default_factory=set)
    token_posts: list[dict[str, str]] = field(default_factory=list)
    device_scopes: list[str] = field(default_factory=list)
    withhold: set[str] = field(default_factory=set)  # scopes a sign-in does not grant
    consented: set[str] | None = None  # lower-cased scopes of the last sign-in (None: any)
    scopes_of: dict[str, set[str]] = field(default_factory=dict)  # access token -> scopes
    faults: list[int] = field(default_factory=list)  # statuses for the next token POSTs;
    # 0 drops the connection unanswered
    retry_after: str | None = None  # sent with those faults when set
    public_client: bool = True  # the app registration's "Allow public client flows"
    client_secret: str = "kw~app-secret-value"  # the app's secret (client credentials)
    certificates: list[x509.Certificate] = field(default_factory=list)  # uploaded to the app
    roles: set[str] = field(default_factory=lambda: {"Mail.ReadBasic.All",
                                                     "Calendars.ReadBasic.All"})
    roles_of: dict[str, set[str]] = field(default_factory=dict)  # app token -> roles (lower)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handles(self, path: str) -> bool:
        return path.startswith(f"/{self.tenant}/")

    def handle(self, method: str, path: str, form: dict[str, str], base: str) -> Reply:
        """Answer one identity request."""
        root = f"{base}/{self.tenant}"
        if method == "GET" and path.endswith("/v2.0/.well-known/openid-configuration"):
            return _json(200, {
                "token_endpoint": f"{root}/oauth2/v2.0/token",
                "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
                "issuer": f"{base}/{self.tenant}/v2.0", "tenant_region_scope": "EU",
                "response_types_supported": ["code", "id_token", "code id_token"]})
        if method == "POST" and path.endswith("/oauth2/v2.0/devicecode"):
            return self._device_code(form)
        if method == "POST" and path.endswith("/oauth2/v2.0/token"):
            with self.lock:
                self.token_posts.append(form)
                if self.faults:
                    return self._fault(self.faults.pop(0))
                return self._token(form, base)
        return _json(404, {"error": "not_found"})

    def _fault(self, status: int) -> Reply:
        if status == 0:
            return 0, {}, b""
        code = "temporarily_unavailable" if status in (429, 503) else "server_error"
        extra = {"Retry-After": self.retry_after} if self.retry_after else {}
        reply = _json(status, {"error": code, "error_description": "AADSTS90033: A transient "
                               "error has occurred. Please try again."})
        return reply[0], {**reply[1], **extra}, reply[2]

    def _device_code(self, form: dict[str, str]) -> Reply:
        if form.get("client_id") != self.client_id:
            return _json(400, {"error": "unauthorized_client",
                               "error_description": "AADSTS700016: Application not found."})
        self.device_scopes = form.get("scope", "").split()
        return _json(200, {
            "user_code": "KW7X-QP2M", "device_code": "dc-" + secrets.token_hex(8),
            "verification_uri": "https://microsoft.com/devicelogin", "expires_in": 900,
            "interval": 5, "message": "To sign in, use a web browser to open the page "
            "https://microsoft.com/devicelogin and enter the code KW7X-QP2M to authenticate."})

    def _token(self, form: dict[str, str], base: str) -> Reply:
        grant = form.get("grant_type", "")
        if grant == "client_credentials":
            return self._client_credentials(form, base)
        if not self.public_client and grant != "client_credentials":
            # What Entra ID answers a client without a secret when public flows are off.
            return _json(401, {
                "error": "invalid_client", "error_codes": [7000218],
                "error_description": "AADSTS7000218: The request body must contain the "
                "following parameter: 'client_assertion' or 'client_secret'.\r\nTrace ID: "
                "0f4c\r\nCorrelation ID: 9a1e\r\nTimestamp: 2025-03-10 12:00:00Z"})
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            if self.pending_polls > 0:
                self.pending_polls -= 1
                return _json(400, {"error": "authorization_pending",
                                   "error_description": "AADSTS70016: pending"})
            return self._issue(form, base)
        if grant == "refresh_token":
            if self.revoked or form.get("refresh_token") not in self.refresh:
                return _json(400, {
                    "error": "invalid_grant", "error_codes": [50173], "suberror": "bad_token",
                    "error_description": "AADSTS50173: The provided grant has expired due to it "
                    "being revoked, a fresh auth token is needed."})
            asked = {s.lower() for s in form.get("scope", "").split()} - _RESERVED
            if self.consented is not None and not asked <= self.consented:
                return _json(400, {
                    "error": "invalid_grant", "error_codes": [65001],
                    "suberror": "consent_required",
                    "error_description": "AADSTS65001: The user or administrator has not "
                    "consented to use the application."})
            self.refresh.discard(form["refresh_token"])
            return self._issue(form, base)
        return _json(400, {"error": "unsupported_grant_type"})

    def _issue(self, form: dict[str, str], base: str) -> Reply:
        now = int(time.time())
        asked = form.get("scope") or " ".join(self.device_scopes)  # device grants send none
        held = {w.lower() for w in self.withhold}
        scope = " ".join(s for s in asked.split() if s not in _RESERVED and s.lower() not in held)
        access, refresh = "at-" + secrets.token_hex(12), "rt-" + secrets.token_hex(12)
        if not form.get("refresh_token"):  # a sign-in: what it grants is the consent
            self.consented = {s.lower() for s in scope.split()}
        self.scopes_of[access] = {s.lower() for s in scope.split()}
        self.access.add(access)
        self.refresh.add(refresh)
        claims = {"aud": self.client_id, "iss": f"{base}/{self.tenant}/v2.0", "iat": now,
                  "nbf": now, "exp": now + 3600, "name": "Me Myself", "oid": "oid-1",
                  "preferred_username": self.username, "sub": "sub-1", "tid": self.tenant,
                  "ver": "2.0"}
        id_token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.sig"
        return _json(200, {
            "token_type": "Bearer", "scope": scope, "expires_in": self.expires_in,
            "ext_expires_in": self.expires_in, "access_token": access, "refresh_token": refresh,
            "id_token": id_token, "client_info": _b64({"uid": "oid-1", "utid": self.tenant})})

    # ---- client credentials (an organisation's app) -------------------------------------------
    def _client_credentials(self, form: dict[str, str], base: str) -> Reply:
        cid, scope = form.get("client_id", ""), form.get("scope", "")
        if cid != self.client_id:
            return _refused(400, "unauthorized_client", 700016, f"Application with identifier "
                            f"'{cid}' was not found in the directory '{self.tenant}'.")
        if len(scope.split()) != 1 or not scope.endswith("/.default"):
            return _refused(400, "invalid_scope", 1002012, f"The provided value for scope "
                            f"{scope} is not valid. Client credential flows must have a scope "
                            "value with /.default suffixed to the resource identifier.")
        if "client_secret" in form:
            if form["client_secret"] != self.client_secret:
                return _refused(401, "invalid_client", 7000215, "Invalid client secret "
                                "provided. Ensure the secret being sent in the request is the "
                                "client secret value, not the client secret ID, for a secret "
                                f"added to app '{cid}'.")
        elif "client_assertion" in form:
            problem = self._assertion(form["client_assertion"],
                                      f"{base}/{self.tenant}/oauth2/v2.0/token")
            if problem:
                return _refused(401, "invalid_client", 700027, problem)
        else:
            return _refused(401, "invalid_client", 7000216, "'client_assertion', "
                            "'client_secret' or 'request' is required for the "
                            "'client_credentials' grant type.")
        now = int(time.time())
        claims = {"aud": scope.removesuffix("/.default"), "iss": f"{base}/{self.tenant}/",
                  "iat": now, "nbf": now, "exp": now + self.expires_in, "appid": cid,
                  "idtyp": "app", "roles": sorted(self.roles), "tid": self.tenant,
                  "sub": "sp-oid", "jti": secrets.token_hex(8)}
        access = f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{_b64(claims)}.sig"
        self.access.add(access)
        self.roles_of[access] = {r.lower() for r in self.roles}
        return _json(200, {"token_type": "Bearer", "expires_in": self.expires_in,
                           "ext_expires_in": self.expires_in, "access_token": access})

    def _assertion(self, assertion: str, audience: str) -> str | None:
        """What is wrong with a client assertion (None: it proves the app holds the key)."""
        try:
            thumb = str(jwt.get_unverified_header(assertion).get("x5t#S256", "")).rstrip("=")
        except jwt.PyJWTError:
            return "Client assertion is not a valid JWT."
        known = {base64.urlsafe_b64encode(c.fingerprint(hashes.SHA256())).decode().rstrip("="): c
                 for c in self.certificates}
        cert = known.get(thumb)
        if cert is None:
            return ("The certificate with identifier used to sign the client assertion is not "
                    f"registered on application. [Reason - The key was not found., Thumbprint "
                    f"of key used by client: '{thumb}']")
        try:
            claims = jwt.decode(assertion, cert.public_key(),  # type: ignore[arg-type]
                                algorithms=["PS256", "RS256"], audience=audience,
                                issuer=self.client_id,
                                options={"require": ["exp", "aud", "iss", "sub", "jti"]})
        except jwt.PyJWTError as exc:
            return f"Client assertion failed signature validation. ({exc})"
        return None if claims.get("sub") == self.client_id else "Client assertion sub mismatch."


def _refused(status: int, error: str, code: int, text: str) -> Reply:
    """An Entra ID error answer: the code, the description with its trace lines."""
    return _json(status, {
        "error": error, "error_codes": [code], "error_description": f"AADSTS{code}: {text}"
        "\r\nTrace ID: 6f6c4645\r\nCorrelation ID: 5fc87507\r\nTimestamp: 2025-03-10 12:00:00Z"})
