#!/usr/bin/python3
# brian2_reference.py: cross-simulator reference for synalign's lif_exp.
# SPDX-License-Identifier: MIT
#
# Run with the Debian interpreter (Brian2 2.5.1 is installed for it only):
#     /usr/bin/python3 tools/brian2_reference.py
# Writes tests/data/crosssim.json (the network in synalign's format) and
# tests/data/crosssim_brian2.txt ("population node_id time_ms", sorted by
# time, population name, node), both relative to the repository root.
#
# ---------------------------------------------------------------------------
# Brian2 <-> NEST (synalign) grid semantics, dt = h = 0.1 ms
# ---------------------------------------------------------------------------
# NEST/synalign, update k -> k+1 (t = k*h):
#   (1) V advances over [t, t+h] with the exact propagators (currents decay
#       inside the step) unless refractory; if refractory the counter
#       decrements and V stays at V_reset;
#   (2) I_ex, I_in decay by exp(-h/tau_syn); the weights of spikes arriving
#       at tick k+1 are added;
#   (3) V >= V_th -> spike stamped k+1, V = V_reset, counter = round(t_ref/h).
#   A spike stamped s with delay d ticks makes its current jump at s+d.
#
# Brian2, default schedule groups -> thresholds -> synapses -> resets, in the
# step whose clock reads t_i:
#   groups (method 'exact') integrate V, I_ex, I_in from t_i to t_i + h, so
#   after it the state is the state at physical time t_i + h; the thresholder
#   then tests that state and SpikeMonitor records the spike at t_i.
#   => a Brian2 spike recorded at t_i is the NEST spike stamped t_i/h + 1:
#      reported times are shifted by +h (Brian 4.7 ms == NEST 4.8 ms).
#   A spike found at t_i with delay d (rounded to ticks by Brian's
#   SpikeQueue, same as NEST) is applied by on_pre in the synapses slot of
#   step t_i + d, i.e. after that step's integration: the state then stands
#   for physical time t_i + d + h = s + d, so I jumps exactly at s + d and V
#   at s + d is unaffected. Delays are passed to Brian UNCHANGED. The jump
#   lands after the thresholder, but on_pre touches only I, so this order
#   equals NEST's (2)-before-(3). Reset comes after on_pre; it touches V only.
#   Refractoriness: Brian computes not_refractory = timestep(t - lastspike)
#   >= timestep(refractory) at the start of the step. With lastspike = t_i =
#   (s-1)h, integration must resume in the step starting at physical
#   (s + R)h (R = round(t_ref/h)), i.e. Brian step t_j = (s+R)h, which needs
#   refractory = (R + 1)h = t_ref + h. So: refractory=t_ref + dt, V is
#   `(unless refractory)` (held at V_reset), the currents keep decaying and
#   receiving input as in NEST. Threshold is `V >= V_th` (NEST uses >=).
#   Initial V_m at t = 0 is the same in both; the first update is 0 -> h.
# Self-checks below (must pass before any file is written):
#   - one neuron, NEST defaults, I_e = 1000 pA: spikes 4.8, 11.6, 18.4 ms;
#   - one PSP (NEST's 1->2 test, exp version): pre I_e = 1450 pA spikes at
#     3.0 ms, w = 100 pA, d = 1.0 ms: post V == E_L up to and including
#     4.0 ms, afterwards the closed-form PSP (rtol 1e-9);
#   - the whole network: Brian2 (mapped) == an independent NumPy
#     implementation of the NEST update above, spike for spike.
# Tie margin: every spike must have V - V_th >= MIN_MARGIN at its step and
# every other non-refractory step V_th - V >= MIN_MARGIN (mV), so rounding
# differences between implementations cannot move a spike by a tick.
# Weights are integers (exactly representable in float32) for the same
# reason.
# ---------------------------------------------------------------------------

import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import brian2 as b2  # noqa: E402
from brian2 import ms, mV, pA, pF  # noqa: E402

b2.prefs.codegen.target = "numpy"
b2.BrianLogger.log_level_error()

DT = 0.1          # ms
DURATION = 200.0  # ms
SEED = 1
MIN_MARGIN = 1e-6  # mV

NEST_DEFAULTS = dict(C_m=250.0, tau_m=10.0, tau_syn_ex=2.0, tau_syn_in=2.0,
                     t_ref=2.0, E_L=-70.0, V_th=-55.0, V_reset=-70.0,
                     I_e=0.0)

# Populations in name order (JSON order == alphabetical order). I_e is a
# population parameter, so each current level is its own population.
# rheobase = C_m (V_th - E_L) / tau_m.
POPS = [
    # defaults, above rheobase (375 pA): free-running
    ("a_drive", 2, dict(I_e=520.0), -70.0),
    # just above rheobase, slow; starts depolarised
    ("b_slow", 1, dict(I_e=390.0), -62.0),
    # below rheobase 250 pA (V_inf = -58 mV): fires only through input
    ("c_sub", 2, dict(tau_m=15.0, tau_syn_ex=1.5, tau_syn_in=3.0,
                      t_ref=3.0, I_e=200.0), -70.0),
    # other E_L/V_th/V_reset/C_m, below rheobase 150 pA (V_inf = -53 mV)
    ("d_quiet", 2, dict(C_m=200.0, tau_m=20.0, tau_syn_ex=0.5,
                        tau_syn_in=4.0, E_L=-65.0, V_th=-50.0,
                        V_reset=-68.0, t_ref=1.5, I_e=120.0), -65.0),
    # inhibitory interneuron, below rheobase 468.75 pA (V_inf = -59.12 mV)
    ("e_inh", 1, dict(tau_m=8.0, tau_syn_ex=2.5, tau_syn_in=1.0,
                      I_e=340.0), -70.0),
]

# Projections: (name, source, target, [(src, tgt, weight pA, delay ms)]).
PROJS = [
    ("a_drive_c_sub", "a_drive", "c_sub",
     [(0, 0, 1300.0, 1.0), (1, 1, 1200.0, 2.3), (0, 1, 500.0, 0.5)]),
    ("a_drive_e_inh", "a_drive", "e_inh",
     [(0, 0, 450.0, 0.1), (1, 0, 500.0, 3.7)]),
    ("b_slow_d_quiet", "b_slow", "d_quiet",
     [(0, 0, 1500.0, 1.6), (0, 1, 1200.0, 0.1)]),
    ("c_sub_d_quiet", "c_sub", "d_quiet",
     [(0, 0, 1800.0, 0.5), (1, 1, 2100.0, 2.3), (1, 0, 900.0, 1.0)]),
    ("e_inh_a_drive", "e_inh", "a_drive",
     [(0, 1, -1500.0, 0.5), (0, 0, -400.0, 2.3)]),
    ("e_inh_c_sub", "e_inh", "c_sub",
     [(0, 0, -900.0, 1.0), (0, 1, -600.0, 0.1)]),
    ("d_quiet_b_slow", "d_quiet", "b_slow",
     [(0, 0, 600.0, 3.7), (1, 0, -800.0, 1.0)]),
    ("d_quiet_d_quiet", "d_quiet", "d_quiet",
     [(0, 1, 500.0, 2.3), (1, 0, -300.0, 0.5)]),
]


def pop_params(extra):
    p = dict(NEST_DEFAULTS)
    p.update(extra)
    return p


def flatten(pops):
    """Per-neuron arrays for one flat group; offsets per population."""
    names, offs, rows = [], {}, []
    off = 0
    for name, n, extra, v0 in pops:
        offs[name] = off
        p = pop_params(extra)
        for j in range(n):
            rows.append((name, j, p, v0))
        names.append(name)
        off += n
    return names, offs, rows


# ---------------------------------------------------------------------------
# Brian2 with the mapping above
# ---------------------------------------------------------------------------
def run_brian(pops, projs, duration, trace=False):
    b2.start_scope()
    b2.defaultclock.dt = DT * ms
    names, offs, rows = flatten(pops)
    N = len(rows)
    eqs = """
    dV/dt = -(V - E_L)/tau_m + (I_ex + I_in + I_e)/C_m : volt (unless refractory)
    dI_ex/dt = -I_ex/tau_syn_ex : amp
    dI_in/dt = -I_in/tau_syn_in : amp
    C_m : farad (constant)
    tau_m : second (constant)
    tau_syn_ex : second (constant)
    tau_syn_in : second (constant)
    E_L : volt (constant)
    V_th : volt (constant)
    V_reset : volt (constant)
    I_e : amp (constant)
    ref_b : second (constant)
    """
    G = b2.NeuronGroup(N, eqs, threshold="V >= V_th", reset="V = V_reset",
                       refractory="ref_b", method="exact")
    col = lambda k: np.array([r[2][k] for r in rows])  # noqa: E731
    G.C_m = col("C_m") * pF
    G.tau_m = col("tau_m") * ms
    G.tau_syn_ex = col("tau_syn_ex") * ms
    G.tau_syn_in = col("tau_syn_in") * ms
    G.E_L = col("E_L") * mV
    G.V_th = col("V_th") * mV
    G.V_reset = col("V_reset") * mV
    G.I_e = col("I_e") * pA
    # refractory = t_ref + dt (see the mapping above)
    G.ref_b = (np.round(col("t_ref") / DT) + 1) * DT * ms
    G.V = np.array([r[3] for r in rows]) * mV
    objs = [G]
    for sign, var in ((1, "I_ex"), (-1, "I_in")):
        src, tgt, w, d = [], [], [], []
        for _, sname, tname, syn in projs:
            for s, t, ww, dd in syn:
                if (ww > 0) == (sign > 0) and ww != 0:
                    src.append(offs[sname] + s)
                    tgt.append(offs[tname] + t)
                    w.append(ww)
                    d.append(dd)
        if not src:
            continue
        S = b2.Synapses(G, G, "w : amp (constant)",
                        on_pre=f"{var}_post += w")
        S.connect(i=np.array(src), j=np.array(tgt))
        S.w = np.array(w) * pA
        S.delay = np.array(d) * ms
        objs.append(S)
    sm = b2.SpikeMonitor(G)
    objs.append(sm)
    # V after the state update, before threshold/reset (physical t_i + dt)
    pre = b2.StateMonitor(G, ["V", "not_refractory"], record=True,
                          when="thresholds", order=-1)
    objs.append(pre)
    if trace:
        # V as NEST's multimeter reports it: after the whole step
        post = b2.StateMonitor(G, "V", record=True, when="end")
        objs.append(post)
    net = b2.Network(objs)
    net.run(duration * ms)
    stamps = np.round(np.asarray(sm.t / ms) / DT).astype(np.int64) + 1
    idx = np.asarray(sm.i)
    spikes = []
    for st, k in zip(stamps, idx):
        spikes.append((rows[k][0], rows[k][1], int(st)))
    spikes.sort(key=lambda x: (x[2], x[0], x[1]))
    # threshold margins
    V = np.asarray(pre.V / mV)             # [N, steps]
    nr = np.asarray(pre.not_refractory)
    vth = col("V_th")[:, None]
    spiked = np.zeros_like(nr, dtype=bool)
    spiked[idx, stamps - 1] = True
    above = (V - vth)[spiked]
    below = (vth - V)[nr & ~spiked]
    out = dict(spikes=spikes,
               margin_spike=float(above.min()) if above.size else np.inf,
               margin_miss=float(below.min()) if below.size else np.inf)
    if trace:
        out["V"] = np.asarray(post.V / mV)
    return out


# ---------------------------------------------------------------------------
# Independent NumPy implementation of the NEST iaf_psc_exp update
# ---------------------------------------------------------------------------
def run_nest_numpy(pops, projs, duration):
    names, offs, rows = flatten(pops)
    N = len(rows)
    h = DT
    col = lambda k: np.array([r[2][k] for r in rows])  # noqa: E731
    C, tm, tse, tsi = col("C_m"), col("tau_m"), col("tau_syn_ex"), col("tau_syn_in")
    EL, th, vr, Ie = col("E_L"), col("V_th") - col("E_L"), \
        col("V_reset") - col("E_L"), col("I_e")
    refc = np.round(col("t_ref") / h).astype(int)
    P22 = np.exp(-h / tm)
    P11e, P11i = np.exp(-h / tse), np.exp(-h / tsi)
    P21e = tse * tm / (C * (tm - tse)) * (P22 - P11e)
    P21i = tsi * tm / (C * (tm - tsi)) * (P22 - P11i)
    P20 = tm / C * (1.0 - P22)
    y = np.array([r[3] for r in rows]) - EL
    Iex, Iin = np.zeros(N), np.zeros(N)
    r = np.zeros(N, dtype=int)
    out_syn = [[] for _ in range(N)]
    for _, sname, tname, syn in projs:
        for s, t, w, d in syn:
            out_syn[offs[sname] + s].append((offs[tname] + t, w,
                                             int(round(d / h))))
    nsteps = int(round(duration / h))
    ring_e = {}
    ring_i = {}
    spikes = []
    for k in range(nsteps):
        act = r == 0
        y = np.where(act, P22 * y + P21e * Iex + P21i * Iin + P20 * Ie, y)
        r = np.where(act, r, r - 1)
        Iex = Iex * P11e
        Iin = Iin * P11i
        Iex += ring_e.pop(k + 1, np.zeros(N))
        Iin += ring_i.pop(k + 1, np.zeros(N))
        fired = np.nonzero(y >= th)[0]
        for n in fired:
            r[n] = refc[n]
            y[n] = vr[n]
            spikes.append((rows[n][0], rows[n][1], k + 1))
            for t, w, d in out_syn[n]:
                ring = ring_e if w > 0 else ring_i
                ring.setdefault(k + 1 + d, np.zeros(N))[t] += w
    spikes.sort(key=lambda x: (x[2], x[0], x[1]))
    return spikes


# ---------------------------------------------------------------------------
# Self-checks of the mapping
# ---------------------------------------------------------------------------
def check_single_neuron():
    res = run_brian([("x", 1, dict(I_e=1000.0), -70.0)], [], 20.0)
    times = [round(s[2] * DT, 1) for s in res["spikes"]]
    assert times == [4.8, 11.6, 18.4], times
    print(f"check: I_e=1000 pA spikes at {times} ms (NEST: 4.8, 11.6, 18.4)")


def check_psp():
    w, d = 100.0, 1.0
    pops = [("pre", 1, dict(I_e=1450.0), -70.0), ("z_post", 1, {}, -70.0)]
    projs = [("p", "pre", "z_post", [(0, 0, w, d)])]
    res = run_brian(pops, projs, 20.0, trace=True)
    pre_sp = [s for s in res["spikes"] if s[0] == "pre"]
    assert pre_sp[0][2] == 30, pre_sp
    V = res["V"][1]                      # V[j] is V at (j+1)*dt
    t = (np.arange(V.size) + 1) * DT
    arr = pre_sp[0][2] * DT + d          # 4.0 ms
    before = t <= arr + 1e-9
    # V stays at E_L until and including the arrival tick. Brian integrates
    # absolute V (V*P22 + E_L*(1-P22) ...), so "stays" means to rounding
    # (~1 ulp); NEST/synalign integrate V - E_L and keep it bit-exact.
    dev = np.max(np.abs(V[before] - (-70.0)))
    assert dev < 1e-12, dev
    # compare up to the next pre spike's arrival (pre keeps firing)
    upto = pre_sp[1][2] * DT + d if len(pre_sp) > 1 else t[-1]
    win = ~before & (t <= upto + 1e-9)
    p = NEST_DEFAULTS
    tt = t[win] - arr
    psp = w / p["C_m"] * p["tau_m"] * p["tau_syn_ex"] / \
        (p["tau_m"] - p["tau_syn_ex"]) * \
        (np.exp(-tt / p["tau_m"]) - np.exp(-tt / p["tau_syn_ex"]))
    expect = p["E_L"] + psp
    rel = np.max(np.abs(V[win] - expect) / np.abs(psp))
    assert rel < 1e-9, rel
    print(f"check: PSP, pre spike 3.0 ms, V == E_L (|dV| {dev:.0e} mV) "
          f"through {arr:.1f} ms, closed form {arr + DT:.1f}..{upto:.1f} ms "
          f"(max rel err {rel:.1e})")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    check_single_neuron()
    check_psp()
    res = run_brian(POPS, PROJS, DURATION)
    ref = run_nest_numpy(POPS, PROJS, DURATION)
    spikes = res["spikes"]
    if spikes != ref:
        for a, b in zip(spikes, ref):
            if a != b:
                print(f"first mismatch: brian2 {a} numpy {b}")
                break
        sys.exit(f"Brian2 ({len(spikes)}) and NumPy NEST ({len(ref)}) differ")
    print(f"check: Brian2 == NumPy NEST implementation, {len(spikes)} spikes")
    margin = min(res["margin_spike"], res["margin_miss"])
    print(f"threshold margin: min(V - V_th) at spikes = "
          f"{res['margin_spike']:.3e} mV, min(V_th - V) at other "
          f"non-refractory steps = {res['margin_miss']:.3e} mV")
    if margin < MIN_MARGIN:
        sys.exit(f"threshold margin {margin:.3e} mV below {MIN_MARGIN} mV")
    counts = {}
    for s in spikes:
        counts[s[0]] = counts.get(s[0], 0) + 1
    for name, n, _, _ in POPS:
        if counts.get(name, 0) == 0:
            sys.exit(f"population {name} never fires: not a useful test")

    # the reference must be sensitive to what it is meant to catch: every
    # projection, every delay being one tick off, receptor routing.
    for i in range(len(PROJS)):
        assert run_nest_numpy(POPS, PROJS[:i] + PROJS[i + 1:],
                              DURATION) != spikes, f"{PROJS[i][0]} inert"
    later = [(a, b, c, [(s, t, w, d + DT) for s, t, w, d in syn])
             for a, b, c, syn in PROJS]
    assert run_nest_numpy(POPS, later, DURATION) != spikes
    print("check: removing any projection or adding a tick to the delays "
          "changes the spikes")

    cfg = {"dt": DT, "duration": DURATION, "seed": SEED,
           "populations": {}, "projections": [],
           "record": {"spikes": "all"}}
    for name, n, extra, v0 in POPS:
        cfg["populations"][name] = {"model": "lif_exp", "n": n,
                                    "params": pop_params(extra),
                                    "init": {"V_m": v0}}
    for pname, sname, tname, syn in PROJS:
        cfg["projections"].append({
            "name": pname, "source": sname, "target": tname,
            "connector": {"type": "list",
                          "source": [s[0] for s in syn],
                          "target": [s[1] for s in syn],
                          "weight": [s[2] for s in syn],
                          "delay": [s[3] for s in syn]}})
    ddir = os.path.join(root, "tests", "data")
    os.makedirs(ddir, exist_ok=True)
    with open(os.path.join(ddir, "crosssim.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    with open(os.path.join(ddir, "crosssim_brian2.txt"), "w") as f:
        for name, node, st in spikes:
            f.write(f"{name} {node} {st * DT:.1f}\n")
    print("per population: " +
          ", ".join(f"{k} {counts[k]}" for k in sorted(counts)))
    print(f"spike count: {len(spikes)}")


if __name__ == "__main__":
    main()
