#!/usr/bin/env python3
"""A tiny DNS stand-in: the only resolver of the simulated workspace.

    dns.py NAME=IP ...      (NAME may start with "*." for a whole zone;
                             IP "self" = this container's address)

Answers A queries for the given names, NXDOMAIN for every other name (the
workspace's network is internal: nothing outside exists). Logs each query to
stdout, so a test can tell which names were looked up.
"""
import socket
import struct
import sys


def own_ip():
    return socket.gethostbyname(socket.gethostname())


def parse_name(data, off):
    labels = []
    while True:
        length = data[off]
        if length == 0:
            return ".".join(labels), off + 1
        if length & 0xC0:
            raise ValueError("compressed name in a question")
        labels.append(data[off + 1:off + 1 + length].decode("ascii", "replace"))
        off += 1 + length


def lookup(records, name):
    name = name.lower().rstrip(".")
    if name in records:
        return records[name]
    for pattern, ip in records.items():
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return ip
    return None


def answer(records, data):
    ident, flags, qdcount = struct.unpack(">HHH", data[:6])
    name, off = parse_name(data, 12)
    qtype, qclass = struct.unpack(">HH", data[off:off + 4])
    question = data[12:off + 4]
    ip = lookup(records, name)
    rd = flags & 0x0100
    if ip is None:
        header = struct.pack(">HHHHHH", ident, 0x8180 | rd | 3, 1, 0, 0, 0)
        return header + question, name, qtype, "NXDOMAIN"
    if qtype != 1:  # a known name without records of that type
        header = struct.pack(">HHHHHH", ident, 0x8180 | rd, 1, 0, 0, 0)
        return header + question, name, qtype, "NODATA"
    header = struct.pack(">HHHHHH", ident, 0x8180 | rd, 1, 1, 0, 0)
    rr = struct.pack(">HHHIH", 0xC00C, 1, 1, 30, 4) + socket.inet_aton(ip)
    return header + question + rr, name, qtype, ip


def main():
    me = own_ip()
    records = {}
    for arg in sys.argv[1:]:
        name, ip = arg.split("=", 1)
        records[name.lower()] = me if ip == "self" else ip
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", 53))
    print(f"dns stand-in on {me}:53 for {records}", flush=True)
    while True:
        data, peer = sock.recvfrom(512)
        try:
            reply, name, qtype, result = answer(records, data)
        except (ValueError, IndexError, struct.error) as err:
            print(f"{peer[0]} bad query: {err}", flush=True)
            continue
        print(f"{peer[0]} {name} type={qtype} -> {result}", flush=True)
        sock.sendto(reply, peer)


if __name__ == "__main__":
    main()
