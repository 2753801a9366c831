"""Domain-wide delegation for the fake Google: a test service account (an RSA key made here with
``cryptography``, its JSON key file as Google Cloud console hands it out) and the token
endpoint's JWT-bearer grant (``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``).

The grant checks what Google checks: the RS256 signature against the service account's public
key, ``iss``, ``aud`` (always Google's token URI, whatever URL the grant is posted to), a
short-lived ``iat``/``exp``, ``scope`` against the scopes the admin delegated, and ``sub``
against the domain's users. Refusals carry Google's codes and texts: 401 ``unauthorized_client``
when the client is not delegated the scopes asked for, 400 ``invalid_grant`` "Invalid email or
User ID" for a subject that is not an active user, "Invalid JWT Signature." for a wrong key.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

if TYPE_CHECKING:
    from fakes.google_server import FakeGoogle

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
ROOT = "https://www.googleapis.com/auth/"
LEAST = frozenset({ROOT + "gmail.metadata", ROOT + "calendar.readonly"})
UNAUTHORIZED = (401, {"error": "unauthorized_client",
                      "error_description": "Client is unauthorized to retrieve access tokens "
                      "using this method, or client not authorized for any of the scopes "
                      "requested."})
NO_USER = (400, {"error": "invalid_grant", "error_description": "Invalid email or User ID"})


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@dataclass
class ServiceAccount:
    """A service account with its own RSA key, and the Workspace's delegation to it."""

    client_email: str = "keepwarm@firm-project.iam.gserviceaccount.com"
    client_id: str = "104729000000000000042"
    users: set[str] = field(default_factory=set)  # active users of the Workspace domain
    refusals: dict[str, str] = field(default_factory=dict)  # sub -> error code, scripted
    scopes: frozenset[str] = LEAST  # what the admin delegated to client_id
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    grants: list[dict[str, Any]] = field(default_factory=list)  # claims of each grant accepted

    def key_info(self, token_uri: str = GOOGLE_TOKEN_URI) -> dict[str, str]:
        """The JSON key file's fields, as downloaded from Google Cloud console."""
        pem = self.key.private_bytes(serialization.Encoding.PEM,
                                     serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode()
        return {"type": "service_account", "project_id": "firm-project",
                "private_key_id": "0f1e2d3c4b5a", "private_key": pem,
                "client_email": self.client_email, "client_id": self.client_id,
                "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": token_uri,
                "universe_domain": "googleapis.com"}

    def write_key(self, path: Path, mode: int = 0o600) -> Path:
        """Write the JSON key file with ``mode``."""
        path.write_text(json.dumps(self.key_info()))
        path.chmod(mode)
        return path

    def grant(self, assertion: str) -> tuple[int, dict[str, Any], dict[str, Any] | None]:
        """(status, body on refusal, the verified claims on success) for one assertion."""
        try:
            head_b, claims_b, sig_b = assertion.split(".")
            header, claims = json.loads(_unb64(head_b)), json.loads(_unb64(claims_b))
        except ValueError:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT."}, None
        try:
            self.key.public_key().verify(_unb64(sig_b), f"{head_b}.{claims_b}".encode(),
                                         padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return 400, {"error": "invalid_grant",
                         "error_description": "Invalid JWT Signature."}, None
        now = time.time()
        if (header.get("alg") != "RS256" or claims.get("iss") != self.client_email
                or claims.get("aud") != GOOGLE_TOKEN_URI):
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT: "
                         "Failed audience or issuer check."}, None
        iat, exp = claims.get("iat", 0), claims.get("exp", 0)
        if not iat - 300 <= now <= exp or exp - iat > 3600:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT: Token "
                         "must be a short-lived token (60 minutes) and in a reasonable "
                         "timeframe. Check your iat and exp values in the JWT claim."}, None
        asked = frozenset(str(claims.get("scope") or "").split())
        if not asked:
            return 400, {"error": "invalid_scope",
                         "error_description": "Empty or missing scope not allowed."}, None
        if not asked <= self.scopes:
            return (*UNAUTHORIZED, None)
        code = self.refusals.get(claims.get("sub", ""))
        if code == "unauthorized_client":
            return (*UNAUTHORIZED, None)
        if code is not None or claims.get("sub") not in self.users:
            return (*NO_USER, None)
        self.grants.append(claims)
        return 200, {}, claims


def serve_grant(fake: FakeGoogle, form: dict[str, list[str]]) -> tuple[int, dict, dict]:
    """The JWT-bearer grant of the fake token endpoint (called under ``fake.lock``): an access
    token for ``sub``, carrying the scopes asked for and acting on that member's mailbox and
    calendars."""
    sa = fake.service_account
    if sa is None:
        return 400, {"error": "unsupported_grant_type",
                     "error_description": "Invalid grant_type: " + JWT_BEARER}, {}
    status, body, claims = sa.grant((form.get("assertion") or [""])[0])
    if claims is None:
        return status, body, {}
    tok = "ya29.c." + uuid.uuid4().hex
    scopes = frozenset(claims["scope"].split())
    fake.access.add(tok)
    fake.scopes_of[tok] = scopes
    fake.user_of[tok] = claims["sub"]
    fake.member(claims["sub"])
    return 200, {"access_token": tok, "expires_in": fake.token_lifetime,
                 "token_type": "Bearer"}, {}
