"""Writes a generated Zeek conn.log (TSV, Zeek's ASCII writer layout) of N connections to stdout.

Connections are written in order of their end, as Zeek writes them, so starts are out of order;
addresses, ports, services and states vary so that the windows and value counts have work to do.
    python3 benches/zeek_log.py 10000000 > conn.log
"""
import random
import sys

n = int(sys.argv[1])
rng = random.Random(7)
out = sys.stdout
out.write(
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
    "#open\t2024-01-01-00-00-00\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t"
    "orig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\t"
    "orig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\t"
    "bool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n"
)
services = [("tcp", "http", 80), ("tcp", "ssl", 443), ("udp", "dns", 53), ("tcp", "-", 8080),
            ("tcp", "ssh", 22), ("udp", "-", 5353), ("icmp", "-", 0)]
states = ["SF", "SF", "SF", "S0", "REJ", "RSTO", "RSTR", "SH", "S1", "OTH"]
t = 1_700_000_000.0
lines = []
for i in range(n):
    t += rng.expovariate(2000.0)
    proto, service, port = services[rng.randrange(len(services))]
    dur = rng.expovariate(2.0) if rng.random() < 0.9 else rng.uniform(5, 60)
    state = states[rng.randrange(len(states))] if proto == "tcp" else "SF"
    ob, rb = rng.randrange(0, 5000), rng.randrange(0, 50000)
    op = 8 if proto == "icmp" else rng.randrange(1024, 65535)
    lines.append((t + dur, "%.6f\tC%d\t10.%d.%d.%d\t%d\t192.168.%d.%d\t%d\t%s\t%s\t%.6f\t%d\t%d\t%s\tT\tF\t0\tShADadFf\t%d\t%d\t%d\t%d\t-\n" % (
        t, i, rng.randrange(4), rng.randrange(256), rng.randrange(1, 255), op,
        rng.randrange(8), rng.randrange(1, 255), port, proto, service, dur, ob, rb, state,
        rng.randrange(1, 20), ob + 40, rng.randrange(1, 20), rb + 40)))
    if len(lines) >= 200_000:
        lines.sort()
        cut = lines[: len(lines) // 2]
        out.write("".join(l for _, l in cut))
        lines = lines[len(lines) // 2:]
lines.sort()
out.write("".join(l for _, l in lines))
out.write("#close\t2024-01-01-00-00-00\n")
