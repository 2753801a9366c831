"""Keepwarm's daemon: the touchpoint store, sync engine, scoring, report, scheduler and CLI."""

__version__ = "0.1.0"
