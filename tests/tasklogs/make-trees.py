#!/usr/bin/env python3
"""Writes the committed task-history trees, in Proxmox's own formats.

    tests/tasklogs/basic/                 test_tasklog.c's case (every oddity)
    tests/hosts/extra/seed/var/log/...    the demo host's small history of VM 100

Formats (pve-common PVE::UPID, PVE::INotify):
  UPID    UPID:<node>:<pid %08X>:<pstart %08X>:<starttime %08X>:<type>:<id>:<user>:
  index   <UPID> <endtime %08X> <status>
  active  <UPID> <saved 0|1>[ <endtime %08X> <status>]
  log     tasks/<last hex digit of starttime>/<UPID>, last line TASK OK / TASK ERROR: m /
          TASK WARNINGS: n
The trees are committed; run this again only to change them (from the repo root).
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOOK = "/var/lib/vz/snippets/vfio-hook"


def upid(node, pid, pstart, start, typ, ident, user="root@pam"):
    return "UPID:%s:%08X:%08X:%08X:%s:%s:%s:" % (node, pid, pstart, start, typ, ident, user)


def refused(vmid):
    return ("hookscript error for %d on pre-start: command '%s %d pre-start' failed: exit code 1"
            % (vmid, HOOK, vmid))


class Tree:
    def __init__(self, base):
        self.base = base
        self.index = []
        self.active = []
        self.hooklog = {"hook.log": [], "hook.log.1": []}

    def write(self, rel, data):
        path = os.path.join(self.base, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())

    def log(self, u, lines, subdir=None):
        start = u.split(":")[4]
        sub = subdir if subdir is not None else start[7]
        self.write("var/log/pve/tasks/%s/%s" % (sub, u), "".join(l + "\n" for l in lines))

    def hook(self, when, vmid, phase, code, verdict, lines, file="hook.log"):
        self.hooklog[file].append(json.dumps({"time": when, "vmid": vmid, "phase": phase,
                                              "exit": code, "verdict": verdict, "lines": lines}))

    def finish(self):
        self.write("var/log/pve/tasks/index", "".join(l + "\n" for l in self.index))
        self.write("var/log/pve/tasks/active", "".join(l + "\n" for l in self.active))
        for name, lines in self.hooklog.items():
            if lines:
                self.write("var/log/vfiohelp/" + name, "".join(l + "\n" for l in lines))


# What vfio-hook prints for VM 100 on the seed host (RTX 4060 Ti at 01:00.0/.1, IOMMU
# group 12), captured from the real binary: first with the config of the seed's
# snapshot "before-gpu" (i440fx, SeaBIOS) plus hostpci0, then with the fixed config.
PRE_START_BLOCK = [
    "vfio-hook: error machine-i440fx machine: VM 100 uses the i440fx chipset (pc-i440fx-8.1); "
    "NVIDIA drivers fail with Code 43 on it and PCIe passthrough needs q35",
    "vfio-hook:   fix: qm set 100 -machine q35",
    "vfio-hook: error bios-seabios bios: VM 100 boots SeaBIOS; "
    "a passed-through GPU needs OVMF (UEFI) to initialise without Code 43",
    "vfio-hook:   fix: qm set 100 -bios ovmf",
    "vfio-hook: warn module-unknown vfio_virqfd: /etc/modules line 10 names vfio_virqfd, "
    "which kernel 6.8.12-10-pve does not have (merged into vfio since 6.2)",
    "vfio-hook:   fix: sed -i '10d' /etc/modules   # the line 'vfio_virqfd'",
    "vfio-hook: pre-start VM 100: start refused before any change (2 errors, 1 warning)",
]
PRE_START_ALLOW = [
    "vfio-hook: warn module-unknown vfio_virqfd: /etc/modules line 10 names vfio_virqfd, "
    "which kernel 6.8.12-10-pve does not have (merged into vfio since 6.2)",
    "vfio-hook:   fix: sed -i '10d' /etc/modules   # the line 'vfio_virqfd'",
    "vfio-hook: reset 0000:01:00.0 (flr)",
    "vfio-hook: reset 0000:01:00.1 (flr)",
    "vfio-hook: pre-start VM 100: start allowed (0 errors, 1 warning; 0 modules loaded, "
    "0 devices moved to vfio-pci)",
]
POST_START = [
    "vfio-hook: ok 0000:01:00.0: on vfio-pci, /dev/vfio/12 present, held by QEMU",
    "vfio-hook: ok 0000:01:00.1: on vfio-pci, /dev/vfio/12 present, held by QEMU",
]
PRE_STOP = ["vfio-hook: pre-stop VM 100: nothing to do; devices stay on vfio-pci until post-stop"]
POST_STOP = [
    "vfio-hook: devices of VM 100 stay on vfio-pci (policy post_stop=keep)",
    "vfio-hook: post-stop VM 100: done",
]


def story_of_vm100(t, node, t0):
    """Refused start, fixed start, shutdown (+ post-stop), and a start still running."""
    s1, s2, s3, s4 = t0, t0 + 600, t0 + 3600, t0 + 7200
    u1 = upid(node, 0xA1B2, 0x0012C3D4, s1, "qmstart", 100)
    t.log(u1, PRE_START_BLOCK + ["TASK ERROR: " + refused(100)])
    t.index.append("%s %08X %s" % (u1, s1 + 1, refused(100)))
    t.hook(s1, 100, "pre-start", 1, "block", PRE_START_BLOCK)

    u2 = upid(node, 0xA3C4, 0x0012F0E1, s2, "qmstart", 100)
    t.log(u2, PRE_START_ALLOW + POST_START + ["TASK OK"])
    t.index.append("%s %08X OK" % (u2, s2 + 3))
    t.hook(s2, 100, "pre-start", 0, "allow", PRE_START_ALLOW)
    t.hook(s2 + 3, 100, "post-start", 0, None, POST_START)

    u3 = upid(node, 0xB0C1, 0x00152A10, s3, "qmshutdown", 100)
    t.log(u3, PRE_STOP + ["TASK OK"])
    t.index.append("%s %08X OK" % (u3, s3 + 12))
    t.hook(s3 + 1, 100, "pre-stop", 0, None, PRE_STOP)
    t.hook(s3 + 14, 100, "post-stop", 0, None, POST_STOP)

    u4 = upid(node, 0xC2D3, 0x0017B000, s4, "qmstart", 100)
    t.log(u4, PRE_START_ALLOW)  # pre-start done, QEMU still starting: no TASK line yet
    t.hook(s4, 100, "pre-start", 0, "allow", PRE_START_ALLOW)
    return u1, u2, u3, u4


def others(t, node, t0):
    """VM 101's start and a nightly backup of VM 100: not VM 100's starts or stops."""
    u5 = upid(node, 0xA400, 0x00130000, t0 + 630, "qmstart", 101)
    t.log(u5, ["TASK OK"])
    t.index.append("%s %08X OK" % (u5, t0 + 632))
    u6 = upid(node, 0xD000, 0x00160000, t0 + 5400, "vzdump", 100)
    t.log(u6, ["INFO: starting new backup job: vzdump 100 --storage local --mode snapshot",
               "INFO: Finished Backup of VM 100 (00:01:10)", "TASK OK"])
    t.index.append("%s %08X OK" % (u6, t0 + 5470))
    return u5, u6


def basic():
    t = Tree(os.path.join(ROOT, "tests/tasklogs/basic"))
    t0 = 1762000000
    u1, u2, u3, u4 = story_of_vm100(t, "pve", t0)
    u5, u6 = others(t, "pve", t0)
    t.index.sort(key=lambda l: int(l.split(":")[4], 16))
    # A task in both active (recently finished) and index: listed once.
    t.active.append("%s 1 %08X OK" % (u2, t0 + 603))
    t.active.append("%s 0" % u4)  # still running
    # VM 101: a stop whose log is gone, and a start whose log dir is lower case.
    u7 = upid("pve", 0xA500, 0x00140000, t0 + 4000, "qmstop", 101, "admin@pve")
    t.index.append("%s %08X WARNINGS: 2" % (u7, t0 + 4001))
    u8 = upid("pve-2", 0xA600, 0x100140000, t0 + 4010, "qmstart", 101, "user@pve!token1")
    t.log(u8, ["vfio-hook: pre-start VM 101: start allowed (0 errors, 0 warnings; "
               "0 modules loaded, 0 devices moved to vfio-pci)", "TASK OK"],
          subdir=u8.split(":")[4][7].lower())
    t.index.append("%s %08X OK" % (u8, t0 + 4012))
    # Malformed lines: each skipped with a note.
    t.index += [
        "garbage that is not a task line",
        u1,                                                   # no end time, no status
        "%s 6905FC8 OK" % u1,                                 # end time of 7 digits
        "%s %08X " % (u1, t0 + 1),                            # empty status
        "UPID:pve:0000A1B2:0012C3D4:6905FC80:qmstart:../../etc:root@pam: 6905FC81 OK",
        "UPID:pve:0000A1B2:0012C3D4:6905FC80:qmstart:1x0:root@pam: 6905FC81 OK",
        "UPID:-pve:0000A1B2:0012C3D4:6905FC80:qmstart:100:root@pam: 6905FC81 OK",
        "UPID:pve:A1B2:0012C3D4:6905FC80:qmstart:100:root@pam: 6905FC81 OK",
        "UPID:pve:0000A1B2:0012C3D4:6905FC80:qmstart:100:root@pam 6905FC81 OK",
        "UPID:pve:0000A1B2:0012C3D4:6905FC80:qmstart:100:root@pam:x: 6905FC81 OK",
    ]
    t.active += ["%s 2" % u5, "%s 1 69XX0000 OK" % u5, "not even a upid 0"]
    # The refused start's log, with noise the reader must survive.
    t.log(u1, ["x" * 5000, "vfio-hook: before a NUL\x00 byte"] + PRE_START_BLOCK +
          ["TASK ERROR: " + refused(100)])
    # hook.log: an old post-stop in the rotated file, and broken lines.
    t.hook(t0 - 10000, 100, "post-stop", 0, None, POST_STOP, file="hook.log.1")
    t.hook(t0 + 4005, 101, "post-stop", 3, None,
           ["vfio-hook: warn return 0000:02:00.0: driver igb did not take the device"])
    t.hooklog["hook.log"] += [
        '{"time": 17620',
        '{"time": 1762000500, "vmid": 100, "phase": "pre-boot", "exit": 0, "lines": []}',
        '[1, 2, 3]',
        '{"time": 1762000500, "vmid": 100, "phase": "post-stop", "exit": 0, "lines": []} trailing',
    ]
    t.finish()


def demo():
    t = Tree(os.path.join(ROOT, "tests/hosts/extra/seed"))
    t0 = 1762000000
    story_of_vm100(t, "pve", t0)
    others(t, "pve", t0)
    t.index.sort(key=lambda l: int(l.split(":")[4], 16))
    t.active.append("%s 0" % upid("pve", 0xC2D3, 0x0017B000, t0 + 7200, "qmstart", 100))
    t.finish()


if __name__ == "__main__":
    basic()
    demo()
    sys.exit(0)
