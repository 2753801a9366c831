"""The shared password reader: env, 0600 file, keyring; every failure is a MissingSecret."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.errors import AuthExpired
from connectors.secrets import MissingSecret, read_password


def test_env_wins_and_missing_env_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KW_TEST_PW", "s3cret")
    assert read_password(setting="a", user="u", env="KW_TEST_PW") == "s3cret"
    monkeypatch.delenv("KW_TEST_PW")
    with pytest.raises(MissingSecret, match="KW_TEST_PW"):
        read_password(setting="a", user="u", env="KW_TEST_PW")


def test_file_must_be_private(tmp_path: Path) -> None:
    path = tmp_path / "pw"
    path.write_text("s3cret\n")
    path.chmod(0o644)
    with pytest.raises(MissingSecret) as caught:
        read_password(setting="a", user="u", file=path)
    assert "chmod 600" in caught.value.hint and "s3cret" not in str(caught.value)
    path.chmod(0o600)
    assert read_password(setting="a", user="u", file=path) == "s3cret"


def test_missing_file_and_no_source_are_auth_failures(tmp_path: Path) -> None:
    with pytest.raises(AuthExpired, match="cannot read"):
        read_password(setting="a", user="u", file=tmp_path / "absent")
    with pytest.raises(MissingSecret) as caught:
        read_password(setting="a", user="u")
    assert "password_env" in caught.value.hint
