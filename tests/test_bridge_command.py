"""`indexgen bridge` settings: every problem at once, the default cache, netrc credentials."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from indexgen.bridge.command import add_bridge_parser, banner, bridge_settings
from indexgen.errors import ConfigError, redact


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_bridge_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["bridge", *argv])


def test_defaults(tmp_path: Path) -> None:
    settings = bridge_settings(
        parse("--index", "https://acme.github.io/index/simple/"), {"HOME": str(tmp_path)}
    )
    assert (settings.host, settings.port, settings.allowed_hosts) == ("127.0.0.1", 8765, ("github.com",))
    assert settings.cache == (tmp_path / ".cache" / "indexgen" / "bridge").resolve()
    assert settings.credentials is None
    env = {"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    assert (
        bridge_settings(parse("--index", str(tmp_path)), env).cache
        == (tmp_path / "xdg/indexgen/bridge").resolve()
    )


def test_every_problem_at_once(tmp_path: Path) -> None:
    args = parse("--index", "ftp://x", "--port", "70000", "--allow-host", "a b", "--netrc-auth")
    with pytest.raises(ConfigError) as caught:
        bridge_settings(args, {"HOME": str(tmp_path), "NETRC": str(tmp_path / "missing")})
    message = str(caught.value)
    for words in ("--index 'ftp://x'", "--port 70000", "--allow-host 'a b'", "--netrc-auth: cannot read"):
        assert words in message
    assert "\n" not in message


def test_netrc_credentials_are_read_and_kept_secret(tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login me password a-long-bridge-secret\n", encoding="utf-8")
    netrc.chmod(0o600)
    settings = bridge_settings(parse("--index", str(tmp_path), "--netrc-auth"), {"NETRC": str(netrc)})
    assert settings.credentials == ("me", "a-long-bridge-secret")
    assert redact("x a-long-bridge-secret y") == "x *** y"
    netrc.write_text("machine elsewhere login me password pw\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no login and password for machine 127.0.0.1"):
        bridge_settings(parse("--index", str(tmp_path), "--netrc-auth"), {"NETRC": str(netrc)})


def test_banner_tells_each_installer(tmp_path: Path) -> None:
    class Fake:
        url = "http://127.0.0.1:8765/simple/"

    settings = bridge_settings(parse("--index", str(tmp_path), "--host", "0.0.0.0"), {"HOME": str(tmp_path)})
    text = banner(Fake(), settings)  # type: ignore[arg-type]
    for words in (
        "[[tool.uv.index]]",
        "--priority=supplemental",
        "--extra-index-url",
        "warning: listening on 0.0.0.0",
    ):
        assert words in text
