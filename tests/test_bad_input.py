"""Bad input at every entry point: one clear line, exit 2 for usage and 1 for runtime, no traceback, no secret."""

import json
import re
import os
import subprocess
import sys

import pytest

from tests.author_transcripts import api_error, sse, text
from tests.standin import StandIn

ASK_REDIS = [sys.executable, "-m", "ask_redis"]
KEY = "sk-ant-bad-input-key-4242"
PASSWORD = "S3cret-pw-for-bad-input"


def environment(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC", "REDIS_URL", "ASK_REDIS", "XDG_"))}
    env.update({"XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
                "XDG_STATE_HOME": str(tmp_path / "state"), "ANTHROPIC_API_KEY": KEY})
    env.update(extra)
    return env


def run(args, tmp_path, stdin=None, **env):
    return subprocess.run(ASK_REDIS + args, env=environment(tmp_path, **env), cwd=tmp_path, input=stdin,
                          capture_output=True, timeout=60)


def write_config(tmp_path, body: str):
    path = tmp_path / "config" / "ask-redis" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    return path


def assert_one_clean_line(stderr: bytes):
    err = stderr.decode()
    assert "Traceback" not in err and KEY not in err and PASSWORD not in err
    assert len(err.strip().splitlines()) == 1, err


NOT_A_MESSAGE = {
    "html page": {"status": 200, "headers": {"content-type": "text/html"}, "text": "<html><body>Sign in to the Wi-Fi</body></html>"},
    "broken json": {"status": 200, "headers": {"content-type": "application/json"}, "text": "{not json"},
    "another shape": {"status": 200, "headers": {"content-type": "application/json"}, "text": '{"status": "ok"}'},
}


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
@pytest.mark.parametrize("body", list(NOT_A_MESSAGE), ids=list(NOT_A_MESSAGE))
def test_a_reply_that_is_not_a_message_is_an_api_error_result(body, stream, tmp_path):
    with StandIn(responses=[NOT_A_MESSAGE[body]]) as standin:
        flags = [] if stream else ["--no-stream"]
        result = run(["--json", *flags, "hi"], tmp_path, ANTHROPIC_BASE_URL=standin.url)
    assert result.returncode == 1
    out = json.loads(result.stdout)  # scripts still get their result object
    assert out["subtype"] == "error_during_execution" and out["ask_redis_subtype"] == "error_api" and out["is_error"] is True
    assert "not a Messages API response" in out["result"] and "ANTHROPIC_BASE_URL" in out["result"]
    assert "Traceback" not in result.stderr.decode()


def test_a_reply_that_is_not_a_message_in_text_mode_is_one_line(tmp_path):
    with StandIn(responses=[NOT_A_MESSAGE["html page"]]) as standin:
        result = run(["hi"], tmp_path, ANTHROPIC_BASE_URL=standin.url)
    assert result.returncode == 1
    assert result.stderr.decode().strip().startswith("ask-redis: error: the API sent a reply that is not a Messages API response")
    assert_one_clean_line(result.stderr)


def long_answer():
    return sse([text("\n".join(f"line {i} " + "x" * 60 for i in range(4000)))], "end_turn")


@pytest.mark.parametrize("output_format", ["text", "stream-json"])
def test_a_closed_stdout_pipe_ends_quietly(output_format, tmp_path):
    with StandIn(responses=[long_answer()]) as standin:
        partial = ["--include-partial-messages"] if output_format == "stream-json" else []
        process = subprocess.Popen(ASK_REDIS + ["--output-format", output_format, *partial, "hi"], cwd=tmp_path,
                                   env=environment(tmp_path, ANTHROPIC_BASE_URL=standin.url),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = process.stdout.readline()  # like `| head -1`
        process.stdout.close()
        stderr = process.stderr.read()
        code = process.wait(timeout=60)
    assert first
    assert stderr.decode() == "" and code == 0


@pytest.mark.parametrize("argv", [["redis-acl"], ["doctor"]])
def test_a_closed_stdout_pipe_ends_a_subcommand_quietly(argv, tmp_path):
    process = subprocess.Popen(ASK_REDIS + argv, cwd=tmp_path, env=environment(tmp_path),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the first write
    stderr = process.stderr.read().decode()
    process.wait(timeout=60)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr


NOT_UTF8 = b"why is \xff\xfe caf\xe9 slow?\n"


@pytest.mark.parametrize("args", [["-"], []], ids=["one-shot stdin", "piped chat"])
def test_a_prompt_that_is_not_utf8_reaches_the_model_with_replacement_characters(args, tmp_path):
    with StandIn(responses=[sse([text("It is the KEYS call.")], "end_turn")]) as standin:
        result = run(args, tmp_path, stdin=NOT_UTF8, ANTHROPIC_BASE_URL=standin.url)
    assert result.returncode == 0, result.stderr
    assert b"It is the KEYS call." in result.stdout
    sent = standin.requests[0]["messages"][0]["content"][0]["text"]
    assert sent.startswith("why is \ufffd\ufffd caf\ufffd slow?")


def test_a_prompt_argument_that_is_not_utf8_is_sent(tmp_path):
    with StandIn(responses=[sse([text("ok")], "end_turn")]) as standin:
        result = subprocess.run(ASK_REDIS + [os.fsdecode(b"caf\xe9?")], env=environment(tmp_path, ANTHROPIC_BASE_URL=standin.url),
                                cwd=tmp_path, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert standin.requests[0]["messages"][0]["content"][0]["text"] == "caf\ufffd?"


@pytest.mark.parametrize("url, message", [
    ("garbage", "--redis-url: not a Redis URL"),
    ("http://127.0.0.1:6379", "--redis-url: unsupported scheme http://"),
    (f"redis://:{PASSWORD}@127.0.0.1:99999", "--redis-url: bad port 99999"),
    (f"redis://:{PASSWORD}@127.0.0.1:port", "--redis-url: bad host"),
])
def test_a_malformed_redis_url_is_a_usage_error(url, message, tmp_path):
    with StandIn(responses=[]) as standin:
        result = run(["--redis-url", url, "hi"], tmp_path, ANTHROPIC_BASE_URL=standin.url)
    assert result.returncode == 2
    assert result.stderr.decode().startswith(f"ask-redis: {message}")
    assert_one_clean_line(result.stderr)
    assert standin.requests == []  # refused before any API call


def test_a_malformed_redis_url_names_the_variable_or_file_it_came_from(tmp_path):
    result = run(["hi"], tmp_path, REDIS_URL="localhost:6379")
    assert result.returncode == 2
    assert result.stderr.decode().startswith("ask-redis: REDIS_URL: not a Redis URL")
    config = write_config(tmp_path, 'redis_url = "tcp://cache:6379"\n')
    result = run(["hi"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode().startswith(f"ask-redis: {config}: redis_url: unsupported scheme tcp://")


@pytest.mark.parametrize("body, message", [
    ('colour = "blue"\n', "colour: unknown setting (known: api_key, base_url, model"),
    ('max_turns = "ten"\n', "max_turns: Input should be a valid integer"),
    ('[model]\nname = "opus"\n', "model: Input should be a valid string"),
])
def test_config_file_errors_name_the_file_and_the_setting(body, message, tmp_path):
    config = write_config(tmp_path, body)
    result = run(["hi"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode().startswith(f"ask-redis: {config}: {message}")
    assert_one_clean_line(result.stderr)


def test_an_empty_config_file_is_fine(tmp_path):
    write_config(tmp_path, "")
    with StandIn(responses=[sse([text("ok")], "end_turn")]) as standin:
        result = run(["hi"], tmp_path, ANTHROPIC_BASE_URL=standin.url)
    assert result.returncode == 0 and result.stdout == b"ok\n"


def test_a_config_error_never_shows_the_key_in_the_file(tmp_path):
    write_config(tmp_path, f'api_key = "{KEY}"\nmax_turns = 0\n')
    result = run(["hi"], tmp_path, ANTHROPIC_API_KEY="")
    assert result.returncode == 2 and "max_turns" in result.stderr.decode()
    assert_one_clean_line(result.stderr)


@pytest.mark.parametrize("base_url", ["localhost:8080", "ftp://127.0.0.1/"])
def test_a_base_url_without_http_is_a_usage_error(base_url, tmp_path):
    result = run(["hi"], tmp_path, ANTHROPIC_BASE_URL=base_url)
    assert result.returncode == 2
    assert result.stderr.decode().strip() == "ask-redis: ANTHROPIC_BASE_URL: not an http:// or https:// URL"


def test_an_empty_base_url_variable_means_the_default_api(tmp_path, monkeypatch):
    from ask_redis.config import load
    from ask_redis.model import DEFAULT_BASE_URL, ModelClient

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "")
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    client = ModelClient(load({"repo": str(tmp_path)}))
    assert str(client._client.base_url).rstrip("/") == DEFAULT_BASE_URL


def test_a_home_directory_that_does_not_exist_is_a_usage_error(tmp_path):
    result = run(["--repo", "~no-such-user-here/src", "hi"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode().startswith("ask-redis: --repo ~no-such-user-here/src:")
    assert_one_clean_line(result.stderr)


def test_doctor_reports_a_broken_config_even_when_the_key_comes_from_the_environment(tmp_path):
    config = write_config(tmp_path, "colour = 1\n")
    result = run(["doctor", "--repo", str(tmp_path)], tmp_path)
    out = result.stdout.decode()
    assert result.returncode == 1
    config_line = next(line for line in out.splitlines() if "Config" in line)
    assert config_line.startswith("FAIL") and f"{config}: colour: unknown setting" in config_line


def test_doctor_checks_the_redis_url_of_the_config_file(tmp_path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    write_config(tmp_path, f'redis_url = "redis://:{PASSWORD}@127.0.0.1:{port}"\n')
    result = run(["doctor", "--repo", str(tmp_path)], tmp_path)
    out = result.stdout.decode()
    redis_line = next(line for line in out.splitlines() if "Redis" in line and "fix:" not in line)
    assert redis_line.startswith("FAIL") and f"127.0.0.1:{port}" in redis_line
    assert PASSWORD not in out + result.stderr.decode()


@pytest.mark.parametrize("status", [400, 401, 404, 429, 500, 529])
def test_api_errors_are_one_line_without_the_key(status, tmp_path):
    replies = [api_error(status, "some_error", f"failure {status}", retry_after="0")] * 5
    with StandIn(responses=replies) as standin:
        result = run(["hi"], tmp_path, ANTHROPIC_BASE_URL=standin.url)
    assert result.returncode == 1
    err = result.stderr.decode()
    assert err.strip().splitlines()[-1].startswith("ask-redis: error: ") and f"HTTP {status}" in err
    assert "Traceback" not in err and KEY not in err


@pytest.mark.parametrize("args, message", [
    (["--model", "", "hi"], "--model: String should have at least 1 character"),
    (["--record", "/no/such/dir/session.json", "hi"], "--record /no/such/dir/session.json: cannot write a file there"),
    (["--resume", "abc", "hi"], "--resume and --continue open chat: give no prompt (or pipe the questions to stdin)"),
    (["--continue", "hi"], "--resume and --continue open chat: give no prompt (or pipe the questions to stdin)"),
])
def test_flags_that_cannot_work_are_refused_before_any_api_call(args, message, tmp_path):
    with StandIn(responses=[]) as standin:
        result = run(args, tmp_path, ANTHROPIC_BASE_URL=standin.url)
    assert result.returncode == 2
    assert result.stderr.decode().strip() == f"ask-redis: {message}"
    assert standin.requests == []


def test_record_into_a_directory_is_refused_before_any_api_call(tmp_path):
    with StandIn(responses=[]) as standin:
        result = run(["--record", str(tmp_path), "hi"], tmp_path, ANTHROPIC_BASE_URL=standin.url)
    assert result.returncode == 2 and standin.requests == []
    assert result.stderr.decode().strip() == f"ask-redis: --record {tmp_path}: cannot write a file there"


def test_the_transcript_note_starts_on_its_own_line(tmp_path):
    with StandIn(responses=[sse([text("Use SCAN.")], "end_turn")]) as standin:
        result = run(["--record", str(tmp_path / "t.json"), "hi"], tmp_path, ANTHROPIC_BASE_URL=standin.url)
    assert result.returncode == 0
    assert result.stdout == b"Use SCAN.\n"
    assert result.stderr.decode() == f"ask-redis: transcript written to {tmp_path / 't.json'}\n"


@pytest.mark.parametrize("args, message", [
    (["-o", "/no/such/dir/report.txt"], "-o /no/such/dir/report.txt: cannot write a file there"),
    (["--redis-url", "http://127.0.0.1:6379"], "--redis-url: unsupported scheme http://"),
    (["--redis-url", f"redis://:{PASSWORD}@127.0.0.1:port"], "--redis-url: bad host"),
])
def test_review_refuses_bad_flags_before_reviewing(args, message, tmp_path):
    (tmp_path / "app.py").write_text("import redis\nr = redis.Redis()\nr.keys('*')\n")
    result = run(["review", str(tmp_path), *args], tmp_path)
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.decode().startswith(f"ask-redis review: {message}")
    assert_one_clean_line(result.stderr)


def test_review_of_a_device_is_a_usage_error(tmp_path):
    result = run(["review", "/dev/null"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode().strip() == "ask-redis review: /dev/null: not a directory or a regular file"


def test_redis_acl_hashes_a_password_that_is_not_utf8_as_given(tmp_path):
    import hashlib

    result = run(["redis-acl", "--password-stdin"], tmp_path, stdin=b"p\xe9ss\n")
    assert result.returncode == 0, result.stderr
    assert f"#{hashlib.sha256(b'p' + bytes([0xe9]) + b'ss').hexdigest()}".encode() in result.stdout
    assert b"Traceback" not in result.stderr


def test_verbose_details_of_an_unexpected_error_are_redacted(tmp_path, monkeypatch, capsys):
    from ask_redis import cli

    def crash(settings, prompt, argv):
        raise RuntimeError(f"lost redis://:{PASSWORD}@cache:6379 while holding {KEY}")

    monkeypatch.setattr(cli, "one_shot", crash)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    code = cli.main(["--verbose", "--repo", str(tmp_path), "hi"])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" in err and "RuntimeError: lost redis://" in err  # --verbose shows the details
    assert PASSWORD not in err and KEY not in err


def without_root_privileges() -> list[str]:
    """A prefix that runs a command the way a normal user would meet a mode-000 directory."""
    import shutil

    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permissions cannot be exercised")
    drop = "-dac_override,-dac_read_search"
    return ["setpriv", "--bounding-set", drop, "--inh-caps", drop, "--"]


@pytest.mark.parametrize("argv, message", [
    (["--repo", "{repo}", "hi"], "ask-redis: --repo {repo}: permission denied (the tools could not read it)"),
    (["review", "{repo}"], "ask-redis review: {repo}: permission denied"),
])
def test_an_unreadable_repository_is_a_usage_error(argv, message, tmp_path):
    repo = tmp_path / "locked"
    repo.mkdir()
    (repo / "app.py").write_text("import redis\n")
    repo.chmod(0)
    try:
        with StandIn(responses=[]) as standin:
            result = subprocess.run(without_root_privileges() + ASK_REDIS + [a.format(repo=repo) for a in argv],
                                    env=environment(tmp_path, ANTHROPIC_BASE_URL=standin.url), cwd=tmp_path,
                                    capture_output=True, timeout=60)
    finally:
        repo.chmod(0o755)
    assert result.returncode == 2
    assert result.stderr.decode().strip() == message.format(repo=repo)
    assert standin.requests == []


@pytest.mark.parametrize("key", ["proxy-token-abcdef123456", "sk-ant-api03-abcdefghijklmnop"])
def test_a_key_echoed_back_by_the_server_is_never_shown(key, tmp_path):
    replies = [api_error(429, "rate_limit_error", f"slow down {key}", retry_after="0")] * 2 + \
        [api_error(401, "authentication_error", f"invalid x-api-key {key}")]
    with StandIn(responses=replies) as standin:
        text_run = run(["hi"], tmp_path, ANTHROPIC_BASE_URL=standin.url, ANTHROPIC_API_KEY=key)
    assert text_run.returncode == 1
    err = text_run.stderr.decode()
    assert "retrying" in err and "invalid x-api-key [REDACTED]" in err
    assert key not in err and key not in text_run.stdout.decode()
    with StandIn(responses=[api_error(401, "authentication_error", f"invalid x-api-key {key}")]) as standin:
        json_run = run(["--json", "hi"], tmp_path, ANTHROPIC_BASE_URL=standin.url, ANTHROPIC_API_KEY=key)
    assert json.loads(json_run.stdout)["result"].endswith("(HTTP 401: invalid x-api-key [REDACTED])")
    assert key not in json_run.stdout.decode() + json_run.stderr.decode()


def test_an_api_key_with_a_line_break_is_refused_without_showing_it(tmp_path):
    key = "sk-ant-first-half\nsecond-half-of-key"
    with StandIn(responses=[]) as standin:
        result = run(["hi"], tmp_path, ANTHROPIC_BASE_URL=standin.url, ANTHROPIC_API_KEY=key)
    assert result.returncode == 2 and standin.requests == []
    err = result.stderr.decode()
    assert err.strip() == "ask-redis: ANTHROPIC_API_KEY: the API key holds a line break or control character; set it on one line"
    assert "first-half" not in err and "second-half" not in err


def test_an_api_key_with_a_trailing_newline_works(tmp_path):
    with StandIn(responses=[sse([text("ok")], "end_turn")]) as standin:
        result = run(["hi"], tmp_path, ANTHROPIC_BASE_URL=standin.url, ANTHROPIC_API_KEY=KEY + "\n")
    assert result.returncode == 0 and result.stdout == b"ok\n"


def test_a_stream_that_stalls_after_its_headers_times_out_with_a_clear_line(tmp_path):
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held = []

    def serve():
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            request = b""
            while b"\r\n\r\n" not in request:
                request += connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
            held.append(connection)  # then nothing more, ever

    threading.Thread(target=serve, daemon=True).start()
    write_config(tmp_path, "timeout = 1\nmax_retries = 0\n")
    try:
        result = run(["hi"], tmp_path, ANTHROPIC_BASE_URL=f"http://127.0.0.1:{listener.getsockname()[1]}")
    finally:
        listener.close()
        for connection in held:
            connection.close()
    assert result.returncode == 1
    assert result.stderr.decode().strip() == "ask-redis: error: the API did not answer in time (raise timeout in the config)"


@pytest.mark.parametrize("output_format", ["json", "stream-json"])
def test_no_api_key_with_a_json_format_prints_an_error_result_not_a_text_report(output_format, tmp_path):
    (tmp_path / "app.py").write_text("import redis\nr = redis.Redis()\nr.keys('*')\n")
    result = run(["--output-format", output_format, "review my cache"], tmp_path, ANTHROPIC_API_KEY="")
    assert result.returncode == 1
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert out["type"] == "result" and out["is_error"] is True and out["subtype"] == "error_during_execution" and out["ask_redis_subtype"] == "error_setup"
    assert out["result"].startswith("no API key") and "ask-redis review --format json" in out["result"]


def slow_answer():
    return sse([text(" ".join(["word"] * 300))], "end_turn")


@pytest.mark.parametrize("output_format", ["json", "stream-json"])
def test_ctrl_c_mid_answer_still_gives_scripts_a_cancelled_result(output_format, tmp_path):
    import signal
    import time

    with StandIn(responses=[slow_answer()], chunk_delay=0.05) as standin:
        # Ctrl-C's default action, as under a terminal, even when the suite itself runs with SIGINT ignored
        # (started in the background by a non-interactive shell, as CI runners and nohup do).
        partial = ["--include-partial-messages"] if output_format == "stream-json" else []
        process = subprocess.Popen(ASK_REDIS + ["--output-format", output_format, *partial, "hi"], cwd=tmp_path,
                                   env=environment(tmp_path, ANTHROPIC_BASE_URL=standin.url),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        seen = b""
        if output_format == "stream-json":
            while b'"text_delta"' not in seen:  # the answer is arriving
                seen += process.stdout.readline()
        else:
            while not standin.requests:  # the call is under way
                time.sleep(0.05)
            time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    last = json.loads((seen + out).decode().strip().splitlines()[-1])
    assert last["type"] == "result" and last["subtype"] == "error_during_execution" and last["ask_redis_subtype"] == "error_cancelled" and last["is_error"] is True
    assert "Traceback" not in err.decode() and err.decode().strip().endswith("ask-redis: cancelled")


def test_an_empty_api_key_in_the_config_file_is_no_key(tmp_path):
    write_config(tmp_path, 'api_key = ""\n')
    (tmp_path / "app.py").write_text("import redis\nr = redis.Redis()\nr.keys('*')\n")
    result = run(["review my cache"], tmp_path, ANTHROPIC_API_KEY="", ANTHROPIC_BASE_URL="http://127.0.0.1:9")
    assert result.stderr.decode().startswith("ask-redis: no API key: set ANTHROPIC_API_KEY")
    assert b"keys-command" in result.stdout  # the offline review ran
    assert "Messages API" not in result.stderr.decode()


def test_version_prints_the_installed_version(tmp_path):
    from importlib.metadata import version

    result = run(["--version"], tmp_path)
    assert result.returncode == 0
    assert result.stdout.decode() == f"ask-redis {version('ask-redis')}\n"


# ---------------------------------------------------------------- every bad input: exit code, one stderr line, no control characters

CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
DEEP = "[" * 5000 + "]" * 5000


def config_dir(tmp_path):
    (tmp_path / "config" / "ask-redis" / "config.toml").mkdir(parents=True)


BAD_INPUTS = [  # id, argv, stdin, config file (text, or a callable that lays it out), exit code, the line's start
    ("connect_timeout nan", ["--redis-url", "redis://127.0.0.1:6379/?connect_timeout=nan", "hi"], None, None, 2,
     "ask-redis: --redis-url: connect_timeout must be a number of seconds above 0"),
    ("connect_timeout -1", ["--redis-url", "redis://127.0.0.1:6379/?connect_timeout=-1", "hi"], None, None, 2,
     "ask-redis: --redis-url: connect_timeout must be a number of seconds above 0"),
    ("socket_timeout 1e308", ["--redis-url", "redis://127.0.0.1:6379/?socket_timeout=1e308", "hi"], None, None, 2,
     "ask-redis: --redis-url: socket_timeout must be a number of seconds above 0 and at most 86400"),
    ("socket_timeout inf", ["--redis-url", "redis://127.0.0.1:6379/?socket_timeout=inf", "hi"], None, None, 2,
     "ask-redis: --redis-url: socket_timeout must be a number of seconds above 0"),
    ("url with CR/LF", ["--redis-url", f"redis://:{PASSWORD}@127.0.0.1:6379/0\r\nX-Injected: 1", "hi"], None, None, 2,
     "ask-redis: --redis-url: "),
    ("url with ESC", ["--redis-url", "redis://127.0.0.1:6379/\x1b]0;pwned\x07", "hi"], None, None, 2, "ask-redis: --redis-url: "),
    ("config nested too deeply", ["hi"], None, f"model = {DEEP}\n", 2, "ask-redis: cannot read {config}: values nested too deeply"),
    ("config value of the wrong shape", ["hi"], None, 'max_turns = [[1, 2], {a = 1}]\n', 2, "ask-redis: {config}: max_turns: "),
    ("config is a directory", ["hi"], None, config_dir, 2, "ask-redis: {config}: not a file"),
    ("config timeout nan", ["hi"], None, "timeout = nan\n", 2, "ask-redis: {config}: timeout: "),
    ("config timeout inf", ["hi"], None, "timeout = inf\n", 2, "ask-redis: {config}: timeout: "),
    ("config timeout 1e308", ["hi"], None, "timeout = 1e308\n", 2, "ask-redis: {config}: timeout: "),
    ("config with a control character", ["hi"], None, 'model = "\\u001b[2Jopus"\nmax_turns = 0\n', 2, "ask-redis: {config}: max_turns: "),
    ("prompt of NULs", ["-"], b"\0\0\0", None, 2, "ask-redis: the prompt has no printable characters (\\x00\\x00\\x00)"),
    ("prompt of control characters", ["\x1b\x07\x08"], None, None, 2, "ask-redis: the prompt has no printable characters"),
    ("empty prompt", ["-"], b"  \n", None, 2, "ask-redis: the prompt is empty"),
    ("bad scheme", ["--redis-url", "http://127.0.0.1:6379", "hi"], None, None, 2, "ask-redis: --redis-url: unsupported scheme http://"),
    ("bad port", ["--redis-url", f"redis://:{PASSWORD}@127.0.0.1:99999", "hi"], None, None, 2, "ask-redis: --redis-url: bad port 99999"),
    ("empty model", ["--model", "", "hi"], None, None, 2, "ask-redis: --model: String should have at least 1 character"),
    ("repo with ESC", ["--repo", "/no/such/\x1b[2J", "hi"], None, None, 2, "ask-redis: --repo /no/such/\\x1b[2J: not a directory"),
    ("record into a missing directory", ["--record", "/no/such/dir/t.json", "hi"], None, None, 2, "ask-redis: --record /no/such/dir/t.json"),
    ("unknown setting", ["hi"], None, 'colour = "blue"\n', 2, "ask-redis: {config}: colour: unknown setting"),
]


@pytest.mark.parametrize("argv, stdin, config, code, start", [row[1:] for row in BAD_INPUTS], ids=[row[0] for row in BAD_INPUTS])
def test_every_bad_input_is_one_clean_line(argv, stdin, config, code, start, tmp_path):
    path = tmp_path / "config" / "ask-redis" / "config.toml"
    if callable(config):
        config(tmp_path)
    elif config is not None:
        write_config(tmp_path, config)
    with StandIn(responses=[]) as standin:
        result = run(argv, tmp_path, stdin=stdin, ANTHROPIC_BASE_URL=standin.url)
    err = result.stderr.decode()
    assert result.returncode == code, err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert not CONTROL.search(err[:-1]), err
    assert err.startswith(start.format(config=path)), err
    assert "Traceback" not in err and PASSWORD not in err and KEY not in err
    assert standin.requests == []  # refused before any API call


@pytest.mark.parametrize("output_format", ["json", "stream-json"])
def test_an_api_that_always_fails_is_said_on_stderr_in_every_format(output_format, tmp_path):
    write_config(tmp_path, "max_retries = 1\n")
    with StandIn(responses=[api_error(500, "api_error", "Internal server error")] * 2) as standin:
        result = run(["--output-format", output_format, "hi"], tmp_path, ANTHROPIC_BASE_URL=standin.url)
    assert result.returncode == 1
    [line] = result.stderr.decode().splitlines()
    final = json.loads(result.stdout.decode().splitlines()[-1])
    assert final["type"] == "result" and final["subtype"] == "error_during_execution" and final["ask_redis_subtype"] == "error_api"
    assert line == f"ask-redis: error: {final['result']}" and "HTTP 500: Internal server error" in line


def test_an_answer_cut_at_max_tokens_in_json_says_why_on_stderr(tmp_path):
    with StandIn(responses=[sse([text("There are six policies.")], "max_tokens", output_tokens=50)]) as standin:
        result = run(["--json", "--max-tokens", "50", "hi"], tmp_path, ANTHROPIC_BASE_URL=standin.url)
    assert result.returncode == 1
    assert result.stderr.decode().splitlines() == ["ask-redis: error: the answer was cut at the max_tokens limit (50 tokens); raise --max-tokens"]
    assert json.loads(result.stdout)["result"] == "There are six policies."


def tool_call(name, **arguments):
    return {"type": "tool_use", "id": "toolu_bad_1", "name": name, "input": arguments}


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "no-stream"])
def test_a_lone_surrogate_in_tool_input_is_an_error_result_naming_the_field(stream, tmp_path):
    from tests.author_transcripts import json_message

    message = sse if stream else json_message
    replies = [message([tool_call("Read", file_path="\ud800.py")], "tool_use"), message([text("Let me try again.")], "end_turn")]
    with StandIn(responses=replies) as standin:
        result = run(["hi"] if stream else ["--no-stream", "hi"], tmp_path, ANTHROPIC_BASE_URL=standin.url)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"Let me try again.\n" and result.stderr == b""
    [answer] = standin.requests[1]["messages"][-1]["content"]
    assert answer["is_error"] is True
    assert answer["content"].startswith("Invalid input for Read: file_path: not valid Unicode text (it holds a lone surrogate")
    assert standin.requests[1]["messages"][1]["content"][0]["input"] == {"file_path": "\ufffd.py"}  # sent back as valid text


def test_a_file_name_with_terminal_escapes_reaches_stderr_escaped(tmp_path):
    (tmp_path / "cache\x1b]0;owned\x07.py").write_text("import redis\n")
    replies = [sse([tool_call("Read", file_path="cache.py")], "tool_use"), sse([text("Done.")], "end_turn")]
    with StandIn(responses=replies) as standin:
        result = run(["--verbose", "hi"], tmp_path, ANTHROPIC_BASE_URL=standin.url)
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert "Did you mean cache\\x1b]0;owned\\x07.py?" in err
    assert not CONTROL.search(err.replace("\n", "")), err


def test_read_and_grep_say_what_they_did_with_nul_bytes_past_the_first_8_kb(tmp_path):
    from ask_redis.tools import ToolContext, discover, run_tool

    with open(tmp_path / "sparse.log", "wb") as handle:
        handle.write(b"first line\n" + b"a" * 9000 + b"\n")
        handle.seek(20_000)  # a hole: NUL bytes on disk
        handle.write(b"\nneedle after the hole\n")
    tools, ctx = {tool.name: tool for tool in discover()}, ToolContext(workspace=tmp_path)
    read = run_tool(tools, "Read", {"file_path": "sparse.log"}, ctx)
    assert not read.is_error and "\x00" not in read.content
    assert "4\tneedle after the hole" in read.content and "(NUL bytes were left out of 1 line (first: line 3)" in read.content
    grep = run_tool(tools, "Grep", {"pattern": "needle", "output_mode": "content"}, ctx).content
    assert grep.startswith("No matches found") and "sparse.log matches past a NUL byte, where ripgrep stops" in grep
    named = run_tool(tools, "Grep", {"pattern": "needle", "path": "sparse.log", "output_mode": "content"}, ctx).content
    assert "sparse.log matches, but holds a NUL byte near offset" in named
