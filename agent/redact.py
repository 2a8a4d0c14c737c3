"""One redaction function for everything that leaves a tool or reaches a transcript or log.

The reader still sees that a value is configured (the name, the quotes, the URL's user and host),
never the value itself. Patterns never swallow a backslash or a double quote, so redacting
JSON-encoded text (transcripts) leaves valid JSON behind.

Time is linear in the input: every repetition is bounded, each rule is tried only where its
literal needle occurs, and the keyword scan checks a name before it looks for a value. Callers
redact raw text (a file, a report) before adding line numbers or paths, so rules anchored at a
line start see the line start. Placeholders (`<password>`, `PASSWORD`, `{pw}`) stay readable.
"""

from __future__ import annotations

import bisect
import functools
import re

MASK = "[REDACTED]"

# A value after `name=` / `name: `: JSON-escaped quotes (inside transcripts), plain quotes, or a bare word.
_VALUE = (
    r'(?P<value>\\"(?:[^"\\\n]|\\(?!")){0,8000}\\"'
    # A plain '"' followed by , : } ] is the end of a JSON string (redacting JSON-encoded text), not a value.
    r'|"(?![ \t]*[,:}\]])(?:[^"\\\n]|\\.){0,8000}"'
    r"|'(?:[^'\\\n]|\\.){0,8000}'"
    # A quote left open by a cut line (Read, Grep and review evidence shorten long lines): the rest of the line,
    # up to the cut marker.
    r"|[\"'](?=[^\s\"'\\,}\]])[^\"'\\\n]{0,8000}?(?=…|[ \t]*\[\.\.\. omitted|\r?\n|\Z)"
    r"|(?:\{\{[^{}\n]*\}\}|<%[^%\n]*%>)(?![^\s\"'\\,;])"  # a whole template: a reference, not the secret
    r"|(?:[^\s\"'\\,;]|\\(?![nrt\"\\/u])){1,4000}+)"
)

# Password in a URL's userinfo (redis://, rediss://, postgres://, amqp://, any scheme): user:PASSWORD@host.
# The password runs to the last '@' before the host, so an unescaped '@' inside it is masked too.
_URL_PASSWORD = re.compile(r"(?P<head>://[^\s:/@\"'<>\\]{0,256}:)[^\s/\"'<>\\]{1,1000}(?=@)")
# A Redis URL with a lone userinfo (redis://SECRET@host) carries a password: Lettuce, ioredis and this tool read
# it so. "default" (the Redis default user's name) stays visible.
_REDIS_URL_LONE_SECRET = re.compile(r"(?P<head>redis(?:s)?(?:\+sentinel)?://)(?!default@)[^\s:/@\"'<>\\]{1,1000}(?=@)")
# Webhook URLs whose path is the credential (Slack, Discord, Teams/Office connectors).
_WEBHOOK_URL = re.compile(
    r"(?P<head>(?:hooks\.slack\.com/(?:services|workflows|triggers)/|discord(?:app)?\.com/api/webhooks/"
    r"|\.webhook\.office\.com/webhookb2/))[^\s\"'\\<>]{1,1000}"
)

# Secrets passed in a query string: ?password=..., &token=...
_QUERY_NAMES = ("password", "passwd", "pwd", "pass", "token", "access_token", "auth_token", "secret", "client_secret",
                "api_key", "apikey", "key", "sig", "signature", "code")
_QUERY_SECRET = re.compile(r"(?P<head>[?&](?:" + "|".join(_QUERY_NAMES) + r")=)[^&;\s#\"'\\]{1,4000}")

# NAME=value, NAME: value, "name": "value", name = "value", name: str = "value", 'name' => 'value'.
# Found keyword-first (str.find is far faster than a regex that may start anywhere), then matched from
# the end of the keyword: an optional closing quote or bracket, the separator, the value.
_SECRET_WORDS = ("pass", "pwd", "secret", "token", "key", "auth", "pw", "credential")
# The scans need no word that starts with another one: every name "pwd..." is found by the scan for "pw".
_SCAN_WORDS = tuple(word for word in _SECRET_WORDS if not any(word != other and word.startswith(other) for other in _SECRET_WORDS))
_AFTER_NAME = re.compile(
    r"(?P<sep>(?:\\?[\"'])?\]?[ \t]*(?:(?::[ \t]*[A-Za-z_][\w.\[\], |]{0,60}?(?:[ \t]+|(?=(?:==?|:=)[ \t]*\\?[\"'][^\s\"'\\,}\]])))?(?:=>|==?|:=)|:)[ \t]*)" + _VALUE
)

# Redis server directives and commands that carry a password: requirepass / masterauth / CONFIG SET.
# With only a space before the value, the directive must start its line (a config file), follow
# CONFIG SET or `--` (a command line): "set requirepass for the default user" is advice, not a config.
_DIRECTIVE_NAMES = r"(?:requirepass|masterauth|tls-(?:client-)?key-file-pass|sentinel-pass|primaryauth)"
_REDIS_DIRECTIVE = re.compile(
    r"(?P<head>(?:" + _DIRECTIVE_NAMES + r"|sentinel[ \t]+auth-pass[ \t]+[^\s\"'\\]{1,200}"
    r"|sentinel[ \t]+set[ \t]+[^\s\"'\\]{1,200}[ \t]+auth-pass)\b(?P<dsep>\\?[\"'][ \t]*,[ \t]*|(?:\\?[\"'])?[ \t]*[:=][ \t]*|(?:\\?[\"'])?[ \t]+))" + _VALUE
)
_DIRECTIVE_CONTEXT = re.compile(r"(?i)(?:(?:^|\\[nr]|[\"'\[(])[ \t]*(?:#[ \t]*)?|config[ \t]+set[ \t]+|sentinel[ \t]+|--|[ \t]-)$")

# The same directives as a YAML list (docker-compose `command:`): "- --requirepass" then "- VALUE" on the next line.
_REDIS_DIRECTIVE_LIST = re.compile(
    r"(?P<head>--(?:requirepass|masterauth)\\?[\"']?[ \t]*(?:\r?\n|\\n)[ \t]*-[ \t]*)"
    + _VALUE
)

# A quoted literal handed to a client's auth or password call: jedis.auth("pw"), client.auth("user", "pw"),
# $redis->auth('pw'), ->auth(['user', 'pw']), RedisURI.builder().withPassword("pw"), config.setPassword("pw").
_QUOTED = r'(?P<value>\\"(?:[^"\\\n]|\\(?!")){0,8000}\\"|"(?![ \t]*[,:}\]])(?:[^"\\\n]|\\.){0,8000}"' + r"|'(?:[^'\\\n]|\\.){0,8000}')"
_SECRET_CALL = re.compile(
    r"(?P<head>(?:(?:\.|->|::)auth|(?:set|with)_?pass(?:word)?|\.password)\([ \t]*\[?[ \t]*"
    r"(?:(?:\\\"[^\"'\\\n]{0,200}\\\"|\"[^\"'\\\n]{0,200}\"|'[^\"'\\\n]{0,200}')[ \t]*,[ \t]*(?=\\?[\"']))?)" + _QUOTED
)
# Client constructors that take the password positionally: StrictRedis('h', 6379, 0, 'pw'),
# new JedisPool(cfg, "h", 6379, 2000, "pw"). A quoted literal after a bare number is masked.
_CLIENT_NAMES = ("Redis", "Jedis", "ConnectionPool", "Sentinel")
_CLIENT_CALL = re.compile(r"(?:Redis(?:Client|Cluster|Sentinel)?|Jedis(?:Pool|SentinelPool|Cluster|Pooled)?|ConnectionPool|Sentinel)[ \t]*\(")
_CALL_ARGS = re.compile(r"""[ \t]*(\\?"(?:[^"\\\n]|\\[^"]){0,2000}\\?"|'(?:[^'\\\n]|\\.){0,2000}'|[^,()'"\n]{0,200}(?:\([^()\n]{0,200}\))?[^,()'"\n]{0,200})[ \t]*([,)])""")

# XML: <password>VALUE</password>, <spring.redis.password>..., <property name="redis.password" value="VALUE"/>.
_XML_NAME = r"[\w.:-]{0,100}(?:password|passwd|secret|token|apikey|api[-_]key|passphrase)"
_XML_ELEMENT = re.compile(r"(?P<head><(?P<tag>" + _XML_NAME + r")>)(?!\[REDACTED\])[^<\n\"\\]{1,4000}(?=</(?P=tag)>)")
_XML_PROPERTY = re.compile(
    r"(?P<head>(?:name|key)[ \t]*=[ \t]*\\?[\"']" + _XML_NAME + r"\\?[\"'][ \t]+value[ \t]*=[ \t]*)" + _QUOTED
)

# AUTH [user] password typed at a prompt, or passed as command arguments ("AUTH", "pw").
_AUTH_COMMAND = re.compile(
    r"(?P<head>AUTH[ \t]+)(?:[^\s\"'\\]{1,200}[ \t]+)?[^\s\"'\\]{1,1000}"
)
# The same inside other commands, any case: a redis-cli prompt or command line, HELLO 3 AUTH user pw,
# MIGRATE ... AUTH pw / AUTH2 user pw.
_AUTH_VALUE = r"(?!\[REDACTED\])(?:[^\s\"'\\]{1,200}[ \t]+(?=[^\s\"'\\-]))?[^\s\"'\\]{1,1000}"
_AUTH_INLINE = re.compile(r"(?P<head>>[ \t]*auth[ \t]+)" + _AUTH_VALUE)
_AUTH_REDIS_CLI = re.compile(r"(?P<head>redis-cli\b[^\n]{0,120}?[ \t][ \t]*auth[ \t]+)" + _AUTH_VALUE)
_AUTH_IN_COMMAND = re.compile(
    r"(?P<head>hello[ \t]+\d[ \t]+auth[ \t]+[^\s\"'\\]{1,200}[ \t]+|auth2[ \t]+[^\s\"'\\]{1,200}[ \t]+"
    r"|migrate\b[^\n]{0,120}?[ \t]auth[ \t]+)[^\s\"'\\]{1,1000}"
)
_AUTH_ARGS = re.compile(r"(?P<head>\\?[\"']auth\\?[\"'][ \t]*,[ \t]*(?:\\?[\"'][^\"'\\\n]{0,200}\\?[\"'][ \t]*,[ \t]*)?)" + _VALUE)

# redis-cli -a PASSWORD / --pass PASSWORD, and --password VALUE style flags in general.
_REDIS_CLI_PASSWORD = re.compile(r"(?P<head>redis-cli\b[^\n]{0,120}?[ \t](?:-a|--pass)[ \t]+)[^\s\"'\\-][^\s\"'\\]{0,1000}")
_REDIS_CLI_QUOTED_PASSWORD = re.compile(r"(?P<head>redis-cli\b[^\n]{0,120}?[ \t](?:-a|--pass)[ \t]+)" + _QUOTED)
_FLAG_SECRET = re.compile(
    r"(?P<head>--(?:[\w]{1,40}-){0,4}(?:password|passwd|pass|secret|token|api-key|auth-token|access-key)[ \t]+)"
    r"[^\s\"'\\-][^\s\"'\\]{0,1000}"
)

# ACL rules: user NAME on >password #<sha256> <password, also after allkeys, resetchannels or a (selector).
_ACL_RULE_START = r"(?:on|off|reset\w{0,12}|nopass|allkeys|allchannels|allcommands|nocommands|clearselectors|sanitize-payload|skip-sanitize-payload|[<>#~&%+!(-])"
_ACL_SETUSER = re.compile(r"acl[ \t]+setuser[ \t]+\S{1,200}[^\n\"]{0,100000}")
_ACL_LINE = re.compile(r"user[ \t]+\S{1,200}(?=[ \t]+" + _ACL_RULE_START + r")[^\n\"]{0,100000}")
_ACL_SECRET = re.compile(r"(?<=[\s(])(?P<head>[><#])(?:[0-9a-f]{64}\b|(?<=[<>])[^\s\"'\\)]{1,1000})")

# .netrc: machine HOST [login U] [account A] password P, on one line or several; `default` as the machine.
_NETRC = re.compile(
    r"(?P<head>(?:machine\s{1,100}\S{1,500}|default)(?:\s{1,100}(?:login|account|port)\s{1,100}\S{1,500}){0,3}"
    r"\s{1,100}(?:password|passwd)\s{1,100})[^\s\"'\\]{1,1000}"
)
# .pgpass: host:port:database:user:password.
_PGPASS = re.compile(r"(?m)(?P<head>^[^:\s#][^:\s]{0,253}:(?:\d{1,5}|\*):[^:\s]{1,256}:[^:\s]{1,256}:)(?!\[REDACTED\])[^\n]{1,1000}$")

_AUTH_HEADER = re.compile(
    r"(?P<head>authorization(?:\\?[\"'])?[ \t]*[:=][ \t]*(?:\\?[\"'])?(?:(?:bearer|basic|token|digest|apikey|key)[ \t]+)?)[^\s\"'\\,;]{1,4000}"
)
_BEARER = re.compile(r"(?P<head>bearer[ \t]+)[A-Za-z0-9._~+/=-]{8,4000}")

# PuTTY key files: everything after Private-Lines, and the MAC.
_PPK = re.compile(r"(?P<head>private-(?:lines:[ \t]*\d{1,4}|mac:[ \t]*))[^\"]{1,100000}?(?=\r?\n[a-z][\w-]{1,40}:|\"|\Z)")

# Vendor key formats, each led by a literal prefix (which is kept, so the reader knows what kind of key
# it was). A literal start lets the regex engine skip ahead instead of trying every position.
_KEY_FORMAT_LIST = [
    ("sk-ant-", r"[A-Za-z0-9_-]{8,1000}"),
        ("sk-", r"(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,1000}"),
        *((aws, r"[A-Z0-9]{16}(?![A-Za-z0-9])") for aws in
          ("AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "APKA", "AROA", "ASCA")),
        *((github, r"[A-Za-z0-9]{20,255}") for github in ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
        ("github_pat_", r"[A-Za-z0-9_]{20,255}"),
        *((gitlab, r"[A-Za-z0-9_-]{20,255}") for gitlab in ("glpat-", "gldt-", "glptt-", "glrt-", "glsoat-", "glcbt-", "GR1348941")),
        ("xox", r"[abposre]-[A-Za-z0-9-]{10,1000}"), ("xapp-", r"[A-Za-z0-9-]{10,1000}"),
        *((stripe, r"[A-Za-z0-9]{10,255}") for stripe in ("sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_")),
        *((vault, r"[A-Za-z0-9_-]{20,500}") for vault in ("hvs.", "hvb.", "hvr.")),
        ("SG.", r"[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{20,64}"),
        ("AIza", r"[0-9A-Za-z_-]{35}"),
        ("ya29.", r"[0-9A-Za-z_-]{20,2000}"), ("GOCSPX-", r"[0-9A-Za-z_-]{20,100}"),
        ("npm_", r"[A-Za-z0-9]{36}"), ("pypi-", r"AgE[A-Za-z0-9_-]{50,1000}"),
        ("hf_", r"[A-Za-z0-9]{30,100}"), ("dapi", r"[0-9a-f]{32}(?:-\d)?"),
        *((do, r"[0-9a-f]{64}") for do in ("dop_v1_", "doo_v1_", "dor_v1_")),
        *((shop, r"[0-9a-fA-F]{32}") for shop in ("shpat_", "shpss_", "shpca_", "shppa_")),
        ("ATATT", r"[A-Za-z0-9_=-]{30,500}"), ("lin_api_", r"[A-Za-z0-9]{30,100}"),
        ("sq0atp-", r"[0-9A-Za-z_-]{22,100}"), ("sq0csp-", r"[0-9A-Za-z_-]{40,100}"),
        ("eyJ", r"[A-Za-z0-9_-]{8,4000}\.eyJ[A-Za-z0-9_-]{8,8000}\.[A-Za-z0-9_-]{8,4000}"),
]


def _group_key_formats(formats):
    """Neighbouring prefixes that share a tail and a first letter (the AWS, GitHub, GitLab, Stripe, ... families)
    become one pattern: one regex scan of the text for a family instead of one substring scan a prefix. A shared
    first letter keeps the scan a fast literal one (prefixes that start apart would have it test every letter)."""
    groups = []
    for prefix, tail in formats:
        if groups and groups[-1][1] == tail and groups[-1][0][0][0] == prefix[0]:
            groups[-1][0].append(prefix)
        else:
            groups.append(([prefix], tail))
    return [(tuple(prefixes), re.compile(r"(?P<head>" + "|".join(map(re.escape, prefixes)) + r")" + tail))
            for prefixes, tail in groups]


_KEY_FORMATS = _group_key_formats(_KEY_FORMAT_LIST)
# Tokens of a known shape without a fixed prefix: a lower-case vendor tag and `_`/`-`, then a long random
# body (mixed case and digits, or 32+ hex after an `_` tag); Telegram bot tokens; Twilio API keys.
_TAGGED_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_.-])(?P<head>[a-z][a-z0-9]{1,9}[_-](?:[a-z0-9]{1,6}[_-])?)(?P<body>[A-Za-z0-9]{24,512})(?![A-Za-z0-9])"
)
_TELEGRAM = re.compile(r"(?P<head>\d{8,10}:)AA[A-Za-z0-9_-]{33}(?![\w-])")
_TWILIO = re.compile(r"(?P<head>SK)[0-9a-f]{32}(?![A-Za-z0-9])")
# An AWS secret access key (40 base64 characters) where an access key id is in the same text.
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
# A line that is one long base64 run: a PEM body seen without its BEGIN line (an offset, tail -n +2).
_BASE64_LINE = re.compile(r"(?m)^(?P<head>[ \t]*(?:\d{1,9}[\t:-])?[\"']?)[A-Za-z0-9+/]{40,4000}={0,2}(?=[\"']?,?[ \t]*\r?$)")

# PEM private keys (RSA, EC, OPENSSH, ENCRYPTED, PGP ... BLOCK). An unterminated block is masked to the
# end of the text (or the end of the JSON string it sits in).
_PEM = re.compile(
    r"(?P<begin>-----begin (?P<kind>[a-z0-9 ]{0,40}private key(?: block)?)-----)[^\"]*?(?P<end>-----end (?P=kind)-----|(?=\")|\Z)"
)

# YAML values on the lines after their key: `password: |` block scalars, or `password:` and the value below.
_NEXT_LINE_KEY = re.compile(
    r"(?m)(?P<indent>[ \t]{0,100})(?:-[ \t]+)?[\"']?(?P<name>[\w.-]{1,120})[\"']?"
    r"[ \t]*:[ \t]*(?P<block>[|>][-+0-9]{0,3})?[ \t]*(?:#[^\n]{0,500})?\r?$"
)

# Words before _KEY that name a data key (Redis keys, sort keys), not a credential.
_DATA_KEY_WORDS = frozenset(
    "cache redis lock primary sort partition foreign routing prefix namespace queue stream idempotency "
    "counter index lookup dedup dedupe bucket channel topic group shard tenant hash map dict row composite "
    "unique natural rate limit session leaderboard feed list set zset hll bloom job task event result "
    "public ssh_public id hot big monkey turn".split()
)
# Names that hold a secret wherever the word sits in them (secret_key_base, password_hash, client-key-data),
# unless they end in a word that says the value is about the secret, not the secret itself.
_SECRET_PARTS = ("password", "passwd", "passphrase", "secret", "privatekey", "private_key", "private-key",
                 "apikey", "api_key", "api-key", "accesskey", "access_key", "access-key", "key_data", "key-data",
                 "keydata", "auth_token", "authtoken", "credential", "signing_key", "signingkey", "encryption_key",
                 "master_key", "masterkey")
_ABOUT_SECRET = ("file", "path", "name", "ref", "env", "var", "length", "len", "policy", "prompt", "required",
                 "enabled", "manager", "provider", "store", "type", "field", "dir", "arn", "version", "hint", "label",
                 "count", "mode", "rotation", "expiry", "expires", "ttl", "url", "uri", "id_list", "list", "storage",
                 "reset", "changed", "format", "min", "max", "regex", "pattern", "policy", "helper", "command")
_NOT_SECRET_VALUES = frozenset({"none", "null", "nil", "true", "false", "~", "undefined", "yes", "no"})
# Values that stand for a secret in docs and examples: the tool's own advice writes `>password`, `PASSWORD@HOST`.
_PLACEHOLDERS = frozenset({"password", "passwd", "redacted", "[redacted]"})
# <password>, {args.password}, [YOUR_TOKEN], ****: a word that names what goes there, or plain stars.
_PLACEHOLDER_SHAPE = re.compile(
    r"(?i)<[^<>\n]{0,30}(?:pass|pw|secret|token|key|your|redacted|value|cred)[^<>\n]{0,30}>"
    r"|\{[^{}\n]{0,30}(?:pass|pw|secret|token|key|redacted|cred)[^{}\n]{0,30}\}|\[[A-Za-z_ -]{0,30}(?:pass|secret|token|key|redacted)[A-Za-z_ -]{0,30}\]|\*{3,}|…"
)
_CODE_ROOTS = ("os.", "settings.", "config.", "conf.", "cfg.", "self.", "env.", "process.env", "options.",
               "opts.", "args.", "params.", "secrets.", "vars.", "import.meta", "this.", "props.", "ctx.", "context.",
               "System.getenv", "ENV[", "ENV.fetch", "Environment.", "getenv(")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,80}")


_SECRET_PART = re.compile("|".join(map(re.escape, _SECRET_PARTS)))


@functools.lru_cache(maxsize=8192)
def _is_secret_name(name: str) -> bool:
    bare = name.lstrip("-_$@:.")
    lower = bare.lower()
    if not lower:
        return False
    part = _SECRET_PART.search(lower)
    if part:
        rest = lower[part.end():].strip("_-.")
        return not rest or not rest.endswith(_ABOUT_SECRET)
    if lower.endswith(("token", "tokens_secret")):
        return True
    if lower.endswith("pass"):
        # DB_PASS, redisPass; not "bypass", "compass", "pass".
        return len(bare) > 4 and (bare[-5] in "_-." or (bare[-4] == "P" and bare[-5].islower()))
    if lower.endswith("auth"):
        # "auth" alone, npm's _auth and REDIS_AUTH hold the password; not oauth, x_oauth.
        return lower == "auth" or (len(bare) > 5 and bare[-5] in "_-." and not lower.endswith("oauth"))
    if lower.endswith("pw"):
        return len(bare) > 3 and bare[-3] in "_-."
    if lower.endswith("pwd"):
        return len(bare) > 3 and bare[-4] in "_-." and lower not in ("oldpwd",)
    if lower.endswith("key"):
        if lower in ("secretkey", "privatekey", "accesskey"):
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
_REFERENCE = re.compile(r"\$\{[A-Za-z_]\w*(?::?[-=?][^{}]*)?\}|\$[A-Z_][A-Z0-9_]*|\{\{[^{}]*\}\}|<%[^%]*%>|%\([\w.]+\)s|\$\([^()]*\)")


def _is_placeholder(value: str) -> bool:
    return value.lower() in _PLACEHOLDERS or _PLACEHOLDER_SHAPE.fullmatch(value) is not None


def _is_reference(value: str, quoted: bool) -> bool:
    """A value that points at the secret instead of holding it: $VAR, ${VAR}, {{ var }}, os.environ[...]."""
    if value.startswith("${") and ":-" in value:
        return False  # ${VAR:-default}: the default is a literal
    if not value or _REFERENCE.fullmatch(value) or _is_placeholder(value):
        return True
    if quoted:
        return False
    if value.lower() in _NOT_SECRET_VALUES or value.startswith(_CODE_ROOTS):
        return True
    # A call or subscript in code: get_secret(...), env["X"].
    return re.match(r"[A-Za-z_][\w.]{0,200}[(\[]", value) is not None


def _mask_value(value: str) -> str | None:
    """The masked form of a matched value, or None to keep it as is (also when already masked)."""
    if MASK in value:
        return None
    for quote in ('\\"', '"', "'"):
        if len(value) >= 2 * len(quote) and value.startswith(quote) and value.endswith(quote):
            inner = value[len(quote):-len(quote)]
            return None if _is_reference(inner, True) else quote + MASK + quote
    if value in ("{", "[", "{}", "[]", "|", ">", "|-", ">-"):
        return None  # a nested mapping, list or block follows (auth: { user: ..., password: ... }), not a value
    return None if _is_reference(value, False) else MASK


def _is_name_char(char: str) -> bool:
    return char.isalnum() or char in "_.-"


def _is_code_variable(name: str, match: re.Match, text: str) -> bool:
    """`auth=auth`, `password=password`, `Redis(password=pw)`, `def f(auth=None)`: code passing a variable.
    Configs write `auth: value`, quote the value, or end the line after it."""
    value = match.group("value")
    if value[:1] in ("'", '"', "\\") or "=" not in match.group("sep"):
        return False
    if name == "auth":
        return True
    ident = _IDENTIFIER.match(value)
    if not ident:
        return False
    core, rest = ident.group(), value[ident.end():]
    if rest and rest[0] in ")]}" and not rest.strip(")]};:,"):
        return True  # a value closed by a bracket: an argument in code
    if rest:
        return False
    if core.lower() == name.lower().lstrip("-_$@"):
        return True
    after = text[match.start("value") + len(core):match.start("value") + len(core) + 2]
    return after[:1] == ")" or after in (", ", ",\n", ",\r")


_LIST_LITERAL = re.compile(r'\\?"(?:[^"\\\n]|\\[^"]){1,2000}\\?"|\'(?:[^\'\\\n]|\\.){1,2000}\'')
_NAME_BACK = re.compile(r"[\w.-]{0,120}+")
# A secret word, the rest of its name, then a separator: each scan starts with a literal, so the regex engine
# skips in C to the next occurrence, and Python looks only at names that are followed by `=` or `:`.
_WORD_THEN_SEPARATOR = {
    word: re.compile(re.escape(word) + r"[\w.-]{0,60}+(?:\\?[\"'])?\]?[ \t]*(?:=|:)") for word in _SECRET_WORDS
}


def _redact_keyed(text: str, lowered: str) -> list[tuple[int, int, str]]:
    edits: list[tuple[int, int, str]] = []
    reversed_text = None
    for word in _SCAN_WORDS:
        if word not in lowered:
            continue
        scan, covered, at = _WORD_THEN_SEPARATOR[word], 0, -1
        while True:
            # str.find skips to the next occurrence several times faster than the regex engine's literal scan
            at = lowered.find(word, at + 1)
            if at == -1:
                break
            if at < covered:
                continue
            found = scan.match(lowered, at)
            if found is None:
                continue
            if reversed_text is None:
                reversed_text = lowered[::-1]
            end = found.start() + len(word)
            end += len(_NAME_BACK.match(lowered, end).group())
            start = found.start() - len(_NAME_BACK.match(reversed_text, len(lowered) - found.start()).group())
            name = text[start:end]
            if not _is_secret_name(name):
                continue
            match = _AFTER_NAME.match(text, end)
            if match and match.group("value") == "[":
                line_end = text.find("\n", match.end())
                line_end = len(text) if line_end == -1 else line_end
                close = text.find("]", match.end(), line_end)
                for literal in _LIST_LITERAL.finditer(text, match.end(), close if close != -1 else line_end):
                    masked = _mask_value(literal.group())
                    if masked is not None:
                        edits.append((literal.start(), literal.end(), masked))
                continue
            if match and not _is_code_variable(name, match, text):
                masked = _mask_value(match.group("value"))
                if masked is not None:
                    edits.append((match.start("value"), match.end("value"), masked))
                    covered = match.end("value")
                    at = covered - 1
    return edits


def _apply_both(text: str, lowered: str, edits: list[tuple[int, int, str]]) -> tuple[str, str]:
    """The text and its lowercased twin, edited alike."""
    if not edits:
        return text, lowered
    edits.sort()
    return _apply(text, edits), _apply(lowered, [(start, end, _lower(new)) for start, end, new in edits])


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
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


# A secret word ending its line's key (`password:`, `token: |`): where a value on the next lines may follow.
_WORD_THEN_LINE_END = {
    word: re.compile(re.escape(word) + r"[\w.-]{0,40}+[\"']?[ \t]*:[ \t]*(?:[|>][-+0-9]{0,3})?[ \t]*(?:#[^\n]{0,200})?\r?$", re.M)
    for word in _SECRET_WORDS
}


def _redact_next_line(text: str, lowered: str) -> str:
    """`password: |` and `password:` followed by the value on more-indented lines below."""
    edits = []
    starts = set()
    for word in _SCAN_WORDS:
        scan, at = _WORD_THEN_LINE_END[word], lowered.find(word)
        while at != -1:
            found = scan.match(lowered, at)
            if found is not None:
                starts.add(lowered.rfind("\n", 0, at) + 1)
                at = found.end() - 1
            at = lowered.find(word, at + 1)
    for start in sorted(starts):
        match = _NEXT_LINE_KEY.match(text, start)
        if match is None or not _is_secret_name(match.group("name")):
            continue
        indent = len(match.group("indent").expandtabs())
        at = match.end() + 1
        while at < len(text):
            line_end = text.find("\n", at)
            line_end = len(text) if line_end == -1 else line_end
            line = text[at:line_end]
            body = line.lstrip(" \t")
            if body.strip() and len(line) - len(body) <= indent:
                break
            if body.strip() and MASK not in body:
                plain = match.group("block") or not (body.rstrip().endswith(":") or ": " in body or body.startswith("- "))
                if not plain:
                    break  # a nested mapping (secretKeyRef: ...): its own keys are judged on their own
                if not _is_reference(body.strip().strip("\"'"), False):
                    edits.append((at + len(line) - len(body), line_end - (len(body) - len(body.rstrip())), MASK))
                if not match.group("block"):
                    break  # a plain scalar continues only as a block scalar does
            at = line_end + 1
    return _apply(text, edits) if edits else text


def _head_value(match: re.Match) -> str:
    masked = _mask_value(match.group("value"))
    return match.group(0) if masked is None else match.group("head") + masked


def _head_mask(match: re.Match) -> str:
    head = match.group("head")
    value = match.group(0)[len(head):]
    if value.startswith(MASK) or _is_placeholder(value) or _REFERENCE.fullmatch(value):
        return match.group(0)  # already masked, or a placeholder: redacting twice changes nothing
    return head + MASK


_DIRECTIVE_END = re.compile(r"[ \t]*(?:$|#|\\[nr]|\\?[\"'\]),]|[ \t]-)", re.M)


def _directive(match: re.Match) -> str:
    separator = match.group("dsep")
    # Only spaces before a plain word: prose ("set requirepass for the default user") unless the line reads
    # as a config or command line. A value with digits, capitals or symbols is masked wherever it is.
    if not separator.strip(" \t\"'\\") and re.fullmatch(r"[a-z]{1,12}", match.group("value")):
        if not _DIRECTIVE_END.match(match.string, match.end()):
            return match.group(0)  # more words follow: "masterauth is not set on the replica"
        start = match.start()
        line_start = max(match.string.rfind("\n", 0, start) + 1, start - 200)
        if not _DIRECTIVE_CONTEXT.search(match.string, line_start, start) and not _DIRECTIVE_CONTEXT.search(match.string[line_start:start]):
            return match.group(0)
    return _head_value(match)


def _key_format(match: re.Match) -> str:
    start = match.start()
    if start and (match.string[start - 1].isalnum() or match.string[start - 1] == "_"):
        return match.group(0)  # inside a longer word: task-..., mask_test_...
    return match.group("head") + MASK


def _looks_random(body: str, hex_ok: bool) -> bool:
    has_upper, has_lower = body.lower() != body, body.upper() != body
    digits = sum(map(body.count, "0123456789"))
    if has_upper and has_lower and (digits >= 2 or (len(body) >= 24 and sum(c.isupper() for c in body) >= 0.3 * len(body))):
        return len(set(body)) >= min(16, len(body) // 2)
    return hex_ok and len(body) >= 32 and digits >= 4 and not body.strip("0123456789abcdef")


def _tagged_token(match: re.Match) -> str:
    body = match.group("body")
    if not _looks_random(body, match.group("head").endswith("_")):
        return match.group(0)
    return match.group("head") + MASK


def _random_run(match: re.Match) -> str:
    run = match.group(0)
    return MASK if _looks_random(run, False) else run


def _base64_line(match: re.Match) -> str:
    body = match.group(0)[len(match.group("head")):]
    return match.group("head") + MASK if _looks_random(body.rstrip("="), False) else match.group(0)


def _pem(match: re.Match) -> str:
    end = match.group("end") or ""
    return match.group("begin") + MASK + end


def _client_call(text: str) -> list[tuple[int, int, str]]:
    """Quoted literals after a bare number in a Redis client constructor's positional arguments."""
    edits = []
    for start in _positions(text, _CLIENT_NAMES, 0):
        call = _CLIENT_CALL.match(text, start)
        if call is None:
            continue
        at, seen_number = call.end(), False
        for _ in range(12):
            arg = _CALL_ARGS.match(text, at)
            if not arg:
                break
            value = arg.group(1).strip()
            if re.fullmatch(r"\d{1,6}", value):
                seen_number = True
            elif seen_number and value[:1] in ("'", '"', "\\") and "=" not in text[at:arg.start(1)]:
                masked = _mask_value(value)
                if masked is not None:
                    edits.append((arg.start(1) + arg.group(1).find(value), arg.start(1) + arg.group(1).find(value) + len(value), masked))
            at = arg.end()
            if arg.group(2) == ")":
                break
    return edits


class _Found:
    """A match found in the lowercased text, read back from the original (same positions)."""

    __slots__ = ("_match", "string")

    def __init__(self, match: re.Match, original: str):
        self._match, self.string = match, original

    def group(self, name: int | str = 0) -> str:
        start, end = self._match.span(name)
        return self.string[start:end] if start != -1 else None

    def start(self, name: int | str = 0) -> int:
        return self._match.start(name)

    def end(self, name: int | str = 0) -> int:
        return self._match.end(name)


def _word_before_at(text: str, at: int) -> bool:
    return at > 0 and (text[at - 1].isalnum() or text[at - 1] in "_:")


def _word_before(at: int, text: str) -> bool:
    return at > 0 and (text[at - 1].isalnum() or text[at - 1] == "_")


def _not_after_word(at: int, text: str) -> bool:
    return not _word_before(at, text) or (at >= 2 and text[at - 2] == "\\" and text[at - 1] in "nrt")


def _prompt_before(at: int, text: str) -> bool:
    """`host:6379> auth pw`: the '>' ends a prompt (a word or a ']' before it)."""
    if text.startswith("redis-cli", at):
        return True
    return at > 0 and (text[at - 1].isalnum() or text[at - 1] in "]_")


def _flag_start(at: int, text: str) -> bool:
    return at == 0 or not (text[at - 1].isalnum() or text[at - 1] in "_-")


def _acl(match: re.Match) -> str:
    return _ACL_SECRET.sub(_head_mask, match.group(0))


_LINE_START = re.compile(r"(?:^|\n|\\n|\")[ \t]*$")
_PROMPT_START = re.compile(r"(?:^|\n|\\n|\")[ \t]*(?:[\w.:\[\]-]{1,100}>[ \t]*)?$")
_LIST_ITEM_START = re.compile(r"(?:^|\n|\\n|\")[ \t]*-[ \t]*\\?[\"']?$")


def _after(context: re.Pattern):
    """A check that the text between the line start and the match fits `context` (a config line, a prompt)."""
    def check(at: int, text: str) -> bool:
        return context.search(text, max(0, at - 120), at) is not None or context.search(text[max(0, at - 120):at]) is not None
    return check


_QUERY_NEEDLES = tuple(mark + name + "=" for name in _QUERY_NAMES for mark in "?&")
# (needles, lowercase, anchor, pattern, replacement, check). A rule runs only where one of its needles occurs;
# `anchor` is where its match starts: at the needle (an int: that many characters before it; a tuple: each of
# those), at the start of the needle's line ("line"), or "scan" (the
# whole text, for patterns that start with a rare literal of their own). Rules with lowercase needles match
# the lowercased text and read the values back from the original. `check(start, text)` refuses a match that
# the text before it rules out (a lookbehind there would cost the regex engine's fast literal scan); an anchored
# rule checks before it matches, so a refused start costs nothing however long its match would have been.
_RULES = [
    (("-----begin",), True, 0, _PEM, _pem, None),
    (("private-lines", "private-mac"), True, 0, _PPK, _head_mask, None),
    (("://",), False, 0, _URL_PASSWORD, _head_mask, None),
    (("redis://", "rediss://", "redis+sentinel://", "rediss+sentinel://"), False, 0, _REDIS_URL_LONE_SECRET, _head_mask, _not_after_word),
    (("hooks.slack.com/", "discord.com/api/webhooks/", "discordapp.com/api/webhooks/", ".webhook.office.com/"), True, 0,
     _WEBHOOK_URL, _head_mask, None),
    (("?", "&"), True, "scan", _QUERY_SECRET, _head_mask, None),  # not anchored: minified code has a '?' a line
    (("requirepass", "masterauth", "tls-key-file-pass", "tls-client-key-file-pass", "sentinel-pass", "primaryauth", "sentinel"),
     True, 0, _REDIS_DIRECTIVE, _directive, _not_after_word),
    (("--requirepass", "--masterauth"), True, 0, _REDIS_DIRECTIVE_LIST, _head_value, _after(_LIST_ITEM_START)),
    # .auth( ->auth( ::auth( set[_]pass[word]( with[_]pass[word]( .password(: found by what they end in.
    (("auth(", "pass(", "password("), True, (1, 2, 3, 4, 5), _SECRET_CALL, _head_value, None),
    (("password>", "passwd>", "secret>", "token>", "apikey>", "api-key>", "api_key>", "passphrase>"), True, "scan",
     _XML_ELEMENT, _head_mask, None),
    (("name=", "name =", "key=", "key ="), True, 0, _XML_PROPERTY, _head_value, _not_after_word),
    (("AUTH ", "AUTH\t"), False, 0, _AUTH_COMMAND, _head_mask, _after(_PROMPT_START)),
    (("> auth", ">auth"), True, 0, _AUTH_INLINE, _head_mask, _prompt_before),
    ((" auth ", " auth\t"), True, "scan", _AUTH_REDIS_CLI, _head_mask, None),
    (("hello 2 auth", "hello 3 auth", "auth2", "migrate"), True, 0, _AUTH_IN_COMMAND, _head_mask, _not_after_word),
    (('auth"', "auth'"), True, 1, _AUTH_ARGS, _head_value, None),
    (('auth\\"',), True, 2, _AUTH_ARGS, _head_value, None),
    ((" -a ", " -a\t", "--pass"), False, "scan", _REDIS_CLI_PASSWORD, _head_mask, None),
    ((" -a ", " -a\t", "--pass"), False, "scan", _REDIS_CLI_QUOTED_PASSWORD, _head_value, None),
    (("--",), True, "scan", _FLAG_SECRET, _head_mask, _flag_start),
    (("acl setuser",), True, "scan", _ACL_SETUSER, _acl, None),
    (("user ", "user\t"), True, 0, _ACL_LINE, _acl, _after(_LINE_START)),
    (("machine", "default"), True, 0, _NETRC, _head_mask, _not_after_word),
    ((":*:", ":5432:", ":5433:", ":3306:", ":6379:"), False, "line", _PGPASS, _head_mask, None),
    (("authorization",), True, 0, _AUTH_HEADER, _head_mask, _not_after_word),
    (("bearer",), True, 0, _BEARER, _head_mask, None),
]


def _positions(haystack: str, needles: tuple[str, ...], anchor, lowered: str | None = None,
               cores: dict | None = None) -> list[int]:
    """Where the rule's matches may start: each needle's occurrences, less `anchor` (a count, or several to try).
    With `cores` (a cache for one lowercased text), a needle holding a common core ("auth", "pass", "://", ...)
    is found among that core's occurrences, so a dozen needles cost one scan of the text instead of a dozen."""
    found = set()
    backs = anchor if isinstance(anchor, tuple) else (anchor,)
    for needle in _own_needles(needles):
        core, offset = _core_of(needle)
        if core is not None and cores is not None:
            hits = cores.get(core)
            if hits is None:
                hits = cores[core] = _find_all(lowered, core)
            occurrences = [at - offset for at in hits if at >= offset and haystack.startswith(needle, at - offset)]
        else:
            occurrences = _find_all(haystack, needle)
        for at in occurrences:
            if anchor == "line":
                found.add(haystack.rfind("\n", 0, at) + 1)
            else:
                found.update(at - back for back in backs)
    return sorted(p for p in found if p >= 0)


def _find_all(haystack: str, needle: str) -> list[int]:
    found, at = [], haystack.find(needle)
    while at != -1:
        found.append(at)
        at = haystack.find(needle, at + 1)
    return found


_CORES = ("auth", "pass", "://", "hook", "user", "name", "private-")


@functools.lru_cache(maxsize=None)
def _core_of(needle: str) -> tuple[str | None, int]:
    lowered = needle.lower()
    for core in _CORES:
        if core in lowered:
            return core, lowered.find(core)
    return None, 0


@functools.lru_cache(maxsize=None)
def _own_needles(needles: tuple[str, ...]) -> tuple[str, ...]:
    """The needles less those that start with another one (found at the same places already)."""
    return tuple(n for n in needles if not any(n != other and n.startswith(other) for other in needles))


_keep_lines = False


def _mask_lines(original: str) -> str:
    """A multi-line secret masked line by line (armor lines kept), so a file keeps its line numbers."""
    return "\n".join(line if not line.strip() or line.lstrip().startswith("-----") else MASK
                     for line in original.split("\n"))


def _rule_edits(rule, text: str, lowered: str, spans: list[tuple[int, int]], cores: dict | None = None
                ) -> list[tuple[int, int, str]]:
    """The rule's matches in the text, as (start, end, replacement), in order and apart. `spans` gets the
    span of every match the rule judged, masked or not."""
    needles, lower, anchor, pattern, replace, check = rule
    haystack = lowered if lower else text
    positions = None if anchor == "scan" else iter(_positions(haystack, needles, anchor, lowered, cores))
    edits, done, at = [], 0, 0
    while True:
        if positions is None:  # the regex engine finds the literal start itself, in C
            found = pattern.search(haystack, at)
            if found is None:
                break
            at = found.start() + 1
        else:
            at = next(positions, None)
            if at is None:
                break
            if at < done or (check is not None and not check(at, text)):
                continue
            found = pattern.match(haystack, at)
            if found is None:
                continue
        match = found if haystack is text else _Found(found, text)
        if positions is None and check is not None and not check(found.start(), text):
            continue
        new = replace(match)
        spans.append((found.start(), found.end()))
        at = max(at, found.end())
        if _keep_lines and new.count("\n") != match.group(0).count("\n"):
            new = _mask_lines(match.group(0))
        old = match.group(0)
        if new != old:
            # Only the part that changes is an edit (the head a rule keeps is not), so rules whose matches
            # share text (`redis-cli -a requirepass X`) each mask their own value.
            head = _common_prefix(old, new)
            tail = _common_suffix(old, new, min(len(old), len(new)) - head)
            edits.append((match.start() + head, found.end() - tail, new[head:len(new) - tail]))
            done = found.end()
    return edits


def _common_prefix(a: str, b: str) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:  # halving with C-speed slice compares: long matches (an ACL line) cost no Python loop
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, limit: int) -> int:
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle:] == b[len(b) - middle:]:
            low = middle
        else:
            high = middle - 1
    return low


def _run_rules(text: str, lowered: str) -> tuple[str, str]:
    """Every rule of _RULES in turn, each seeing the text as the rules before it left it. Their edits are
    gathered and made at once (two joins, not two a rule); only a rule that judged a match touching an edit
    still pending gets the text with those edits made first, and is run again on it."""
    pending: list[tuple[int, int, str]] = []
    starts: list[int] = []
    cores: dict = {}
    for rule in _RULES:
        needles, lower, anchor = rule[0], rule[1], rule[2]
        haystack = lowered if lower else text
        if anchor == "scan" and not any(needle in haystack for needle in needles):
            continue  # (an anchored rule finds its needles' positions anyway)
        spans: list[tuple[int, int]] = []
        edits = _rule_edits(rule, text, lowered, spans, cores)
        if pending and any(_touches(starts, pending, start, end) for start, end in spans):
            text, lowered = _apply_both(text, lowered, pending)
            pending, starts, cores = [], [], {}
            edits = _rule_edits(rule, text, lowered, [], cores)
        for edit in edits:
            at = bisect.bisect_right(starts, edit[0])
            pending.insert(at, edit)
            starts.insert(at, edit[0])
    return _apply_both(text, lowered, pending)


def _touches(starts: list[int], edits: list[tuple[int, int, str]], start: int, end: int) -> bool:
    """Whether [start, end] meets one of the sorted, disjoint edits."""
    at = bisect.bisect_right(starts, end)
    return at > 0 and edits[at - 1][1] >= start


def _lower(text: str) -> str:
    """text.lower() with every position kept (a few non-ASCII letters grow when lowered)."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return lowered


_RUN_TABLE = bytes(
    ord("a") if chr(c).isascii() and chr(c).isalnum() else ord("b") if chr(c) in "+/" else ord(" ") for c in range(256)
)
_RUN_SEED = b"a" * 20
_IN_RUN = (ord("a"), ord("b"))


def _long_runs(text: str, minimum: int = 24) -> list[tuple[int, int]]:
    """Maximal runs of base64 characters at least `minimum` long, found with a C-speed scan for a seed of
    20 letters or digits (so ordinary words cost nothing). Latin-1 with replacement keeps one byte a character."""
    if len(text) < minimum:
        return []
    mapped = text.encode("latin-1", "replace").translate(_RUN_TABLE)
    runs, at = [], mapped.find(_RUN_SEED)
    while at != -1:
        start = mapped.rfind(b" ", 0, at) + 1
        end = mapped.find(b" ", at)
        end = len(mapped) if end == -1 else end
        if minimum <= end - start <= 8192:
            runs.append((start, end))
        at = mapped.find(_RUN_SEED, end)
    return runs


_TAG_BEFORE = re.compile(r"(?:^|[^A-Za-z0-9_.-])(?P<head>[a-z][a-z0-9]{1,9}[_-](?:[a-z0-9]{1,6}[_-])?)$")


def _in_public_block(text: str, at: int) -> bool:
    """Inside a PEM block that is public (a certificate, a public key)."""
    begin = text.rfind("-----BEGIN ", 0, at)
    if begin == -1 or text.rfind("-----END ", begin, at) != -1:
        return False
    header = text[begin:text.find("-----", begin + 11) + 5]
    return "PUBLIC KEY" in header or "CERTIFICATE" in header


def _redact_runs(text: str, aws: bool) -> str:
    """Long random runs: tagged tokens (`dop_v1_...`, an unknown vendor's `xyz_live_...`), an AWS secret key
    beside its key id, and lines that are one base64 run (a PEM body without its BEGIN line)."""
    edits = []
    for start, end in _long_runs(text):
        run = text[start:end]
        alnum_end = start
        while alnum_end < end and text[alnum_end].isalnum():
            alnum_end += 1
        if alnum_end == end and end - start <= 512 and (end == len(text) or not (text[end] in "_-.")):
            tag = _TAG_BEFORE.search(text, max(0, start - 20), start)
            if tag is None:
                tag = _TAG_BEFORE.search(text[max(0, start - 20):start])
            if tag and _looks_random(run, tag.group("head").endswith("_")):
                edits.append((start, end, MASK))
                continue
        if aws and end - start == 40 and _looks_random(run, False) and (end == len(text) or text[end] != "="):
            edits.append((start, end, MASK))
            continue
        if end - start >= 40 and not _in_public_block(text, start):
            line_start = text.rfind("\n", 0, start) + 1
            line_end = text.find("\n", end)
            line_end = len(text) if line_end == -1 else line_end
            before, after = text[line_start:start], text[end:line_end]
            if re.fullmatch(r"[ \t]*(?:\d{1,9}[\t:-])?[\"']?", before) and re.fullmatch(r"={0,2}[\"']?,?[ \t]*\r?", after) \
                    and _looks_random(run.rstrip("="), False):
                edits.append((start, end, MASK))
    return _apply(text, edits) if edits else text


def redact(text: str, keep_lines: bool = False) -> str:
    """Mask secret values in text, keeping enough around them to show a value is configured.

    keep_lines: a secret that spans lines (a PEM body) is masked line by line instead of as one mark, so the
    text keeps its line count (files seen through Read, Grep and the sandbox keep their line numbers)."""
    global _keep_lines
    if not text:
        return text
    _keep_lines = keep_lines
    try:
        return _redact(text)
    finally:
        _keep_lines = False


def _key_edits(pattern: re.Pattern, text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    edits, at = [], 0
    while True:
        match = pattern.search(text, at)
        if match is None:
            return edits
        spans.append(match.span())
        new = _key_format(match)
        if new != match.group(0):
            edits.append((match.start() + len(match.group("head")), match.end(), new[len(match.group("head")):]))
            at = match.end()
        else:
            at = match.start() + 1


def _redact(text: str) -> str:
    text, lowered = _run_rules(text, _lower(text))
    if "redis" in lowered or "jedis" in lowered or "sentinel" in lowered:
        text, lowered = _apply_both(text, lowered, _client_call(text))
    text, lowered = _apply_both(text, lowered, _redact_keyed(text, lowered))
    if ":\n" in text or ": |" in text or ": >" in text or ":\r\n" in text:
        text = _redact_next_line(text, lowered)
    pending: list[tuple[int, int, str]] = []
    starts: list[int] = []
    for prefixes, pattern in _KEY_FORMATS:  # edits made at once, as in _run_rules
        if len(prefixes) == 1 and prefixes[0] not in text:
            continue
        spans: list[tuple[int, int]] = []
        edits = _key_edits(pattern, text, spans)
        if pending and any(_touches(starts, pending, start, end) for start, end in spans):
            text, pending, starts = _apply(text, pending), [], []
            edits = _key_edits(pattern, text, [])
        for edit in edits:
            at = bisect.bisect_right(starts, edit[0])
            pending.insert(at, edit)
            starts.insert(at, edit[0])
    if pending:
        text = _apply(text, pending)
    for needle, pattern, back in ((":AA", _TELEGRAM, 10), ("SK", _TWILIO, 0)):
        if needle in text:
            edits = []
            for at in _positions(text, (needle,), 0):
                start = at - back
                while start < at and not text[start:at].isdigit():
                    start += 1  # the bot id's digits before ':AA'
                match = pattern.match(text, start) if start >= 0 and not _word_before_at(text, start) else None
                if match and (not edits or start >= edits[-1][1]):
                    edits.append((start, match.end(), _head_mask(match)))
            if edits:
                text = _apply(text, edits)
    text = _redact_runs(text, "AKIA" in text or "ASIA" in text or "aws_" in lowered)
    return text
