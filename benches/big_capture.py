"""Writes a large pcap for benches/pcap-memory.sh: the records of a capture repeated COPIES times,
each copy shifted in time past the end of the one before (so its connections are new ones).

    python big_capture.py IN.pcap[.gz] OUT.pcap COPIES
"""
import gzip
import struct
import sys

src, out, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = (gzip.open if src.endswith(".gz") else open)(src, "rb").read()
magic = data[:4]
endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
records = []
pos = 24
while pos + 16 <= len(data):
    sec, frac, caplen, origlen = struct.unpack(endian + "IIII", data[pos : pos + 16])
    records.append((sec, frac, data[pos + 16 : pos + 16 + caplen], origlen))
    pos += 16 + caplen
span = records[-1][0] - records[0][0] + 1
with open(out, "wb") as f:
    f.write(data[:24])
    for c in range(copies):
        shift = c * (span + 60)
        for sec, frac, payload, origlen in records:
            f.write(struct.pack(endian + "IIII", sec + shift, frac, len(payload), origlen))
            f.write(payload)
