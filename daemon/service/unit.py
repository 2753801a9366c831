"""The systemd user unit: render it for this installation, install it, remove it, ask its state.

``systemd/keepwarm.service`` in the repository is the template; ``render`` fills in the
absolute command of this installation and the folders it must be able to write.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from daemon.config import Config
from daemon.paths import config_home, default_config_path, state_home, write_atomic

UNIT_NAME = "keepwarm.service"
# In a wheel the template sits beside this module (force-include); in a checkout, in systemd/.
TEMPLATES = (Path(__file__).with_name(UNIT_NAME),
             Path(__file__).resolve().parents[2] / "systemd" / UNIT_NAME)
ENABLE = ("systemctl --user daemon-reload", "systemctl --user enable --now keepwarm")


def unit_path() -> Path:
    """Where user units live: ``$XDG_CONFIG_HOME/systemd/user/keepwarm.service``."""
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "systemd" / "user" / UNIT_NAME


def command() -> str:
    """The absolute command that runs this installation's ``keepwarm``."""
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    # absolute() and not resolve(): pipx's ~/.local/bin/keepwarm link survives reinstalls
    if argv0 is not None and argv0.name == "keepwarm" and argv0.exists():
        return str(argv0.absolute())
    found = shutil.which("keepwarm")
    if found:
        return str(Path(found).absolute())
    return f"{sys.executable} -m daemon.cli"  # a checkout without the console script


def writable_paths(config: Config | None) -> list[Path]:
    """Folders the sandboxed service must write: state, config, and any configured elsewhere."""
    paths = [state_home(), config_home(), default_config_path().parent]
    if config is not None:
        url = config.store_url
        if url.startswith("sqlite:///"):
            paths.append(Path(url.removeprefix("sqlite:///")).parent)
        if config.delivery.method == "file" and config.delivery.folder:
            paths.append(config.delivery.folder.expanduser())
    unique: list[Path] = []
    for p in paths:
        p = p.expanduser().absolute()
        if p not in unique:
            unique.append(p)
    return unique


def render(exe: str, config: Config | None = None, environ: dict[str, str] | None = None,
           config_path: Path | None = None) -> str:
    """The unit text for ``exe``: the template with ExecStart, paths and environment filled.
    ``config_path`` (a ``--config`` given at install time) is passed on to ``run``."""
    env = os.environ if environ is None else environ
    extra = [] if config_path is None else [config_path.expanduser().absolute().parent]
    option = "" if config_path is None else \
        f" --config {_quote(config_path.expanduser().absolute())}"
    lines = []
    template = next((t for t in TEMPLATES if t.is_file()), TEMPLATES[-1])
    for line in template.read_text(encoding="utf-8").splitlines():
        if line.startswith("ExecStart="):
            line = f"ExecStart={exe}{option} run"
        elif line.startswith("ReadWritePaths="):
            paths = writable_paths(config)
            paths += [p for p in extra if p not in paths]
            line = "ReadWritePaths=" + " ".join(f"-{_quote(p)}" for p in paths)
        lines.append(line)
        if line.startswith("ExecStart="):  # keep the install-time locations for the service
            for key in ("KEEPWARM_CONFIG", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
                if env.get(key):
                    value = str(Path(env[key]).expanduser().absolute())
                    lines.append(f'Environment="{key}={value}"')
            if exe.endswith(" -m daemon.cli"):  # a checkout: let the interpreter find it
                lines.append(f'Environment="PYTHONPATH={Path(__file__).resolve().parents[2]}"')
    return "\n".join(lines) + "\n"


def _quote(path: Path) -> str:
    text = str(path)
    return f'"{text}"' if any(c.isspace() for c in text) else text


def install(config: Config | None = None, config_path: Path | None = None) -> Path:
    """Write the unit for this installation; returns its path."""
    path = unit_path()
    write_atomic(path, render(command(), config, config_path=config_path), mode=0o644)
    return path


def uninstall() -> bool:
    """Remove the unit and its enablement link (what ``disable`` removes); False if absent."""
    path = unit_path()
    wants = path.parent / "default.target.wants" / UNIT_NAME
    if wants.is_symlink():
        wants.unlink()
    if not path.exists():
        return False
    path.unlink()
    return True


def active_state() -> str | None:
    """``systemctl --user is-active keepwarm`` (``active``, ``inactive``…), None if unknown."""
    if shutil.which("systemctl") is None:
        return None
    try:
        out = subprocess.run(["systemctl", "--user", "is-active", "keepwarm"],
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    state = out.stdout.strip()
    return state or None
