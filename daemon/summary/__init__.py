"""The weekly summary: gather it, render it, wrap it as an email, deliver it exactly once a week.

Entry points: :func:`daemon.summary.gather.build_summary`, the renderers in
:mod:`daemon.summary.render`, :func:`daemon.summary.message.summary_message`, and
:func:`daemon.summary.ledger.send_owed`. Inside: ``content`` (the :class:`Summary`),
``sections`` (owed replies, new relationships, sync health), ``message`` (the email, its From,
To and Message-ID), ``delivery`` and ``smtp`` (the delivery methods), ``slots`` (the weekly
slot and week label), ``ledger`` (the week owed, and sending it), ``claims`` (each week's
ledger row: intent before the send, outcome after), ``attempts`` (the delivery state in words,
for doctor and status), ``templates/`` (text, HTML).
"""
