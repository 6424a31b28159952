#!/usr/bin/python3
# rsswrap.py: run a command, sample its resident set size, report it.
# SPDX-License-Identifier: MIT
#
#     rsswrap.py OUT.json CMD [ARGS...]
#
# Runs CMD as a child, reads VmRSS from /proc/PID/status every 5 ms while
# it runs and, at exit, takes the child's own peak RSS from wait4()'s
# rusage (ru_maxrss: the child alone, not this Python process). Writes
# {"peak_kb", "wall_s", "cpu_s", "samples": [[t_s, rss_kb], ...]} to
# OUT.json (cpu_s: the child's user + system time) and
# exits with the child's status. bench/run uses it for synalign, and the
# Brian2 peers use it as the standalone device's run command, so that both
# are measured the same way.
import json
import os
import subprocess
import sys
import time


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def measure(cmd, stdout=None, period=0.005):
    """Run cmd; return (status, peak_kb, wall_s, samples, cpu_s)."""
    t0 = time.monotonic()
    child = subprocess.Popen(cmd, stdout=stdout)
    samples = []
    while True:
        pid, status, ru = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        kb = rss_kb(child.pid)
        if kb is not None:
            samples.append((time.monotonic() - t0, kb))
        time.sleep(period)
    wall = time.monotonic() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    return (child.returncode, ru.ru_maxrss, wall, samples,
            ru.ru_utime + ru.ru_stime)


def main():
    out, cmd = sys.argv[1], sys.argv[2:]
    rc, peak, wall, samples, cpu = measure(cmd)
    with open(out, "w") as f:
        json.dump({"peak_kb": peak, "wall_s": wall, "cpu_s": cpu,
                   "samples": samples}, f)
    sys.exit(rc)


if __name__ == "__main__":
    main()
