"""One redaction function for everything that leaves a tool or reaches a transcript or log.

The reader still sees that a value is configured (the name, the quotes, the URL's user and host),
never the value itself. Every pattern stays inside one line and never swallows a backslash or a
double quote, so redacting JSON-encoded text (transcripts) leaves valid JSON behind.
"""

from __future__ import annotations

import re

MASK = "[REDACTED]"

# A value after `name=` / `name: `: JSON-escaped quotes (inside transcripts), plain quotes, or a bare word.
_VALUE = (
    r'(?P<value>\\"(?:[^"\\\n]|\\(?!"))*\\"'
    # A plain '"' followed by , : } ] is the end of a JSON string (redacting JSON-encoded text), not a value.
    r'|"(?![ \t]*[,:}\]])(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    # A quote left open by a cut line (Read, Grep and review evidence shorten long lines): the rest of the line,
    # up to the cut marker.
    r"|[\"'](?=[^\s\"'\\,}\]])[^\"'\\\n]*?(?=…|[ \t]*\[\.\.\. omitted|\r?\n|\Z)"
    r"|(?:\{\{[^{}\n]*\}\}|<%[^%\n]*%>)(?![^\s\"'\\,;])"  # a whole template: a reference, not the secret
    r"|(?:[^\s\"'\\,;]|\\(?![nrt\"\\/u]))+)"
)

# Password in a URL's userinfo (redis://, rediss://, postgres://, amqp://, any scheme): user:PASSWORD@host.
# The password runs to the last '@' before the host, so an unescaped '@' inside it is masked too.
_URL_PASSWORD = re.compile(r"(?P<head>://[^\s:/@\"'<>\\]*:)[^\s/\"'<>\\]+(?=@)")
# A Redis URL with a lone userinfo (redis://SECRET@host) carries a password: Lettuce, ioredis and this tool read
# it so. "default" (the Redis default user's name) stays visible.
_REDIS_URL_LONE_SECRET = re.compile(r"(?P<head>\bredis(?:s)?(?:\+sentinel)?://)(?!default@)[^\s:/@\"'<>\\]+(?=@)")

# Secrets passed in a query string: ?password=..., &token=...
_QUERY_NAMES = ("password", "passwd", "pwd", "pass", "token", "access_token", "auth_token", "secret", "client_secret",
                "api_key", "apikey", "key", "sig", "signature")
_QUERY_SECRET = re.compile(r"(?i)(?P<head>[?&](?:" + "|".join(_QUERY_NAMES) + r")=)[^&\s#\"'\\]+")

# NAME=value, NAME: value, "name": "value", name = "value", name: str = "value", os.environ["NAME"] = "value".
# Found keyword-first (str.find is far faster than a regex that may start anywhere), then matched from
# the end of the keyword: an optional closing quote or bracket, the separator, the value.
_SECRET_WORDS = ("pass", "pwd", "secret", "token", "key", "auth", "pw")
_AFTER_NAME = re.compile(
    r"(?P<sep>(?:\\?[\"'])?\]?[ \t]*(?:(?::[ \t]*[A-Za-z_][\w.\[\], |]*?(?:[ \t]+|(?=(?:==?|:=)[ \t]*\\?[\"'][^\s\"'\\,}\]])))?(?:==?|:=|=>)|:)[ \t]*)" + _VALUE
)

# Redis server directives and commands that carry a password: requirepass / masterauth / CONFIG SET.
_REDIS_DIRECTIVE = re.compile(r"(?i)(?P<head>\b(?:requirepass|masterauth|tls-(?:client-)?key-file-pass|sentinel-pass|sentinel[ \t]+auth-pass[ \t]+[^\s\"'\\]+|sentinel[ \t]+set[ \t]+[^\s\"'\\]+[ \t]+auth-pass)\b(?:\\?[\"'])?(?:[ \t]*[,:=][ \t]*|[ \t]+))" + _VALUE)

# The same directives as a YAML list (docker-compose `command:`): "- --requirepass" then "- VALUE" on the next line.
_REDIS_DIRECTIVE_LIST = re.compile(
    r"(?im)(?P<head>(?:^|(?<=\")|(?<=\\n))[ \t]*-[ \t]*(\\?[\"']?)--(?:requirepass|masterauth)\2[ \t]*(?:\r?\n|\\n)[ \t]*-[ \t]*)"
    + _VALUE
)

# A quoted literal handed to a client's auth or password call: jedis.auth("pw"), client.auth("user", "pw"),
# RedisURI.builder().withPassword("pw"), config.setPassword("pw"). Variables passed instead are left alone.
_QUOTED = r'(?P<value>\\"(?:[^"\\\n]|\\(?!"))*\\"|"(?![ \t]*[,:}\]])(?:[^"\\\n]|\\.)*"' + r"|'(?:[^'\\\n]|\\.)*')"
_SECRET_CALL = re.compile(
    r"(?P<head>(?:\.auth|\b(?:set|with)_?[Pp]assword|\.password)\([ \t]*"
    r"(?:(?:\\\"[^\"'\\\n]*\\\"|\"[^\"'\\\n]*\"|'[^\"'\\\n]*')[ \t]*,[ \t]*(?=\\?[\"']))?)" + _QUOTED
)

# XML: <password>VALUE</password>, <spring.redis.password>..., <property name="redis.password" value="VALUE"/>.
_XML_NAME = r"[\w.:-]*(?:password|passwd|secret|token|apikey|api[-_]key)"
_XML_ELEMENT = re.compile(r"(?i)(?P<head><(?P<tag>" + _XML_NAME + r")>)(?!\[REDACTED\])[^<\n\"\\]+(?=</(?P=tag)>)")
_XML_PROPERTY = re.compile(
    r"(?i)(?P<head>\bname[ \t]*=[ \t]*\\?[\"']" + _XML_NAME + r"\\?[\"'][ \t]+value[ \t]*=[ \t]*)" + _QUOTED
)

# AUTH [user] password typed at a prompt, or passed as command arguments ("AUTH", "pw").
_AUTH_COMMAND = re.compile(r"(?m)(?P<head>(?:^|(?<=\")|(?<=\\n))[ \t]*(?:[\w.:\[\]-]+>[ \t]*)?AUTH[ \t]+)(?:[^\s\"'\\]+[ \t]+)?[^\s\"'\\]+")
# The same inside other commands, any case: a redis-cli prompt or command line, HELLO 3 AUTH user pw,
# MIGRATE ... AUTH pw / AUTH2 user pw.
_AUTH_INLINE = re.compile(
    r"(?i)(?P<head>(?:(?<=[\w\]])>|\bredis-cli\b[^\n]*?[ \t])[ \t]*auth[ \t]+)"
    r"(?!\[REDACTED\])(?:[^\s\"'\\]+[ \t]+(?=[^\s\"'\\-]))?[^\s\"'\\]+"
)
_AUTH_IN_COMMAND = re.compile(
    r"(?i)(?P<head>\bhello[ \t]+\d[ \t]+auth[ \t]+[^\s\"'\\]+[ \t]+|\bauth2[ \t]+[^\s\"'\\]+[ \t]+"
    r"|\bmigrate\b[^\n]*?[ \t]auth[ \t]+)[^\s\"'\\]+"
)
_AUTH_ARGS = re.compile(r"(?i)(?P<head>\\?[\"']auth\\?[\"'][ \t]*,[ \t]*(?:\\?[\"'][^\"'\\\n]*\\?[\"'][ \t]*,[ \t]*)?)" + _VALUE)

# redis-cli -a PASSWORD / --pass PASSWORD, and --password VALUE style flags in general.
_REDIS_CLI_PASSWORD = re.compile(r"(?P<head>redis-cli\b[^\n]*?[ \t](?:-a|--pass)[ \t]+)[^\s\"'\\-][^\s\"'\\]*")
_REDIS_CLI_QUOTED_PASSWORD = re.compile(r"(?P<head>redis-cli\b[^\n]*?[ \t](?:-a|--pass)[ \t]+)" + _QUOTED)
_FLAG_SECRET = re.compile(r"(?P<head>--(?:[\w-]*-)?(?i:password|passwd|pass|secret|token|api-key)[ \t]+)[^\s\"'\\-][^\s\"'\\]*")

# ACL rules: user NAME on >password #<sha256> <password
_ACL_LINE = re.compile(
    r"(?im)(?:\bacl[ \t]+setuser[ \t]+\S+|(?:^|(?<=\")|(?<=\\n))[ \t]*user[ \t]+\S+(?=[ \t]+(?:on|off|reset|nopass|resetpass|[<>#~&+-])))[^\n\"]*"
)
_ACL_SECRET = re.compile(r"(?<=\s)(?P<head>[><#])(?:[0-9a-f]{64}\b|(?<=[<>])[^\s\"'\\]+)")

_NETRC = re.compile(r"(?P<head>\bmachine\s+\S+\s+login\s+\S+\s+password\s+)[^\s\"'\\]+")

_AUTH_HEADER = re.compile(
    r"(?i)(?P<head>\b(?:proxy-)?authorization(?:\\?[\"'])?[ \t]*[:=][ \t]*(?:\\?[\"'])?(?:(?:bearer|basic|token|digest|apikey|key)[ \t]+)?)[^\s\"'\\,;]+"
)
_BEARER = re.compile(r"(?P<head>Bearer[ \t]+)[A-Za-z0-9._~+/=-]{8,}")

# Vendor key formats, each led by a literal prefix (which is kept, so the reader knows what kind of key
# it was). A literal start lets the regex engine skip ahead instead of trying every position.
_KEY_FORMATS = [
    (prefix, re.compile(r"(?P<head>" + re.escape(prefix) + r")" + tail))
    for prefix, tail in [
        ("sk-ant-", r"[A-Za-z0-9_-]{8,}"),
        ("sk-", r"(?:proj-)?[A-Za-z0-9_-]{20,}"),
        *((aws, r"[A-Z0-9]{16}(?![A-Za-z0-9])") for aws in
          ("AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "APKA", "AROA", "ASCA")),
        *((github, r"[A-Za-z0-9]{20,}") for github in ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
        ("github_pat_", r"[A-Za-z0-9_]{20,}"),
        ("xox", r"[abposr]-[A-Za-z0-9-]{10,}"),
        ("sk_live_", r"[A-Za-z0-9]{10,}"), ("sk_test_", r"[A-Za-z0-9]{10,}"),
        ("rk_live_", r"[A-Za-z0-9]{10,}"), ("rk_test_", r"[A-Za-z0-9]{10,}"),
        ("AIza", r"[0-9A-Za-z_-]{35}"),
        ("eyJ", r"[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    ]
]

# PEM private keys (RSA, EC, OPENSSH, ENCRYPTED, PGP ... BLOCK). An unterminated block is masked to the
# end of the text (or the end of the JSON string it sits in).
_PEM = re.compile(
    r"(?P<begin>-----BEGIN (?P<kind>[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----)[^\"]*?(?P<end>-----END (?P=kind)-----|(?=\")|\Z)"
)

# Words before _KEY that name a data key (Redis keys, sort keys), not a credential.
_DATA_KEY_WORDS = frozenset(
    "cache redis lock primary sort partition foreign routing prefix namespace queue stream idempotency "
    "counter index lookup dedup dedupe bucket channel topic group shard tenant hash map dict row composite "
    "unique natural rate limit session leaderboard feed list set zset hll bloom job task event result "
    "public ssh_public id".split()
)
_NOT_SECRET_VALUES = frozenset({"none", "null", "nil", "true", "false", "~", "undefined", "yes", "no"})
_CODE_ROOTS = ("os.", "settings.", "config.", "conf.", "cfg.", "self.", "env.", "process.env", "options.",
               "opts.", "args.", "params.", "secrets.", "vars.", "import.meta")


def _is_secret_name(name: str) -> bool:
    bare = name.lstrip("-")
    lower = bare.lower()
    if lower.endswith(("password", "passwd", "secret", "token")):
        return True
    if lower.endswith("pass"):
        # DB_PASS, redisPass; not "bypass", "compass", "pass".
        return len(bare) > 4 and (bare[-5] in "_-." or (bare[-4] == "P" and bare[-5].islower()))
    if lower.endswith("auth"):
        # "auth" alone and REDIS_AUTH hold the password in Redis configs; not oauth, x_oauth.
        return lower == "auth" or (len(bare) > 5 and bare[-5] in "_-." and not lower.endswith("oauth"))
    if lower.endswith("pw"):
        return len(bare) > 3 and bare[-3] in "_-."
    if lower.endswith("pwd"):
        return len(bare) > 3 and bare[-4] in "_-." and lower not in ("oldpwd",)
    if lower.endswith("key"):
        if lower in ("apikey", "secretkey", "privatekey", "accesskey"):
            return True
        if len(bare) <= 3:
            return False
        before = bare[:-3]
        if before[-1] in "_-.":
            prefix = before[:-1]
        elif bare[-3] == "K" and before[-1].islower():
            prefix = before
        else:
            return False  # monkey, hotkey, KEY
        words = re.split(r"[_.-]|(?<=[a-z])(?=[A-Z])", prefix)
        return bool(words) and words[-1].lower() not in _DATA_KEY_WORDS
    return False


# ${NAME}, $NAME (upper case, as environment variables are), {{ template }}, <%= erb %>, %(name)s.
_REFERENCE = re.compile(r"\$\{[A-Za-z_]\w*\}|\$[A-Z_][A-Z0-9_]*|\{\{[^{}]*\}\}|<%[^%]*%>|%\([\w.]+\)s")


def _is_reference(value: str, quoted: bool) -> bool:
    """A value that points at the secret instead of holding it: $VAR, ${VAR}, {{ var }}, os.environ[...]."""
    if not value or _REFERENCE.fullmatch(value):
        return True
    if quoted:
        return False
    if value.lower() in _NOT_SECRET_VALUES or value.startswith(_CODE_ROOTS):
        return True
    # A call or subscript in code: get_secret(...), env["X"].
    return re.match(r"[A-Za-z_][\w.]*[(\[]", value) is not None


def _mask_value(value: str) -> str | None:
    """The masked form of a matched value, or None to keep it as is (also when already masked)."""
    if MASK in value:
        return None
    for quote in ('\\"', '"', "'"):
        if len(value) >= 2 * len(quote) and value.startswith(quote) and value.endswith(quote):
            inner = value[len(quote):-len(quote)]
            return None if _is_reference(inner, True) else quote + MASK + quote
    if value in ("{", "[", "{}", "[]"):
        return None  # a nested mapping or list follows (auth: { user: ..., password: ... }), not a value
    return None if _is_reference(value, False) else MASK


def _is_name_char(char: str) -> bool:
    return char.isalnum() or char in "_.-"


def _is_code_auth(name: str, match: re.Match) -> bool:
    """`auth=auth`, `auth=(user, pw)`, `def f(auth=None)`: a lower-case `auth` given a bare value with `=` is
    code passing a variable; configs write `auth: value` or quote the value."""
    return name == "auth" and "=" in match.group("sep") and match.group("value")[:1] not in ("'", '"', "\\")


def _redact_keyed(text: str, lowered: str) -> str:
    if len(lowered) != len(text):  # a few non-ASCII letters change length when lowered
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    edits: list[tuple[int, int, str]] = []
    for word in _SECRET_WORDS:
        at = lowered.find(word)
        while at != -1:
            end = at + len(word)
            if word == "pass":
                end += 4 if lowered.startswith("word", end) else 2 if lowered.startswith("wd", end) else 0
            match = _AFTER_NAME.match(text, end)
            if match:
                start = at
                while start > 0 and _is_name_char(text[start - 1]):
                    start -= 1
                if _is_secret_name(text[start:end]) and not _is_code_auth(text[start:end], match):
                    masked = _mask_value(match.group("value"))
                    if masked is not None:
                        edits.append((match.start("value"), match.end("value"), masked))
            at = lowered.find(word, at + 1)
    if not edits:
        return text
    edits.sort()
    pieces, done = [], 0
    for start, end, masked in edits:
        if start < done:
            continue
        pieces.append(text[done:start])
        pieces.append(masked)
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


def _head_value(match: re.Match) -> str:
    masked = _mask_value(match.group("value"))
    return match.group(0) if masked is None else match.group("head") + masked


def _head_mask(match: re.Match) -> str:
    head = match.group("head")
    if match.group(0)[len(head):].startswith(MASK):
        return match.group(0)  # already masked: redacting twice changes nothing
    return head + MASK


def _key_format(match: re.Match) -> str:
    start = match.start()
    if start and (match.string[start - 1].isalnum() or match.string[start - 1] == "_"):
        return match.group(0)  # inside a longer word: task-..., mask_test_...
    return match.group("head") + MASK


def _pem(match: re.Match) -> str:
    end = match.group("end") or ""
    return match.group("begin") + MASK + end


def _acl(match: re.Match) -> str:
    return _ACL_SECRET.sub(_head_mask, match.group(0))


# (needles, pattern, replacement, needles_are_lowercase): a rule runs only when one of its needles is in the
# text (or in its lowercased form), so the usual tool result pays for a few substring tests, not regex scans.
_RULES = [
    (("private key",), True, _PEM, _pem),
    (("://",), False, _URL_PASSWORD, _head_mask),
    (("redis://", "rediss://", "redis+sentinel://", "rediss+sentinel://"), False, _REDIS_URL_LONE_SECRET, _head_mask),
    (tuple(mark + name + "=" for name in _QUERY_NAMES for mark in "?&"), True, _QUERY_SECRET, _head_mask),
    (("requirepass", "masterauth", "key-file-pass", "auth-pass", "sentinel-pass"), True, _REDIS_DIRECTIVE, _head_value),
    (("--requirepass", "--masterauth"), True, _REDIS_DIRECTIVE_LIST, _head_value),
    ((".auth(", "password(", "Password("), False, _SECRET_CALL, _head_value),
    (("password", "passwd", "secret", "token", "apikey", "api-key", "api_key"), True, _XML_ELEMENT, _head_mask),
    (("name=", "name ="), True, _XML_PROPERTY, _head_value),
    (("AUTH ",), False, _AUTH_COMMAND, _head_mask),
    (("> auth", ">auth", "redis-cli"), True, _AUTH_INLINE, _head_mask),
    (("hello 2 auth", "hello 3 auth", "auth2", "migrate"), True, _AUTH_IN_COMMAND, _head_mask),
    (('auth"', "auth'", 'auth\\"'), True, _AUTH_ARGS, _head_value),
    (("redis-cli",), False, _REDIS_CLI_PASSWORD, _head_mask),
    (("redis-cli",), False, _REDIS_CLI_QUOTED_PASSWORD, _head_value),
    (("--",), False, _FLAG_SECRET, _head_mask),
    (("setuser", "user "), True, _ACL_LINE, _acl),
    (("machine",), True, _NETRC, _head_mask),
    (("authorization",), True, _AUTH_HEADER, _head_mask),
    (("Bearer",), False, _BEARER, _head_mask),
]


def redact(text: str) -> str:
    """Mask secret values in text, keeping enough around them to show a value is configured."""
    if not text:
        return text
    lowered = text.lower()
    for needles, lower, pattern, replace in _RULES:
        haystack = lowered if lower else text
        if any(needle in haystack for needle in needles):
            text = pattern.sub(replace, text)
    lowered = text.lower()  # rules above may have changed the text
    text = _redact_keyed(text, lowered)
    for prefix, pattern in _KEY_FORMATS:
        if prefix in text:
            text = pattern.sub(_key_format, text)
    return text
