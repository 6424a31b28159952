# b2common.py: what the Brian2 peers of bench/ share.
# SPDX-License-Identifier: MIT
#
# Each peer builds one network and prints ONE line
#     RESULT {"sim": "brian2", "mode": ..., "N": ..., ...}
# (JSON) that bench/run parses. Fields:
#   mode         "runtime" (Cython code objects driven from Python) or
#                "standalone" (C++ standalone project, -O3 -ffast-math
#                -march=native, Brian2's defaults)
#   N, synapses, spikes, rate_hz (spikes / N / simulated seconds), sim_s
#   loop_s       wall time of the simulation loop only. Runtime: Brian2's
#                device._last_run_time, measured inside Network.run after
#                before_run (code generation and compilation excluded).
#                Standalone: wall time (CLOCK_MONOTONIC) around the
#                network's run() in main(), code inserted with
#                device.insert_code. (Brian2's own device._last_run_time
#                for standalone comes from std::clock(), i.e. CPU time of
#                the process: equal to wall on an idle machine with one
#                thread, lower under load, summed over OpenMP threads. It
#                is reported as loop_cpu_s.)
#   build_s      wall time of everything before the loop in this process
#                (runtime) or of the standalone binary minus loop_s.
#   peak_rss_mb  runtime: ru_maxrss of this Python process (interpreter,
#                NumPy and Brian2 included); standalone: ru_maxrss of the
#                compiled binary alone (bench/peers/rsswrap.py).
#   loop_rss_mb  RSS while the loop runs: runtime: VmRSS right after run()
#                returns; standalone: median of VmRSS samples (every 5 ms)
#                over the last loop_s seconds of the binary's life.
#   threads      OpenMP threads of the standalone binary (1 = off).
# Semantics are mapped to synalign's (NEST's) as in
# tools/brian2_reference.py: refractory = t_ref + dt, delays unchanged,
# threshold V >= V_th.
import argparse
import json
import os
import resource
import sys
import time
import warnings

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))


def parse(description, **defaults):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--mode", choices=["runtime", "standalone"],
                    default="standalone")
    ap.add_argument("--duration", type=float, default=1000.0, help="ms")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=1,
                    help="OpenMP threads (standalone only)")
    ap.add_argument("--builddir", default=None,
                    help="standalone project directory (reused: Brian2 "
                    "rewrites and recompiles only changed files)")
    for k, v in defaults.items():
        ap.add_argument("--" + k.replace("_", "-"), type=type(v), default=v)
    return ap.parse_args()


def setup(args, name):
    """Import Brian2 and select the device; returns the brian2 module."""
    t0 = time.monotonic()
    import brian2 as b2
    b2.BrianLogger.log_level_error()
    b2.prefs.codegen.target = "cython"
    if args.mode == "standalone":
        d = args.builddir or os.path.join("/tmp", "synalign-bench-b2",
                                          f"{name}")
        os.makedirs(d, exist_ok=True)
        b2.set_device("cpp_standalone", directory=d, build_on_run=False)
        if args.threads > 1:
            b2.prefs.devices.cpp_standalone.openmp_threads = args.threads
        # Run the binary under rsswrap.py so that its own peak RSS and an
        # RSS trace are recorded (the device still reads the results).
        b2.prefs.devices.cpp_standalone.run_cmd_unix = [
            sys.executable, os.path.join(HERE, "rsswrap.py"), "rss.json",
            "./main"]
        args.builddir = d
    b2.defaultclock.dt = 0.1 * b2.ms
    b2.seed(args.seed)
    args._t0 = t0
    return b2


def vmrss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def run(b2, args, net, n, count_synapses, count_spikes, extra=None):
    """Run net for args.duration, print the RESULT line."""
    dur = args.duration * b2.ms
    out = {"sim": "brian2", "mode": args.mode, "threads": args.threads,
           "N": n, "sim_s": args.duration / 1000.0}
    if args.mode == "runtime":
        net.run(dur)
        loop = b2.device._last_run_time
        out["loop_rss_mb"] = vmrss_kb() / 1024.0
        out["peak_rss_mb"] = resource.getrusage(
            resource.RUSAGE_SELF).ru_maxrss / 1024.0
        out["build_s"] = (time.monotonic() - args._t0) - loop
    else:
        dev = b2.device
        dev.insert_code("before_network_run",
                        "struct timespec _sa_t0; "
                        "clock_gettime(CLOCK_MONOTONIC, &_sa_t0);")
        dev.insert_code("after_network_run",
                        "{ struct timespec _sa_t1; "
                        "clock_gettime(CLOCK_MONOTONIC, &_sa_t1); "
                        "std::ofstream _sa_f(\"results/loop_wall.txt\"); "
                        "_sa_f.precision(9); "
                        "_sa_f << (double)(_sa_t1.tv_sec - _sa_t0.tv_sec) + "
                        "1e-9 * (double)(_sa_t1.tv_nsec - _sa_t0.tv_nsec) "
                        "<< std::endl; }")
        net.run(dur)
        dev.build(directory=args.builddir, compile=True, run=True,
                  with_output=False)
        out["loop_cpu_s"] = dev._last_run_time
        with open(os.path.join(args.builddir, "results",
                               "loop_wall.txt")) as f:
            loop = float(f.read())
        with open(os.path.join(args.builddir, "rss.json")) as f:
            rss = json.load(f)
        out["peak_rss_mb"] = rss["peak_kb"] / 1024.0
        wall = rss["wall_s"]
        win = [kb for t, kb in rss["samples"] if t >= wall - loop]
        win.sort()
        out["loop_rss_mb"] = (win[len(win) // 2] / 1024.0 if win
                              else out["peak_rss_mb"])
        out["build_s"] = wall - loop
    out["loop_s"] = loop
    out["synapses"] = int(count_synapses())
    out["spikes"] = int(count_spikes())
    out["rate_hz"] = out["spikes"] / n / out["sim_s"]
    if extra:
        out.update(extra)
    print("RESULT " + json.dumps(out), flush=True)
