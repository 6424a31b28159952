#!/usr/bin/python3
# brian2_cuba.py: bench/cuba.json (and the scaling series) in Brian2.
# SPDX-License-Identifier: MIT
#
#     /usr/bin/python3 bench/peers/brian2_cuba.py --mode runtime|standalone
#         [--n 4000] [--indegree 80] [--duration 1000] [--seed 42]
#         [--threads 1] [--builddir DIR]
#
# Brian2's CUBA example (examples/CUBA.py: Vogels & Abbott 2005 as
# benchmark 2 of Brette et al. 2007), written as synalign runs it:
#   - dv/dt = (ge + gi - (v - El))/taum with ge, gi in volts is lif_exp
#     with I = ge C_m/tau_m: jumps of 1.62 mV and -9 mV are 20.25 pA and
#     -112.5 pA for C_m = 250 pF, tau_m = 20 ms (bench/cuba.json);
#   - 'exact' integration (the example's 'linear'): the same propagators;
#   - threshold v >= Vt (NEST), refractory t_ref + dt = 5.1 ms and delay
#     0.1 ms (the example has none; synalign's minimum is one tick): with
#     Brian2's schedule this is NEST's update, tick for tick
#     (tools/brian2_reference.py);
#   - each pair connected with p = indegree / N from the first 0.8 N
#     (excitatory) and the rest (inhibitory); N = 4000, indegree 80 is the
#     example's p = 0.02. Weights scale with 80 / indegree (bench/run).
# Prints one RESULT line (bench/peers/b2common.py says what is measured).
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import b2common  # noqa: E402


def main():
    args = b2common.parse(__doc__, n=4000, indegree=80.0)
    name = f"cuba_n{args.n}_k{args.indegree:g}_t{args.threads}"
    b2 = b2common.setup(args, name)
    from brian2 import ms, mV
    N = args.n
    Ne = int(0.8 * N)
    scale = 80.0 / args.indegree
    ns = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Vt=-50 * mV,
              Vr=-60 * mV, El=-49 * mV,
              we=1.62 * scale * mV, wi=-9.0 * scale * mV)
    eqs = """
    dv/dt = (ge + gi - (v - El)) / taum : volt (unless refractory)
    dge/dt = -ge / taue : volt
    dgi/dt = -gi / taui : volt
    """
    P = b2.NeuronGroup(N, eqs, threshold="v >= Vt", reset="v = Vr",
                       refractory=5.1 * ms, method="exact", namespace=ns)
    P.v = "Vr + rand() * (Vt - Vr)"
    p = args.indegree / N
    Ce = b2.Synapses(P, P, on_pre="ge += we", delay=0.1 * ms, namespace=ns)
    Ci = b2.Synapses(P, P, on_pre="gi += wi", delay=0.1 * ms, namespace=ns)
    Ce.connect(f"i < {Ne}", p=p)
    Ci.connect(f"i >= {Ne}", p=p)
    mon = b2.SpikeMonitor(P, record=False)
    net = b2.Network(P, Ce, Ci, mon)
    b2common.run(b2, args, net, N, lambda: len(Ce) + len(Ci),
                 lambda: mon.num_spikes,
                 {"net": "cuba", "indegree": args.indegree})


if __name__ == "__main__":
    main()
