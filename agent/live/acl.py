"""`ask-redis redis-acl`: print the ACL SETUSER line for a least-privilege inspector account.

The account may run exactly the read-only allowlist (ask_redis.live.safety.ALLOWED) plus what a
connection needs to set itself up (CLIENT SETNAME, SELECT, and CLIENT NO-TOUCH on 7.2+), with
read-only access to every key (%R~*, 7.0+) and no pub/sub channels. The password is printed as its
SHA-256 (`#...`), so the line can be pasted, logged or committed without revealing it.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import secrets
import sys

from ask_redis.live import safety as redis_safety

DEFAULT_USER = "ask-redis-inspector"
SETUP_RULES = ("+client|setname", "+select")
# ACL LIST returns every user's rules and password hashes: granted only with --nopass-check.
NOPASS_CHECK_RULE = "+acl|list"


class Server(tuple):
    """(major, minor) with the engine: `Server.parse("valkey 8.1")`; compares as its version."""

    engine = "redis"

    @classmethod
    def of(cls, engine: str, major: int, minor: int) -> "Server":
        server = cls((major, minor))
        server.engine = engine
        return server


def _version(text: str) -> Server:
    match = re.fullmatch(r"(?:(redis|valkey)[\s:-]*)?(\d+)(?:\.(\d+))?(?:\.\d+)?", text.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError(f"not a server version: {text!r} (e.g. 7.0, 7.2.4 or valkey-8.1)")
    return Server.of(match.group(1) or "redis", int(match.group(2)), int(match.group(3) or 0))


def acl_rules(version: tuple[int, int] = (7, 0), nopass_check: bool = False) -> list[str]:
    """The command rules: the allowlist (less ACL LIST unless `nopass_check`, less what this server
    lacks), the connection-setup commands, and NO-TOUCH where it exists."""
    engine = getattr(version, "engine", "redis")
    rules = [r for r in redis_safety.acl_rules() + list(SETUP_RULES) if r != NOPASS_CHECK_RULE or nopass_check]
    rules += [f"+{key}" for key, (needs, since) in redis_safety.GATED.items()
              if needs == engine and tuple(version) >= since]
    if engine == "valkey" or version >= (7, 2):
        rules.append("+client|no-touch")
    else:
        # These subcommands do not exist before 7.0 / 7.2: ACL SETUSER would reject the whole line.
        too_new = {"+latency|histogram", "+cluster|shards", "+command|docs", "+function|list", "+function|stats",
                   "+expiretime", "+pexpiretime"} if version < (7, 0) else set()
        rules = [r for r in rules if r not in too_new]
    return rules


def setuser_words(user: str, password_sha256: str, version: tuple[int, int] = (7, 0),
                  nopass_check: bool = False) -> list[str]:
    """The words after `ACL SETUSER` (also the body of an ACL file's `user` line)."""
    keys = "%R~*" if getattr(version, "engine", "redis") == "valkey" or version >= (7, 0) else "~*"
    return [user, "reset", "on", f"#{password_sha256}", "resetchannels", keys, *acl_rules(version, nopass_check)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ask-redis redis-acl",
        description="Print the ACL SETUSER line for a read-only inspector account that can run exactly "
                    "what ask-redis sends. Run it on every node (ACLs are per node, also in a Cluster).",
    )
    parser.add_argument("--user", default=DEFAULT_USER, help=f"account name (default {DEFAULT_USER})")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from stdin; otherwise a random one is generated and shown on stderr")
    parser.add_argument("--server-version", type=_version, default=Server.of("redis", 7, 0), metavar="X.Y",
                        help="version of the servers (default 7.0; 7.2+ adds CLIENT NO-TOUCH, 6.x drops newer "
                             "subcommands); Valkey as valkey-X.Y (8.1+ adds COMMANDLOG)")
    parser.add_argument("--nopass-check", action="store_true",
                        help="also grant ACL LIST, so that reviews can name users without a password; it returns "
                             "every user's rules and password hashes (SHA-256), so it is off by default")
    parser.add_argument("--redis-url", metavar="URL",
                        help="read the server version from this Redis (INFO server) instead of --server-version")
    parser.add_argument("--acl-file", action="store_true", help="print an ACL file `user ...` line instead")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) if exit_.code in (0, None) else 2
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", args.user):
        print(f"ask-redis redis-acl: user names here are letters, digits and _.- (got {args.user!r})", file=sys.stderr)
        return 2
    version = args.server_version
    if args.redis_url:
        from ask_redis.live.conn import RedisConnError, connect

        try:
            from ask_redis.live.inspection import server_identity

            with connect(args.redis_url) as conn:
                server = server_identity(conn.nodes[0])
                version = _version(f"{server['engine']} {server['version']}")
        except (RedisConnError, argparse.ArgumentTypeError) as error:
            print(f"ask-redis redis-acl: {error}", file=sys.stderr)
            return 1
    generated = None
    if args.password_stdin:
        try:
            password = sys.stdin.readline().rstrip("\r\n")
        except UnicodeDecodeError:
            print("ask-redis redis-acl: the password on stdin is not text in this locale", file=sys.stderr)
            return 2
        if not password:
            print("ask-redis redis-acl: no password on stdin", file=sys.stderr)
            return 2
    else:
        password = generated = secrets.token_urlsafe(24)
    digest = hashlib.sha256(password.encode("utf-8", "surrogateescape")).hexdigest()  # the bytes given, even if not UTF-8
    words = setuser_words(args.user, digest, version, args.nopass_check)
    print(("user " if args.acl_file else "ACL SETUSER ") + " ".join(words))
    if args.nopass_check:
        print("# --nopass-check grants ACL LIST: the account can read every user's rules and password hashes",
              file=sys.stderr)
    if generated:
        print(f"# generated password for {args.user} (not shown again): {generated}", file=sys.stderr)
        print(f"# connect with: redis://{args.user}:PASSWORD@HOST:6379", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
