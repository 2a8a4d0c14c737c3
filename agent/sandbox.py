"""Run one shell command in a fresh bubblewrap sandbox.

Each call gets new user, pid, ipc, uts, cgroup and network namespaces (so no network at
all), read-only system directories and a read-only workspace mounted at its real path,
private tmpfs for /tmp and $HOME, an environment cleared down to PATH/HOME/LANG, no
capabilities, no nested user namespaces, a seccomp filter refusing AF_UNIX sockets (a
socket file in the workspace would otherwise be a way out), io_uring and the kernel
keyrings, and limits on processes, memory and file size. When the command ends or its time
runs out, everything it started is killed: the sandbox's pid 1 takes the whole pid
namespace with it, and the per-call cgroup is emptied as a second net.

Process limit: `ulimit -u` is not enforced for a uid that maps to root outside, so as
root the cap is a per-call cgroup (pids controller, v1 or v2) that the sandbox joins
before it runs anything; as any other user the sandbox uid maps to that user and
`ulimit -u` inside binds. Running as root also means the sandbox's uid is root to the
kernel's permission checks: hence /proc/sys read-only, a curated /etc (no shadow, no
host keys), and nothing of the host's home, /root, /var or /run mounted at all.
"""

from __future__ import annotations

import json
import os
import platform
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from itertools import count
from pathlib import Path

MAX_PROCESSES = 256
MEMORY_BYTES = 2 * 1024**3  # whole sandbox, where a memory cgroup is available
ADDRESS_SPACE_BYTES = 4 * 1024**3  # per process (ulimit -v)
FILE_SIZE_BYTES = 256 * 1024**2  # per file (ulimit -f)
TMP_BYTES = 512 * 1024**2
HOME_BYTES = 128 * 1024**2
SHM_BYTES = 64 * 1024**2
KILL_GRACE_SECONDS = 1.0

# The rg of the `ripgrep` wheel (beside the interpreter) is bound here, so commands find the rg the package ships.
TOOLS_DIR = "/opt/ask-redis/bin"
SANDBOX_PATH = f"{TOOLS_DIR}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
INSTALL_FIX = (
    "install the bubblewrap package: apt-get install bubblewrap "
    "(Debian/Ubuntu; dnf install bubblewrap on Fedora, pacman -S bubblewrap on Arch)"
)
USERNS_FIX = (
    "allow user namespaces: sysctl -w kernel.unprivileged_userns_clone=1 (Debian), "
    "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu 24.04+), "
    "or raise user.max_user_namespaces; inside a container, start it with --privileged "
    "or a seccomp profile that allows unshare"
)
CGROUP_FIX = (
    "run ask-redis as a regular user (then ulimit -u caps processes), or as root on a "
    "machine whose cgroup pids controller is writable (/sys/fs/cgroup)"
)

# /etc entries a shell and common tools need; the rest of /etc (shadow, ssh host keys,
# service configs with passwords) stays out of the sandbox.
# Each entry is one mount and costs about half a millisecond per call, so the list is short.
ETC_ENTRIES = (
    "alternatives", "debian_version", "group", "ld.so.cache", "localtime", "lsb-release",
    "magic", "nsswitch.conf", "os-release", "passwd",
)
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")

# The shell inside: limits first (they cannot be raised again without CAP_SYS_RESOURCE
# outside), then report the final working directory on a side pipe, then the command.
_SHELL_SCRIPT = (
    "ulimit -H -S -v {address_kb} -f {file_blocks} -u {processes} -c 0 || exit 126;"
    " trap 'pwd -P >&{cwd_fd} 2>/dev/null' EXIT;"
    ' eval "$1"'
)


@dataclass(frozen=True)
class Capability:
    """What the probe found: whether commands can be sandboxed, and if not why and how to fix it."""

    ok: bool
    reason: str | None = None
    fix: str | None = None
    process_limit: str = ""

    def explain(self) -> str | None:
        return None if self.ok else f"{self.reason}. Fix: {self.fix}."


@dataclass
class Result:
    output: str
    exit_code: int | None  # None when killed for its timeout
    timed_out: bool
    cwd: str | None  # final working directory the shell reported, if any
    elapsed: float


# ---------------------------------------------------------------------------- seccomp

_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_SOCKET_NR = {"x86_64": 41, "aarch64": 198}
# Refused outright: io_uring (it can open sockets without the socket syscall) and the
# kernel keyrings (keys belong to a uid, and the sandbox's uid may map to root).
_DENIED_NRS = {
    "x86_64": (425, 426, 427, 248, 249, 250),
    "aarch64": (425, 426, 427, 217, 218, 219),
}
_EPERM = 1
_AF_UNIX = 1


def seccomp_filter(machine: str | None = None) -> bytes | None:
    """A classic BPF program refusing socket(AF_UNIX, ...), io_uring and keyrings; None on unknown CPUs."""
    machine = machine or platform.machine()
    if machine not in _AUDIT_ARCH:
        return None
    allow, deny = 0x7FFF0000, 0x00050000 | _EPERM

    def op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
        return struct.pack("HBBI", code, jt, jf, k)

    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    # Instruction indexes: ALLOW and DENY are the last two.
    prog = [
        op(ld, 4),  # arch
        ("arch",),
        op(ld, 0),  # syscall number
        ("x32",),  # x86-64's x32 ABI numbers carry bit 30
        *[("deny", nr) for nr in _DENIED_NRS[machine]],
        ("socket",),
        op(ld, 16),  # args[0], low 32 bits: the address family
        ("unix",),
    ]
    allow_at, deny_at = len(prog), len(prog) + 1

    def jump(at: int, k: int, code: int = jeq, on_true: int | None = None, on_false: int | None = None) -> bytes:
        jt = (on_true - at - 1) if on_true is not None else 0
        jf = (on_false - at - 1) if on_false is not None else 0
        return op(code, k, jt, jf)

    out = []
    for at, item in enumerate(prog):
        if isinstance(item, bytes):
            out.append(item)
        elif item[0] == "arch":
            out.append(jump(at, _AUDIT_ARCH[machine], on_false=deny_at))
        elif item[0] == "x32":
            limit = 0x40000000 if machine == "x86_64" else 0xFFFFFFFF
            out.append(jump(at, limit, code=jge, on_true=deny_at))
        elif item[0] == "deny":
            out.append(jump(at, item[1], on_true=deny_at))
        elif item[0] == "socket":
            out.append(jump(at, _SOCKET_NR[machine], on_false=allow_at))
        elif item[0] == "unix":
            out.append(jump(at, _AF_UNIX, on_true=deny_at, on_false=allow_at))
    out.append(op(ret, allow))
    out.append(op(ret, deny))
    return b"".join(out)


# ----------------------------------------------------------------------------- cgroups

_call_ids = count()


class _CgroupLayout:
    """Where per-call cgroups go: one directory (v2) or one per controller (v1)."""

    def __init__(self, version: int, parents: dict[str, Path]):
        self.version = version
        self.parents = parents  # controller -> parent directory

    def describe(self) -> str:
        kinds = "+".join(sorted(self.parents))
        return f"cgroup v{self.version} ({kinds}), at most {MAX_PROCESSES} processes"


def _find_cgroups() -> _CgroupLayout | None:
    root = Path("/sys/fs/cgroup")
    try:
        if (root / "cgroup.controllers").exists():
            enabled = (root / "cgroup.subtree_control").read_text().split()
            for controller in ("pids", "memory"):
                if controller not in enabled and os.access(root / "cgroup.subtree_control", os.W_OK):
                    try:
                        (root / "cgroup.subtree_control").write_text(f"+{controller}")
                        enabled.append(controller)
                    except OSError:
                        pass
            if "pids" not in enabled:
                return None
            parents = {c: root for c in ("pids", "memory") if c in enabled}
            return _CgroupLayout(2, parents)
        parents = {}
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(","):
                if controller in ("pids", "memory"):
                    parent = root / controller / path.lstrip("/")
                    if parent.is_dir() and os.access(parent, os.W_OK):
                        parents[controller] = parent
        return _CgroupLayout(1, parents) if "pids" in parents else None
    except OSError:
        return None


class _CallCgroup:
    """The cgroup(s) of one call: created before, emptied and removed after."""

    def __init__(self, layout: _CgroupLayout):
        # pids repeat across pid namespaces, so the name also carries a random part.
        name = f"ask-redis-{os.getpid()}-{next(_call_ids)}-{os.urandom(4).hex()}"
        self.dirs: list[Path] = []
        try:
            for controller, parent in layout.parents.items():
                directory = parent / name
                if directory in self.dirs:
                    continue
                directory.mkdir()
                self.dirs.append(directory)
            for directory in self.dirs:
                if (directory / "pids.max").exists():
                    (directory / "pids.max").write_text(str(MAX_PROCESSES))
                for limit_file in ("memory.max", "memory.limit_in_bytes"):
                    if (directory / limit_file).exists():
                        (directory / limit_file).write_text(str(MEMORY_BYTES))
        except OSError:
            self.remove()
            raise

    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def remove(self) -> None:
        for directory in self.dirs:
            deadline = time.monotonic() + 2
            while directory.exists():
                self._kill_all(directory)
                try:
                    directory.rmdir()
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.01)
        self.dirs = []

    @staticmethod
    def _kill_all(directory: Path) -> None:
        kill_file = directory / "cgroup.kill"
        try:
            if kill_file.exists():
                kill_file.write_text("1")
                return
            for pid in (directory / "cgroup.procs").read_text().split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        except OSError:
            pass


# ------------------------------------------------------------------------------ probe

_probed: Capability | None = None
_cgroups: _CgroupLayout | None = None


def find_bwrap() -> str | None:
    return shutil.which("bwrap")


def probe(bwrap: str | None = None) -> Capability:
    """Whether sandboxed commands work here. Runs once per process (unless `bwrap` is given)."""
    global _probed, _cgroups
    if bwrap is None and _probed is not None:
        return _probed
    result, layout = _probe(bwrap or find_bwrap())
    if bwrap is None:
        _probed, _cgroups = result, layout
    return result


def _probe(bwrap: str | None) -> tuple[Capability, _CgroupLayout | None]:
    if platform.system() != "Linux":
        return Capability(False, "the Bash sandbox needs Linux (bubblewrap)", "run ask-redis on Linux, or in a Linux VM"), None
    if not bwrap or not os.access(bwrap, os.X_OK):
        return Capability(False, "bubblewrap (bwrap) is not installed", INSTALL_FIX), None
    if not Path("/bin/bash").exists() and not Path("/usr/bin/bash").exists():
        return Capability(False, "bash is not installed", "install bash"), None
    layout = _find_cgroups() if os.geteuid() == 0 else None
    if os.geteuid() == 0 and layout is None:
        return Capability(False, "running as root with no writable cgroup pids controller, so processes could not be capped", CGROUP_FIX), None
    process_limit = layout.describe() if layout else f"ulimit -u {MAX_PROCESSES} (uid {os.getuid()})"
    with tempfile.TemporaryDirectory(prefix="ask-redis-probe-") as workspace:
        try:
            result = _run(bwrap, layout, "echo sandbox-ok", Path(workspace), Path(workspace), 10, 4096)
        except OSError as error:
            return Capability(False, f"bubblewrap could not start: {error}", INSTALL_FIX), None
    if result.exit_code == 0 and result.output.strip() == "sandbox-ok":
        return Capability(True, process_limit=process_limit), layout
    detail = result.output.strip().splitlines()[-1] if result.output.strip() else f"exit code {result.exit_code}"
    if "Unknown option" in detail:
        return Capability(False, f"this bubblewrap is too old ({detail})", "install bubblewrap 0.5 or newer"), None
    return Capability(False, f"bubblewrap cannot create the sandbox's namespaces ({detail})", USERNS_FIX), None


# -------------------------------------------------------------------------------- run


# Directories whose bind as the workspace would replace the sandbox's own /proc, /dev, /sys or /tmp.
SYSTEM_MOUNTS = ("/proc", "/sys", "/dev", "/tmp", "/run", "/etc", "/usr", "/bin", "/sbin", "/lib", "/lib64", "/boot", "/var")


def workspace_problem(workspace: Path) -> str | None:
    """Why `workspace` cannot be the tools' workspace, or None. `/` would put the host's /proc (every process
    and its command line), /dev and /tmp in the sandbox's reach, and Read and Grep next to them."""
    real = Path(os.path.realpath(workspace))
    if real == Path("/"):
        return "the workspace cannot be / (it would expose the host's /proc, /dev and /tmp); pass --repo PROJECT"
    for mount in SYSTEM_MOUNTS:
        if real == Path(mount) or (mount in ("/proc", "/sys", "/dev") and Path(mount) in real.parents):
            return f"the workspace cannot be {real} (a system directory); pass --repo PROJECT"
    return None


def run(command: str, workspace: Path, cwd: Path | None = None, timeout: float = 120.0, max_chars: int = 30_000,
        masked: list[tuple[str, str]] | None = None) -> Result:
    """Run `command` with bash in a fresh sandbox; raises RuntimeError if the probe failed or the workspace is
    refused. `masked`: (masked copy, path in the workspace) pairs bound read-only over the originals."""
    capability = probe()
    if not capability.ok:
        raise RuntimeError(capability.explain())
    problem = workspace_problem(workspace)
    if problem:
        raise RuntimeError(problem)
    workspace = workspace.resolve()
    return _run(find_bwrap(), _cgroups, command, workspace, (cwd or workspace).resolve(), timeout, max_chars, masked)


def _home() -> Path | None:
    home = os.environ.get("HOME")
    if not home or not os.path.isabs(home):
        return None
    return Path(os.path.normpath(home))


# Options newer than bubblewrap 0.5 (Ubuntu 22.04 ships 0.6.1): left out, with their
# value, when the installed bwrap does not know them. {option: how many values follow}
OPTIONAL_OPTIONS = {"--disable-userns": 0, "--size": 1}
_unknown_options: dict[str, frozenset[str]] = {}


def unknown_options(bwrap: str) -> frozenset[str]:
    """Which of OPTIONAL_OPTIONS this bwrap lacks (asked once per bwrap path)."""
    if bwrap not in _unknown_options:
        try:
            usage = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            usage = ""
        _unknown_options[bwrap] = frozenset(o for o in OPTIONAL_OPTIONS if f"{o} " not in usage)
    return _unknown_options[bwrap]


def without(args: list[str], unknown: frozenset[str]) -> list[str]:
    kept, skip = [], 0
    for arg in args:
        if skip:
            skip -= 1
        elif arg in unknown:
            skip = OPTIONAL_OPTIONS[arg]
        else:
            kept.append(arg)
    return kept


def bwrap_args(workspace: Path, cwd: Path, seccomp_fd: int | None, masked: list[tuple[str, str]] | None = None) -> list[str]:
    """bwrap's options (without the bwrap path) for one call."""
    args = [
        "--unshare-all", "--unshare-user", "--disable-userns",
        "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "sandbox",
    ]
    for directory in SYSTEM_DIRS:
        path = Path(directory)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), directory]
        elif path.is_dir():
            args += ["--ro-bind", directory, directory]
    for entry in ETC_ENTRIES:
        args += ["--ro-bind-try", f"/etc/{entry}", f"/etc/{entry}"]
    args += ["--ro-bind-try", str(Path(sys.executable).parent / "rg"), f"{TOOLS_DIR}/rg"]
    home = _home()
    sandbox_home = "/tmp"
    # Mount parents before children: /tmp, then whichever of home and workspace is shallower.
    mounts: list[tuple[str, list[str]]] = [("/tmp", ["--size", str(TMP_BYTES), "--tmpfs", "/tmp"])]
    # The real home is replaced by an empty tmpfs, unless it is the workspace itself.
    if home and home not in (Path("/"), Path("/tmp"), workspace):
        mounts.append((str(home), ["--size", str(HOME_BYTES), "--tmpfs", str(home)]))
        sandbox_home = str(home)
    mounts.append((str(workspace), ["--ro-bind", str(workspace), str(workspace)]))
    for _, mount in sorted(mounts, key=lambda m: len(Path(m[0]).parts)):
        args += mount
    # Credential files (and any file with a secret) are seen as their masked copies: base64 or xxd inside has
    # nothing to transform.
    for source, target in masked or ():
        args += ["--ro-bind", source, target]
    # The sandbox's own /proc and /dev, mounted after the workspace so no workspace bind can replace them.
    # /proc/sys read-only: the sandbox's uid may map to root outside, and sysctl files
    # check only the uid (kernel.core_pattern would be a way out).
    args += ["--proc", "/proc", "--ro-bind", "/proc/sys", "/proc/sys", "--dev", "/dev", "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm"]
    # Everything else in the sandbox's root becomes read-only too.
    args += ["--remount-ro", "/"]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    args += [
        "--chdir", str(cwd),
        "--clearenv", "--setenv", "PATH", SANDBOX_PATH, "--setenv", "HOME", sandbox_home,
        "--setenv", "LANG", "C.UTF-8",
    ]
    return args


def _run(bwrap: str, layout: _CgroupLayout | None, command: str, workspace: Path, cwd: Path, timeout: float, max_chars: int,
         masked: list[tuple[str, str]] | None = None) -> Result:
    started = time.monotonic()
    cgroup = _CallCgroup(layout) if layout else None
    pipes: list[int] = []
    try:
        cwd_read, cwd_write = _pipe(pipes)
        info_read, info_write = _pipe(pipes)
        block_read, block_write = _pipe(pipes)
        keep_fds = [cwd_write, info_write, block_read]
        seccomp_fd = None
        program = seccomp_filter()
        if program is not None:
            seccomp_fd = os.memfd_create("ask-redis-seccomp", 0)
            pipes.append(seccomp_fd)
            os.write(seccomp_fd, program)
            os.lseek(seccomp_fd, 0, os.SEEK_SET)
            keep_fds.append(seccomp_fd)
        args = without(bwrap_args(workspace, cwd, seccomp_fd, masked), unknown_options(bwrap))
        script = _SHELL_SCRIPT.format(
            address_kb=ADDRESS_SPACE_BYTES // 1024, file_blocks=FILE_SIZE_BYTES // 1024,
            processes=MAX_PROCESSES, cwd_fd=cwd_write,
        )
        # bwrap reports the sandbox's pid on --info-fd, then waits on --block-fd: the
        # sandbox joins the call's cgroup before it runs anything.
        argv = [bwrap, *args, "--info-fd", str(info_write), "--block-fd", str(block_read),
                "--", "bash", "--noprofile", "--norc", "-c", script, "bash", command]
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=keep_fds, start_new_session=True, cwd="/",
            # bwrap's own environment stays readable in the sandbox (/proc/1/environ), so
            # it gets none of ours: no API key, no REDIS_URL.
            env={"PATH": SANDBOX_PATH, "LANG": "C.UTF-8"},
        )
    except BaseException:
        for fd in pipes:
            os.close(fd)
        if cgroup:
            cgroup.remove()
        raise
    for fd in keep_fds:
        os.close(fd)
        pipes.remove(fd)

    capture = OutputCap(max_chars)
    reports = {"cwd": bytearray(), "info": bytearray()}
    timed_out = False
    deadline = started + timeout
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ, "out")
    selector.register(cwd_read, selectors.EVENT_READ, "cwd")
    selector.register(info_read, selectors.EVENT_READ, "info")
    try:
        while selector.get_map():
            now = time.monotonic()
            if not timed_out and now >= deadline:
                timed_out = True
                _kill(process, cgroup)
                deadline = now + KILL_GRACE_SECONDS
            elif timed_out and now >= deadline:
                break  # a pipe still open after the kill: stop waiting for it
            for key, _ in selector.select(max(0.0, deadline - now)):
                data = os.read(key.fd, 65536)
                if not data:
                    selector.unregister(key.fileobj)
                elif key.data == "out":
                    capture.feed(data)
                elif len(reports[key.data]) < 8192:
                    reports[key.data] += data
                if key.data == "info" and block_write in pipes and (not data or _child_pid(reports["info"])):
                    pipes.remove(block_write)
                    _release(process, reports["info"], cgroup, block_write)
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()) if not timed_out else KILL_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill(process, cgroup)
            process.wait()
    finally:
        selector.close()
        process.stdout.close()
        for fd in pipes:
            os.close(fd)
        if process.poll() is None:
            _kill(process, cgroup)
            process.wait()
        _wait_for_namespace_end(reports["info"])
        if cgroup:
            cgroup.remove()
    lines = reports["cwd"].decode("utf-8", "replace").strip().splitlines()
    return Result(
        output=capture.text(),
        exit_code=None if timed_out else process.returncode,
        timed_out=timed_out,
        cwd=lines[-1] if lines else None,
        elapsed=time.monotonic() - started,
    )


def _pipe(opened: list[int]) -> tuple[int, int]:
    read, write = os.pipe()
    opened += [read, write]
    return read, write


def _child_pid(info: bytes) -> int | None:
    try:
        return int(json.loads(info)["child-pid"])
    except (ValueError, KeyError, TypeError):
        return None


def _release(process: subprocess.Popen, info: bytes, cgroup: _CallCgroup | None, block_write: int) -> None:
    """Put the waiting sandbox into the call's cgroup, then let it run.

    bwrap goes on at end-of-file as well as on data, so whenever the sandbox cannot be
    put in its cgroup it is killed before the pipe closes.
    """
    try:
        pid = _child_pid(info)
        if pid is None:
            raise OSError("bwrap reported no sandbox pid")
        if cgroup:
            for procs in cgroup.procs_files():
                with open(procs, "w") as handle:
                    handle.write(str(pid))
        os.write(block_write, b"x")
    except OSError:
        _kill(process, cgroup)
    finally:
        os.close(block_write)


def _wait_for_namespace_end(info: bytes, limit: float = 2.0) -> None:
    """Wait until the sandbox's pid 1 has exited: bwrap can return a moment before it.

    The kernel lets a pid namespace's init finish exiting only after every other process
    in the namespace is gone, so once it is a zombie (or reaped) nothing of the call runs.
    """
    pid = _child_pid(info)
    if pid is None:
        return
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.002)


def _kill(process: subprocess.Popen, cgroup: _CallCgroup | None) -> None:
    # bwrap runs in its own session; killing it makes --die-with-parent kill the
    # sandbox's pid 1, and the kernel then kills the rest of the pid namespace.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if cgroup:
        for directory in cgroup.dirs:
            _CallCgroup._kill_all(directory)


class OutputCap:
    """Keeps the head and tail of a stream within a budget, counting the lines left out."""

    def __init__(self, max_chars: int):
        self.half = max(1, max_chars // 2)
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.newlines = 0

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        self.newlines += data.count(b"\n")
        room = self.half - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > 4 * self.half:
                del self.tail[: len(self.tail) - self.half]

    def text(self) -> str:
        if self.total <= 2 * self.half:
            return (self.head + self.tail).decode("utf-8", "replace")
        head = bytes(self.head)
        tail = bytes(self.tail[-self.half :])
        # Cut at line boundaries so the marker sits between whole lines.
        if b"\n" in head:
            head = head[: head.rindex(b"\n") + 1]
        if b"\n" in tail[:-1]:
            tail = tail[tail.index(b"\n") + 1 :]
        left_out = self.newlines - head.count(b"\n") - tail.count(b"\n")
        omitted_bytes = self.total - len(head) - len(tail)
        marker = f"\n... [{left_out} lines truncated] ...\n" if left_out > 0 else f"\n... [{omitted_bytes} characters truncated] ...\n"
        return head.decode("utf-8", "replace") + marker + tail.decode("utf-8", "replace")
