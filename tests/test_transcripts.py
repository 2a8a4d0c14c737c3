"""Every transcript replays through the real CLI and SDK; requests must match the recording exactly."""

import json

import pytest

from tests.transcript_kit import TRANSCRIPTS, replay

PATHS = sorted(TRANSCRIPTS.glob("*.json"))


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_transcript_replays(path, tmp_path, monkeypatch, capsys, respx_mock):
    expect = json.loads(path.read_text())["expect"]
    code, out, err, _ = replay(path, tmp_path, monkeypatch, capsys, respx_mock)
    assert code == expect["exit_code"], err
    for needle in expect["stdout"]:
        assert needle in out
    for needle in expect["stderr"]:
        assert needle in err
    for needle in expect.get("stdout_absent", []):
        assert needle not in out
    for needle in expect.get("stderr_absent", []):
        assert needle not in err
    assert "Traceback" not in err
