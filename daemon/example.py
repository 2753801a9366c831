"""The documented example config: shipped inside the wheel, read from the checkout otherwise."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def example_text() -> str:
    """The text of ``config/keepwarm.example.toml``."""
    shipped = resources.files("daemon").joinpath("keepwarm.example.toml")
    if shipped.is_file():
        return shipped.read_text(encoding="utf-8")
    return (Path(__file__).parent.parent / "config" / "keepwarm.example.toml").read_text("utf-8")
