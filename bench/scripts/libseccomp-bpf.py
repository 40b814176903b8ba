#!/usr/bin/python3
"""Builds libseccomp's BPF for a Docker/OCI seccomp profile on x86_64, the way runc/moby hand it to
libseccomp (one rule per entry, its comparisons ANDed), and writes the raw program.

usage: libseccomp-bpf.py PROFILE.json OPTIMIZE(1|2) OUT.bpf [KERNEL]
"""
import json
import os
import sys

import seccomp

ACTIONS = {"SCMP_ACT_ALLOW": lambda e: seccomp.ALLOW, "SCMP_ACT_LOG": lambda e: seccomp.LOG,
           "SCMP_ACT_KILL": lambda e: seccomp.KILL, "SCMP_ACT_KILL_PROCESS": lambda e: seccomp.KILL_PROCESS,
           "SCMP_ACT_TRAP": lambda e: seccomp.TRAP, "SCMP_ACT_ERRNO": lambda e: seccomp.ERRNO(e)}
OPS = {"SCMP_CMP_NE": seccomp.NE, "SCMP_CMP_LT": seccomp.LT, "SCMP_CMP_LE": seccomp.LE, "SCMP_CMP_EQ": seccomp.EQ,
       "SCMP_CMP_GE": seccomp.GE, "SCMP_CMP_GT": seccomp.GT, "SCMP_CMP_MASKED_EQ": seccomp.MASKED_EQ}


def version(v):
    return [int("".join(c for c in p if c.isdigit()) or 0) for p in v.split("-")[0].split(".")]


def applies(f, include, kernel):
    if not f:
        return include
    tests = []
    if "arches" in f:
        tests.append("amd64" in f["arches"])
    if "caps" in f:
        tests.append(False)  # no capabilities, like `evfilter import` without --caps
    if "minKernel" in f:
        tests.append(version(kernel) >= version(f["minKernel"]))
    return all(tests) if include else any(tests)


def main():
    profile, level, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    kernel = sys.argv[4] if len(sys.argv) > 4 else os.uname().release
    p = json.load(open(profile))
    default_errno = p.get("defaultErrnoRet", 1)
    f = seccomp.SyscallFilter(defaction=ACTIONS[p["defaultAction"]](default_errno))
    f.set_attr(seccomp.Attr.CTL_OPTIMIZE, level)
    for e in p["syscalls"]:
        if not applies(e.get("includes"), True, kernel) or applies(e.get("excludes"), False, kernel):
            continue
        action = ACTIONS[e["action"]](e.get("errnoRet", default_errno))
        args = []
        for a in e.get("args") or []:
            if a["op"] == "SCMP_CMP_MASKED_EQ":
                args.append(seccomp.Arg(a["index"], seccomp.MASKED_EQ, a["value"], a.get("valueTwo", 0)))
            else:
                args.append(seccomp.Arg(a["index"], OPS[a["op"]], a["value"]))
        for name in e["names"]:
            try:
                f.add_rule(action, name, *args)
            except (RuntimeError, ValueError, OSError):
                pass  # unknown to this libseccomp, or equal to the default
    with open(out, "wb") as o:
        f.export_bpf(o)


main()
