package io.xlatbox.engine.e2e;

/** The python3 programs the end-to-end tests run in the lab's namespaces (standard library only). */
final class Py {
    private Py() {
    }

    /**
     * argv: host port count. {@code count} sequential HTTP GETs of / with a new connection each; prints
     * "OK n FAILED m SECONDS s" and the first failures.
     */
    static final String HTTP_LOOP = """
            import http.client, sys, time
            host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
            ok = 0
            failures = []
            ports = set()
            t0 = time.monotonic()
            for i in range(n):
                try:
                    c = http.client.HTTPConnection(host, port, timeout=5)
                    c.request("GET", "/index.html", headers={"Connection": "close"})
                    ports.add(c.sock.getsockname()[1])
                    r = c.getresponse()
                    body = r.read()
                    c.close()
                    if r.status == 200 and body.startswith(b"hello from the IPv4-only server"):
                        ok += 1
                    else:
                        failures.append("%d: status %d body %r" % (i, r.status, body[:60]))
                except Exception as e:
                    failures.append("%d: %r" % (i, e))
            print("OK %d FAILED %d SECONDS %.2f PORTS %d" % (ok, len(failures), time.monotonic() - t0, len(ports)))
            for f in failures[:10]:
                print("FAILURE", f)
            """;

    /** argv: host port. One datagram to the echo service; prints the answer. */
    static final String UDP_ONCE = """
            import socket, sys
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.settimeout(3)
            s.connect((sys.argv[1], int(sys.argv[2])))
            s.send(b"hello through NAT64")
            data, peer = s.recvfrom(2048)
            print("ECHO", data.decode(), "FROM", peer[0], peer[1])
            """;

    /**
     * argv: host port count rate. Sends {@code count} numbered datagrams at {@code rate} per second on one
     * connected socket, draining echoes as they come; waits up to 5 s for the rest. Prints
     * "SENT n RECEIVED m DUPLICATES d CORRUPT c ERRORS e SECONDS s". At most 100 datagrams are in flight: should
     * the lab's python echo server stall for a moment, the sender waits instead of overflowing that server's
     * socket buffer (a loss the translator would not have caused); a lost datagram still counts as lost.
     */
    static final String UDP_STREAM = """
            import socket, sys, time, select
            host, port, n, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            s.connect((host, port))
            s.setblocking(False)
            got = set()
            dup = corrupt = errors = 0
            pad = b"." * 56
            def drain():
                global dup, corrupt, errors
                while True:
                    try:
                        d = s.recv(2048)
                    except BlockingIOError:
                        return
                    except OSError as e:
                        errors += 1
                        print("RECV ERROR", e)
                        return
                    if len(d) != 64 or d[8:] != pad:
                        corrupt += 1
                        continue
                    k = int(d[:8])
                    if k in got:
                        dup += 1
                    got.add(k)
            t0 = time.monotonic()
            sent = 0
            progress = (0, t0)
            while sent < n:
                now = time.monotonic()
                if len(got) != progress[0]:
                    progress = (len(got), now)
                elif sent - len(got) >= 100 and now - progress[1] > 3:
                    print("STALLED with %d in flight" % (sent - len(got)))
                    break
                due = min(n, int((now - t0) * rate) + 1)
                while sent < due and sent - len(got) < 100:
                    try:
                        s.send(b"%08d" % sent + pad)
                        sent += 1
                    except BlockingIOError:
                        break
                    except OSError as e:
                        errors += 1
                        sent += 1
                        print("SEND ERROR", e)
                drain()
                time.sleep(0.002)
            end = time.monotonic() + 5
            while len(got) < n and time.monotonic() < end:
                select.select([s], [], [], 0.1)
                drain()
            print("SENT %d RECEIVED %d DUPLICATES %d CORRUPT %d ERRORS %d SECONDS %.2f"
                  % (sent, len(got), dup, corrupt, errors, time.monotonic() - t0))
            """;

    /**
     * argv: host port. One datagram from a connected socket to a closed port: prints REFUSED when the socket
     * reports ECONNREFUSED (an ICMPv6 Port Unreachable matching its 4-tuple), else ANSWERED, TIMEOUT or ERROR.
     */
    static final String UDP_CLOSED_PORT = """
            import socket, sys, errno
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.settimeout(3)
            s.connect((sys.argv[1], int(sys.argv[2])))
            print("LOCAL", s.getsockname()[0], s.getsockname()[1])
            s.send(b"anyone there?")
            try:
                s.recv(2048)
                print("ANSWERED")
            except ConnectionRefusedError:
                print("REFUSED")
            except socket.timeout:
                print("TIMEOUT")
            except OSError as e:
                print("ERROR", errno.errorcode.get(e.errno, e.errno))
            """;

    /** argv: bind-address port. UDP echo server; prints READY once bound. */
    static final String UDP_ECHO_SERVER = """
            import socket, sys
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((sys.argv[1], int(sys.argv[2])))
            print("READY", flush=True)
            s.settimeout(120)
            while True:
                try:
                    d, peer = s.recvfrom(4096)
                except socket.timeout:
                    break
                print("FROM", peer[0], peer[1], flush=True)
                s.sendto(d, peer)
            """;

    /**
     * argv: port. TCP server on [::]:port answering each connection with one line naming the peer it sees;
     * prints LISTENING once listening.
     */
    static final String TCP_LINE_SERVER = """
            import socket, sys
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("::", int(sys.argv[1])))
            s.listen(8)
            print("LISTENING", flush=True)
            s.settimeout(120)
            while True:
                try:
                    c, peer = s.accept()
                except socket.timeout:
                    break
                c.sendall(("hello from the IPv6 client, you are %s\\n" % peer[0]).encode())
                c.close()
            """;

    /** argv: host port. Connects (IPv4), prints the line the server sends. */
    static final String TCP_LINE_CLIENT = """
            import socket, sys
            c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
            f = c.makefile("rb")
            print("LINE", f.readline().decode().strip())
            """;

    /**
     * argv: host port. Interactive UDP flows, one connected socket each, with IPV6_RECVERR on so that every
     * ICMPv6 error matching a socket's 4-tuple is reported to it. Commands on stdin, each answered by lines
     * "BEGIN seq", "FLOW index source sport result" ..., "END seq", where result is OK, TIMEOUT or ERR errno:
     *   seq open SOURCE N   opens N new flows bound to SOURCE and probes each
     *   seq echo            probes every open flow again
     *   seq quit
     * A probe sends a datagram and waits up to 1 s for its echo, three times.
     */
    static final String UDP_FLOWS = """
            import socket, sys, time, select, errno
            host, port = sys.argv[1], int(sys.argv[2])
            IPV6_RECVERR = 25
            flows = []
            def probe(i):
                s = flows[i][0]
                msg = b"flow %d" % i
                for attempt in range(3):
                    try:
                        s.send(msg)
                    except OSError as e:
                        return "ERR " + errno.errorcode.get(e.errno, str(e.errno))
                    end = time.monotonic() + 1.0
                    while True:
                        left = end - time.monotonic()
                        if left <= 0:
                            break
                        r, _, _ = select.select([s], [], [], left)
                        if not r:
                            break
                        try:
                            d = s.recv(2048)
                        except OSError as e:
                            return "ERR " + errno.errorcode.get(e.errno, str(e.errno))
                        if d == msg:
                            return "OK"
                return "TIMEOUT"
            def report(i):
                s, src, sport = flows[i]
                print("FLOW", i, src, sport, probe(i))
            for line in sys.stdin:
                w = line.split()
                if not w:
                    continue
                seq, cmd = w[0], w[1]
                if cmd == "quit":
                    break
                print("BEGIN", seq)
                if cmd == "open":
                    for k in range(int(w[3])):
                        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
                        s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
                        s.setblocking(False)
                        s.bind((w[2], 0))
                        s.connect((host, port))
                        flows.append((s, w[2], s.getsockname()[1]))
                        report(len(flows) - 1)
                elif cmd == "echo":
                    for i in range(len(flows)):
                        report(i)
                print("END", seq, flush=True)
            """;
}
