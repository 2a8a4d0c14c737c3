"""Record types the servers here do not write, built byte by byte from the RDB format: what Redis 5
and 6 wrote (ziplists, quicklist 1, zipmap-era opcodes, ZSET scores as text), Redis 7.4+ hashes with
field TTLs, module values and module aux data, cluster slot info, 7.0-rc functions. The servers' own
dumps are in test_rdb.py; these cover the rest of the format."""

from __future__ import annotations

import struct

import anycrc
import pytest

from ask_redis.live import rdb
from ask_redis.review import rdb_rules

CRC = anycrc.CRC(64, 0xad93d23594c935a9, 0, True, True, 0)


def length(n: int) -> bytes:
    if n < 64:
        return bytes([n])
    if n < 16384:
        return bytes([0x40 | (n >> 8), n & 0xFF])
    return b"\x80" + struct.pack(">I", n)


def string(data: bytes) -> bytes:
    return length(len(data)) + data


def ziplist(items: list[bytes]) -> bytes:
    body, prev = b"", 0
    for item in items:
        entry = bytes([prev]) + bytes([len(item)]) + item  # prevlen < 254, 6-bit string length
        body += entry
        prev = len(entry)
    total = 10 + len(body) + 1
    return struct.pack("<IIH", total, 10 + len(body) - prev, len(items)) + body + b"\xff"


def listpack(items: list[bytes | int]) -> bytes:
    body = b""
    for item in items:
        if isinstance(item, int):
            entry = bytes([item])  # 7-bit unsigned
        else:
            entry = bytes([0x80 | len(item)]) + item
        body += entry + bytes([len(entry)])
    return struct.pack("<IH", 6 + len(body) + 1, len(items)) + body + b"\xff"


def module_id(name: str, encver: int) -> int:
    chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    value = 0
    for i, c in enumerate(name):
        value |= chars.index(c) << (10 + 6 * (8 - i))
    return value | encver


def module_length(n: int) -> bytes:
    return b"\x81" + struct.pack(">Q", n)


def dump(version: int, records: bytes, magic: bytes = b"REDIS") -> bytes:
    head = magic + (b"%04d" % version if magic == b"REDIS" else b"%03d" % version)
    body = head + b"\xfa" + string(b"redis-ver") + string(b"5.0.14") + b"\xfa" + string(b"ctime") + \
        string(b"1700000000") + b"\xfa" + string(b"lua") + string(b"return 1 -- a cached script body") + records + b"\xff"
    return body + struct.pack("<Q", CRC.calc(body))


def test_redis5_era_encodings(tmp_path):
    records = (
        b"\xfe\x00\xfb" + length(6) + length(1)
        + b"\x00" + string(b"plain") + string(b"v")
        + b"\xfd" + struct.pack("<I", 1700000600) + b"\x0d" + string(b"h:zl") + string(ziplist([b"f", b"v", b"g", b"w"]))
        + b"\x0c" + string(b"z:zl") + string(ziplist([b"a", b"1", b"b", b"2"]))
        + b"\x0e" + string(b"l:ql") + length(2) + string(ziplist([b"x"] * 3)) + string(ziplist([b"y"] * 4))
        + b"\x03" + string(b"z:text") + length(2) + string(b"m1") + bytes([3]) + b"1.5" + string(b"m2") + bytes([254])
        + b"\x0b" + string(b"s:is") + string(struct.pack("<II", 2, 3) + struct.pack("<hhh", 1, 2, 3))
    )
    path = tmp_path / "v9.rdb"
    path.write_bytes(dump(9, records))
    summary = rdb.Summary(str(path))
    got = {e.key: e for e in rdb.read(path, summary)}
    assert summary.checksum == "ok" and summary.version == 9 and summary.other_aux == {"lua": 32}
    assert (got[b"h:zl"].type, got[b"h:zl"].encoding, got[b"h:zl"].length) == ("hash", "ziplist", 2)
    assert got[b"h:zl"].expire_ms == 1700000600 * 1000
    assert (got[b"z:zl"].type, got[b"z:zl"].length) == ("zset", 2)
    assert (got[b"l:ql"].encoding, got[b"l:ql"].length, got[b"l:ql"].nodes) == ("quicklist", 7, 2)
    assert (got[b"z:text"].encoding, got[b"z:text"].length) == ("skiplist", 2)
    assert (got[b"s:is"].encoding, got[b"s:is"].length) == ("intset", 3)
    text = rdb_rules.format_analysis(rdb_rules.analyze(path))
    assert "return 1" not in text and "other aux fields (values not shown): lua" in text


def test_field_ttls_modules_slot_info_and_old_functions(tmp_path):
    json_id = module_id("ReJSON-RL", 3)
    records = (
        b"\xf6" + string(b"lib1") + string(b"LUA") + length(1) + string(b"a description") + string(b"return 'code'")
        + b"\xf7" + module_length(module_id("search-ix", 1)) + length(2) + length(2)
        + length(5) + string(b"aux payload") + length(0)
        + b"\xfe\x00\xf4" + length(7) + length(3) + length(0)
        + b"\x18" + string(b"hfe:ht") + struct.pack("<Q", 1700000100000) + length(2)
        + length(1) + string(b"a") + string(b"1") + length(0) + string(b"b") + string(b"2")
        + b"\x19" + string(b"hfe:lp") + struct.pack("<Q", 1700000100000)
        + string(listpack([b"a", 1, 0, b"b", 2, 100]))  # field, value, TTL (0: none)
        + b"\x07" + string(b"json:1") + module_length(json_id)
        + length(2) + module_length(42) + length(4) + b"\x00" * 8 + length(3) + b"\x00" * 4
        + length(5) + string(b'{"secret":"value"}') + length(0)
    )
    path = tmp_path / "v12.rdb"
    path.write_bytes(dump(12, records))
    summary = rdb.Summary(str(path))
    got = {e.key: e for e in rdb.read(path, summary)}
    assert summary.checksum == "ok" and summary.slot_info == 1
    assert summary.functions == [{"library": "lib1", "engine": "LUA", "bytes": 13}]
    assert list(summary.module_aux) == ["search-ix"]
    assert (got[b"hfe:ht"].type, got[b"hfe:ht"].length, got[b"hfe:ht"].field_ttls) == ("hash", 2, 1)
    assert (got[b"hfe:lp"].encoding, got[b"hfe:lp"].length, got[b"hfe:lp"].field_ttls) == ("listpack", 2, 1)
    assert (got[b"json:1"].type, got[b"json:1"].encoding) == ("ReJSON-RL", "module")
    data = rdb_rules.analyze(path)
    assert data["types"]["ReJSON-RL"]["keys"] == 1 and data["hash_field_ttls"] == {"keys": 2, "fields": 2}
    assert "secret" not in rdb_rules.format_analysis(data)


@pytest.mark.parametrize("records, message", [
    (b"\xfe\x00\x42" + string(b"k"), "unknown value type 66"),
    (b"\xfe\x00\x06" + string(b"k") + module_length(module_id("ReJSON-RL", 1)), "4.0 release candidate"),
    (b"\xfe\x00\x10" + string(b"k") + string(b"\x10\x00\x00\x00\x01\x00\x81a\x02\xff"), "listpack says 16 bytes"),
    (b"\xfe\x00\x00" + b"\xc3" + length(10) + length(50) + b"\x1f" * 10 + string(b"v"), "bad LZF data"),
])
def test_corrupt_records_name_the_offset(tmp_path, records, message):
    path = tmp_path / "bad.rdb"
    path.write_bytes(dump(11, records))
    with pytest.raises(rdb.RdbError) as caught:
        list(rdb.read(path))
    assert message in str(caught.value) and "offset" in str(caught.value) and "\n" not in str(caught.value)


def test_checksum_disabled_and_trailing_bytes(tmp_path):
    body = dump(11, b"\xfe\x00\x00" + string(b"k") + string(b"v"))[:-8]
    path = tmp_path / "nocrc.rdb"
    path.write_bytes(body + b"\x00" * 8 + b"junk")
    summary = rdb.Summary(str(path))
    assert [e.key for e in rdb.read(path, summary)] == [b"k"]
    assert summary.checksum.startswith("disabled") and "were ignored" in summary.notes[0]
