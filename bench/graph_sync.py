"""Benchmark: first sync of 50,000 Outlook messages across folders against the fake Graph.

The fake (TLS, identity + Graph) runs in a child process so that its JSON work does not share
the client's interpreter; the client signs in with the real msal device-code flow and runs
the real mail stream. Prints wall time, requests made, wall messages/s and the client's own
overhead in messages per CPU second (the figure that matters when the server is not the limit).

    /work/venv/bin/python bench/graph_sync.py [--messages 50000] [--folders 12]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def serve(folder: Path, messages: int, folders: int) -> None:
    """Child: fill a mailbox, print the base URL and CA path, serve until stdin closes."""
    from fakes.graph_server import FakeGraph
    from fakes.graph_tls import make_tls

    ca, context = make_tls(folder)
    fake = FakeGraph(context).start()
    box = fake.mailbox
    names = ["inbox", "sentitems", "archive"]
    names += [box.add_folder(f"Project {i}", parent=box.folder("inbox"))
              for i in range(folders - 3)]
    start = datetime(2022, 1, 1, tzinfo=UTC)
    for i in range(messages):
        box.add_message(names[i % len(names)], f"person{i % 997}@example.com",
                        to=("me@contoso.example", f"cc{i % 89}@example.org"),
                        when=start + timedelta(minutes=17 * i))
    print(fake.base, fake.authority, fake.identity.client_id, ca, flush=True)
    sys.stdin.read()
    fake.stop()


def run(messages: int, folders: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve", tmp, "--messages", str(messages),
             "--folders", str(folders)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None and child.stdin is not None
        base, authority, client_id, ca = child.stdout.readline().split()
        os.environ["SSL_CERT_FILE"] = os.environ["REQUESTS_CA_BUNDLE"] = ca
        from connectors import microsoft
        from connectors.base import Env
        from connectors.microsoft.graph_mail import MailSource
        from connectors.settings import MicrosoftAccount

        account = MicrosoftAccount(kind="microsoft", name="bench", client_id=client_id,
                                   authority=authority, graph_endpoint=base, calendar=False)
        env = Env(state_dir=Path(tmp) / "state")
        microsoft.authorize(account, env, show=lambda _msg: None)
        source = microsoft.build(account, env)[0]
        assert isinstance(source, MailSource)
        wall, cpu = time.perf_counter(), time.process_time()
        records = pages = 0
        for page in source.pages(None):
            records += len(page.records)
            pages += 1
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        child.stdin.close()
        child.wait(timeout=30)
    print(f"messages synced        {records:>10,}  ({folders} folders, {pages} pages)")
    print(f"requests made          {source.http.requests:>10,}")
    print(f"wall time              {wall:>10.2f} s   ({records / wall:,.0f} msg/s end to end)")
    print(f"client CPU time        {cpu:>10.2f} s   ({records / cpu:,.0f} msg/s client overhead)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--folders", type=int, default=12)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.messages, args.folders)
    else:
        run(args.messages, args.folders)


if __name__ == "__main__":
    main()
