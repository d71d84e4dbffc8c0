#!/usr/bin/env python3
"""The lab's IPv4-only server: HTTP on port 80 serving a directory, and UDP echo on port 7.

Runs in the server namespace; started and stopped by lab.sh. Standard library only.
"""
import functools
import http.server
import socketserver
import sys
import threading


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


def main():
    root = sys.argv[1]
    http_server = Http(("0.0.0.0", 80), functools.partial(QuietHandler, directory=root))
    udp_server = Udp(("0.0.0.0", 7), UdpEcho)
    threading.Thread(target=udp_server.serve_forever, daemon=True).start()
    http_server.serve_forever()


if __name__ == "__main__":
    main()
