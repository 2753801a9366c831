"""Local files (kinds ``mbox``, ``maildir`` and ``ics``): archives and calendars on disk.

Public entry points: :func:`connectors.local.archive.build` (an mbox file or folder, or a
maildir tree: one ``NAME/mail`` source) and :func:`connectors.local.ics.build` (.ics files: one
``NAME/calendar`` source). They stay apart so that reading mail never loads the iCalendar
libraries. The readers are :mod:`.mbox`, :mod:`.maildir` (walking with :mod:`.maildir_walk`)
and :mod:`.ics` (expanding with :mod:`.ical`); header blocks become records in
:mod:`.headers`; :mod:`.common` holds their paging, cursors and path checks.
"""
