"""Generate a maildir of N realistic header-only messages (and optionally time the connector).

    python bench/gen_maildir.py DIR N [--seed S] [--measure]

The tree is a Maildir++ root (``cur``/``new``/``tmp``) with ``.Sent``, ``.Archive.2023`` and
``.Lists`` folders. Messages carry what real mail carries before its body: Received chains,
a folded DKIM-Signature, Message-ID, threading headers, 1-6 recipients, some RFC 2047 names,
list headers on the list folder. ``--measure`` then reads the tree with the maildir connector
alone (no store) and prints messages per second.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FOLDERS = ("", ".Sent", ".Archive.2023", ".Lists")
FIRST = ["Ana", "Bo", "Chen", "Dana", "Émile", "Farah", "Gus", "Hiro", "Ines", "José", "Kai"]
LAST = ["Ito", "Moreau", "Müller", "Okafor", "Pérez", "Quinn", "Rossi", "Smith", "Tanaka"]
DOMAINS = ["example.com", "acme.io", "corp.example.org", "mail.test", "partner.net"]


_ASCII = str.maketrans({"É": "E", "é": "e", "ü": "ue"})


def _person(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    address = f"{first}.{last}@{rng.choice(DOMAINS)}".translate(_ASCII).lower()
    name = f"{first} {last}"
    if not name.isascii():  # an RFC 2047 encoded-word, as most mailers write it
        encoded = "".join(
            "_" if c == " " else c if c.isascii() else "".join(f"={b:02X}" for b in c.encode())
            for c in name
        )
        name = f"=?utf-8?q?{encoded}?="
    elif rng.random() < 0.3:
        name = f'"{last}, {first}"'
    return name, address


def _addr(rng: random.Random) -> str:
    name, address = _person(rng)
    return f"{name} <{address}>"


def message(rng: random.Random, i: int, folder: str, when: datetime) -> bytes:
    """One header block (ends with the blank line, no body)."""
    me = "Me Myself <me@example.com>"
    sent = folder == ".Sent"
    mid = f"<{when.strftime('%Y%m%d%H%M%S')}.{i}.{rng.getrandbits(32):08x}@{rng.choice(DOMAINS)}>"
    lines = [
        f"Return-Path: <bounce-{i}@{rng.choice(DOMAINS)}>",
        *(
            f"Received: from mx{h}.{rng.choice(DOMAINS)} (mx{h}.example [10.0.{h}.{i % 250}])\r\n"
            f"\tby mail.example.com with ESMTPS id {rng.getrandbits(40):x};\r\n"
            f"\t{format_datetime(when)}"
            for h in range(rng.randint(1, 4))
        ),
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel;\r\n"
        f"\th=from:to:subject:date:message-id; bh={rng.getrandbits(128):032x}=;\r\n"
        f"\tb={rng.getrandbits(256):064x}\r\n\t {rng.getrandbits(256):064x}",
        f"Message-ID: {mid}",
        f"Date: {format_datetime(when)}",
        f"From: {me if sent else _addr(rng)}",
        "To: " + ",\r\n\t".join(_addr(rng) for _ in range(rng.randint(1, 4))),
    ]
    if rng.random() < 0.3:
        lines.append("Cc: " + ", ".join(_addr(rng) for _ in range(rng.randint(1, 3))))
    if rng.random() < 0.4:
        parent = f"<p{rng.getrandbits(48):x}@{rng.choice(DOMAINS)}>"
        lines += [f"In-Reply-To: {parent}", f"References: <r{i}@example.com>\r\n {parent}"]
    if folder == ".Lists":
        lines += [
            "List-Id: Dev Team <dev.lists.example.com>",
            "List-Unsubscribe: <mailto:leave@lists.example.com>",
            "Precedence: list",
        ]
    lines += [
        f"Subject: Re: item {i}",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: 8bit",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def generate(path: str | Path, n: int, seed: int = 0) -> Path:
    """Write ``n`` messages under ``path`` (created if needed); returns the root."""
    rng = random.Random(seed)
    root = Path(path)
    for folder in FOLDERS:
        for sub in ("cur", "new", "tmp"):
            (root / folder / sub).mkdir(parents=True, exist_ok=True)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    for i in range(n):
        folder = rng.choices(FOLDERS, weights=(6, 2, 2, 1))[0]
        when = start + timedelta(seconds=rng.randint(0, 3 * 365 * 86400))
        sub, flags = ("new", "") if rng.random() < 0.05 else ("cur", ":2,S")
        name = f"{int(when.timestamp())}.M{i}P{seed}Q{i % 97}.bench{flags}"
        (root / folder / sub / name).write_bytes(message(rng, i, folder, when))
    return root


def measure(path: str | Path) -> tuple[int, float]:
    """(messages, seconds) for one full pass of the maildir connector over ``path``."""
    from connectors.local.maildir import MaildirSource

    source = MaildirSource("bench/mail", Path(path), "bench")
    began = time.perf_counter()
    count = sum(len(page.records) for page in source.pages(None))
    return count, time.perf_counter() - began


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir")
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--measure", action="store_true", help="time the connector afterwards")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    generate(args.dir, args.n, args.seed)
    print(f"generated {args.n} messages in {time.perf_counter() - began:.1f}s under {args.dir}")
    if args.measure:
        count, seconds = measure(args.dir)
        print(f"maildir connector: {count} messages in {seconds:.2f}s = {count / seconds:,.0f}/s")


if __name__ == "__main__":
    main()
