"""Sync: turn connectors' pages into touchpoints in the store, one committed page at a time.

Entry point: :class:`daemon.sync.engine.Engine`. Inside: ``engine`` (cursors, resync, account
isolation), ``writer`` (idempotent page writes), ``meaning`` (what a record means: direction,
counterparts, bulk, weight), ``addresses`` (header and date parsing), ``automation`` (bots and
bulk mail), ``progress`` (terminal progress bars).
"""
