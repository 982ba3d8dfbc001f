"""A warm runner's own namespaces, set up inside its forked child (G, PID 1 of them).

What bwrap does for a cold runner, done after the fork: private `/tmp` and `/dev/shm`, only the run
folder and the served datasets bound from the host view, a `/proc` of the runner's own PID namespace,
the host view detached, loopback up. Plain syscalls through libc: the child imports nothing more.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import socket
import struct
from pathlib import Path

NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWPID, NEWNET = 0x20000, 0x2000000, 0x4000000, 0x8000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
OPEN_TREE_CLONE, OPEN_TREE_CLOEXEC, AT_SYMLINK_NOFOLLOW, AT_FDCWD = 1, 0o2000000, 0x100, -100
MOVE_MOUNT_F_EMPTY_PATH = 4
SYS_OPEN_TREE, SYS_MOVE_MOUNT = 428, 429  # the same number on every architecture (Linux 5.2+)
TMPFS_BYTES, SHM_BYTES = 512 << 20, 64 << 20  # as grader.runner.sandbox (not imported: it pulls in the grader)

libc = ctypes.CDLL(None, use_errno=True)


def ok(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(src: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def enc(s: str | None) -> bytes | None:
        return s.encode() if s is not None else None

    ok(libc.mount(enc(src), target.encode(), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def open_tree(path: str) -> int:
    """A detached copy of the mount tree at `path` (the grader's run folder, a tmpfs of its own when the
    grader mounted one), as a descriptor another mount namespace can attach (`attach_tree`)."""
    fd = libc.syscall(SYS_OPEN_TREE, AT_FDCWD, path.encode(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW)
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"open_tree {path}: {os.strerror(err)}")
    return fd


def attach_tree(fd: int, target: str) -> None:
    ok(libc.syscall(SYS_MOVE_MOUNT, fd, b"", AT_FDCWD, target.encode(), MOVE_MOUNT_F_EMPTY_PATH), f"move_mount {target}")


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r + "/") for r in roots)


def _mountpoint(path: str, is_dir: bool) -> None:
    for parent in reversed(Path(path).parents):
        if not parent.exists():
            os.mkdir(parent, 0o755)
            os.chmod(parent, 0o755)
    if not os.path.lexists(path):
        if is_dir:
            os.mkdir(path, 0o755)
        else:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))


def isolate_mounts(msg: dict, tree: int | None = None) -> None:
    """G's filesystem: private /tmp and /dev/shm, the run folder and served data bound, its own /proc.

    `tree`: the run folder as the grader sees it now (`open_tree`), attached at its path. A mount the
    grader made on the host after the server started (the run folder's size-capped tmpfs) never
    reaches the server's view of the host (private propagation), so it is passed as a descriptor."""
    host = str(msg.get("host_view") or "")
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount may reach the server's or host's tree
    private = ("/tmp", "/dev/shm")
    run_dir = str(msg["run_dir"])
    binds = [] if tree is not None else [(run_dir, False)]
    binds += [(str(p), True) for p in msg.get("ro_paths", ())]
    binds += [(str(p), True) for p in msg.get("roots", ()) if _under(str(p), private)]
    if not host:  # no host view: what is not under a private tmpfs stays visible at its own path
        binds = [(p, ro) for p, ro in binds if _under(p, private)]
    opened = []
    for path, ro in binds:
        src = host + path
        if os.path.exists(src):
            opened.append((os.open(src, os.O_PATH | os.O_CLOEXEC), path, ro, os.path.isdir(src)))
    for target, size in (("/tmp", TMPFS_BYTES), ("/dev/shm", SHM_BYTES)):
        mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={size}")
    if tree is not None:
        _mountpoint(run_dir, True)
        attach_tree(tree, run_dir)
        os.close(tree)
    for fd, path, ro, is_dir in opened:
        _mountpoint(path, is_dir)
        mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        if ro:
            mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)
    ok(libc.umount2(b"/proc", MNT_DETACH), "umount /proc")
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for name in ("sys", "sysrq-trigger", "irq", "bus"):  # read-only, as bwrap covers them
        with contextlib.suppress(OSError):
            mount(f"/proc/{name}", f"/proc/{name}", None, MS_BIND | MS_REC)
            mount(None, f"/proc/{name}", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    if host:
        ok(libc.umount2(host.encode(), MNT_DETACH), f"umount {host}")
        if os.path.isdir(host) and os.listdir(host):
            raise OSError(f"{host} still visible after its unmount")


def loopback_up() -> None:
    """bwrap brings `lo` up in its network namespace; so do we (nothing else exists in it)."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        ifr = fcntl.ioctl(s, 0x8913, struct.pack("16sh22x", b"lo", 0))  # SIOCGIFFLAGS
        flags = struct.unpack("16sh22x", ifr)[1]
        fcntl.ioctl(s, 0x8914, struct.pack("16sh22x", b"lo", flags | 1))  # SIOCSIFFLAGS: IFF_UP

