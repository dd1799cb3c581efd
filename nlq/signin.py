"""Who may sign in to the UI, and how they prove it: a credentials file of argon2id
password hashes by user name (never a password), for the offline demo and small
teams; production deployments sign in with Streamlit's OIDC (`st.login`) instead.
Either way the signed-in name must be a user of the layer's users.yaml, whose role
and attributes then apply. `nlq users passwd NAME` sets a password."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from nlq.identity import Identity
from nlq.semantic.errors import QueryError
from nlq.semantic.model import SemanticLayer

CREDENTIALS_ENV = "NLQ_CREDENTIALS"
DEMO_CREDENTIALS = Path(__file__).resolve().parent / "demo" / "credentials.yaml"
HASHER = PasswordHasher()


def credentials_file() -> Path:
    return Path(os.environ.get(CREDENTIALS_ENV) or DEMO_CREDENTIALS)


def read_credentials(path: Path) -> dict[str, str]:
    """User name -> password hash; an empty mapping when the file does not exist."""
    if not path.exists():
        return {}
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    users = document.get("users") or {}
    return {str(name): str(hashed) for name, hashed in users.items()}


def sign_in(layer: SemanticLayer, name: str, password: str, path: Path | None = None) -> Identity | None:
    """The identity of a user whose password is right, else None (the same None for
    an unknown name and a wrong password: a form does not tell which names exist)."""
    hashed = read_credentials(path or credentials_file()).get(name.strip())
    if not hashed or not password:
        HASHER.hash("timing")  # as long as a real check: no name probing by time
        return None
    try:
        HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return None
    try:
        return Identity.of(layer, user=name.strip())
    except QueryError:
        return None  # a password for someone the layer does not know


def set_password(path: Path, name: str, password: str) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    document = document or {}
    users = dict(document.get("users") or {})
    users[name] = HASHER.hash(password)
    document["users"] = users
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=True), encoding="utf-8")
    path.chmod(0o600)


def register(sub: argparse._SubParsersAction) -> None:
    users = sub.add_parser("users", help="who may sign in to the UI")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    passwd = users_sub.add_parser("passwd", help="set a user's password (read from standard input)")
    passwd.add_argument("name", help="a user of the layer's users.yaml")
    passwd.add_argument(
        "--credentials", type=Path, help=f"the file (default ${CREDENTIALS_ENV} or the demo's)"
    )
    passwd.set_defaults(handler=_passwd)


def _passwd(args: argparse.Namespace) -> int:
    password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        print("error: a password needs at least 8 characters", file=sys.stderr)
        return 1
    path = args.credentials or credentials_file()
    set_password(path, args.name, password)
    print(f"password set for {args.name} in {path}")
    return 0
