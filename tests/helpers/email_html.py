"""What the summary's HTML may use, so that it renders in Gmail (web and apps), Outlook
(Windows renders with Word's engine), Apple Mail and on phones: the constraint list, written
once, and :func:`violations`, which parses a document with ``html.parser`` and names every
breach. Sources: caniemail.com's support tables and /work/shared/notes/email-html.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

# (rule, why): the list the checker enforces, in the order it reports.
CONSTRAINTS = (
    ("no-element", "no script, style sheet, external CSS, image, form, media or div: clients "
     "strip them, and layout is by tables"),
    ("no-attribute", "no class/id (styles are inline), no event handlers, no src/background"),
    ("css", "inline CSS properties that Gmail, Outlook (Word) and Apple Mail all honour; no "
     "url(), no !important, no white-space or CSS height (unsupported in Outlook/Yahoo)"),
    ("body-style", "nothing styled on <body> (Outlook for Mac, Yahoo drop it): a wrapper cell "
     "carries the background"),
    ("links", "every <a> is a plain link to https: or mailto:, with its colour and underline "
     "set inline (clients recolour bare links)"),
    ("bgcolor", "a bgcolor attribute beside every background-color, with the same value "
     "(Outlook reads the attribute)"),
    ("palette", "every piece of text has an explicit colour AND an explicit background from "
     "itself or a parent, with a contrast of at least 4.5:1, so a client's dark mode inverts "
     "both together or neither"),
    ("color-scheme", "<meta name=color-scheme> and supported-color-schemes declare the "
     "palette"),
    ("viewport", "a viewport meta, so phones do not zoom out"),
    ("fluid", "the content table is width=100% with max-width:600px; no fixed width over "
     "320px (a phone), except inside Outlook-only conditional comments"),
    ("size", "under 100 KB: Gmail clips a message over 102 KB"),
)

FORBIDDEN_ELEMENTS = {"script", "style", "link", "img", "iframe", "object", "embed", "form",
                      "input", "button", "select", "textarea", "video", "audio", "svg", "canvas",
                      "base", "frame", "frameset", "div", "picture", "source"}
FORBIDDEN_ATTRIBUTES = {"class", "id", "src", "srcset", "background", "style-src"}
CSS_ALLOWED = {"font-family", "font-size", "font-weight", "font-style", "line-height", "color",
               "background-color", "padding", "padding-top", "padding-right", "padding-bottom",
               "padding-left", "border", "border-top", "border-right", "border-bottom",
               "border-left", "border-collapse", "text-align", "vertical-align", "width",
               "max-width", "text-decoration"}
MAX_FIXED_WIDTH = 320
MAX_BYTES = 100_000
_VOID = {"meta", "br", "hr", "img", "link", "input", "col", "area", "base", "wbr", "source"}


def _css(style: str) -> dict[str, str]:
    out = {}
    for part in style.split(";"):
        name, _, value = part.partition(":")
        if name.strip():
            out[name.strip().lower()] = value.strip().lower()
    return out


def _luminance(colour: str) -> float:
    h = colour.lstrip("#")
    h = "".join(c * 2 for c in h) if len(h) == 3 else h
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(fg: str, bg: str) -> float:
    """WCAG contrast ratio of two #rgb/#rrggbb colours."""
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


@dataclass
class _Frame:
    tag: str
    color: str | None
    background: str | None


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self.stack: list[_Frame] = []
        self.metas: dict[str, str] = {}
        self.containers = 0

    def bad(self, rule: str, what: str) -> None:
        self.found.append((rule, f"line {self.getpos()[0]}: {what}"))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        css = _css(a.get("style", ""))
        self._element(tag, a, css)
        parent = self.stack[-1] if self.stack else _Frame("", None, None)
        colour = css.get("color") or parent.color
        background = css.get("background-color") or a.get("bgcolor") or parent.background
        if tag not in _VOID:
            self.stack.append(_Frame(tag, colour, background))

    def _element(self, tag: str, a: dict[str, str], css: dict[str, str]) -> None:
        if tag in FORBIDDEN_ELEMENTS:
            self.bad("no-element", f"<{tag}>")
        for name in a:
            if name in FORBIDDEN_ATTRIBUTES or name.startswith("on"):
                self.bad("no-attribute", f"<{tag} {name}>")
        for name, value in css.items():
            if name not in CSS_ALLOWED or "url(" in value or "!important" in value:
                self.bad("css", f"<{tag}> {name}: {value}")
        if tag == "body" and "style" in a:
            self.bad("body-style", "<body style>")
        if tag == "a":
            href = a.get("href", "")
            if not re.match(r"(https://|mailto:)\S+$", href):
                self.bad("links", f"<a href={href!r}>")
            if "color" not in css or "text-decoration" not in css:
                self.bad("links", "<a> without an inline color and text-decoration")
        if "background-color" in css and css["background-color"] != a.get("bgcolor", "").lower():
            self.bad("bgcolor", f"<{tag}> background-color {css['background-color']} without "
                     "the same bgcolor")
        if tag == "meta" and a.get("name"):
            self.metas[a["name"].lower()] = a.get("content", "")
        self._widths(tag, a, css)

    def _widths(self, tag: str, a: dict[str, str], css: dict[str, str]) -> None:
        if css.get("max-width") == "600px" and a.get("width") == "100%":
            self.containers += 1
        for value in (a.get("width", ""), css.get("width", "")):
            px = re.fullmatch(r"(\d+)(px)?", value)
            if px and int(px.group(1)) > MAX_FIXED_WIDTH:
                self.bad("fluid", f"<{tag}> fixed width {value}")

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if not data.strip(" \t\r\n\xa0") or not self.stack or self.stack[-1].tag == "title":
            return
        top = self.stack[-1]
        if top.color is None or top.background is None:
            self.bad("palette", f"text {data.strip()[:30]!r} with colour {top.color} on "
                     f"background {top.background}")
        elif contrast(top.color, top.background) < 4.5:
            self.bad("palette", f"text {data.strip()[:30]!r}: {top.color} on {top.background} "
                     f"has contrast {contrast(top.color, top.background):.2f}")


def violations(html: str) -> list[tuple[str, str]]:
    """Every breach of :data:`CONSTRAINTS` in ``html``, as (rule, where and what)."""
    checker = _Checker()
    checker.feed(html)
    checker.close()
    found = checker.found
    if checker.metas.get("color-scheme") is None or checker.metas.get(
            "supported-color-schemes") is None:
        found.append(("color-scheme", "no color-scheme / supported-color-schemes meta"))
    if "width=device-width" not in checker.metas.get("viewport", ""):
        found.append(("viewport", "no viewport meta"))
    if checker.containers != 1:
        found.append(("fluid", f"{checker.containers} tables of width=100% max-width:600px"))
    if len(html.encode()) > MAX_BYTES:
        found.append(("size", f"{len(html.encode())} bytes"))
    return found
