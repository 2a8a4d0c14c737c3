"""The redaction table: what is masked, and what must be left alone."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from ask_redis.redact import MASK, redact

M = MASK

# (text, expected after redaction)
MASKED = [
    # URL passwords, any scheme; user and host stay visible.
    ("REDIS_URL=redis://:hunter2@cache.local:6379/0", f"REDIS_URL=redis://:{M}@cache.local:6379/0"),
    ("rediss://default:hunter2@cache.example.com:6380", f"rediss://default:{M}@cache.example.com:6380"),
    ("postgres://app:s3cret@db/app", f"postgres://app:{M}@db/app"),
    ("amqp://guest:guest@mq:5672//", f"amqp://guest:{M}@mq:5672//"),
    ("mongodb+srv://u:pw@cluster0.example.net/db", f"mongodb+srv://u:{M}@cluster0.example.net/db"),
    ("redis://default:p@ss@host:6379", f"redis://default:{M}@host:6379"),
    ("https://api.example.com/v1?user=a&token=abc123&x=1", f"https://api.example.com/v1?user=a&token={M}&x=1"),
    # NAME=value (env files, shells, docker), NAME: value (yaml), "name": "value" (json), code literals.
    ("REDIS_PASSWORD=hunter2", f"REDIS_PASSWORD={M}"),
    ("export API_TOKEN='abc123'", f"export API_TOKEN='{M}'"),
    ("DJANGO_SECRET=xyz", f"DJANGO_SECRET={M}"),
    ("STRIPE_SECRET_KEY=whatever", f"STRIPE_SECRET_KEY={M}"),
    ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG", f"AWS_SECRET_ACCESS_KEY={M}"),
    ("  - REDIS_PASSWORD=hunter2", f"  - REDIS_PASSWORD={M}"),
    ("redis_password: hunter2 # prod", f"redis_password: {M} # prod"),
    ("password: \"hunter2\"", f"password: \"{M}\""),
    ('{"redis_password": "hunter2", "key": "user:1"}', f'{{"redis_password": "{M}", "key": "user:1"}}'),
    ('password: str = "hunter2"', f'password: str = "{M}"'),
    ('os.environ["REDIS_PASSWORD"] = "hunter2"', f'os.environ["REDIS_PASSWORD"] = "{M}"'),
    ("redis.Redis(host='cache', password='hunter2')", f"redis.Redis(host='cache', password='{M}')"),
    ('apiKey: "abc"', f'apiKey: "{M}"'),
    ('clientSecret = "abc"', f'clientSecret = "{M}"'),
    ("DB_PASS=abc", f"DB_PASS={M}"),
    ("REDIS_PASSWORD=$ecret1", f"REDIS_PASSWORD={M}"),
    ("REDIS_PASSWORD=${REDIS_PASSWORD:-hunter2}", f"REDIS_PASSWORD={M}"),
    ("REDIS_PASSWORD=<%0000", f"REDIS_PASSWORD={M}"),
    ('if token == "abc":', f'if token == "{M}":'),
    ("x-api-key: abc", f"x-api-key: {M}"),
    ("--password hunter2", f"--password {M}"),
    ("--auth-token=abc", f"--auth-token={M}"),
    # Redis-specific places a password lives.
    ("requirepass foobared", f"requirepass {M}"),
    ("masterauth \"x y\"", f"masterauth \"{M}\""),
    ('r.config_set("requirepass", "foobared")', f'r.config_set("requirepass", "{M}")'),
    ("CONFIG SET requirepass foobared", f"CONFIG SET requirepass {M}"),
    ("user alice on >p1pp0 ~cached:* +get", f"user alice on >{M} ~cached:* +get"),
    ("ACL SETUSER bob on >s3cret <old ~* +@read", f"ACL SETUSER bob on >{M} <{M} ~* +@read"),
    ("user carol on #" + "a" * 64 + " ~*", f"user carol on #{M} ~*"),
    ("redis-cli -h cache -a hunter2 ping", f"redis-cli -h cache -a {M} ping"),
    ("AUTH hunter2", f"AUTH {M}"),
    ("127.0.0.1:6379> AUTH default hunter2", f"127.0.0.1:6379> AUTH {M}"),
    ('r.execute_command("AUTH", "hunter2")', f'r.execute_command("AUTH", "{M}")'),
    ("127.0.0.1:6379> auth default hunter2", f"127.0.0.1:6379> auth {M}"),
    ("redis-cli -h cache AUTH hunter2", f"redis-cli -h cache AUTH {M}"),
    ("HELLO 3 AUTH default hunter2", f"HELLO 3 AUTH default {M}"),
    ("hello 3 auth app hunter2 setname x", f"hello 3 auth app {M} setname x"),
    ("MIGRATE 10.0.0.2 6379 k 0 5000 AUTH hunter2", f"MIGRATE 10.0.0.2 6379 k 0 5000 AUTH {M}"),
    ("MIGRATE 10.0.0.2 6379 k 0 5000 AUTH2 app hunter2", f"MIGRATE 10.0.0.2 6379 k 0 5000 AUTH2 app {M}"),
    ("machine api.example.com login me password hunter2", f"machine api.example.com login me password {M}"),
    ("sentinel auth-pass mymaster hunter2", f"sentinel auth-pass mymaster {M}"),
    ("sentinel sentinel-pass hunter2", f"sentinel sentinel-pass {M}"),
    ("SENTINEL SET mymaster auth-pass hunter2", f"SENTINEL SET mymaster auth-pass {M}"),
    ("tls-key-file-pass hunter2", f"tls-key-file-pass {M}"),
    ("command:\n  - redis-server\n  - --requirepass\n  - hunter2", f"command:\n  - redis-server\n  - --requirepass\n  - {M}"),
    ('  - "--masterauth"\n  - "hunter2"', f'  - "--masterauth"\n  - "{M}"'),
    ('redis-cli -h cache -a "hunter2" ping', f'redis-cli -h cache -a "{M}" ping'),
    # A lone userinfo in a Redis URL is the password (Lettuce, ioredis).
    ('RedisURI.create("redis://hunter2@cache:6379")', f'RedisURI.create("redis://{M}@cache:6379")'),
    ("rediss://hunter2@cache:6380/0", f"rediss://{M}@cache:6380/0"),
    # Literals handed to a client's auth or password call.
    ('jedis.auth("hunter2");', f'jedis.auth("{M}");'),
    ("await client.auth('default', 'hunter2')", f"await client.auth('default', '{M}')"),
    ('RedisURI.builder().withPassword("hunter2".toCharArray())', f'RedisURI.builder().withPassword("{M}".toCharArray())'),
    ('config.setPassword("hunter2");', f'config.setPassword("{M}");'),
    # XML (Spring, Maven settings) and names that hold a Redis password.
    ("<redis.password>hunter2</redis.password>", f"<redis.password>{M}</redis.password>"),
    ('<property name="password" value="hunter2"/>', f'<property name="password" value="{M}"/>'),
    ('{"redis": {"host": "cache", "auth": "hunter2"}}', f'{{"redis": {{"host": "cache", "auth": "{M}"}}}}'),
    ("REDIS_AUTH=hunter2", f"REDIS_AUTH={M}"),
    ("auth: hunter2", f"auth: {M}"),
    ("auth = 'hunter2'", f"auth = '{M}'"),
    ("REDIS_PW=hunter2", f"REDIS_PW={M}"),
    # A base64 value ends in '=': not a type annotation (password: str = "x") followed by a value.
    ("redis-password: cmVkaXNwdw==", f"redis-password: {M}"),
    ("password: abc=def", f"password: {M}"),
    # Vendor key formats anywhere in text.
    ("key: sk-ant-api03-abcdefghijklmnopqrstuvwxyz", f"key: sk-ant-{M}"),
    ("use sk-ant-api03-abcdefghijklmnop now", f"use sk-ant-{M} now"),
    ("openai sk-proj-abcdefghijklmnopqrstuvwxyz0123", f"openai sk-{M}"),
    ("id AKIAIOSFODNN7EXAMPLE here", f"id AKIA{M} here"),
    ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", f"token ghp_{M}"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", f"github_pat_{M}"),
    ("slack xoxb-123456789012-abcdefghij", f"slack xox{M}"),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", f"jwt eyJ{M}"),
    # Authorization headers.
    ("Authorization: Bearer abc.def.ghi", f"Authorization: Bearer {M}"),
    ("authorization: Basic dXNlcjpwYXNz", f"authorization: Basic {M}"),
    ('headers = {"Authorization": "Token abc123"}', f'headers = {{"Authorization": "Token {M}"}}'),
    ("curl -H 'X: y' -H 'Bearer abcdefghijkl'", f"curl -H 'X: y' -H 'Bearer {M}'"),
    # PEM private keys, also inside numbered Read output; an unterminated block is masked to the end.
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\nxyz==\n-----END RSA PRIVATE KEY-----\nafter",
     f"-----BEGIN RSA PRIVATE KEY-----{M}-----END RSA PRIVATE KEY-----\nafter"),
    ("1\t-----BEGIN OPENSSH PRIVATE KEY-----\n2\tb3BlbnNzaC1rZXktdjEAAAAA\n3\tmore",
     f"1\t-----BEGIN OPENSSH PRIVATE KEY-----{M}"),
    ("-----BEGIN PGP PRIVATE KEY BLOCK-----\nabc\n-----END PGP PRIVATE KEY BLOCK-----",
     f"-----BEGIN PGP PRIVATE KEY BLOCK-----{M}-----END PGP PRIVATE KEY BLOCK-----"),
]

# Things a Redis reviewer must still see.
KEPT = [
    "redis://cache:6379/0",
    "redis://default@cache:6379",
    "http://host:8080/path@x",
    "PASSWORD=${REDIS_PASSWORD}",
    "PASSWORD=$REDIS_PASSWORD",
    "password: <%= ENV['REDIS_PASSWORD'] %>",
    "password: ${REDIS_PASSWORD}",
    'password = os.environ.get("REDIS_PASSWORD")',
    "redis_password = get_secret('redis')",
    "password = settings.REDIS_PASSWORD",
    "password: \"\"",
    "REDIS_PASSWORD=",
    "password=None",
    "password: {{ vault_redis_password }}",
    'CACHE_KEY = "user:{id}"',
    "cache_key: session:abc",
    "lock_key = f'lock:{name}'",
    'key = "user:1"',
    "key: user:1",
    'sort_key: "score"',
    "monkey: banana",
    "max_tokens=4096",
    "num_tokens: 12",
    "PWD=/work/repo",
    "bypass = 1",
    "ls -a dir",
    "task-abcdefghijklmnopqrstuvwxyz0123",
    "The password is stored in the vault.",
    "NOAUTH Authentication required.",
    "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----",
    "r.set('session:42', token_value, ex=3600)",
    "user = get_user()",
    "jedis.auth(password);",
    "client.auth(user, pw)",
    "auth: true",
    "oauth: github",
    "auth: { username: app }",
    "requests.get(url, auth=auth)",
    "Auth is handled by the gateway.",
    "redis-cli --no-auth-warning ping",
    "requests.get(url, auth=(user, pw))",
    "def auth(self, password):",
    "redis://default@cache:6379/0",
]


@pytest.mark.parametrize("text,expected", MASKED, ids=[t[:40] for t, _ in MASKED])
def test_masked(text, expected):
    assert redact(text) == expected


# Lines cut inside a quoted value (Read at 2000 characters, Grep at 500 columns, review evidence at 200).
CUT = [
    ('x = Redis(password="hunter2', "x = Redis(password=" + M),
    ("redis_password: 'hunter2", "redis_password: " + M),
    ('requirepass "hunter2', "requirepass " + M),
    ('1\tREDIS_PASSWORD="hunter2… [line truncated to 2000 characters]',
     f"1\tREDIS_PASSWORD={M}… [line truncated to 2000 characters]"),
    ('app.py:3:password = "hunter2 [... omitted end of long line]', f"app.py:3:password = {M} [... omitted end of long line]"),
    ('{"auth": "hunter2\nnext: line', f'{{"auth": {M}\nnext: line'),
]


@pytest.mark.parametrize("text,expected", CUT, ids=[t[:40] for t, _ in CUT])
def test_a_value_cut_before_its_closing_quote_is_masked_to_the_cut(text, expected):
    assert redact(text) == expected
    assert redact(expected) == expected
    json.loads(redact(json.dumps({"content": text})))  # transcripts stay valid JSON


def test_read_and_grep_never_show_the_head_of_a_cut_password(tmp_path):
    from ask_redis.tools import ToolContext, discover, run_tool

    tools = {t.name: t for t in discover()}
    # The value starts a few characters before Read's cut at 2000 and ripgrep's at 500 columns.
    (tmp_path / "bundle.js").write_text("var c={" + "a" * 1975 + ',"password":"hunter2hunter2"};\n')
    (tmp_path / "settings.js").write_text("var d={" + "a" * 475 + ',"password":"hunter2hunter2"};\n')
    ctx = ToolContext(workspace=tmp_path)
    read = run_tool(tools, "Read", {"file_path": "bundle.js"}, ctx).content
    grep = run_tool(tools, "Grep", {"pattern": "var d", "output_mode": "content"}, ctx).content
    assert "line truncated" in read and "omitted" in grep
    for text in (read, grep):
        assert "hunter2" not in text and "hunt" not in text


@pytest.mark.parametrize("text", KEPT, ids=[t[:40] for t in KEPT])
def test_kept(text):
    assert redact(text) == text


@pytest.mark.parametrize("text,expected", MASKED, ids=[t[:40] for t, _ in MASKED])
def test_json_encoded_text_stays_valid_json_and_masked(text, expected):
    """Transcripts redact request bodies as JSON text: the result must still parse."""
    document = json.dumps({"content": text, "other": "kept"})
    cleaned = redact(document)
    decoded = json.loads(cleaned)
    assert decoded["other"] == "kept"
    assert M in decoded["content"]


@pytest.mark.parametrize("text", ["Set REDIS_PASSWORD: ", 'the "token": ', "x = client.auth(", "auth: ",
                                  'name="password" value=', "requirepass "])
def test_a_secret_name_ending_a_json_string_leaves_the_json_valid(text):
    """In JSON-encoded text a plain '"' after the name closes the string: it is not the value's opening quote."""
    document = json.dumps({"content": text, "other": "kept", "more": "x, y"})
    assert json.loads(redact(document)) == {"content": text, "other": "kept", "more": "x, y"}


def test_is_idempotent():
    for text, expected in MASKED:
        assert redact(expected) == expected


def test_several_secrets_in_one_text():
    text = "\n".join(t for t, _ in MASKED)
    out = redact(text)
    for secret in ("hunter2", "s3cret", "foobared", "p1pp0", "IOSFODNN7", "dXNlcjpwYXNz", "MIIEabc", "b3BlbnNzaC1r"):
        assert secret not in out


def test_empty_and_plain_text():
    assert redact("") == ""
    plain = "def get(r, key):\n    return r.get(key)\n" * 100
    assert redact(plain) == plain


pieces = st.sampled_from([
    "REDIS_PASSWORD=", "password: ", '"token": ', "redis://u:", "@host", "sk-ant-", "AKIA", "ghp_", "Bearer ",
    "Authorization: ", "requirepass ", "AUTH ", "user a on >", "-----BEGIN RSA PRIVATE KEY-----", "\n", "\\n", '"',
    "'", "\\", "=", ":", " ", "hunter2", "x" * 20, "ABCDEFGHIJKLMNOP", "$X", "key", "-----END RSA PRIVATE KEY-----",
    "redis://", ".auth(", "withPassword(", "<password>", "</password>", 'name="password" value=', "  - --requirepass\n  - ",
    "sentinel auth-pass m ", "REDIS_AUTH=", "redis-cli -a ", "{",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(pieces, st.text(max_size=5)), max_size=25).map("".join))
def test_any_text_is_redacted_without_error_and_redacting_again_changes_nothing(text):
    once = redact(text)
    assert isinstance(once, str)
    assert redact(once) == once


SECRET_NAMES = ["REDIS_PASSWORD", "API_TOKEN", "client_secret", "AWS_SECRET_ACCESS_KEY", "password", "db_pass",
                "redisPassword", "STRIPE_API_KEY"]
DIRECTIVE_STYLES = ["requirepass {v}", "masterauth {v}", 'r.config_set("requirepass", "{v}")', "CONFIG SET masterauth {v}",
                    "requirepass: '{v}'"]
STYLES = ["{n}={v}", "export {n}='{v}'", "{n}: {v}", '"{n}": "{v}"', "{n} = \"{v}\"", "{n}: str = '{v}'",
          'os.environ["{n}"] = "{v}"', "  - {n}={v}"]
secret_values = st.text(alphabet="abcdefXYZ0123456789!#%&*+-./<>?@^_~=:", min_size=6, max_size=30).filter(
    # Left out by design: values that read as references ($VAR, os.environ..., <% template %>).
    lambda v: not v.lower().startswith(("env.", "os.", "$")) and not v.startswith(("-", "=", ":"))
    and not (v.startswith("<%") and v.endswith("%>")))


@settings(max_examples=5000, deadline=None)
@given(name=st.sampled_from(SECRET_NAMES), style=st.sampled_from(STYLES + DIRECTIVE_STYLES), value=secret_values)
def test_generated_secret_values_never_survive(name, style, value):
    text = style.format(n=name, v=value)
    assert value not in redact(text), text
