"""The documented example config: shipped inside the wheel, read from the checkout otherwise."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def example_text() -> str:
    """The text of ``config/keepwarm.example.toml``."""
    shipped = resources.files("daemon").joinpath("keepwarm.example.toml")
    if shipped.is_file():
        return shipped.read_text(encoding="utf-8")
    checkout = Path(__file__).resolve().parents[2] / "config" / "keepwarm.example.toml"
    return checkout.read_text(encoding="utf-8")
