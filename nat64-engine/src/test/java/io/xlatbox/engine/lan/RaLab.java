package io.xlatbox.engine.lan;

import io.xlatbox.engine.tun.ScratchNamespace;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Two namespaces joined by a veth: the router's end {@value #LAN} (no DAD, so its link-local address is usable at
 * once; IPv6 forwarding off, so the kernel does not join ff02::2 for the advertiser) and the client's end
 * {@value #CLIENT} with accept_ra=2 and autoconf=1, a host that configures itself from what it hears. The client's
 * view of the advertisements comes from a python3 raw socket whose decoder is written from the RFCs, independently
 * of {@link RouterAdvertisement}. Closing deletes both namespaces, and the veth with them.
 */
final class RaLab implements AutoCloseable {
    static final String LAN = "lan0";
    static final String CLIENT = "eth0";

    /** argv: interface seconds. Prints READY, then one line per Router Advertisement received, decoded. */
    static final String LISTEN = """
            import ipaddress, select, socket, struct, sys, time
            ifname, seconds = sys.argv[1], float(sys.argv[2])
            s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
            f = [0xffffffff] * 8
            f[134 >> 5] &= ~(1 << (134 & 31))
            s.setsockopt(socket.IPPROTO_ICMPV6, 1, struct.pack('=8I', *f))   # ICMP6_FILTER: only type 134
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
            print('READY', flush=True)
            end = time.monotonic() + seconds
            lengths = {0: 96, 1: 64, 2: 56, 3: 48, 4: 40, 5: 32}
            while time.monotonic() < end:
                r, _, _ = select.select([s], [], [], max(0, end - time.monotonic()))
                if not r:
                    continue
                data, anc, flags, src = s.recvmsg(65536, 1024)
                hl, dst = -1, '?'
                for level, kind, d in anc:
                    if level == socket.IPPROTO_IPV6 and kind == socket.IPV6_HOPLIMIT:
                        hl = struct.unpack('=i', d[:4])[0]
                    if level == socket.IPPROTO_IPV6 and kind == socket.IPV6_PKTINFO:
                        dst = str(ipaddress.IPv6Address(d[:16]))
                out = ['RA', 'src=' + src[0].split('%')[0], 'dst=' + dst, 'hoplimit=%d' % hl, 'length=%d' % len(data),
                       't=%.3f' % time.monotonic()]
                if len(data) < 16:
                    print('SHORT', data.hex(), flush=True)
                    continue
                cur, fl, rlt, reach, retrans = struct.unpack('!BBHII', data[4:16])
                out += ['code=%d' % data[1], 'curhoplimit=%d' % cur, 'flags=%d' % fl, 'routerlifetime=%d' % rlt,
                        'reachable=%d' % reach, 'retrans=%d' % retrans]
                off = 16
                while off < len(data):
                    if off + 2 > len(data) or data[off + 1] == 0 or off + data[off + 1] * 8 > len(data):
                        out.append('badoption=%d' % off)
                        break
                    t, n = data[off], data[off + 1] * 8
                    o = data[off:off + n]
                    if t == 1:
                        out.append('sll=' + o[2:8].hex(':'))
                    elif t == 3:
                        plen, fl2, valid, pref = struct.unpack('!BBII', o[2:12])
                        out.append('pio=%s/%d;L=%d;A=%d;valid=%d;preferred=%d' % (ipaddress.IPv6Address(o[16:32]), plen,
                                   fl2 >> 7 & 1, fl2 >> 6 & 1, valid, pref))
                    elif t == 5:
                        out.append('mtu=%d' % struct.unpack('!I', o[4:8]))
                    elif t == 25:
                        life = struct.unpack('!I', o[4:8])[0]
                        out.append('rdnss=%d;%s' % (life, ';'.join(str(ipaddress.IPv6Address(o[i:i + 16]))
                                                                for i in range(8, n, 16))))
                    elif t == 38:
                        v = struct.unpack('!H', o[2:4])[0]
                        if n != 16 or (v & 7) not in lengths:
                            out.append('badpref64=' + o.hex())
                        else:
                            net = ipaddress.IPv6Network((o[4:16] + bytes(4), lengths[v & 7]), strict=False)
                            out.append('pref64=%s;lifetime=%d' % (net, (v >> 3) * 8))
                    else:
                        out.append('option%d=%s' % (t, o.hex()))
                    off += n
                print(' '.join(out), flush=True)
            """;

    /** argv: interface kind [destination]. Sends one Router Solicitation, valid or broken in the named way. */
    static final String SOLICIT = """
            import socket, sys
            ifname, kind = sys.argv[1], sys.argv[2]
            dst = sys.argv[3] if len(sys.argv) > 3 else 'ff02::2'
            s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
            hops = 64 if kind == 'hoplimit' else 255
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, hops)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, hops)
            sll = bytes.fromhex('0101020000000099')
            rs = bytes([133, 0, 0, 0, 0, 0, 0, 0])   # the kernel fills in the checksum
            messages = {
                'valid': rs + sll,
                'hoplimit': rs,
                'code': bytes([133, 1, 0, 0, 0, 0, 0, 0]),
                'short': bytes([133, 0, 0, 0]),
                'zerooption': rs + bytes([1, 0]) + sll[2:],
                'overrun': rs + bytes([1, 2]) + sll[2:],
            }
            s.sendto(messages[kind], (dst, 0, 0, socket.if_nametoindex(ifname)))
            print('SENT', kind)
            """;

    final ScratchNamespace router;
    final ScratchNamespace client;
    private final List<Capture> captures = new ArrayList<>();

    private RaLab(ScratchNamespace router, ScratchNamespace client) {
        this.router = router;
        this.client = client;
    }

    static RaLab create() {
        ScratchNamespace r = ScratchNamespace.create();
        ScratchNamespace c = null;
        try {
            c = ScratchNamespace.create();
            return setUp(r, c);
        } catch (RuntimeException | Error e) {
            if (c != null) {
                c.close();
            }
            r.close();
            throw e;
        }
    }

    private static RaLab setUp(ScratchNamespace r, ScratchNamespace c) {
        RaLab lab = new RaLab(r, c);
        r.ip("link", "set", "dev", "lo", "up");
        c.ip("link", "set", "dev", "lo", "up");
        r.ip("link", "add", LAN, "type", "veth", "peer", "name", CLIENT, "netns", c.name);
        r.exec("sysctl", "-q", "-w", "net.ipv6.conf." + LAN + ".accept_dad=0");
        r.exec("sysctl", "-q", "-w", "net.ipv6.conf." + LAN + ".forwarding=0");
        c.exec("sysctl", "-q", "-w", "net.ipv6.conf." + CLIENT + ".forwarding=0");
        c.exec("sysctl", "-q", "-w", "net.ipv6.conf." + CLIENT + ".accept_ra=2");
        c.exec("sysctl", "-q", "-w", "net.ipv6.conf." + CLIENT + ".autoconf=1");
        c.exec("sysctl", "-q", "-w", "net.ipv6.conf." + CLIENT + ".accept_dad=0");
        r.ip("link", "set", "dev", LAN, "up");
        c.ip("link", "set", "dev", CLIENT, "up");
        await(() -> linkLocal(r, LAN) != null && linkLocal(c, CLIENT) != null, 10_000, "link-local addresses");
        return lab;
    }

    String routerLinkLocal() {
        return linkLocal(router, LAN);
    }

    String clientLinkLocal() {
        return linkLocal(client, CLIENT);
    }

    /** The interface's link-local address once it is usable (not tentative), else null. */
    private static String linkLocal(ScratchNamespace ns, String dev) {
        String out = ns.ip("-6", "addr", "show", "dev", dev, "scope", "link");
        Matcher m = Pattern.compile("inet6 (fe80:[0-9a-f:]+)/64 scope link(.*)").matcher(out);
        return m.find() && !m.group(2).contains("tentative") ? m.group(1) : null;
    }

    /** The client's SLAAC addresses (scope global). */
    List<String> clientGlobalAddresses() {
        String out = client.ip("-6", "addr", "show", "dev", CLIENT, "scope", "global");
        List<String> addresses = new ArrayList<>();
        Matcher m = Pattern.compile("inet6 ([0-9a-f:]+)/(\\d+)").matcher(out);
        while (m.find()) {
            addresses.add(m.group(1) + "/" + m.group(2));
        }
        return addresses;
    }

    String clientDefaultRoute() {
        return client.ip("-6", "route", "show", "default");
    }

    String clientSysctl(String name) {
        return client.exec("sysctl", "-n", "net.ipv6.conf." + CLIENT + "." + name).trim();
    }

    /** Starts a python3 listener in the client namespace for {@code seconds} at most. */
    Capture capture(int seconds) throws IOException, InterruptedException {
        Capture c = new Capture(client.name, seconds);
        captures.add(c);
        return c;
    }

    /** Sends one solicitation of {@code kind} from the client. */
    void solicit(String kind) {
        client.exec("python3", "-c", SOLICIT, CLIENT, kind);
    }

    static void await(BooleanSupplier condition, long millis, String what) {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + millis + " ms waiting for " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }

    @Override
    public void close() {
        for (Capture c : captures) {
            c.close();
        }
        client.close();
        router.close();
    }

    private static String ipCommand() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, "ip"))) {
                return dir + "/ip";
            }
        }
        return java.nio.file.Files.isExecutable(java.nio.file.Path.of("/usr/sbin/ip")) ? "/usr/sbin/ip" : "/sbin/ip";
    }

    /** One decoded advertisement: its fields; options that can repeat keep every value, in order. */
    record Ra(String line, Map<String, List<String>> fields) {
        static Ra parse(String line) {
            Map<String, List<String>> f = new LinkedHashMap<>();
            for (String token : line.split(" ")) {
                int eq = token.indexOf('=');
                if (eq > 0) {
                    f.computeIfAbsent(token.substring(0, eq), k -> new ArrayList<>()).add(token.substring(eq + 1));
                }
            }
            return new Ra(line, f);
        }

        String one(String key) {
            List<String> v = fields.get(key);
            if (v == null || v.size() != 1) {
                throw new AssertionError("expected one " + key + " in " + line);
            }
            return v.get(0);
        }

        List<String> all(String key) {
            return fields.getOrDefault(key, List.of());
        }

        int integer(String key) {
            return Integer.parseInt(one(key));
        }
    }

    /** A running listener and what it has printed. */
    static final class Capture implements AutoCloseable {
        private final Process process;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final List<Ra> seen = new ArrayList<>();
        private final Thread reader;

        private Capture(String namespace, int seconds) throws IOException, InterruptedException {
            process = new ProcessBuilder(ipCommand(), "netns", "exec", namespace, "python3", "-c", LISTEN, CLIENT,
                    String.valueOf(seconds)).redirectErrorStream(true).start();
            process.getOutputStream().close();
            reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    lines.add("READER " + e);
                }
            }, "ra-capture");
            reader.setDaemon(true);
            reader.start();
            String first = lines.poll(10, TimeUnit.SECONDS);
            if (!"READY".equals(first)) {
                close();
                throw new IllegalStateException("the RA listener did not start: " + first + " " + lines);
            }
        }

        /** The next advertisement matching {@code p}, waiting up to {@code millis}; skipped ones are kept in {@link #seen()}. */
        Ra await(Predicate<Ra> p, long millis, String what) throws InterruptedException {
            long deadline = System.nanoTime() + millis * 1_000_000L;
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                String line = left > 0 ? lines.poll(left, TimeUnit.MILLISECONDS) : null;
                if (line == null) {
                    throw new AssertionError("no " + what + " within " + millis + " ms; seen: " + seen);
                }
                if (!line.startsWith("RA ")) {
                    throw new AssertionError("listener: " + line);
                }
                Ra ra = Ra.parse(line);
                seen.add(ra);
                if (p.test(ra)) {
                    return ra;
                }
            }
        }

        List<Ra> seen() {
            return seen;
        }

        @Override
        public void close() {
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
                reader.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
