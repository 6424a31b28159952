#!/usr/bin/env python3
"""Read synalign's binary spike stream (AER) and summarise or print it.

    synalign run examples/cuba.json --stream tcp://127.0.0.1:9000 --stream-wait &
    python3 examples/stream_client.py 127.0.0.1:9000

Standard library only. The format (docs/viewing.md, "The spike stream"):
a header, then 12-byte little-endian records (int64 tick, uint32 id); ids
at or above 0xFFFFFFF0 are markers (clock, lost, end), the others global
node ids. SPDX-License-Identifier: MIT
"""
import argparse
import socket
import struct
import sys

CLOCK, LOST, END = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
MARKERS = 0xFFFFFFF0


def read_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("stream closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return bytes(buf)


def read_header(sock):
    fixed = read_exact(sock, 40)
    magic, version, rec_size, hdr_size, n_pops, dt, start, total = \
        struct.unpack("<4sHHIIdqq", fixed)
    if magic != b"SAER" or version != 1 or rec_size != 12:
        raise ValueError("not a synalign stream (magic %r, version %d)"
                         % (magic, version))
    rest = read_exact(sock, hdr_size - 40)
    pops, off = [], 0
    for _ in range(n_pops):
        first, count, nlen = struct.unpack_from("<IIH", rest, off)
        off += 10
        name = rest[off:off + nlen].decode("utf-8")
        off += nlen
        pops.append((name, first, count))
    return {"dt": dt, "start": start, "total": total, "pops": pops}


def population_of(pops, gid):
    # Few populations: a linear scan is clear and fast enough here.
    for i, (_, first, count) in enumerate(pops):
        if first <= gid < first + count:
            return i
    return -1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("address", help="HOST:PORT (tcp:// optional)")
    ap.add_argument("--raw", action="store_true",
                    help="print one line per spike: time_ms population node")
    ap.add_argument("--every", type=float, default=1000.0,
                    help="summary interval in simulated ms (default 1000)")
    args = ap.parse_args()

    addr = args.address[6:] if args.address.startswith("tcp://") else args.address
    host, _, port = addr.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    sock = socket.create_connection((host, int(port)), timeout=60)
    hdr = read_header(sock)
    pops, dt = hdr["pops"], hdr["dt"]
    names = [p[0] for p in pops]
    out = sys.stdout
    if not args.raw:
        print("stream: dt %g ms, %d populations (%s), from %.1f of %.1f ms"
              % (dt, len(pops), ", ".join(names), hdr["start"] * dt,
                 hdr["total"] * dt), file=out)

    counts = [0] * len(pops)       # whole run
    window = [0] * len(pops)       # current summary interval
    next_report = hdr["start"] * dt + args.every
    lost = 0
    now = hdr["start"]
    pending = b""
    ended = False
    while not ended:
        chunk = sock.recv(1 << 16)
        if not chunk:
            break
        data = pending + chunk
        usable = len(data) - len(data) % 12
        pending = data[usable:]
        for tick, ident in struct.iter_unpack("<qI", data[:usable]):
            if ident < MARKERS:
                p = population_of(pops, ident)
                counts[p] += 1
                window[p] += 1
                if args.raw:
                    out.write("%.4f %s %d\n" % (tick * dt, names[p],
                                                ident - pops[p][1]))
            elif ident == CLOCK:
                now = tick
                while not args.raw and now * dt >= next_report:
                    rates = ", ".join(
                        "%s %.2f Hz" % (n, c / max(pops[i][2], 1) / (args.every / 1000))
                        for i, (n, c) in enumerate(zip(names, window)))
                    print("t = %8.1f ms: %s" % (next_report, rates), file=out)
                    window = [0] * len(pops)
                    next_report += args.every
            elif ident == LOST:
                lost += tick
            elif ident == END:
                now = tick
                ended = True
                break
    summary = "ended at %.1f ms" % (now * dt) if ended else \
        "connection closed at %.1f ms" % (now * dt)
    print("%s; spikes: %s; total %d; lost %d" % (
        summary, ", ".join("%s %d" % (n, c) for n, c in zip(names, counts)),
        sum(counts), lost), file=sys.stderr if args.raw else out)
    return 0 if ended else 1


if __name__ == "__main__":
    sys.exit(main())
