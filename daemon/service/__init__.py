"""The service: the long-running scheduler, systemd's notify socket and unit file, and doctor.

Entry points: :func:`daemon.service.scheduler.run`, :mod:`daemon.service.unit` (install,
uninstall, state) and :func:`daemon.service.doctor.run`, whose checks live in ``checks`` and
``scopes``.
"""
