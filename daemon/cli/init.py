"""``keepwarm init``: write the starter config, asking on a terminal what only the user knows.

On a terminal it asks for the user's own addresses, offers the sources found on this machine
(:mod:`daemon.cli.discover`) and lets the user add a Google or Microsoft account; the answers go
into the commented template (:mod:`daemon.cli.starter`). With ``--yes``, or when stdin or stdout
is not a terminal, it writes the template as it is and says what to edit.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from daemon.cli.discover import Found, discover, size_of, unique_name
from daemon.cli.example import example_text
from daemon.cli.starter import account_block, render, shown, write_new
from daemon.config import parse
from daemon.config.sanity import is_placeholder
from daemon.errors import UsageError

Ask = Callable[[str], str]
Say = Callable[[str], None]
ADDRESS = re.compile(r"[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\".']+")
CLIENT_ID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
GOOGLE_CLIENT = "~/.config/keepwarm/google-client.json"


def interactive() -> bool:
    """Whether a person is at the keyboard: stdin and stdout are both terminals."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def questions(template: str, found: Sequence[Found], ask: Ask = input, say: Say = print) -> str:
    """Ask for addresses, sources and cloud accounts; the template with the answers put in."""
    say("Keepwarm set-up: a few questions, then one config file. Ctrl-C stops, writing nothing.")
    addresses = ask_addresses(ask, say)
    chosen = choose(found, ask, say)
    blocks = [account_block(f.name, f.kind, f"Found by keepwarm init: {f.what}.",
                            [("path", shown(f.path))]) for f in chosen]
    blocks += cloud_accounts(ask, say, {f.name for f in chosen})
    return render(template, addresses, blocks)


def ask_addresses(ask: Ask, say: Say) -> list[str]:
    """The user's own addresses, at least one, each a plausible real address."""
    while True:
        words = ask("Your own email addresses (mail from these is yours), separated by spaces "
                    "or commas: ").replace(",", " ").split()
        wrong = [w for w in words if not ADDRESS.fullmatch(w)]
        stand_ins = [w for w in words if w not in wrong and is_placeholder(w)]
        if wrong:
            say(f"  not an address: {', '.join(wrong)}")
        elif stand_ins:
            say(f"  a placeholder, not a mailbox: {', '.join(stand_ins)}")
        elif words:
            return list(dict.fromkeys(w.lower() for w in words))
        else:
            say("  at least one address, please: it tells your mail from everyone else's")


def choose(found: Sequence[Found], ask: Ask, say: Say) -> list[Found]:
    """The found sources the user picks by number (default: all of them)."""
    if not found:
        say("No Maildir, Thunderbird mail, Takeout mbox or .ics file found on this machine.")
        return []
    say("Found on this machine:")
    for i, f in enumerate(found, start=1):
        size = size_of(f.path)
        say(f"  {i}. {f.kind:<7} {shown(f.path)}  ({f.what}{', ' + size if size else ''})")
    while True:
        answer = ask("Sync which? Numbers (e.g. 1 3), all or none [all]: ").strip().lower()
        if answer in ("", "all"):
            return list(found)
        if answer == "none":
            return []
        picks = answer.replace(",", " ").split()
        if all(p.isdigit() and 1 <= int(p) <= len(found) for p in picks):
            return [found[i - 1] for i in sorted({int(p) for p in picks})]
        say(f"  type numbers from 1 to {len(found)}, all, or none")


def cloud_accounts(ask: Ask, say: Say, taken: set[str]) -> list[str]:
    """Google and Microsoft accounts the user adds, as ``[[accounts]]`` blocks."""
    blocks: list[str] = []
    while True:
        kind = ask("Add a Google or Microsoft account? google, microsoft or Enter for no: ")
        kind = {"g": "google", "m": "microsoft"}.get(kind.strip().lower(), kind.strip().lower())
        if kind in ("", "n", "no"):
            return blocks
        if kind not in ("google", "microsoft"):
            say("  google, microsoft, or just Enter")
            continue
        name = _name(kind, ask, say, taken)
        taken.add(name)
        blocks.append(google(name, ask, say) if kind == "google" else microsoft(name, ask, say))


def google(name: str, ask: Ask, say: Say) -> str:
    """A Google account block; the OAuth client file may come later."""
    secrets = ask(f"  OAuth client file (README: Connecting a Google account) [{GOOGLE_CLIENT}]: "
                  ).strip() or GOOGLE_CLIENT
    if not Path(secrets).expanduser().exists():
        say(f"  not there yet: save it as {secrets} before keepwarm auth {name}")
    return account_block(name, "google", f"Gmail and Google Calendar; sign in once with: "
                         f"keepwarm auth {name}", [("client_secrets", secrets)])


def microsoft(name: str, ask: Ask, say: Say) -> str:
    """A Microsoft account block: the app registration's client id, and the tenant."""
    while True:
        client_id = ask("  Application (client) ID of your app registration "
                        "(README: Connecting a Microsoft account): ").strip()
        if CLIENT_ID.fullmatch(client_id) and client_id.strip("0-"):
            break
        say("  that is not a client ID (it looks like 1b2c3d4e-0000-4a4a-8b8b-123456789abc)")
    tenant = ask("  Tenant: your directory ID or domain, or common [common]: ").strip() or "common"
    return account_block(name, "microsoft", f"Outlook mail and calendar; sign in once with: "
                         f"keepwarm auth {name}", [("client_id", client_id), ("tenant", tenant)])


def _name(kind: str, ask: Ask, say: Say, taken: set[str]) -> str:
    default = unique_name(kind, taken)
    while True:
        name = ask(f"  Account name [{default}]: ").strip() or default
        if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", name) and name not in taken:
            return name
        say("  letters, digits, . _ - and not used already")


def run(path: Path, assume_yes: bool, say: Say = print) -> int:
    """The ``keepwarm init`` command: ask (on a terminal, unless ``assume_yes``), then create
    ``path``; an existing file is left as it is."""
    if path.exists():
        say(f"{path} already exists; left as it is.")
        return 0
    text = example_text()
    after = ("Its addresses and its account are placeholders: put yours in [me] and "
             "[[accounts]], then: keepwarm config check")
    if not assume_yes and interactive():
        try:
            text = questions(text, discover())
        except EOFError:
            raise UsageError("init stopped before the last answer; nothing written",
                             hint="run keepwarm init again (or keepwarm init --yes)") from None
        config = parse(text, path)  # never write a file that config check would refuse
        steps = ["keepwarm config check"] + [f"keepwarm auth {a.name}" for a in config.accounts
                                            if a.kind in ("google", "microsoft")]
        after = "Next: " + ", then ".join([*steps, "keepwarm sync"])
    try:
        write_new(path, text)
    except FileExistsError:  # created while we asked
        say(f"{path} already exists; left as it is.")
        return 0
    say(f"Wrote {path}. {after}")
    return 0
