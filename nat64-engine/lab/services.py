#!/usr/bin/env python3
"""The lab's IPv4-only server: HTTP on port 80 serving a directory, UDP echo on port 7, and an authoritative
DNS server on port 53 (UDP) for the zone lab.test, which the appliance's DNS64 uses as its upstream.

Runs in the server namespace; started and stopped by lab.sh. Standard library only.
"""
import functools
import http.server
import socketserver
import struct
import sys
import threading

# The zone lab.test: IPv4-only names (the DNS64 synthesizes AAAA for them) and one dual-stack name (it must not).
ZONE = "lab.test."
RECORDS = {
    ("server.lab.test.", 1): [bytes([198, 51, 100, 2])],
    ("www.lab.test.", 1): [bytes([198, 51, 100, 2])],
    ("dual.lab.test.", 1): [bytes([198, 51, 100, 2])],
    ("dual.lab.test.", 28): [bytes.fromhex("20010db8000100000000000000000099")],
}
TTL = 300
# RFC 2308: a negative answer carries the zone's SOA, whose minimum field is the negative TTL.
SOA = (b"\x02ns\x03lab\x04test\x00" + b"\x0ahostmaster\x03lab\x04test\x00"
       + struct.pack("!IIIII", 1, 3600, 600, 86400, 60))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass


class Http(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class UdpEcho(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(data, self.client_address)


class Udp(socketserver.ThreadingUDPServer):
    daemon_threads = True
    allow_reuse_address = True
    max_packet_size = 65535


def parse_name(msg, pos):
    labels = []
    while True:
        n = msg[pos]
        if n == 0:
            return ".".join(labels).lower() + ".", pos + 1
        if n & 0xC0:
            raise ValueError("compression in a question")
        labels.append(msg[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n


def answer(query):
    """The response to one query, or None for what is not a query (RFC 1035 section 4.1)."""
    if len(query) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", query[:6])
    if flags & 0x8000 or qd != 1:
        return None
    try:
        name, end = parse_name(query, 12)
        qtype, qclass = struct.unpack("!HH", query[end:end + 4])
    except (ValueError, IndexError, struct.error):
        return struct.pack("!HHHHHH", qid, 0x8001, 0, 0, 0, 0)  # FORMERR
    question = query[12:end + 4]
    rd = flags & 0x0100
    if not (name == ZONE or name.endswith("." + ZONE)):
        return struct.pack("!HHHHHH", qid, 0x8005 | rd, 1, 0, 0, 0) + question  # REFUSED
    rdatas = RECORDS.get((name, qtype), []) if qclass == 1 else []
    exists = name == ZONE or any(k[0] == name for k in RECORDS)
    rcode = 0 if exists else 3
    head = struct.pack("!HHHHHH", qid, 0x8400 | rd | rcode, 1, len(rdatas), 0 if rdatas else 1, 0)
    body = b""
    for rd_ in rdatas:
        body += b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, TTL, len(rd_)) + rd_
    if not rdatas:
        zone = b"\x03lab\x04test\x00"
        body += zone + struct.pack("!HHIH", 6, 1, 60, len(SOA)) + SOA
    return head + question + body


class Dns(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        response = answer(data)
        if response is not None:
            sock.sendto(response, self.client_address)


def main():
    root = sys.argv[1]
    http_server = Http(("0.0.0.0", 80), functools.partial(QuietHandler, directory=root))
    udp_server = Udp(("0.0.0.0", 7), UdpEcho)
    dns_server = Udp(("0.0.0.0", 53), Dns)
    threading.Thread(target=udp_server.serve_forever, daemon=True).start()
    threading.Thread(target=dns_server.serve_forever, daemon=True).start()
    http_server.serve_forever()


if __name__ == "__main__":
    main()
