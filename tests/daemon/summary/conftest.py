"""The summary test store and its summaries (built in ``test_summary``), shared with the link
and rendering tests beside it."""

from test_summary import empty_summary, filled, summary  # noqa: F401  (fixtures)
