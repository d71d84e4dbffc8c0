package io.xlatbox.clat.lab;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A packet capture that checks checksums, for labs without tcpdump: an AF_PACKET socket on every interface of a
 * namespace (python3, standard library), which verifies the IPv4 header checksum and the TCP, UDP, ICMP and ICMPv6
 * checksums of every packet the namespace receives (outgoing ones are not judged). A packet the kernel marks as
 * "checksum not ready" (TP_STATUS_CSUMNOTREADY: checksum offload, made by a local stack over a veth or written into
 * a TUN with a virtio-net header) is judged as Linux defines it: its checksum field must hold the pseudo-header sum,
 * which the kernel (or a NIC) completes; its key gets "-partial". A complete one must sum to all ones.
 */
public final class ChecksumSniffer implements AutoCloseable {
    static final String SCRIPT = """
            import array, select, socket, struct, sys
            SOL_PACKET, PACKET_AUXDATA, CSUMNOTREADY, SO_RCVBUFFORCE = 263, 8, 8, 33
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
            s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
            s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
            s.setblocking(False)
            def fold(b):
                if len(b) & 1:
                    b = b + b"\\0"
                t = sum(array.array("H", b))
                while t >> 16:
                    t = (t & 0xFFFF) + (t >> 16)
                return t
            counts, bad, unjudged, shown = {}, 0, 0, 0
            def verify(key, ph, seg, off, partial):
                # Complete: the sum over pseudo-header and segment is all ones. Partial (offloaded; the kernel or a
                # NIC finishes it): the field holds the folded pseudo-header sum, nothing else (as Linux writes it).
                if not partial:
                    return key, fold(ph + seg) == 0xFFFF
                got = struct.unpack("=H", seg[off:off + 2])[0]
                want = fold(ph)
                return key + "-partial", got == want or (got in (0, 0xFFFF) and want in (0, 0xFFFF))
            def judge(ifname, ip, partial):
                global bad, shown, unjudged
                v = ip[0] >> 4
                ok = True
                if v == 4:
                    ihl = (ip[0] & 15) * 4
                    total = struct.unpack("!H", ip[2:4])[0]
                    ip = ip[:total]
                    hdr_ok = fold(ip[:ihl]) == 0xFFFF
                    proto = ip[9]
                    frag = struct.unpack("!H", ip[6:8])[0] & 0x3FFF
                    seg = ip[ihl:]
                    what = {6: "tcp", 17: "udp", 1: "icmp"}.get(proto, "other")
                    key = "%s/ipv4/%s" % (ifname, what)
                    ok = hdr_ok
                    if frag or what == "other":
                        pass
                    elif what == "icmp":
                        if partial:
                            unjudged += 1
                            return
                        ok = ok and fold(seg) == 0xFFFF
                    elif what == "udp" and seg[6:8] == b"\\0\\0" and not partial:
                        key += "-nocsum"
                    else:
                        ph = ip[12:20] + struct.pack("!BBH", 0, proto, len(seg))
                        key, tok = verify(key, ph, seg, 16 if proto == 6 else 6, partial)
                        ok = ok and tok
                elif v == 6:
                    plen = struct.unpack("!H", ip[4:6])[0]
                    nxt = ip[6]
                    seg = ip[40:40 + plen]
                    what = {6: "tcp", 17: "udp", 58: "icmp6"}.get(nxt, "other")
                    key = "%s/ipv6/%s" % (ifname, what)
                    if what != "other":
                        if partial and nxt == 58:
                            unjudged += 1
                            return
                        ph = ip[8:40] + struct.pack("!I", len(seg)) + b"\\0\\0\\0" + bytes([nxt])
                        key, ok = verify(key, ph, seg, {6: 16, 17: 6, 58: 2}[nxt], partial)
                else:
                    return
                counts[key] = counts.get(key, 0) + 1
                if not ok:
                    bad += 1
                    if shown < 5:
                        shown += 1
                        print("BADPKT", key, ip[:96].hex(), flush=True)
            print("READY", flush=True)
            running = True
            while running:
                r, _, _ = select.select([s, sys.stdin], [], [], 1.0)
                if sys.stdin in r:
                    line = sys.stdin.readline()
                    if not line or line.strip() == "stop":
                        running = False
                while True:
                    try:
                        data, anc, flags, addr = s.recvmsg(65535, socket.CMSG_SPACE(20))
                    except BlockingIOError:
                        break
                    ifname, pkttype, hatype = addr[0], addr[2], addr[3]
                    if pkttype == 4 or ifname == "lo":
                        continue
                    status = 0
                    for level, typ, cdata in anc:
                        if level == SOL_PACKET and typ == PACKET_AUXDATA:
                            status = struct.unpack("I", cdata[:4])[0]
                    if hatype == 1:
                        if len(data) < 14 or data[12:14] not in (b"\\x08\\x00", b"\\x86\\xdd"):
                            continue
                        data = data[14:]
                    if data:
                        judge(ifname, data, bool(status & CSUMNOTREADY))
            print("SUMMARY", sum(counts.values()), "BAD", bad, "SKIPPED", unjudged, flush=True)
            for k in sorted(counts):
                print("COUNT", k, counts[k], flush=True)
            """;

    private final ClatLab.Background process;
    private final String namespace;

    private ChecksumSniffer(ClatLab.Background process, String namespace) {
        this.process = process;
        this.namespace = namespace;
    }

    public static ChecksumSniffer start(ClatLab lab, String namespace) throws IOException {
        ClatLab.Background p = lab.spawnPython(namespace, SCRIPT);
        p.awaitLine(l -> l.equals("READY"), Duration.ofSeconds(10), "the sniffer in " + namespace);
        return new ChecksumSniffer(p, namespace);
    }

    /** What was judged. */
    public record Verdict(String namespace, long judged, long bad, long skipped, Map<String, Long> counts,
                          String output) {
        /** Packets judged for "ifname/ipv4/tcp" and so on, complete and partial together. */
        public long count(String key) {
            return counts.getOrDefault(key, 0L) + counts.getOrDefault(key + "-partial", 0L);
        }
    }

    /** Stops the capture and returns what it saw. */
    public Verdict stop() throws IOException {
        process.send("stop");
        String summary = process.awaitLine(l -> l.startsWith("SUMMARY"), Duration.ofSeconds(20),
                "the sniffer's summary in " + namespace);
        process.waitFor(Duration.ofSeconds(5));
        String[] w = summary.split(" ");
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String line : process.stdout().lines().toList()) {
            if (line.startsWith("COUNT ")) {
                String[] c = line.split(" ");
                counts.put(c[1], Long.parseLong(c[2]));
            }
        }
        return new Verdict(namespace, Long.parseLong(w[1]), Long.parseLong(w[3]), Long.parseLong(w[5]), counts,
                process.stdout() + process.stderr());
    }

    @Override
    public void close() {
        process.close();
    }
}
