"""The demo: a seeded two-year history written as real files, imported and summarised.

Entry point: :func:`daemon.demo.run.run_demo`. Inside: ``history`` (who and when), ``files``
(the header-only mbox and .ics files).
"""
