"""Where the API lives and which token to use: flags, Actions' environment, the GitHub CLI."""

from __future__ import annotations

import os
import subprocess
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..errors import register_secret

DEFAULT_API_URL = "https://api.github.com"


@dataclass(frozen=True)
class Token:
    """A token and where it came from. `repr` never shows the value."""

    value: str
    source: str

    def __post_init__(self) -> None:
        register_secret(self.value)

    def __repr__(self) -> str:
        return f"Token(source={self.source!r})"


def graphql_url_for(api_url: str) -> str:
    """The GraphQL endpoint next to a REST base URL.

    `https://api.github.com` → `https://api.github.com/graphql`; GitHub Enterprise Server's
    `https://HOST/api/v3` → `https://HOST/api/graphql` (GitHub docs: "About the GraphQL API").
    """
    parts = urllib.parse.urlsplit(api_url.rstrip("/"))
    path = parts.path.removesuffix("/v3") + "/graphql"
    return urllib.parse.urlunsplit(parts._replace(path=path))


def _gh_auth_token(api_url: str, run: Callable[..., subprocess.CompletedProcess[str]]) -> str | None:
    host = urllib.parse.urlsplit(api_url).hostname or "github.com"
    if host == "api.github.com":
        host = "github.com"
    try:
        done = run(
            ["gh", "auth", "token", "--hostname", host],
            capture_output=True,
            text=True,
            timeout=10,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    token = done.stdout.strip()
    return token if done.returncode == 0 and token else None


def discover_token(
    api_url: str,
    environ: Mapping[str, str] | None = None,
    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
) -> Token | None:
    """`GITHUB_TOKEN`, else `GH_TOKEN`, else `gh auth token` when the GitHub CLI is installed."""
    env = os.environ if environ is None else environ
    for name in ("GITHUB_TOKEN", "GH_TOKEN"):
        value = env.get(name, "").strip()
        if value:
            return Token(value, name)
    from_gh = _gh_auth_token(api_url, run)
    return Token(from_gh, "`gh auth token`") if from_gh else None
