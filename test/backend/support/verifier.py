#!/usr/bin/env python3
# Test support: loads raw BPF programs into the running kernel with bpf(BPF_PROG_LOAD) and
# reports whether the verifier accepts each, with its log when it does not. Needs root.
# In (stdin, JSON): [{"hex": "<encoded insns>", "maps": [<slot index of each map ld_imm64>]}]
# Out (stdout, JSON): [{"ok": true|false, "log": "..."}]; exit 3 if bpf() is unavailable.
import ctypes, json, struct, sys

libc = ctypes.CDLL(None, use_errno=True)
NR_BPF = 321  # x86-64
BPF_MAP_CREATE, BPF_PROG_LOAD = 0, 5
BPF_MAP_TYPE_HASH, BPF_PROG_TYPE_KPROBE = 1, 2


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 256)
    r = libc.syscall(NR_BPF, cmd, buf, 256)
    return r, ctypes.get_errno()


map_fd, _ = bpf(BPF_MAP_CREATE, struct.pack("<IIIII", BPF_MAP_TYPE_HASH, 8, 8, 8, 0))
if map_fd < 0:
    sys.exit(3)

out = []
for prog in json.load(sys.stdin):
    code = bytearray(bytes.fromhex(prog["hex"]))
    for slot in prog["maps"]:
        p = slot * 8
        code[p + 1] = (code[p + 1] & 0x0F) | (1 << 4)  # BPF_PSEUDO_MAP_FD, as libbpf sets it
        code[p + 4 : p + 8] = struct.pack("<i", map_fd)
    insns = ctypes.create_string_buffer(bytes(code), len(code))
    lic = ctypes.create_string_buffer(b"GPL")
    log = ctypes.create_string_buffer(1 << 20)
    attr = struct.pack(
        "<IIQQIIQII16s",
        BPF_PROG_TYPE_KPROBE, len(code) // 8, ctypes.addressof(insns), ctypes.addressof(lic),
        1, len(log), ctypes.addressof(log), 0, 0, b"bpftsc_test",
    )
    fd, err = bpf(BPF_PROG_LOAD, attr)
    if fd >= 0:
        import os
        os.close(fd)
        out.append({"ok": True, "log": ""})
    else:
        out.append({"ok": False, "log": "errno %d\n%s" % (err, log.value.decode(errors="replace")[-4000:])})
json.dump(out, sys.stdout)
