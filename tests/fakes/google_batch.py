"""Gmail's batch endpoint for the fake Google: multipart/mixed in, multipart/mixed out, with
``Content-ID: <response-... + N>`` and a reason phrase on each part's status line; 400 above
100 parts; parts above ``fake.concurrency`` refused with 429 "Too many concurrent requests for
user", as Gmail does when a batch asks for too much at once."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING

from fakes.google_gmail import error

if TYPE_CHECKING:
    from fakes.google_server import FakeGoogle

REASON = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
          404: "Not Found", 410: "Gone", 429: "Too Many Requests",
          500: "Internal Server Error", 503: "Service Unavailable"}


def serve_batch(fake: FakeGoogle, ctype: str, body: bytes) -> tuple[int, bytes, str]:
    """One multipart/mixed batch: each part answered by ``fake.api``, or refused above
    ``fake.concurrency``."""
    boundary = ctype.split("boundary=", 1)[1].strip('"').encode()
    chunks = [c for c in body.split(b"--" + boundary)[1:] if not c.startswith(b"--")]
    if len(chunks) > 100:
        status, err = error(400, "Inner request count exceeds the limit. Received: "
                            f"{len(chunks)}, Limit: 100", "invalid")
        return status, json.dumps(err).encode(), "application/json; charset=UTF-8"
    with fake.lock:
        fake.batches.append(len(chunks))
    out_b = "batch_" + uuid.uuid4().hex
    out = []
    for n, chunk in enumerate(chunks):
        text = chunk.decode("utf-8").replace("\r\n", "\n")
        outer, _, inner = text.lstrip("\n").partition("\n\n")
        cid = next(v for k, _, v in (h.partition(": ") for h in outer.split("\n"))
                   if k.lower() == "content-id")
        req_line, _, rest = inner.partition("\n")
        method, target, _ = req_line.split(" ", 2)
        hdrs = {k.lower(): v for k, _, v in (h.partition(": ")
                for h in rest.split("\n\n", 1)[0].split("\n")) if k}
        if fake.concurrency is not None and n >= fake.concurrency:
            with fake.lock:  # Gmail runs parts in parallel and refuses those above its limit
                fake.log.append((method, target))
                fake.requests += 1
                fake.rejected += 1
            status, obj = error(429, "Too many concurrent requests for user",
                                "rateLimitExceeded", "usageLimits")
            extra: dict[str, str] = {}
        else:
            status, obj, extra = fake.api(method, target, hdrs)
        head = "".join(f"{k}: {v}\r\n" for k, v in extra.items())
        payload = json.dumps(obj)
        out.append(f"--{out_b}\r\nContent-Type: application/http\r\n"
                   f"Content-ID: <response-{cid.strip().strip('<>')}>\r\n\r\n"
                   f"HTTP/1.1 {status} {REASON.get(status, 'Error')}\r\n"
                   f"Content-Type: application/json; charset=UTF-8\r\n{head}"
                   f"Content-Length: {len(payload.encode())}\r\n\r\n{payload}\r\n")
    data = ("".join(out) + f"--{out_b}--\r\n").encode()
    return 200, data, f"multipart/mixed; boundary={out_b}"
