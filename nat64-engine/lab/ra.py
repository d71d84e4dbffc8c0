#!/usr/bin/env python3
"""Router advertisements with a PREF64 option (RFC 8781) for the lab, which has no radvd.

Usage: ra.py DEVICE PREFIX [LIFETIME]   e.g. ra.py rc 64:ff9b::/96 1800
Sends an RA to ff02::1 on DEVICE every 10 s and whenever a router solicitation arrives; router lifetime 0 (it
only carries the option: hosts keep their default routes), hop limit 255 as RFC 4861 requires. Runs in the router
namespace; started and stopped by lab.sh. Standard library only.
"""
import ipaddress
import select
import socket
import struct
import sys

PLC = {96: 0, 64: 1, 56: 2, 48: 3, 40: 4, 32: 5}


def main():
    dev, prefix = sys.argv[1], ipaddress.IPv6Network(sys.argv[2])
    lifetime = int(sys.argv[3]) if len(sys.argv) > 3 else 1800
    if prefix.prefixlen not in PLC:
        sys.exit("ra.py: an RFC 6052 prefix is /32, /40, /48, /56, /64 or /96, not /%d" % prefix.prefixlen)
    scaled = min(8191, (lifetime + 7) // 8)
    option = struct.pack("!BBH", 38, 2, (scaled << 3) | PLC[prefix.prefixlen]) + prefix.network_address.packed[:12]
    ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 0, 0, 0) + option
    index = socket.if_nametoindex(dev)
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
    print("advertising PREF64 %s, lifetime %d s, on %s" % (prefix, scaled * 8, dev), flush=True)
    while True:
        s.sendto(ra, ("ff02::1", 0, 0, index))
        deadline_reached = False
        while not deadline_reached:
            r, _, _ = select.select([s], [], [], 10)
            if not r:
                deadline_reached = True
                continue
            data = s.recv(2048)
            if data and data[0] == 133:  # a router solicitation: answer now
                break


if __name__ == "__main__":
    main()
