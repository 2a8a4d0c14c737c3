"""Real-world secret formats, planted in files, and the texts that must stay readable.

Each format: (id, path in the workspace, content with {s} where the secret goes, the secret). The secret is
distinct per format, so a leak names its format. Used by the transcript-level table test (every channel the
model has: Read, Grep, Bash and its transforms) with the workspace at a project and at $HOME.
"""

from __future__ import annotations

import hashlib


def _token(name: str, alphabet: str, length: int) -> str:
    """A deterministic random-looking value, distinct per format."""
    digest = hashlib.sha256(name.encode()).digest() * 8
    return "".join(alphabet[b % len(alphabet)] for b in digest[:length])


ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"


def pw(name: str) -> str:
    return "Pw" + _token(name, ALNUM, 14) + "9"


PEM_BODY = lambda name: "\n".join(_token(name + str(i), B64, 64) for i in range(4))  # noqa: E731

FORMATS: list[tuple[str, str, str, str]] = []


def fmt(ident: str, path: str, content: str, secret: str | None = None) -> None:
    FORMATS.append((ident, path, content, secret or pw(ident)))


# --- credential files named in the issue
fmt("dotenv", ".env", "REDIS_HOST=cache\nREDIS_PASSWORD={s}\nPORT=6379\n")
fmt("dotenv-local", ".env.production", "# prod\nDATABASE_URL=postgres://app:{s}@db:5432/app\n")
fmt("dotenv-unknown-name", ".env.staging", "APP_NAME=shop\nFOO_BAR={s}\n")
fmt("pem-rsa", "certs/server.pem", "-----BEGIN RSA PRIVATE KEY-----\n{s}\n-----END RSA PRIVATE KEY-----\n", PEM_BODY("pem-rsa"))
fmt("key-file", "tls/redis.key", "-----BEGIN PRIVATE KEY-----\n{s}\n-----END PRIVATE KEY-----\n", PEM_BODY("key-file"))
fmt("ssh-id", "deploy/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\n{s}\n-----END OPENSSH PRIVATE KEY-----\n",
    PEM_BODY("ssh-id"))
fmt("putty-ppk", "keys/deploy.ppk",
    "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy\nPublic-Lines: 2\n"
    "AAAAC3NzaC1lZDI1NTE5AAAAIPublicPartIsFine00000000000000000\nAAAAB3\nPrivate-Lines: 1\n{s}\n"
    "Private-MAC: 8f2e3c4d5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d\n", _token("ppk", B64, 44))
fmt("netrc", ".netrc", "machine api.example.com\n  login deploy\n  password {s}\n")
fmt("netrc-no-login", "ci/.netrc", "machine registry.example.com password {s}\n")
fmt("pgpass", ".pgpass", "db.internal:5432:app:alice:{s}\n")
fmt("npmrc-auth", ".npmrc", "registry=https://registry.example.com/\n_auth={s}\nalways-auth=true\n", _token("npm", B64, 28) + "==")
fmt("npmrc-token", "web/.npmrc", "//registry.npmjs.org/:_authToken=npm_{s}\n", _token("npmtok", ALNUM, 36))
fmt("kubeconfig", ".kube/config",
    "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://k8s.example.com\n  name: prod\nusers:\n"
    "- name: admin\n  user:\n    client-key-data: {s}\n", _token("kube", B64, 88) + "==")
fmt("kubeconfig-token", "deploy/kubeconfig", "apiVersion: v1\nkind: Config\nusers:\n- name: ci\n  user:\n    token: {s}\n")
fmt("rails-secret-key-base", "config/secrets.yml", "production:\n  secret_key_base: {s}\n", _token("rails", HEX, 128))
fmt("rails-master-key", "config/master.key", "{s}\n", _token("master", HEX, 32))
fmt("tfstate", "infra/terraform.tfstate",
    '{{\n  "version": 4,\n  "resources": [\n    {{\n      "type": "random_password",\n      "instances": [\n'
    '        {{"attributes": {{"length": 24, "result": "{s}"}}}}\n      ]\n    }}\n  ]\n}}\n')
fmt("aws-credentials-csv", "aws/credentials.csv",
    "User name,Password,Access key ID,Secret access key,Console login link\ndeploy,{s},AKIAQWERTYUIOPASDFGH,"
    "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY01,https://console.aws.amazon.com\n")
fmt("aws-credentials-ini", ".aws/credentials", "[default]\naws_access_key_id = AKIA{s}\nregion = eu-west-1\n",
    _token("akia", UPPER, 16))
fmt("aws-secret-ini", "aws/credentials", "[prod]\naws_secret_access_key = {s}\n", _token("awssecret", B64, 40))
fmt("users-acl", "redis/users.acl", "user default off\nuser alice on >{s} ~cached:* +get\n")
fmt("users-acl-hash", "redis/hashed.acl", "user bob on #{s} ~* &* +@read\n", _token("acl-hash", HEX, 64))
fmt("acl-after-allkeys", "redis/more.acl", "user carol on allkeys resetchannels >{s} +@all\n")
fmt("acl-after-selector", "redis/selector.acl", "user dave on (~k:* +get) >{s}\n")
fmt("redis-conf", "redis/redis.conf", "bind 127.0.0.1\nport 6379\nrequirepass {s}\nmaxmemory 1gb\n")
fmt("redis-conf-masterauth", "redis/replica.conf", "replicaof 10.0.0.1 6379\nmasterauth {s}\n")
fmt("sentinel-auth-pass", "redis/sentinel.conf", "sentinel monitor mymaster 10.0.0.1 6379 2\nsentinel auth-pass mymaster {s}\n")
fmt("configmap-escaped", "k8s/configmap.json",
    '{{"data": {{"redis.conf": "bind 0.0.0.0\\nrequirepass {s}\\nport 6379\\n"}}}}\n')
# --- code and config formats
fmt("php-array", "app/config.php", "<?php\nreturn ['redis' => ['host' => 'cache', 'password' => '{s}']];\n")
fmt("ruby-hash", "config/redis.rb", "Redis.new(host: 'cache', :password => \"{s}\")\n")
fmt("yaml-block-scalar", "helm/values.yaml", "redis:\n  auth:\n    password: |\n      {s}\n    enabled: true\n")
fmt("yaml-next-line", "deploy/app.yaml", "redis:\n  password:\n    {s}\n  port: 6379\n")
fmt("compose-list", "docker-compose.yml",
    "services:\n  redis:\n    image: redis:7\n    command:\n      - redis-server\n      - --requirepass\n      - {s}\n")
fmt("compose-inline", "compose.prod.yml", "services:\n  cache:\n    command: redis-server --requirepass {s} --appendonly yes\n")
fmt("auth-line-start", "docs/session.txt", "$ redis-cli\nAUTH {s}\nPING\n")
fmt("redis-py-kw", "app/cache.py", "import redis\nr = redis.Redis(host='cache', port=6379, password='{s}')\n")
fmt("redis-py-positional", "app/legacy.py", "import redis\nr = redis.StrictRedis('cache', 6379, 0, '{s}')\n")
fmt("redis-py-url", "app/url.py", "r = redis.from_url('redis://default:{s}@cache:6379/0')\n")
fmt("jedis-pool", "src/Cache.java", "JedisPool pool = new JedisPool(cfg, \"cache\", 6379, 2000, \"{s}\");\n")
fmt("jedis-auth", "src/Auth.java", "jedis.auth(\"{s}\");\n")
fmt("lettuce", "src/Lettuce.java", "RedisURI uri = RedisURI.builder().withHost(\"cache\").withPassword(\"{s}\".toCharArray()).build();\n")
fmt("lettuce-url", "src/LettuceUrl.java", "RedisClient c = RedisClient.create(\"redis://{s}@cache:6379\");\n")
fmt("ioredis", "web/cache.js", "const redis = new Redis({{ host: 'cache', port: 6379, password: '{s}' }});\n")
fmt("go-redis", "svc/cache.go", "rdb := redis.NewClient(&redis.Options{{Addr: \"cache:6379\", Password: \"{s}\", DB: 0}})\n")
fmt("stackexchange", "Cache.cs", "var mux = ConnectionMultiplexer.Connect(\"cache:6379,password={s},ssl=true\");\n")
fmt("phpredis-auth", "app/redis.php", "<?php\n$redis = new Redis();\n$redis->auth('{s}');\n")
fmt("spring-properties", "src/main/resources/application.properties", "spring.data.redis.host=cache\nspring.data.redis.password={s}\n")
fmt("spring-yaml", "src/main/resources/application.yml", "spring:\n  redis:\n    password: {s}\n")
fmt("django-secret", "settings.py", "DEBUG = False\nSECRET_KEY = '{s}'\n")
fmt("helm-values", "chart/values.yaml", "auth:\n  enabled: true\n  password: \"{s}\"\n")
fmt("terraform-tf", "infra/main.tf", "resource \"aws_elasticache_user\" \"app\" {{\n  passwords = [\"{s}\"]\n}}\n")
fmt("rediscli-auth-env", "scripts/check.sh", "#!/bin/sh\nexport REDISCLI_AUTH={s}\nredis-cli ping\n")
fmt("redis-cli-a", "scripts/ping.sh", "redis-cli -h cache -a {s} ping\n")
fmt("docker-auths", ".docker/config.json", '{{"auths": {{"https://index.docker.io/v1/": {{"auth": "{s}"}}}}}}\n',
    _token("docker", B64, 32) + "==")
fmt("gcp-service-account", "gcp/sa.json",
    '{{\n  "type": "service_account",\n  "project_id": "shop",\n  "private_key_id": "{s}",\n  "client_email": "a@b.iam"\n}}\n',
    _token("gcp", HEX, 40))
fmt("azure-connection", "azure.env.json", '{{"conn": "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey={s};"}}\n',
    _token("azure", B64, 86) + "==")
fmt("azure-client-secret", "azure/app.cfg", "[azure]\nclient_secret = {s}\n")
# --- tokens of known shapes, in files that say nothing about them
fmt("github-pat", "notes/github.md", "use ghp_{s} for the bot\n", _token("ghp", ALNUM, 36))
fmt("github-fine", "notes/gh2.md", "token github_pat_{s}\n", _token("ghpat", ALNUM, 40))
fmt("gitlab", "notes/gitlab.txt", "clone with glpat-{s}\n", _token("glpat", ALNUM, 20))
fmt("slack-bot", "notes/slack.txt", "bot xoxb-1234567890-{s}\n", _token("slack", ALNUM, 24))
fmt("slack-webhook", "alerts/hook.txt", "curl -X POST https://hooks.slack.com/services/T0AAA/B0BBB/{s}\n", _token("hook", ALNUM, 24))
fmt("stripe-live", "billing/keys.txt", "sk_live_{s}\n", _token("stripe", ALNUM, 24))
fmt("stripe-webhook", "billing/hook.txt", "secret whsec_{s}\n", _token("whsec", ALNUM, 32))
fmt("vault", "ops/vault.txt", "login with hvs.{s}\n", _token("vault", ALNUM, 24))
fmt("sendgrid", "mail/sg.txt", "SG.{s}\n", _token("sg1", ALNUM, 22) + "." + _token("sg2", ALNUM, 43))
fmt("jwt", "notes/jwt.txt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.{s}\n", _token("jwt", ALNUM, 43))
fmt("google-api", "web/maps.js", "const k = 'AIza{s}';\n", _token("aiza", ALNUM, 35))
fmt("anthropic", "notes/ai.txt", "sk-ant-api03-{s}\n", _token("anthropic", ALNUM, 48))
fmt("unknown-vendor-token", "notes/vendor.txt", "token for acme: acme_live_{s}\n", _token("acme", ALNUM, 32))
fmt("bearer-header", "http/request.txt", "GET / HTTP/1.1\nAuthorization: Bearer {s}\n", _token("bearer", ALNUM, 40))
fmt("url-query-token", "logs/access.log", "GET /hook?user=a&token={s} 200\n")
fmt("pem-in-code", "app/keys.py", 'KEY = """-----BEGIN EC PRIVATE KEY-----\n{s}\n-----END EC PRIVATE KEY-----"""\n',
    PEM_BODY("pem-in-code"))


# Texts that must stay readable: the tool's own advice, Redis error messages, code passing a variable,
# a config without secrets, placeholders.
KEPT = [
    "Give the user a password (ACL SETUSER name on >password resetpass... then drop nopass) or disable it; "
    "set requirepass for the default user.",
    "set requirepass for the default user",
    "# connect with: redis://app:PASSWORD@HOST:6379",
    "Without requirepass, anyone who can reach the port can run FLUSHALL.",
    "NOAUTH Authentication required.",
    "WRONGPASS invalid username-password pair or user is disabled.",
    "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
    "NOPERM User app has no permissions to run the 'config|set' command",
    "ERR Client sent AUTH, but no password is set",
    "(error) ERR wrong number of arguments for 'auth' command",
    "password=password",
    "r = redis.Redis(host=host, password=password)",
    "client = Redis(host=h, port=p, password=pw)",
    "redis.Redis(password=settings.REDIS_PASSWORD)",
    "Redis(host='cache', port=6379, db=0)",
    "new JedisPool(cfg, host, port, timeout, password);",
    "jedis.auth(password);",
    "$redis->auth($password);",
    "bind 127.0.0.1\nprotected-mode yes\nport 6379\nmaxmemory 2gb\nmaxmemory-policy allkeys-lru\nappendonly yes",
    "REDIS_PASSWORD=${REDIS_PASSWORD}",
    "password: ${REDIS_PASSWORD}",
    "password: <your-password>",
    "requirepass <password>",
    "AUTH <password>",
    "user app on ><password> ~app:* +@read",
    "cache_key = f'session:{user_id}'",
    "HGETALL user:42",
    "SET lock:order:1 token NX PX 30000",
    "ACL LOG shows failed AUTH attempts",
    "The password is stored in the vault.",
    "max_tokens=4096",
    "sort_key: score",
    "monkey: banana",
    "def connect(host, port, password=None):",
    "auth: true",
    "oauth: github",
    "redis-cli --no-auth-warning ping",
    "task-abcdefghijklmnopqrstuvwxyz0123",
    "commit 3f2c1a9b8e7d6c5b4a39281706f5e4d3c2b1a098",
    "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
    "session:{id} is written at auth.py:42 with no TTL; no EXPIRE anywhere for this family",
    "the key `rate:{ip}` has 12,000 fields",
    "CONFIG GET requirepass",
    "masterauth is not set on the replica",
    "--password-stdin reads the password from stdin",
    "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----",
]
