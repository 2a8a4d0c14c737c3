"""What every tool sees of a file: the masked view.

Two layers over `redact`:
- Credential files (by name: `.env*`, keys, `.netrc`, `.pgpass`, `.npmrc`, tfstate, kubeconfig,
  `credentials*`, ...; or by content: a private key, a PuTTY key, a kubeconfig, a service-account
  JSON) keep their structure (names, sections, comments, line count) with every value masked.
  A value that only says where or what (a host, a port, a region, a type) stays readable.
- Every other file is redacted as a whole, raw, before any tool numbers its lines or prefixes
  its paths, so multi-line secrets (block scalars, PEM bodies) are masked wherever a window starts.

Views are cached by (device, inode, size, mtime), so a second Grep or Bash call over the same
tree reads nothing again. The session's own secrets (its Redis password) are masked as literals.
"""

from __future__ import annotations

import fnmatch
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path

from ask_redis.redact import MASK, redact

# Larger files are not given a masked view (Read falls back to redacting the window it shows).
MAX_VIEW_BYTES = 16 * 1024 * 1024
_SNIFF = 65536

# Matched against the lowercased file name.
CREDENTIAL_NAMES = (
    ".env", ".env.*", "*.env", ".envrc", ".flaskenv",
    "*.pem", "*.key", "*.ppk", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.p8", "*.der", "*.asc", "*.gpg",
    "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk", "id_*", "*_rsa", "*_ed25519",
    ".netrc", "_netrc", ".pgpass", "pgpass.conf", ".npmrc", ".yarnrc", ".yarnrc.yml", ".pypirc", ".git-credentials",
    ".dockercfg", ".vault-token", ".htpasswd", "htpasswd", ".my.cnf", ".s3cfg", ".boto", ".gem/credentials",
    "credentials", "credentials.*", "credentials-*", "*credentials.csv", "*_credentials.csv", "*.tfstate",
    "*.tfstate.*", "*.tfvars", "*.auto.tfvars", "master.key", "*.master.key", "kubeconfig", "*.kubeconfig",
    "kubeconfig.*", "secrets.yml", "secrets.yaml", "secrets.json", "secrets.toml", "*.secret", "*.secrets",
    "service-account*.json", "*-sa.json", "client_secret*.json", "terraform.rc", ".terraformrc",
)
# Matched against the path's last two parts: a name that is generic alone.
CREDENTIAL_PATHS = (".kube/config", ".docker/config.json", ".aws/credentials", ".ssh/id_*", "config/master.key",
                    "config/credentials/*.key", ".git/config")
# Public halves and examples: shown as they are (still redacted).
NOT_CREDENTIALS = ("*.pub", "id_*.pub", "*.example", "*.sample", "*.template", "*.dist", ".env.example",
                   ".env.sample", ".env.template", ".env.dist", "*.tfvars.example", "*.crt", "*.cer")
_CONTENT_SIGNS = (
    re.compile(rb"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"),
    re.compile(rb"PuTTY-User-Key-File-\d"),
    re.compile(rb"(?m)^kind:[ \t]*Config[ \t]*\r?$"),
    re.compile(rb'"type"[ \t]*:[ \t]*"service_account"'),
    re.compile(rb'"terraform_version"[ \t]*:'),
)
_KEY_KINDS = ("*.pem", "*.key", "*.ppk", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.p8", "*.der", "*.asc", "*.gpg",
              "id_*", "*_rsa", "*_ed25519", "master.key", "*.master.key")


def credential_kind(path: str | os.PathLike, head: bytes | None = None) -> str | None:
    """"key" (the whole content is key material), "values" (structured: mask every value) or None."""
    name = os.path.basename(os.fspath(path)).lower()
    tail = "/".join(Path(os.fspath(path)).parts[-2:]).lower()
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in NOT_CREDENTIALS):
        return None
    if tail == ".git/config":
        return None  # redacted (a token in a remote URL is masked), not a credential file
    by_name = any(fnmatch.fnmatchcase(name, p) for p in CREDENTIAL_NAMES) or any(
        fnmatch.fnmatchcase(tail, p) for p in CREDENTIAL_PATHS)
    if by_name:
        return "key" if any(fnmatch.fnmatchcase(name, p) for p in _KEY_KINDS) else "values"
    if head is not None:
        if _CONTENT_SIGNS[0].search(head) or _CONTENT_SIGNS[1].search(head):
            return "key" if head.lstrip().startswith((b"-----BEGIN", b"PuTTY")) else None
        if any(sign.search(head) for sign in _CONTENT_SIGNS[2:]):
            return "values"
    return None


# Keys whose values say where or what, not who may: kept readable in a credential file.
_KEEP_KEYS = frozenset(
    "type kind apiversion name mode provider version terraform_version serial module region output host hostname "
    "port server cluster context namespace current-context database db dbname scheme protocol ssl tls format profile "
    "source_profile encryption comment public-lines private-lines puttY-user-key-file-2 putty-user-key-file-3 "
    "registry machine default each index_key schema_version sensitive_attributes dependencies status "
    "user username login account".lower().split()
)
_ASSIGNMENT = re.compile(r"^(?P<head>[ \t]*(?:export[ \t]+)?(?:-[ \t]+)?[\"']?(?P<key>[^\s=:\"'#]{1,200})[\"']?[ \t]*(?:=|:(?=[ \t]|$))[ \t]*)(?P<value>.*?)(?P<tail>[ \t]*,?[ \t]*)$")
_JSON_PAIR = re.compile(r'(?P<head>"(?P<key>(?:[^"\\\n]|\\.){0,200})"[ \t]*:[ \t]*)(?P<value>"(?:[^"\\\n]|\\.){0,100000}")')
_LIST_ITEM = re.compile(r"^(?P<head>[ \t]*-[ \t]+)(?P<value>[^\s{\[][^\n]*?)[ \t]*$")
_NETRC_TOKEN = re.compile(r"(?P<head>\b(?:password|passwd|account)[ \t]+)(?P<value>\S+)")
_PGPASS_LINE = re.compile(r"^(?P<head>[^:\s#]{1,253}:(?:\d{1,5}|\*):[^:\s]{1,256}:[^:\s]{1,256}:)(?P<value>.+)$")
_URL = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]{0,20}://)(?:(?P<user>[^:@/\s]*)(?::[^@/\s]*)?@)?(?P<host>[^/?#\s@]*)(?P<rest>.*)$", re.I)
_NUMBER = re.compile(r"-?\d{1,12}(?:\.\d{1,6})?")
_REFERENCE = re.compile(r"\$\{[A-Za-z_]\w*\}|\$[A-Za-z_]\w*|\{\{[^{}]*\}\}")


def _keep_value(key: str, value: str) -> bool:
    bare = value.strip().strip("\"'")
    if not bare or bare.lower() in ("true", "false", "null", "none", "yes", "no", "~", "[]", "{}", "|", ">", "|-", ">-"):
        return True
    if _NUMBER.fullmatch(bare) or _REFERENCE.fullmatch(bare) or MASK in bare:
        return True
    words = [w for w in re.split(r"[_.\-]|(?<=[a-z])(?=[A-Z])", key) if w]
    last = (words[-1] if words else key).lower()
    return key.lower() in _KEEP_KEYS or (last in _KEEP_KEYS and last not in ("user", "account", "login") and len(words) > 1)


def _mask_url(value: str) -> str | None:
    """A URL value keeps its scheme, user, host and a database number; the rest is masked."""
    quote = value[0] if value[:1] in "\"'" and value[-1:] == value[:1] and len(value) > 1 else ""
    bare = value[len(quote):len(value) - len(quote)]
    url = _URL.match(bare)
    if not url:
        return None
    out = url.group("scheme")
    if url.group("user") is not None:
        out += (url.group("user") + ":" if url.group("user") else ":") + MASK + "@"
    out += url.group("host")
    rest = url.group("rest")
    if rest and not re.fullmatch(r"/\d{0,3}/?", rest):
        out += "/" + MASK if rest.startswith("/") else MASK
    else:
        out += rest
    return quote + out + quote


def _masked(key: str, value: str) -> str:
    if _keep_value(key, value):
        return value
    url = _mask_url(value.strip())
    if url is not None:
        return url
    quote = value[0] if value[:1] in "\"'" and value[-1:] == value[:1] and len(value) > 1 else ""
    return quote + MASK + quote


def mask_values(text: str, kind: str) -> str:
    """A credential file with its structure kept and every value masked, line for line."""
    out = []
    in_cert = False
    for number, line in enumerate(text.split("\n")):
        stripped = line.strip()
        ending = "\r" if line.endswith("\r") else ""
        body = line[:-1] if ending else line
        if not stripped:
            out.append(line)
            continue
        if stripped.startswith("-----BEGIN") or stripped.startswith("-----END"):
            in_cert = "CERTIFICATE" in stripped and stripped.startswith("-----BEGIN")
            out.append(line)
            continue
        if in_cert:
            out.append(line)  # a certificate is public
            continue
        if stripped.startswith(("#", ";", "//")) or (stripped.startswith("[") and stripped.endswith("]") and "=" not in stripped):
            out.append(line)  # comments and section headers (comments are still redacted below)
            continue
        if kind == "key":
            header = re.match(r"^([A-Za-z][\w-]{0,40}:[ \t]*)(.*)$", body)
            if header and header.group(1).rstrip(": \t").lower() in _KEEP_KEYS:
                out.append(line)
            elif header:
                out.append(header.group(1) + (header.group(2) if _NUMBER.fullmatch(header.group(2).strip()) else MASK) + ending)
            else:
                out.append(body[:len(body) - len(body.lstrip())] + MASK + ending)
            continue
        if '":' in body or '" :' in body:
            out.append(_JSON_PAIR.sub(lambda m: m.group("head") + _masked(m.group("key"), m.group("value")), body) + ending)
            continue
        pgpass = _PGPASS_LINE.match(body)
        if pgpass:
            out.append(pgpass.group("head") + MASK + ending)
            continue
        if re.match(r"[ \t]*(?:machine|default|login|password|passwd|account|macdef)(?:[ \t]|$)", body):
            out.append(_NETRC_TOKEN.sub(lambda m: m.group("head") + MASK, body) + ending)
            continue
        assignment = _ASSIGNMENT.match(body)
        if assignment:
            value = assignment.group("value")
            comment = ""
            if not value.startswith(("\"", "'")) and " #" in value:
                value, comment = value.split(" #", 1)[0], " #" + value.split(" #", 1)[1]
            masked = _masked(assignment.group("key"), value) if value else value
            out.append(assignment.group("head") + masked + comment + assignment.group("tail") + ending)
            continue
        item = _LIST_ITEM.match(body)
        if item:
            out.append(item.group("head") + _masked("", item.group("value")) + ending)
            continue
        if number == 0 and "," in body:
            out.append(line)  # a CSV header
            continue
        if "," in body and '"' not in body:
            out.append(",".join(MASK if field.strip() else field for field in body.split(",")) + ending)
            continue
        if stripped in ("{", "}", "[", "]", "},", "],", "{}", "[]"):
            out.append(line)
            continue
        out.append(body[:len(body) - len(body.lstrip())] + MASK + ending)
    return "\n".join(out)


def mask_text(text: str, kind: str | None, literals: tuple[str, ...] = ()) -> str:
    """The masked view of a file's text."""
    for literal in literals:
        if literal in text:
            text = text.replace(literal, MASK)
    if kind:
        text = mask_values(text, kind)
    return redact(text, keep_lines=True)


def note_for(path: str | os.PathLike, size: int) -> str:
    return f"{MASK} (credential file, {size} bytes: its content is masked; ask the user for what you need from it)\n"


class _ViewCache:
    def __init__(self, size: int = 200_000):
        self._entries: OrderedDict = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._entries.get(key, KeyError)
            if value is not KeyError:
                self._entries.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._entries[key] = value
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)


_cache = _ViewCache()


def masked_bytes(path: str | os.PathLike, literals: tuple[str, ...] = (), info: os.stat_result | None = None) -> bytes | None:
    """The masked content of a regular file, or None when nothing in it is masked (or it cannot be read).
    Binary credential files become a one-line note."""
    return file_facts(path, literals, info)[0]


def file_facts(path: str | os.PathLike, literals: tuple[str, ...] = (),
               info: os.stat_result | None = None) -> tuple[bytes | None, bool | None]:
    """(masked view as masked_bytes gives it, whether the file holds a NUL byte: None when it was not read),
    from one stat and the cache."""
    try:
        info = info or os.stat(path)
    except OSError:
        return None, None
    key = (path if isinstance(path, str) else os.fspath(path), info.st_dev, info.st_ino, info.st_size,
           info.st_mtime_ns, literals)
    cached = _cache.get(key)
    if cached is not KeyError:
        return cached
    result = _compute(path, info, literals)
    _cache.put(key, result)
    return result


def _compute(path, info: os.stat_result, literals: tuple[str, ...]) -> tuple[bytes | None, bool | None]:
    kind = credential_kind(path)
    if info.st_size > MAX_VIEW_BYTES:
        return (note_for(path, info.st_size).encode() if kind else None), None
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_VIEW_BYTES + 1)
    except OSError:
        return (note_for(path, info.st_size).encode() if kind else None), None
    nul = b"\x00" in data
    if kind is None:
        kind = credential_kind(path, data[:_SNIFF])
    if nul and b"\x00" in data[:8192]:
        return (note_for(path, len(data)).encode() if kind else None), nul
    if kind is None and not _may_hold_secret(data, literals):
        return None, nul  # no rule's needle, no long token, no session secret: nothing to mask
    text = data.decode("utf-8", errors="surrogateescape")
    masked = mask_text(text, kind, literals)
    if masked == text:
        return None, nul
    return masked.encode("utf-8", errors="surrogateescape"), nul


# ------------------------------------------------------------------ masked copies for the Bash sandbox

# Literal needles of every rule (lowercase), for ripgrep to find the files worth a masked view.
_NEEDLES = (
    "pass", "pwd", "secret", "token", "key", "auth", "credential", "private", "bearer", "://", "-----begin",
    "putty", "machine", "user ", "sk-", "sk_", "rk_", "whsec_", "akia", "asia", "ghp_", "gho_", "ghu_", "ghs_", "ghr_",
    "github_pat_", "glpat-", "gldt-", "glrt-", "xox", "xapp-", "hvs.", "hvb.", "sg.", "aiza", "ya29.", "gocspx-",
    "npm_", "pypi-", "hf_", "dapi", "_v1_", "shpat_", "shpss_", "atatt", "lin_api_", "sq0", "eyj", "hooks.slack",
    "webhook", ":5432:", ":3306:", ":6379:", ":*:", "redis", "jedis", "sentinel", "connectionpool", "requirepass",
    "masterauth", "login", "account",
)
_LONG_TOKEN = r"[A-Za-z0-9+/_-]{32,}"
_LONG_TOKEN_BYTES = re.compile(rb"[A-Za-z0-9+/]{20}")


def _may_hold_secret(data: bytes, literals: tuple[str, ...]) -> bool:
    """A quick test (C-speed substring searches) before the full redaction: whether any rule could fire."""
    lowered = data.lower()
    return (any(needle in lowered for needle in _NEEDLE_BYTES) or _LONG_TOKEN_BYTES.search(data) is not None
            or any(literal.encode() in data for literal in literals))
_NEEDLE_BYTES = tuple(needle.encode() for needle in _NEEDLES) + (b"pw",)
_scratch: Path | None = None
_scratch_lock = threading.Lock()


def _scratch_dir() -> Path:
    """A private directory (0700) for masked copies, removed when the process exits."""
    global _scratch
    with _scratch_lock:
        if _scratch is None or not _scratch.is_dir():
            import atexit
            import shutil
            import tempfile

            _scratch = Path(tempfile.mkdtemp(prefix="ask-redis-masked-"))
            atexit.register(shutil.rmtree, _scratch, True)
        return _scratch


def sandbox_binds(workspace: Path, literals: tuple[str, ...] = (), time_limit: float = 20.0) -> list[tuple[str, str]]:
    """(masked copy, original) for every file in the workspace whose masked view differs from it: credential
    files by name, and files whose content holds a secret (or the session's own secrets as literals). Ignore
    files do not apply: Bash sees every file. Raises RuntimeError if the workspace cannot be checked in time."""
    import hashlib
    import subprocess

    from ask_redis.tools.grep import ripgrep_binary

    scratch = _scratch_dir()
    needles = scratch / f"needles-{os.getpid()}-{threading.get_ident()}"
    needles.write_text("\n".join(_NEEDLES + tuple(literals)) + "\n")
    os.chmod(needles, 0o600)
    base = [ripgrep_binary(), "--no-config", "--hidden", "--no-ignore", "--null", "--no-messages"]
    globs = [arg for pattern in CREDENTIAL_NAMES + tuple(p.split("/")[-1] for p in CREDENTIAL_PATHS)
             for arg in ("--iglob", pattern)]
    try:
        by_name = subprocess.Popen([*base, "--files", *globs], cwd=workspace, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        by_content = subprocess.Popen(
            [*base, "--files-with-matches", "--max-filesize", str(MAX_VIEW_BYTES), "-i", "-F", "-f", str(needles)],
            cwd=workspace, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        by_shape = subprocess.Popen(
            [*base, "--files-with-matches", "--max-filesize", str(MAX_VIEW_BYTES), "-e", _LONG_TOKEN],
            cwd=workspace, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        found: set[bytes] = set()
        for process in (by_name, by_content, by_shape):
            out, _ = process.communicate(timeout=time_limit)
            found.update(p for p in out.split(b"\0") if p)
    except subprocess.TimeoutExpired:
        for process in (by_name, by_content, by_shape):
            process.kill()
        raise RuntimeError(f"the workspace {workspace} is too large to check for secrets in {time_limit:g} s; "
                           "pass --repo PROJECT to narrow it") from None
    finally:
        needles.unlink(missing_ok=True)
    binds = []
    for relative in sorted(found):
        original = workspace / os.fsdecode(relative)
        try:
            info = os.lstat(original)
        except OSError:
            continue
        if not stat_is_file(info):
            continue
        view = masked_bytes(original, literals, info)
        if view is None:
            continue
        copy = scratch / hashlib.sha256(view).hexdigest()
        if not copy.exists():
            partial = copy.with_suffix(f".{os.getpid()}.{threading.get_ident()}")
            partial.write_bytes(view)
            os.chmod(partial, 0o644)
            os.replace(partial, copy)
        binds.append((str(copy), str(original)))
    return binds


def stat_is_file(info: os.stat_result) -> bool:
    import stat

    return stat.S_ISREG(info.st_mode)
