"""Render a :class:`daemon.summary.content.Summary` as plain text, email-safe HTML, or JSON.

Text and HTML come from the Jinja2 templates in ``daemon/templates`` (HTML autoescaped); JSON
is built directly so that it carries every number behind every line.
"""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)
from jinja2.bccache import Bucket

from daemon.model.vocab import Shape
from daemon.paths import cache_home
from daemon.store.vocab import AccountStatus
from daemon.summary.content import Summary
from daemon.summary.sections import OwedPerson

SHAPES: dict[str, str] = {  # shape -> words
    Shape.OWE_REPLY: "you owe them a reply",
    Shape.THEY_WENT_QUIET: "they went quiet after your last message",
    Shape.MUTUAL_FADE: "mutual fade",
}
STATUSES: dict[str, str] = {  # account status -> words
    AccountStatus.OK: "ok",
    AccountStatus.NEEDS_REAUTH: "needs signing in again",
    AccountStatus.ERROR: "failing",
    AccountStatus.STALE: "stale",
    AccountStatus.NEVER: "never synced",
    AccountStatus.REFUSED: "refused by the organisation's settings (for your administrator)",
}
BLOCKS = "▁▂▃▄▅▆▇█"
SHADES = ("#ebedf0", "#c6e48b", "#7bc96f", "#239a3b", "#196127")  # none .. busiest
FOOTER_SNOOZE = "keepwarm snooze ADDRESS [DURATION]"
FOOTER_UNSNOOZE = "keepwarm unsnooze ADDRESS"


def _level(n: int, top: int, levels: int) -> int:
    """0 for no activity, else 1..levels relative to the busiest month shown."""
    return 0 if n <= 0 or top <= 0 else max(1, math.ceil(n / top * levels))


def text_strip(monthly: tuple[int, ...]) -> str:
    """Twelve characters, oldest month first: ``·`` for none, block heights for activity."""
    top = max(monthly, default=0)
    return "".join("·" if n <= 0 else BLOCKS[_level(n, top, len(BLOCKS)) - 1] for n in monthly)


def shades(monthly: tuple[int, ...]) -> list[tuple[int, str]]:
    """(count, colour) per month for the HTML strip."""
    top = max(monthly, default=0)
    return [(n, SHADES[_level(n, top, len(SHADES) - 1)]) for n in monthly]


def month_labels(as_of: datetime, tz: ZoneInfo) -> list[str]:
    """Abbreviated names of the 12 months ending with as-of's month, oldest first."""
    local = as_of.astimezone(tz)
    out = []
    year, month = local.year, local.month
    for _ in range(12):
        out.append(date(year, month, 1).strftime("%b"))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def _day(value: datetime | None, tz: ZoneInfo) -> str:
    return "never" if value is None else value.astimezone(tz).strftime("%a %-d %b")


def _date(value: datetime | None, tz: ZoneInfo) -> str:
    return "never" if value is None else value.astimezone(tz).strftime("%-d %b %Y")


def _stamp(value: datetime | None, tz: ZoneInfo) -> str:
    return "never" if value is None else value.astimezone(tz).strftime("%-d %b %Y %H:%M")


def _days(value: float) -> str:
    n = int(value)
    if n >= 14:
        return f"{n // 7} weeks"
    return "1 day" if n == 1 else f"{n} days"


def _pct(value: float) -> str:
    return f"{round(value * 100)}%"


class _Compiled(FileSystemBytecodeCache):
    """The templates compiled once and kept (mode 0600, written atomically by Jinja) in the
    user's cache folder: compiling them took 50 ms of every report. Keyed by each template's
    source and the Python version, so an upgrade compiles afresh; a folder that cannot be
    written only costs that time again."""

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _compiled() -> _Compiled | None:
    folder = cache_home() / "templates"
    try:
        folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return None
    return _Compiled(str(folder))


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("daemon.summary", "templates"), bytecode_cache=_compiled(),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters.update(day=_day, date=_date, stamp=_stamp, days=_days, pct=_pct,
                       strip=text_strip, shades=shades,
                       shape=lambda s: SHAPES.get(s or "", s or ""),
                       status=lambda s: STATUSES.get(s, s))
    return env


def _context(summary: Summary) -> dict[str, Any]:
    tz = summary.tz
    # the strip counts UTC calendar months (daemon.model.assess.monthly): label those months
    return {"s": summary, "tz": tz, "months": month_labels(summary.as_of, ZoneInfo("UTC")),
            "snooze": FOOTER_SNOOZE, "unsnooze": FOOTER_UNSNOOZE}


def render_text(summary: Summary) -> str:
    """The plain-text summary."""
    return _environment().get_template("summary.txt.j2").render(_context(summary))


def render_html(summary: Summary) -> str:
    """The HTML summary: inline styles, table layout, nothing external."""
    return _environment().get_template("summary.html.j2").render(_context(summary))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def summary_data(summary: Summary, *, everyone: bool = False) -> dict[str, Any]:
    """The summary as plain data; ``everyone`` adds every scored contact with its risk."""
    data: dict[str, Any] = {
        "as_of": summary.as_of.isoformat(), "week": summary.week, "timezone": summary.timezone,
        "subject": summary.subject, "settings": dict(summary.settings),
        "totals": dict(summary.totals),
        "losing_touch": [_entry(e, i) for i, e in enumerate(summary.losing_touch, 1)],
        "dormant": [_entry(e, i) for i, e in enumerate(summary.dormant, 1)],
        "owed_replies": _plain(list(summary.owed)),
        "owed_people": [_owed_person(o, i) for i, o in enumerate(summary.owed_people, 1)],
        "new_relationships": _plain(list(summary.new)),
        "sync_health": [{**_plain(h), "problem": h.problem} for h in summary.health],
    }
    if summary.own_silence is not None:
        data["own_silence"] = {**_plain(summary.own_silence),
                               "message": summary.own_silence.message,
                               "note": summary.own_silence.note}
    if summary.undelivered:
        data["undelivered_weeks"] = list(summary.undelivered)
    if summary.done:
        data["done_by_mail"] = _plain(list(summary.done))
    if everyone:
        ranked = sorted(summary.everyone, key=lambda e: (-e.risk, e.key))
        data["everyone"] = [_entry(e, i) for i, e in enumerate(ranked, 1)]
    return data


def _owed_person(person: OwedPerson, rank: int) -> dict[str, Any]:
    """One owed person with the keys of their threads (the threads are in owed_replies)."""
    data = _plain(person)
    data["threads"] = [t.thread_key for t in person.threads]
    return {"rank": rank, **data}


def _entry(entry: Any, rank: int) -> dict[str, Any]:
    return {"rank": rank, **_plain(entry)}


def render_json(summary: Summary, *, everyone: bool = False) -> str:
    """The summary as indented JSON (stable key order)."""
    return json.dumps(summary_data(summary, everyone=everyone), indent=2, ensure_ascii=False) + "\n"
