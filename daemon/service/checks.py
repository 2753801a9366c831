"""One line of ``keepwarm doctor``: a level (OK, WARN, FIX) and the text that says what to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    level: str  # OK | WARN | FIX
    text: str

    def line(self) -> str:
        return f"{self.level:<4} {self.text}"


def ok(text: str) -> Check:
    return Check("OK", text)


def warn(text: str) -> Check:
    return Check("WARN", text)


def fix(text: str) -> Check:
    return Check("FIX", text)
