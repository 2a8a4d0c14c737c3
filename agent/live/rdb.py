"""A streaming reader of RDB files (Redis 5 to 8: RDB 9-12; Valkey 7.2-9: RDB 11 and 80+).

`read(path)` yields one `Entry` per key: its database, name, type, encoding, serialized size,
length (bytes for a string, elements for a collection), expiry, LRU idle / LFU frequency and a
few shape figures; values are skipped, never kept. Memory stays constant whatever the file size:
the file is read in 1 MiB chunks, a long value is skipped chunk by chunk, and only the headers of
compact encodings (listpack, ziplist, intset) are decoded. Aux fields, functions and module
values are counted and their sizes taken (`Summary`), their contents skipped.

Any truncated or corrupted input raises `RdbError`, one line naming the byte offset. The
trailing CRC64 is checked (a zero checksum means the server saved with rdbchecksum no).
"""

from __future__ import annotations

import gzip
import os
import re
import struct
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator

import anycrc

CHUNK = 1 << 20
FAST_WINDOW = 256  # bytes that must be in the buffer for the in-place read of a short string record
# Compact blobs bigger than this are skipped unparsed: their element count is then unknown.
MAX_BLOB = 64 << 20
_CRC64 = anycrc.CRC(64, 0xad93d23594c935a9, 0, True, True, 0)  # Redis' crc64 (Jones, reflected)

# Object types (rdb.h). Types 22 and 23 mean different things in Redis (7.4 pre-GA hash-field-TTL
# hashes) and in Valkey 9 (RDB 80+: 22 is a hash with field TTLs); the version tells which.
STRING, LIST, SET, ZSET, HASH, ZSET_2, MODULE_PRE_GA, MODULE_2 = 0, 1, 2, 3, 4, 5, 6, 7
HASH_ZIPMAP, LIST_ZIPLIST, SET_INTSET, ZSET_ZIPLIST, HASH_ZIPLIST, LIST_QUICKLIST = 9, 10, 11, 12, 13, 14
STREAM_LISTPACKS, HASH_LISTPACK, ZSET_LISTPACK, LIST_QUICKLIST_2, STREAM_LISTPACKS_2 = 15, 16, 17, 18, 19
SET_LISTPACK, STREAM_LISTPACKS_3 = 20, 21
HASH_METADATA_PRE_GA, HASH_LISTPACK_EX_PRE_GA, HASH_METADATA, HASH_LISTPACK_EX = 22, 23, 24, 25
VALKEY_HASH_2 = 22

OP_SLOT_IMPORT, OP_SLOT_INFO, OP_FUNCTION2, OP_FUNCTION_PRE_GA, OP_MODULE_AUX = 243, 244, 245, 246, 247
OP_IDLE, OP_FREQ, OP_AUX, OP_RESIZEDB, OP_EXPIRETIME_MS, OP_EXPIRETIME, OP_SELECTDB, OP_EOF = range(248, 256)

# Versions whose every type this reader knows. Redis 8.4+ writes 13 and up: read, with a note.
KNOWN_VERSIONS = set(range(1, 13)) | {80, 81}
# Aux fields whose values are shown; any other aux field is counted by name only.
SHOWN_AUX = {"redis-ver", "valkey-ver", "redis-bits", "ctime", "used-mem", "aof-base", "aof-preamble"}

_COMPRESSED = ((b"\x1f\x8b", "gzip"), (b"\x28\xb5\x2f\xfd", "zstd"), (b"\x04\x22\x4d\x18", "lz4"),
               (b"BZh", "bzip2"), (b"\xfd7zXZ", "xz"))
_MODULE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_Q = struct.Struct("<Q")
_q = struct.Struct("<q")
_I = struct.Struct("<I")
_H = struct.Struct("<H")
_BE_I = struct.Struct(">I")
_BE_Q = struct.Struct(">Q")


class RdbError(Exception):
    """A file that is not a readable RDB: one line, with the offset where reading stopped."""


@dataclass(slots=True)
class Entry:
    db: int
    key: bytes
    type: str           # string, list, set, zset, hash, stream, or a module type's name
    encoding: str       # the in-memory encoding the server loads it into (int, embstr, raw, listpack, ...)
    size: int           # serialized bytes, type byte to the end of the value (expiry/idle/freq opcodes excluded)
    length: int | None  # string bytes / collection elements (stream entries); None when unknown
    expire_ms: int | None = None    # absolute unix ms
    idle: int | None = None         # LRU idle seconds, when the dump has them (maxmemory-policy *lru)
    freq: int | None = None         # LFU counter, when the dump has it (maxmemory-policy *lfu)
    max_element: int = 0            # longest element in bytes (general encodings; 0 when not read)
    element_bytes: int = 0          # bytes of all elements (general encodings) or of the compact blob
    field_ttls: int = 0             # hash fields with their own TTL
    groups: int = 0                 # stream consumer groups
    consumers: int = 0
    pending: int = 0                # stream entries delivered and not acknowledged, over all groups
    nodes: int = 0                  # quicklist / stream listpack nodes


@dataclass
class Summary:
    """What the file says beside its keys; filled in while `read()` runs."""

    path: str
    version: int = 0
    magic: str = ""
    file_bytes: int = 0
    compressed: str | None = None
    aux: dict[str, str] = field(default_factory=dict)
    other_aux: dict[str, int] = field(default_factory=dict)   # aux name -> value bytes, value not shown
    functions: list[dict] = field(default_factory=list)       # {"library", "engine", "bytes"}
    module_aux: dict[str, int] = field(default_factory=dict)  # module name -> bytes
    resize_hints: dict[int, tuple[int, int]] = field(default_factory=dict)  # db -> (keys, expires)
    slot_info: int = 0
    checksum: str = "unchecked"   # ok / disabled (rdbchecksum no) / unchecked
    notes: list[str] = field(default_factory=list)


def module_name(module_id: int) -> tuple[str, int]:
    """A module type id packs a 9-character name and a 10-bit encoding version."""
    name = "".join(_MODULE_CHARS[(module_id >> (10 + 6 * (8 - i))) & 63] for i in range(9))
    return name, module_id & 1023


def lzf_decompress(data: bytes | memoryview, out_len: int, limit: int | None = None) -> bytes:
    """LZF (liblzf) decompression; stops once `limit` bytes are out (headers need only a few)."""
    out = bytearray()
    want = out_len if limit is None else min(limit, out_len)
    i, n = 0, len(data)
    while i < n and len(out) < want:
        ctrl = data[i]
        i += 1
        if ctrl < 32:
            run = ctrl + 1
            if i + run > n:
                raise ValueError("literal run past the end")
            out += data[i:i + run]
            i += run
        else:
            length = ctrl >> 5
            if length == 7:
                if i >= n:
                    raise ValueError("back reference past the end")
                length += data[i]
                i += 1
            if i >= n:
                raise ValueError("back reference past the end")
            ref = len(out) - ((ctrl & 0x1f) << 8) - data[i] - 1
            i += 1
            if ref < 0:
                raise ValueError("back reference before the start")
            for _ in range(length + 2):
                out.append(out[ref])
                ref += 1
    if limit is None and len(out) != out_len:
        raise ValueError(f"decompressed to {len(out)} bytes, expected {out_len}")
    return bytes(out[:want])


class _Source:
    """Buffered reads over the file, folding every consumed byte into the running CRC64."""

    def __init__(self, stream: BinaryIO, size: int | None):
        self.stream = stream
        self.size = size     # file size when known (not for a gzip stream): bounds every read up front
        self.buf = b""
        self.pos = 0
        self.base = 0        # file offset of buf[0]
        self.crc = 0
        self.crc_from = 0    # buf index up to which bytes are in self.crc

    def offset(self) -> int:
        return self.base + self.pos

    def _fold(self) -> None:
        if self.pos > self.crc_from:
            self.crc = _CRC64.calc(memoryview(self.buf)[self.crc_from:self.pos], self.crc)
        self.crc_from = self.pos

    def fill(self, n: int, what: str) -> None:
        """Make n bytes available at pos, or raise for a file that ends first."""
        self._check(n, what)
        self._fold()
        rest = self.buf[self.pos:]
        more = self.stream.read(max(CHUNK, n - len(rest)))
        self.base += self.pos
        self.buf = rest + more if rest else more
        self.pos = self.crc_from = 0
        while len(self.buf) < n:
            more = self.stream.read(n - len(self.buf))
            if not more:
                raise RdbError(f"truncated at offset {self.base + len(self.buf)}: the file ends inside {what} "
                               f"(a dump still being written, or a partial copy?)")
            self.buf += more

    def _check(self, n: int, what: str) -> None:
        left = (self.size if self.size is not None else 1 << 40) - self.base - self.pos
        if n > left:
            raise RdbError(f"truncated at offset {self.base + self.pos}: {what} needs {n} bytes, the file has "
                           f"{max(left, 0)} left (a dump still being written, a partial copy, or a corrupted length?)")

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.buf):
            self.fill(n, what)
        pos = self.pos
        self.pos = pos + n
        return self.buf[pos:pos + n]

    def skip(self, n: int, what: str) -> None:
        if self.pos + n <= len(self.buf):
            self.pos += n
            return
        self._check(n, what)
        n -= len(self.buf) - self.pos
        self.pos = len(self.buf)
        self._fold()
        self.base += len(self.buf)
        self.buf, self.pos, self.crc_from = b"", 0, 0
        while n > 0:
            block = self.stream.read(min(n, CHUNK))
            if not block:
                raise RdbError(f"truncated at offset {self.base}: the file ends inside {what} "
                               f"(a dump still being written, or a partial copy?)")
            self.crc = _CRC64.calc(block, self.crc)
            self.base += len(block)
            n -= len(block)


def _open(path: str) -> tuple[BinaryIO, str | None]:
    try:
        stream = open(path, "rb")
    except IsADirectoryError:
        raise RdbError(f"{path}: is a directory, not an RDB file") from None
    except OSError as error:
        raise RdbError(f"{path}: {error.strerror or error}") from None
    head = stream.read(6)
    stream.seek(0)
    for magic, name in _COMPRESSED:
        if head.startswith(magic):
            if name == "gzip":
                return gzip.open(stream), name  # read through as it streams
            stream.close()
            raise RdbError(f"{path}: {name}-compressed; decompress it first (e.g. `{name} -dk FILE`) and read the .rdb")
    return stream, None


def read(path: str | os.PathLike, summary: Summary | None = None) -> Iterator[Entry]:
    """Every key of the dump, in file order. Fills `summary` as it goes; raises RdbError on bad input."""
    path = os.fspath(path)
    summary = summary if summary is not None else Summary(path)
    stream, compressed = _open(path)
    summary.compressed = compressed
    try:
        summary.file_bytes = os.fstat(stream.fileno()).st_size if not compressed else os.path.getsize(path)
    except (OSError, AttributeError):
        summary.file_bytes = os.path.getsize(path)
    src = _Source(stream, None if compressed else summary.file_bytes)
    try:
        yield from _Parser(src, summary).entries()
    except (gzip.BadGzipFile, EOFError, OSError) as error:
        raise RdbError(f"{path}: {compressed or 'file'} read failed at offset {src.offset()}: {error}") from None
    except (IndexError, KeyError, ValueError, OverflowError, MemoryError, struct.error) as error:
        # a corrupted field this reader has no dedicated check for: still one line, with the offset
        raise RdbError(f"corrupt at offset {src.offset()}: {type(error).__name__}: {error}") from None
    finally:
        stream.close()


class _Parser:
    def __init__(self, src: _Source, summary: Summary):
        self.src = src
        self.summary = summary
        self.version = 0
        self.valkey = False
        self.embed_budget: int | None = None  # Valkey 8+: see _string_encoding

    def writer(self) -> None:
        """Once the aux fields are read: which server wrote the dump decides how it loads strings."""
        version = self.summary.aux.get("valkey-ver", "")
        parts = [int(p) for p in re.findall(r"\d+", version)[:2]] or [0]
        major, minor = (parts + [0])[:2]
        # Valkey 8.0+ embeds key, expiry and value in one allocation up to 64 bytes; 9.1 raised it to 128.
        self.embed_budget = 128 if (major, minor) >= (9, 1) else 64 if major >= 8 else None

    # -- primitives ---------------------------------------------------------------------------
    def corrupt(self, what: str, at: int | None = None) -> RdbError:
        return RdbError(f"corrupt at offset {self.src.offset() if at is None else at}: {what}")

    def length(self, what: str = "a length") -> int:
        """A length (rdbLoadLen); an encoded-string marker is corruption here."""
        src = self.src
        if src.pos >= len(src.buf):
            src.fill(1, what)
        first = src.buf[src.pos]
        kind = first >> 6
        if kind == 0:
            src.pos += 1
            return first & 0x3F
        if kind == 1:
            data = src.take(2, what)
            return ((data[0] & 0x3F) << 8) | data[1]
        if first == 0x80:
            return _BE_I.unpack(src.take(5, what)[1:])[0]
        if first == 0x81:
            return _BE_Q.unpack(src.take(9, what)[1:])[0]
        raise self.corrupt(f"invalid length byte 0x{first:02x} in {what}")

    def count(self, what: str, per_item: int = 1) -> int:
        """An element count, bounded by what the rest of the file could hold (a corrupted count never spins)."""
        at = self.src.offset()
        n = self.length(what)
        if n * per_item > self.summary.file_bytes * 8 + 1024:
            raise self.corrupt(f"{what} of {n} cannot fit in a {self.summary.file_bytes}-byte file", at)
        return n

    def string_header(self, what: str) -> tuple[int, int, int]:
        """(kind, stored bytes, string length): kind 0 plain, 1 integer, 2 LZF."""
        src = self.src
        if src.pos >= len(src.buf):
            src.fill(1, what)
        first = src.buf[src.pos]
        if first >> 6 != 3:
            n = self.length(what)
            return 0, n, n
        src.pos += 1
        enc = first & 0x3F
        if enc == 0:
            return 1, 1, len(str(struct.unpack("b", src.take(1, what))[0]))
        if enc == 1:
            return 1, 2, len(str(struct.unpack("<h", src.take(2, what))[0]))
        if enc == 2:
            return 1, 4, len(str(struct.unpack("<i", src.take(4, what))[0]))
        if enc == 3:
            clen = self.length(what)
            ulen = self.length(what)
            return 2, clen, ulen
        raise self.corrupt(f"unknown string encoding {enc} in {what}")

    def skip_string(self, what: str) -> int:
        """Skip one string; its length in bytes."""
        src = self.src
        pos = src.pos
        if pos < len(src.buf):
            first = src.buf[pos]
            if first < 0x40:  # 6-bit length: most field names and small values
                if pos + 1 + first <= len(src.buf):
                    src.pos = pos + 1 + first
                    return first
        kind, stored, length = self.string_header(what)
        if kind != 1:
            src.skip(stored, what)
        return length

    def string(self, what: str) -> bytes:
        """One whole string (key names, aux fields, compact blobs): an integer-encoded one as its
        decimal text, an LZF-compressed one decompressed."""
        src = self.src
        if src.pos >= len(src.buf):
            src.fill(1, what)
        first = src.buf[src.pos]
        if first >> 6 == 3 and (first & 0x3F) < 3:
            src.pos += 1
            size = (1, 2, 4)[first & 0x3F]
            return str(int.from_bytes(src.take(size, what), "little", signed=True)).encode()
        kind, stored, length = self.string_header(what)
        at = self.src.offset()
        data = self.src.take(stored, what)
        if kind == 2:
            try:
                return lzf_decompress(data, length)
            except ValueError as error:
                raise self.corrupt(f"bad LZF data in {what}: {error}", at) from None
        return data

    def blob_head(self, what: str, need: int):
        """The first `need` bytes of a compact blob, its full length, and a function that gives the
        whole blob (None when it is larger than MAX_BLOB) for the rare walk of every entry."""
        kind, stored, length = self.string_header(what)
        if kind == 1:
            raise self.corrupt(f"{what} stored as an integer")
        at = self.src.offset()
        if stored > MAX_BLOB:
            head = self.src.take(64, what) if kind == 0 else b""
            self.src.skip(stored - len(head), what)
            return head[:need], length, lambda: None
        data = self.src.take(stored, what)
        if kind == 0:
            return data[:need], length, lambda: data

        def whole() -> bytes:
            try:
                return lzf_decompress(data, length)
            except ValueError as error:
                raise self.corrupt(f"bad LZF data in {what}: {error}", at) from None
        try:
            return lzf_decompress(data, length, need), length, whole
        except ValueError as error:
            raise self.corrupt(f"bad LZF data in {what}: {error}", at) from None

    def blob(self, what: str) -> bytes:
        _, length, whole = self.blob_head(what, 0)
        data = whole()
        if data is None:
            raise self.corrupt(f"{what} of {length} bytes is larger than this reader decodes")
        return data

    # -- the file -----------------------------------------------------------------------------
    def header(self) -> None:
        src, summary = self.src, self.summary
        head = src.take(9, "the header")
        if head.startswith(b"REDIS"):
            magic, digits = "REDIS", head[5:9]
        elif head.startswith(b"VALKEY"):
            magic, digits = "VALKEY", head[6:9]
        else:
            shown = head[:9].decode("ascii", "replace")
            raise RdbError(f"{summary.path}: not an RDB file at offset 0 (starts with {shown!r}, expected REDIS or VALKEY)")
        if not digits.isdigit():
            raise RdbError(f"{summary.path}: not an RDB file at offset 0 (bad version field in the header)")
        self.version = int(digits)
        self.valkey = magic == "VALKEY" or self.version >= 80
        summary.magic, summary.version = magic, self.version
        if self.version < 1:
            raise RdbError(f"{summary.path}: RDB version {self.version} at offset 0 is not a real version")
        if self.version not in KNOWN_VERSIONS:
            summary.notes.append(f"RDB version {self.version} is newer than this reader knows (9-12, Valkey 80-81): "
                                 "keys of types it does not know stop the read with an error")

    def entries(self) -> Iterator[Entry]:
        self.header()
        src, summary = self.src, self.summary
        db = 0
        expire = idle = freq = None
        first_key = True
        string_encoding = self.string_encoding
        while True:
            buf, pos = src.buf, src.pos
            if pos + FAST_WINDOW <= len(buf) and buf[pos] == STRING and buf[pos + 1] < 0x40 and not first_key:
                # The common record, a short string under a short key, read in place: this loop is the
                # reader's cost per key on most dumps, so it avoids every call it can.
                k0 = pos + 2
                k1 = k0 + buf[pos + 1]
                b = buf[k1]
                if b < 0x40:
                    v0, length = k1 + 1, b
                    stored = length
                elif b < 0x80:
                    v0, length = k1 + 2, ((b & 0x3F) << 8) | buf[k1 + 1]
                    stored = length
                elif b == 0xC3 and buf[k1 + 1] < 0x80 and buf[k1 + 2] < 0x80:  # LZF, lengths of 6 or 14 bits
                    c = buf[k1 + 1]
                    if c < 0x40:
                        stored, u = c, k1 + 2
                    else:
                        stored, u = ((c & 0x3F) << 8) | buf[k1 + 2], k1 + 3
                    c = buf[u]
                    if c < 0x40:
                        length, v0 = c, u + 1
                    elif c < 0x80:
                        length, v0 = ((c & 0x3F) << 8) | buf[u + 1], u + 2
                    else:
                        length = v0 = -1
                else:
                    v0 = length = stored = -1
                if length >= 0 and v0 + stored <= len(buf):
                    encoding = None
                    if length <= 20 and stored == length:
                        value = buf[v0:v0 + length]
                        digits = value[1:] if value[:1] == b"-" else value
                        if digits.isdigit() and (digits[:1] != b"0" or value == b"0") and -(1 << 63) <= int(value) < (1 << 63):
                            encoding = "int"
                    if encoding is None:
                        encoding = ("embstr" if length <= 44 else "raw") if self.embed_budget is None else \
                            string_encoding(k1 - k0, length, expire is not None)
                    src.pos = v0 + stored
                    yield Entry(db, buf[k0:k1], "string", encoding, v0 + stored - pos, length, expire, idle, freq,
                                0, length)
                    expire = idle = freq = None
                    continue
            if pos >= len(buf):
                src.fill(1, "the next record")
            at = src.offset()
            op = src.buf[src.pos]
            src.pos += 1
            if op < OP_SLOT_IMPORT:
                if first_key:
                    self.writer()
                    first_key = False
                key = self.string("a key name")
                yield self.value(op, db, key, at, expire, idle, freq)
                expire = idle = freq = None
            elif op == OP_EXPIRETIME_MS:
                expire = _q.unpack(src.take(8, "an expiry"))[0]
            elif op == OP_EXPIRETIME:
                expire = _I.unpack(src.take(4, "an expiry"))[0] * 1000
            elif op == OP_IDLE:
                idle = self.length("an idle time")
            elif op == OP_FREQ:
                freq = src.take(1, "an LFU counter")[0]
            elif op == OP_SELECTDB:
                db = self.length("a database number")
            elif op == OP_RESIZEDB:
                summary.resize_hints[db] = (self.length("a resize hint"), self.length("a resize hint"))
            elif op == OP_AUX:
                name = self.string("an aux field name").decode("utf-8", "replace")
                value = self.string("an aux field value")
                if name in SHOWN_AUX:
                    summary.aux[name] = value.decode("utf-8", "replace")
                else:
                    summary.other_aux[name] = summary.other_aux.get(name, 0) + len(value)
            elif op == OP_FUNCTION2:
                code = self.string("a function library")
                summary.functions.append(_library(code))
            elif op == OP_FUNCTION_PRE_GA:
                name = self.string("a function name")
                engine = self.string("a function engine")
                if self.length("a function description flag"):
                    self.skip_string("a function description")
                size = self.skip_string("a function library")
                summary.functions.append({"library": name.decode("utf-8", "replace"),
                                          "engine": engine.decode("utf-8", "replace"), "bytes": size})
            elif op == OP_MODULE_AUX:
                start = src.offset()
                name, _ = module_name(self.length("a module id"))
                if self.length("a module aux 'when' opcode") != 2:
                    raise self.corrupt("module aux data without its 'when' field", start)
                self.length("a module aux 'when' value")
                self.module_value(f"{name} aux data")
                summary.module_aux[name] = summary.module_aux.get(name, 0) + src.offset() - start
            elif op == OP_SLOT_INFO:
                self.length("slot info")
                self.length("slot info")
                self.length("slot info")
                summary.slot_info += 1
            elif op == OP_SLOT_IMPORT:
                self.skip_string("a slot import job name")
                for _ in range(self.count("slot import ranges", 2)):
                    self.length("a slot range")
                    self.length("a slot range")
            elif op == OP_EOF:
                self.finish()
                return
            else:
                raise self.corrupt(f"unknown record type {op}", at)

    def finish(self) -> None:
        src, summary = self.src, self.summary
        if self.version < 5:
            summary.checksum = "none (RDB < 5)"
            return
        src._fold()
        computed = src.crc
        stored = _Q.unpack(src.take(8, "the checksum"))[0]
        if stored == 0:
            summary.checksum = "disabled (saved with rdbchecksum no)"
        elif stored != computed:
            raise RdbError(f"corrupt: checksum mismatch at offset {src.offset() - 8} "
                           f"(file says {stored:016x}, contents give {computed:016x})")
        else:
            summary.checksum = "ok"
        if src.pos < len(src.buf) or src.stream.read(1):
            summary.notes.append(f"bytes after the end of the dump at offset {src.offset()} were ignored")

    # -- values -------------------------------------------------------------------------------
    def value(self, op: int, db: int, key: bytes, at: int, expire, idle, freq) -> Entry:
        src = self.src
        if op == STRING:
            kind, stored, length = self.string_header("a string value")
            if kind == 1:
                encoding = "int"
            else:
                encoding = None
                if kind == 0 and length <= 20 and src.pos + stored <= len(src.buf):
                    value = src.buf[src.pos:src.pos + stored]
                    digits = value[1:] if value[:1] == b"-" else value
                    if digits.isdigit() and (digits[:1] != b"0" or value == b"0") and -(1 << 63) <= int(value) < (1 << 63):
                        encoding = "int"
                if encoding is None:
                    encoding = self.string_encoding(len(key), length, expire is not None)
                src.skip(stored, "a string value")
            return Entry(db, key, "string", encoding, src.offset() - at, length, expire, idle, freq,
                         element_bytes=length)
        entry = Entry(db, key, "", "", 0, None, expire, idle, freq)
        handler = _HANDLERS.get(op)
        if op in (HASH_METADATA_PRE_GA, HASH_LISTPACK_EX_PRE_GA) and self.valkey:
            handler = _Parser.hash_valkey if op == VALKEY_HASH_2 else None
        if handler is None:
            raise self.corrupt(f"unknown value type {op} for a key", at)
        handler(self, op, entry)
        entry.size = src.offset() - at
        return entry

    def string_encoding(self, key_len: int, length: int, has_expire: bool) -> str:
        """embstr or raw, as a server of the writer's kind loads the string. Redis: up to 44 bytes.
        Valkey 8+ embeds the key and the value in one allocation when both fit a budget
        (shouldEmbedStringObject): 64 bytes in 8.x, 128 from 9.1; the figures below were measured
        by loading dumps into valkey-server 8.1.8 and 9.1.2."""
        budget = self.embed_budget
        if budget is None:
            return "embstr" if length <= 44 else "raw"  # Redis, and Valkey before 8
        if length > 255:
            return "raw"
        if budget == 64:
            return "embstr" if 23 + key_len + length <= 64 else "raw"
        key_header = 1 if key_len < 32 else 3 if key_len < 252 else 5
        return "embstr" if 8 + key_header + key_len + 2 + 3 + length + 1 <= budget else "raw"

    def plain_collection(self, op: int, e: Entry) -> None:
        kind = {LIST: "list", SET: "set", ZSET: "zset", ZSET_2: "zset", HASH: "hash"}[op]
        e.type = kind
        e.encoding = {"list": "linkedlist", "set": "hashtable", "zset": "skiplist", "hash": "hashtable"}[kind]
        n = self.count(f"a {kind}'s element count")
        e.length = n
        longest = total = 0
        skip = self.skip_string
        for _ in range(n):
            size = skip("an element")
            total += size
            if size > longest:
                longest = size
            if op == HASH:
                size = skip("a hash value")
                total += size
                if size > longest:
                    longest = size
            elif op == ZSET_2:
                self.src.skip(8, "a score")
            elif op == ZSET:
                score = self.src.take(1, "a score")[0]
                if score < 253:
                    self.src.skip(score, "a score")
        e.max_element, e.element_bytes = longest, total

    def hash_metadata(self, op: int, e: Entry) -> None:
        """Redis 7.4+: a hash whose fields may carry TTLs (the general encoding)."""
        e.type, e.encoding = "hash", "hashtable"
        if op == HASH_METADATA:
            self.src.skip(8, "a hash's minimum field expiry")
        n = self.count("a hash's field count", 3)
        e.length = n
        longest = total = ttls = 0
        for _ in range(n):
            if self.length("a field TTL"):
                ttls += 1
            for what in ("a hash field", "a hash value"):
                size = self.skip_string(what)
                total += size
                longest = max(longest, size)
        e.max_element, e.element_bytes, e.field_ttls = longest, total, ttls

    def hash_valkey(self, op: int, e: Entry) -> None:
        """Valkey 9 (RDB 80+): a hash with field TTLs, each field followed by its expiry (-1: none)."""
        e.type, e.encoding = "hash", "hashtable"
        n = self.count("a hash's field count", 10)
        e.length = n
        longest = total = ttls = 0
        for _ in range(n):
            for what in ("a hash field", "a hash value"):
                size = self.skip_string(what)
                total += size
                longest = max(longest, size)
            if _q.unpack(self.src.take(8, "a field expiry"))[0] != -1:
                ttls += 1
        e.max_element, e.element_bytes, e.field_ttls = longest, total, ttls

    def compact(self, op: int, e: Entry) -> None:
        e.type, e.encoding, divisor = _COMPACT_TYPES[op]
        at = self.src.offset()
        if op == HASH_LISTPACK_EX:
            self.src.skip(8, "a hash's minimum field expiry")
        what = f"a {e.type} {e.encoding}"
        if op in (HASH_LISTPACK_EX, HASH_LISTPACK_EX_PRE_GA):
            data = self.blob(what)  # every third entry is a TTL: the whole listpack is walked
            values = _listpack_entries(data, self, at)
            e.length = len(values) // 3
            e.field_ttls = sum(1 for ttl in values[2::3] if ttl not in (0, b"0"))
            e.element_bytes = len(data)
            return
        head, size, whole = self.blob_head(what, 10)
        e.element_bytes = size
        count = self.compact_count(e.encoding, head, size, at, whole)
        e.length = None if count is None else count // divisor
        if op == SET_INTSET and head:
            e.max_element = (0, 0, 6, 0, 11, 0, 0, 0, 20)[min(8, _I.unpack(head[:4])[0])] if len(head) >= 4 else 0

    def compact_count(self, encoding: str, head: bytes, size: int, at: int, whole=None) -> int | None:
        """The element count from a compact blob's header, walking the blob only when the header
        says the count overflowed (65535)."""
        try:
            if encoding == "listpack":
                total, count = _I.unpack(head[:4])[0], _H.unpack(head[4:6])[0]
                if total != size:
                    raise self.corrupt(f"listpack says {total} bytes, stored {size}", at)
                if count != 65535:
                    return count
                data = whole() if whole else None
                return None if data is None else len(_listpack_entries(data, self, at))
            if encoding == "ziplist":
                total, count = _I.unpack(head[:4])[0], _H.unpack(head[8:10])[0]
                if total != size:
                    raise self.corrupt(f"ziplist says {total} bytes, stored {size}", at)
                if count != 65535:
                    return count
                data = whole() if whole else None
                return None if data is None else _ziplist_count(data, self, at)
            if encoding == "intset":
                width, count = _I.unpack(head[:4])[0], _I.unpack(head[4:8])[0]
                if width not in (2, 4, 8) or 8 + width * count != size:
                    raise self.corrupt("intset header does not match its size", at)
                return count
            if encoding == "zipmap":
                return head[0] if head and head[0] < 254 else None
        except struct.error:
            raise self.corrupt(f"{encoding} shorter than its header", at) from None
        return None

    def quicklist(self, op: int, e: Entry) -> None:
        e.type, e.encoding = "list", "quicklist"
        nodes = self.count("a quicklist's node count", 2)
        e.nodes = nodes
        total = count = 0
        known = True
        for _ in range(nodes):
            at = self.src.offset()
            container = 2 if op == LIST_QUICKLIST else self.length("a quicklist container")
            if container == 1:  # a plain node: one big element
                size = self.skip_string("a plain list element")
                count += 1
                total += size
                e.max_element = max(e.max_element, size)
                continue
            if container != 2:
                raise self.corrupt(f"unknown quicklist container {container}", at)
            encoding = "ziplist" if op == LIST_QUICKLIST else "listpack"
            head, size, whole = self.blob_head(f"a quicklist {encoding} node", 10)
            total += size
            n = self.compact_count(encoding, head, size, at, whole)
            if n is None:
                known = False
            else:
                count += n
        e.length = count if known else None
        e.element_bytes = total
        if op == LIST_QUICKLIST_2 and self.version >= 11 and nodes == 1 and total and e.max_element == 0:
            e.encoding = "listpack"  # one small node: 7.2+ keeps such a list as a plain listpack

    def stream(self, op: int, e: Entry) -> None:
        e.type, e.encoding = "stream", "stream"
        src = self.src
        nodes = self.count("a stream's node count", 2)
        e.nodes = nodes
        total = 0
        for _ in range(nodes):
            at = src.offset()
            node_key = self.string("a stream node id")
            if len(node_key) != 16:
                raise self.corrupt("stream node id is not 16 bytes", at)
            head, size, _ = self.blob_head("a stream listpack", 6)
            total += size
            self.compact_count("listpack", head, size, at)
        e.element_bytes = total
        e.length = self.length("a stream length")
        self.length("a stream last id")
        self.length("a stream last id")
        if op >= STREAM_LISTPACKS_2:
            for _ in range(5):  # first id (2), max deleted id (2), entries added
                self.length("stream metadata")
        groups = self.count("a stream's group count", 3)
        e.groups = groups
        for _ in range(groups):
            self.skip_string("a consumer group name")
            self.length("a group last id")
            self.length("a group last id")
            if op >= STREAM_LISTPACKS_2:
                self.length("a group's entries read")
            pel = self.count("a group's pending count", 17)
            e.pending += pel
            for _ in range(pel):  # 16-byte id, 8-byte delivery time, delivery count
                src.skip(24, "a pending entry")
                self.length("a delivery count")
            consumers = self.count("a group's consumer count", 10)
            e.consumers += consumers
            for _ in range(consumers):
                self.skip_string("a consumer name")
                src.skip(8, "a consumer seen time")
                if op >= STREAM_LISTPACKS_3:
                    src.skip(8, "a consumer active time")
                src.skip(16 * self.count("a consumer's pending count", 16), "a consumer's pending ids")

    def module(self, op: int, e: Entry) -> None:
        at = self.src.offset()
        module_id = self.length("a module type id")
        name, _ = module_name(module_id)
        e.type, e.encoding = name, "module"
        if op == MODULE_PRE_GA:
            raise self.corrupt(f"module type {name} saved by a 4.0 release candidate (not self-describing)", at)
        self.module_value(f"a {name} value")

    def module_value(self, what: str) -> None:
        """Skip a self-describing module value (MODULE_2 opcodes up to EOF)."""
        while True:
            at = self.src.offset()
            opcode = self.length(what)
            if opcode == 0:
                return
            if opcode in (1, 2):
                self.length(what)
            elif opcode == 3:
                self.src.skip(4, what)
            elif opcode == 4:
                self.src.skip(8, what)
            elif opcode == 5:
                self.skip_string(what)
            else:
                raise self.corrupt(f"unknown module opcode {opcode} in {what}", at)


_COMPACT_TYPES = {
    HASH_ZIPMAP: ("hash", "zipmap", 2), LIST_ZIPLIST: ("list", "ziplist", 1), SET_INTSET: ("set", "intset", 1),
    ZSET_ZIPLIST: ("zset", "ziplist", 2), HASH_ZIPLIST: ("hash", "ziplist", 2), HASH_LISTPACK: ("hash", "listpack", 2),
    ZSET_LISTPACK: ("zset", "listpack", 2), SET_LISTPACK: ("set", "listpack", 1),
    HASH_LISTPACK_EX_PRE_GA: ("hash", "listpack", 3), HASH_LISTPACK_EX: ("hash", "listpack", 3),
}
_HANDLERS = {
    LIST: _Parser.plain_collection, SET: _Parser.plain_collection, ZSET: _Parser.plain_collection,
    ZSET_2: _Parser.plain_collection, HASH: _Parser.plain_collection,
    **{op: _Parser.compact for op in _COMPACT_TYPES},
    LIST_QUICKLIST: _Parser.quicklist, LIST_QUICKLIST_2: _Parser.quicklist,
    STREAM_LISTPACKS: _Parser.stream, STREAM_LISTPACKS_2: _Parser.stream, STREAM_LISTPACKS_3: _Parser.stream,
    MODULE_PRE_GA: _Parser.module, MODULE_2: _Parser.module,
    HASH_METADATA_PRE_GA: _Parser.hash_metadata, HASH_METADATA: _Parser.hash_metadata,
}


def _listpack_entries(data: bytes, parser: _Parser, at: int) -> list:
    """Every entry of a listpack: ints as int, strings as their length in bytes (values not kept)."""
    out = []
    i, end = 6, len(data) - 1
    try:
        while i < end:
            b = data[i]
            if b < 0x80:
                out.append(b)
                size = 1
            elif b < 0xC0:
                n = b & 0x3F
                out.append(n)
                size = 1 + n
            elif b < 0xE0:
                v = ((b & 0x1F) << 8) | data[i + 1]
                out.append(v - (1 << 13) if v >= 1 << 12 else v)
                size = 2
            elif b < 0xF0:
                n = ((b & 0x0F) << 8) | data[i + 1]
                out.append(n)
                size = 2 + n
            elif b == 0xF0:
                n = _I.unpack(data[i + 1:i + 5])[0]
                out.append(n)
                size = 5 + n
            elif b in (0xF1, 0xF2, 0xF3, 0xF4):
                width = {0xF1: 2, 0xF2: 3, 0xF3: 4, 0xF4: 8}[b]
                out.append(int.from_bytes(data[i + 1:i + 1 + width], "little", signed=True))
                size = 1 + width
            else:
                raise parser.corrupt(f"bad listpack entry byte 0x{b:02x}", at)
            i += size
            # the backlen: 1 byte per 7 bits of the entry size
            i += 1 if size < 128 else 2 if size < 16384 else 3 if size < 2097152 else 4 if size < 268435456 else 5
    except IndexError:
        raise parser.corrupt("listpack entry runs past its end", at) from None
    if i != end or data[end] != 0xFF:
        raise parser.corrupt("listpack does not end where its header says", at)
    return out


def _ziplist_count(data: bytes, parser: _Parser, at: int) -> int:
    i, count, end = 10, 0, len(data) - 1
    try:
        while i < end:
            i += 5 if data[i] == 254 else 1
            b = data[i]
            top = b >> 6
            if top == 0:
                i += 1 + (b & 0x3F)
            elif top == 1:
                i += 2 + (((b & 0x3F) << 8) | data[i + 1])
            elif top == 2:
                i += 5 + _BE_I.unpack(data[i + 1:i + 5])[0]
            else:
                i += 1 + {0xC0: 2, 0xD0: 4, 0xE0: 8, 0xF0: 3, 0xFE: 1}.get(b, 0)
            count += 1
    except (IndexError, struct.error):
        raise parser.corrupt("ziplist entry runs past its end", at) from None
    if i != end:
        raise parser.corrupt("ziplist does not end where its header says", at)
    return count


_LIBRARY_NAME = re.compile(rb"^#!(\w+)[^\n]*?\bname=([^\s]+)")


def _library(code: bytes) -> dict:
    """A function library's engine and name from its shebang line; the code itself is not kept."""
    match = _LIBRARY_NAME.match(code)
    return {"library": match.group(2).decode("utf-8", "replace")[:100] if match else "?",
            "engine": match.group(1).decode("utf-8", "replace") if match else "?", "bytes": len(code)}
