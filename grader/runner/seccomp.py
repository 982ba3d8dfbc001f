"""Layer 1's system-call filter, installed by the runner on itself before any student code runs.

Default allow (TensorFlow needs much of the kernel); deny what a grading runner never needs:
internet sockets, tracing other processes, watching files, namespaces and mounts, eBPF, keys,
kernel modules. Denied calls fail with an errno, so student code sees an ordinary error.
"""

from __future__ import annotations

import errno
import socket

DENIED = ("ptrace", "process_vm_readv", "process_vm_writev", "inotify_init", "inotify_init1",
          "fanotify_init", "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "bpf",
          "perf_event_open", "keyctl", "add_key", "request_key", "init_module", "finit_module",
          "delete_module", "kexec_load", "reboot", "swapon", "swapoff")
DENIED_FAMILIES = (socket.AF_INET, socket.AF_INET6, getattr(socket, "AF_PACKET", 17))


def install() -> None:
    import pyseccomp as sc

    f = sc.SyscallFilter(defaction=sc.ALLOW)
    for name in DENIED:
        try:
            f.add_rule(sc.ERRNO(errno.EPERM), name)
        except Exception:  # noqa: BLE001 - a syscall this architecture lacks
            continue
    for family in DENIED_FAMILIES:
        f.add_rule(sc.ERRNO(errno.EACCES), "socket", sc.Arg(0, sc.EQ, family))
    f.load()
