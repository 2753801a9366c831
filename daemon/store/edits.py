"""The triggers that log touchpoint edits for the column cache, and how the cache is stored, as
DDL for either dialect.

Used by migrations 0009 and 0010 and by :mod:`daemon.store.fresh` (a new store made in one
step), so both build the same schema. What they log, and why, is in the migration's docstring and in
:mod:`daemon.store.column_cache`. Plain strings: importing this loads neither Alembic nor the ORM.
"""

from __future__ import annotations

# every column the frame reads: a change elsewhere (the account) keeps the cache
READ = ("id", "member_id", "contact_id", "at", "channel", "direction", "group_size", "bulk",
        "listed", "direct", "thread_key")

_LOG = ("INSERT INTO touchpoint_edits (member_id, low_id) SELECT {member}, {low}{source}"
        " WHERE NOT EXISTS (SELECT 1 FROM touchpoint_edits e WHERE e.member_id = {member}"
        " AND e.low_id <= {low})")

_SQLITE = {
    "touchpoints_deleted": "AFTER DELETE ON touchpoints BEGIN {log}; END",
    "touchpoints_updated": "AFTER UPDATE ON touchpoints WHEN {changed} BEGIN {log}; END",
}

_PG_FUNCTION = """CREATE FUNCTION keepwarm_touchpoint_edits() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {insert};
  ELSIF TG_OP = 'DELETE' THEN
    {delete};
  ELSE
    {update};
  END IF;
  RETURN NULL;
END $$"""

_PG_TRIGGERS = {
    "touchpoints_inserted": "INSERT ON touchpoints REFERENCING NEW TABLE AS new_rows",
    "touchpoints_deleted": "DELETE ON touchpoints REFERENCING OLD TABLE AS old_rows",
    "touchpoints_updated": ("UPDATE ON touchpoints REFERENCING OLD TABLE AS old_rows"
                            " NEW TABLE AS new_rows"),
}


def _pg_function() -> str:
    def per_member(rows: str, low: str) -> str:
        return ("INSERT INTO touchpoint_edits (member_id, low_id, txid) SELECT r.member_id,"
                f" {low}, txid_current() FROM {rows} GROUP BY r.member_id HAVING NOT EXISTS"
                " (SELECT 1 FROM touchpoint_edits e WHERE e.member_id = r.member_id"
                f" AND e.txid = txid_current() AND e.low_id <= {low})")

    changed = " OR ".join(f"o.{c} IS DISTINCT FROM n.{c}" for c in READ)
    return _PG_FUNCTION.format(
        insert=per_member("new_rows r", "min(r.id)"),
        delete=per_member("old_rows r", "0"),
        update=per_member(f"old_rows o JOIN new_rows n ON n.id = o.id, LATERAL (SELECT"
                          f" o.member_id UNION SELECT n.member_id) r WHERE {changed}", "0"))


def create(dialect: str) -> list[str]:
    """The statements that create the triggers (and PostgreSQL's function), in order."""
    if dialect == "sqlite":
        old = _LOG.format(member="OLD.member_id", low="0", source="")
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in READ)
        return [f"CREATE TRIGGER {name} " + body.format(log=old, changed=changed)
                for name, body in _SQLITE.items()]
    return [_pg_function()] + [
        f"CREATE TRIGGER {name} AFTER {event} FOR EACH STATEMENT"
        " EXECUTE FUNCTION keepwarm_touchpoint_edits()" for name, event in _PG_TRIGGERS.items()]


def drop(dialect: str) -> list[str]:
    """The statements that drop what :func:`create` made."""
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in _SQLITE]
    return [f"DROP TRIGGER IF EXISTS {name} ON touchpoints" for name in _PG_TRIGGERS] + [
        "DROP FUNCTION IF EXISTS keepwarm_touchpoint_edits()"]


def cache_storage(dialect: str, compressed: bool = False) -> list[str]:
    """PostgreSQL: keep the cache's values out of line *uncompressed* (``STORAGE EXTERNAL``),
    or back to the default (``compressed``). The default compresses the 24 MB of a million
    touchpoints to 8 MB with pglz, and every report then waits for the server to inflate it:
    reading it uncompressed takes 40 ms instead of 70. SQLite stores bytes as they are."""
    if dialect == "sqlite":
        return []
    storage = "EXTENDED" if compressed else "EXTERNAL"
    return [f"ALTER TABLE column_cache ALTER COLUMN {c} SET STORAGE {storage}"
            for c in ("columns", "thread_keys")]
