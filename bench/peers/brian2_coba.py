#!/usr/bin/python3
# brian2_coba.py: bench/coba.json in Brian2.
# SPDX-License-Identifier: MIT
#
#     /usr/bin/python3 bench/peers/brian2_coba.py --mode runtime|standalone
#         [--duration 1000] [--seed 42] [--threads 1] [--builddir DIR]
#         [--method euler] [--g-init example|zero]
#
# Brian's COBA example (benchmark 1 of Brette et al. 2007, R. Brette, as in
# Brian 1 and early Brian2 examples/COBA.py) with its numbers, in physical
# units: v is measured there from E_L = -60 mV and the conductances in
# units of g_L = 10 nS (tau_m = 20 ms, so C_m = 200 pF): thresholds 10 mV
# -> V_th = -50 mV, reset 0 -> -60 mV, Ee = 60 mV -> E_ex = 0 mV,
# Ei = -20 mV -> E_in = -80 mV, we = 6/10 -> 6 nS, wi = 67/10 -> 67 nS,
# p = 0.02, refractory 5 ms, Euler integration (the example's method),
# v(0) = (randn() * 5 - 5) mV above E_L.
# As synalign runs it (bench/coba.json): threshold v >= V_th,
# refractory t_ref + dt = 5.1 ms, delay 0.1 ms (tools/brian2_reference.py);
# the conductances start as in the example, N(4, 1.5) g_L and N(20, 12) g_L
# (--g-init zero starts them at 0), and the "kick" population of
# bench/coba.json, the same spike times, makes sure the activity starts
# (the network is bistable: see bench/README.md).
# Prints one RESULT line (bench/peers/b2common.py says what is measured).
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import b2common  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    args = b2common.parse(__doc__, method="euler", g_init="example",
                          net=os.path.join(ROOT, "coba.json"))
    name = f"coba_{args.method}_{args.g_init}_t{args.threads}"
    b2 = b2common.setup(args, name)
    from brian2 import ms, mV, nS, pF
    with open(args.net) as f:
        cfg = json.load(f)
    ne = cfg["populations"]["exc"]["n"]
    ni = cfg["populations"]["inh"]["n"]
    N = ne + ni
    ns = dict(C_m=200 * pF, g_L=10 * nS, E_L=-60 * mV, V_th=-50 * mV,
              V_r=-60 * mV, E_ex=0 * mV, E_in=-80 * mV, tau_e=5 * ms,
              tau_i=10 * ms, we=6 * nS, wi=67 * nS)
    eqs = """
    dv/dt = (g_L * (E_L - v) + ge * (E_ex - v) + gi * (E_in - v)) / C_m
            : volt (unless refractory)
    dge/dt = -ge / tau_e : siemens
    dgi/dt = -gi / tau_i : siemens
    """
    P = b2.NeuronGroup(N, eqs, threshold="v >= V_th", reset="v = V_r",
                       refractory=5.1 * ms, method=args.method,
                       namespace=ns)
    P.v = "E_L + (randn() * 5 - 5) * mV"
    if args.g_init == "example":
        P.ge = "(randn() * 1.5 + 4) * g_L"
        P.gi = "(randn() * 12 + 20) * g_L"
    Ce = b2.Synapses(P, P, on_pre="ge += we", delay=0.1 * ms, namespace=ns)
    Ci = b2.Synapses(P, P, on_pre="gi += wi", delay=0.1 * ms, namespace=ns)
    Ce.connect(f"i < {ne}", p=0.02)
    Ci.connect(f"i >= {ne}", p=0.02)
    objs = [P, Ce, Ci]
    kick = cfg["populations"].get("kick")
    if kick:
        # The kick's spike trains and wiring exactly as in the JSON.
        idx, times = [], []
        for k, ts in enumerate(kick["spike_times"]):
            idx += [k] * len(ts)
            times += ts
        # SpikeGeneratorGroup reports a spike at t in the step starting at
        # t - dt ... t; synalign's source stamps it t: shift by one tick.
        K = b2.SpikeGeneratorGroup(kick["n"], idx,
                                   [t - 0.1 for t in times] * ms)
        objs.append(K)
        for pj in cfg["projections"]:
            if pj["source"] != "kick":
                continue
            tgt = P[:ne] if pj["target"] == "exc" else P[ne:]
            S = b2.Synapses(K, tgt, on_pre=f"ge += {pj['weight']}*nS",
                            delay=pj["delay"] * ms)
            S.connect(p=pj["connector"]["p"])
            objs.append(S)
    mon = b2.SpikeMonitor(P, record=False)
    objs.append(mon)
    net = b2.Network(*objs)
    b2common.run(b2, args, net, N, lambda: len(Ce) + len(Ci),
                 lambda: mon.num_spikes,
                 {"net": "coba", "method": args.method,
                  "g_init": args.g_init})


if __name__ == "__main__":
    main()
