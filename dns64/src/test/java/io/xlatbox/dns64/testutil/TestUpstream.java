package io.xlatbox.dns64.testutil;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNAMERecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SetResponse;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;
import org.xbill.DNS.Zone;

/**
 * A real upstream on loopback for the tests: an authoritative server built with dnsjava's {@link Zone}, serving the
 * test zones over UDP and TCP on an ephemeral port, plus "quirks": names whose AAAA or A query gets SERVFAIL,
 * NXDOMAIN, REFUSED, silence, a NODATA without SOA, a late answer, or spoofed answers before the real one. It
 * records every query it sees (source port, ID, question, transport).
 */
public final class TestUpstream implements AutoCloseable {
    /** What a quirk name does for one query type. */
    public enum Act { ZONE, SERVFAIL, NXDOMAIN, REFUSED, DROP, NODATA, NODATA_NO_SOA, DELAY, SPOOF }

    /** AAAA and A behaviour of a quirk name; the A record it answers with. */
    public record Quirk(Act aaaa, Act a, String address, long ttl) {
    }

    /** One query as received. */
    public record Seen(int sourcePort, int id, Name name, int type, int dclass, boolean tcp, int flags,
                       boolean dnssecOk, boolean edns) {
    }

    public static final Name QUIRK = Name.fromConstantString("quirk.test.");
    private static final Name VERSION_BIND = Name.fromConstantString("version.bind.");

    private final DatagramSocket udp;
    private final DatagramSocket spoofer;
    private final ServerSocket tcp;
    private final List<Zone> zones = new ArrayList<>();
    private final Map<Name, Quirk> quirks = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
    private final ScheduledExecutorService delayed = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "test-upstream-delay");
        t.setDaemon(true);
        return t;
    });
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;
    /** When set, every query is ignored (an upstream that is down). */
    public volatile boolean silent;
    /** How long DELAY quirks wait. */
    public volatile long delayMillis = 200;

    private TestUpstream() throws IOException {
        for (String[] z : new String[][] {{"test.", "test.zone"}, {"2.0.192.in-addr.arpa.", "rev-192-0-2.zone"},
                {"5.12.in-addr.arpa.", "rev-12-5.zone"}}) {
            try (InputStream in = TestUpstream.class.getResourceAsStream("/zones/" + z[1])) {
                zones.add(new Zone(Name.fromString(z[0]), in));
            }
        }
        Zone test = zones.get(0);
        // Signed data for the DNSSEC tests (the signatures are dummies: nothing here validates them).
        Name signed = Name.fromConstantString("signed.test.");
        Name csigned = Name.fromConstantString("csigned.test.");
        Name sigDual = Name.fromConstantString("sigdual.test.");
        test.addRecord(new ARecord(signed, DClass.IN, 3600, InetAddress.getByName("12.5.3.1")));
        test.addRecord(rrsig(signed, Type.A));
        test.addRecord(new CNAMERecord(csigned, DClass.IN, 3600, signed));
        test.addRecord(rrsig(csigned, Type.CNAME));
        test.addRecord(new ARecord(sigDual, DClass.IN, 3600, InetAddress.getByName("12.5.3.2")));
        test.addRecord(Record.fromString(sigDual, Type.AAAA, DClass.IN, 3600, "::ffff:12.5.3.2", Name.root));
        test.addRecord(Record.fromString(sigDual, Type.AAAA, DClass.IN, 3600, "2001:db8:3::2", Name.root));
        test.addRecord(rrsig(sigDual, Type.AAAA));
        test.addRecord(rrsig(sigDual, Type.A));
        quirk("sf", Act.SERVFAIL, Act.ZONE, "12.4.0.1");
        quirk("nx", Act.NXDOMAIN, Act.ZONE, "12.4.0.2");
        quirk("rf", Act.REFUSED, Act.ZONE, "12.4.0.3");
        quirk("to", Act.DROP, Act.ZONE, "12.4.0.4");
        quirk("asf", Act.NODATA, Act.SERVFAIL, "12.4.0.5");
        quirk("anx", Act.NODATA, Act.NXDOMAIN, "12.4.0.6");
        quirk("alldrop", Act.DROP, Act.DROP, "12.4.0.7");
        quirks.put(Name.fromConstantString("nosoa.quirk.test."), new Quirk(Act.NODATA_NO_SOA, Act.ZONE, "12.4.0.8", 7200));
        quirk("slow", Act.DELAY, Act.DELAY, "12.4.0.9");
        quirk("spoof", Act.NODATA, Act.SPOOF, "12.4.0.10");
        quirk("ok", Act.NODATA, Act.ZONE, "12.4.0.11");
        udp = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        spoofer = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        ServerSocket t = null;
        for (int i = 0; i < 10 && t == null; i++) {
            try {
                t = new ServerSocket();
                t.setReuseAddress(true);
                t.bind(new InetSocketAddress("127.0.0.1", udp.getLocalPort()));
            } catch (IOException e) {
                t.close();
                t = null;
            }
        }
        if (t == null) {
            udp.close();
            spoofer.close();
            throw new IOException("no TCP port beside UDP " + udp.getLocalPort());
        }
        tcp = t;
    }

    public static TestUpstream start() throws IOException {
        TestUpstream u = new TestUpstream();
        u.startThread(u::udpLoop, "test-upstream-udp");
        u.startThread(u::tcpLoop, "test-upstream-tcp");
        return u;
    }

    private void startThread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    private static RRSIGRecord rrsig(Name owner, int covered) {
        return new RRSIGRecord(owner, DClass.IN, 3600, covered, 13, 3600, Instant.now().plusSeconds(86400),
                Instant.now().minusSeconds(3600), 4242, Name.fromConstantString("test."), new byte[64]);
    }

    private void quirk(String label, Act aaaa, Act a, String address) {
        quirks.put(Name.fromConstantString(label + ".quirk.test."), new Quirk(aaaa, a, address, 300));
    }

    public int port() {
        return udp.getLocalPort();
    }

    public InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port());
    }

    public List<Seen> seen() {
        return new ArrayList<>(seen);
    }

    public void clearSeen() {
        seen.clear();
    }

    /** Queries seen for a name (any case) and type. */
    public long count(String name, int type) {
        Name n = Name.fromConstantString(name.endsWith(".") ? name : name + ".");
        return seen.stream().filter(s -> s.name().equals(n) && s.type() == type).count();
    }

    private void udpLoop() {
        byte[] buf = new byte[65535];
        while (running) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                udp.receive(p);
            } catch (IOException e) {
                if (!running) {
                    return;
                }
                continue;
            }
            Message q;
            try {
                q = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
            } catch (IOException e) {
                continue;
            }
            InetSocketAddress from = (InetSocketAddress) p.getSocketAddress();
            record(q, from.getPort(), false);
            if (silent) {
                continue;
            }
            try {
                answerUdp(q, from);
            } catch (IOException | RuntimeException e) {
                // a test upstream only: keep serving
            }
        }
    }

    private void answerUdp(Message q, InetSocketAddress from) throws IOException {
        Quirk k = quirks.get(q.getQuestion().getName());
        Act act = k == null ? Act.ZONE : actFor(k, q.getQuestion().getType());
        if (act == Act.DROP) {
            return;
        }
        if (act == Act.DELAY) {
            delayed.schedule(() -> {
                try {
                    sendUdp(udp, respond(q, false), q, from);
                } catch (IOException ignored) {
                    // test upstream
                }
            }, delayMillis, TimeUnit.MILLISECONDS);
            return;
        }
        if (act == Act.SPOOF) {
            // RFC 5452 attacks: the right ID from the wrong port, a wrong ID, a wrong question; then the truth.
            Message fake = respond(q, false);
            fake.removeAllRecords(Section.ANSWER);
            fake.addRecord(new ARecord(q.getQuestion().getName(), DClass.IN, 300, InetAddress.getByName("6.6.6.6")),
                    Section.ANSWER);
            sendUdp(spoofer, fake, q, from);
            Message wrongId = fake.clone();
            wrongId.getHeader().setID(q.getHeader().getID() ^ 0x5A5A);
            sendUdp(udp, wrongId, q, from);
            Message wrongQ = new Message(q.getHeader().getID());
            wrongQ.getHeader().setFlag(Flags.QR);
            Name other = Name.fromConstantString("other.quirk.test.");
            wrongQ.addRecord(Record.newRecord(other, Type.A, DClass.IN), Section.QUESTION);
            wrongQ.addRecord(new ARecord(other, DClass.IN, 300, InetAddress.getByName("6.6.6.7")), Section.ANSWER);
            sendUdp(udp, wrongQ, q, from);
        }
        sendUdp(udp, respond(q, false), q, from);
    }

    private static Act actFor(Quirk k, int type) {
        return type == Type.AAAA ? k.aaaa() : type == Type.A ? k.a() : Act.NODATA;
    }

    private void sendUdp(DatagramSocket s, Message r, Message q, InetSocketAddress to) throws IOException {
        OPTRecord opt = q.getOPT();
        int limit = opt == null ? 512 : Math.max(512, opt.getPayloadSize());
        byte[] w = r.toWire();
        if (w.length > limit) {
            Message tc = new Message(r.getHeader().getID());
            Header h = tc.getHeader();
            h.setFlag(Flags.QR);
            h.setFlag(Flags.AA);
            h.setFlag(Flags.TC);
            tc.addRecord(q.getQuestion(), Section.QUESTION);
            w = tc.toWire();
        }
        s.send(new DatagramPacket(w, w.length, to));
    }

    private void tcpLoop() {
        while (running) {
            Socket s;
            try {
                s = tcp.accept();
            } catch (IOException e) {
                if (!running) {
                    return;
                }
                continue;
            }
            Thread t = new Thread(() -> serveTcp(s), "test-upstream-tcp-conn");
            t.setDaemon(true);
            t.start();
        }
    }

    private void serveTcp(Socket s) {
        try (s) {
            s.setSoTimeout(5000);
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            while (running) {
                int len = in.readUnsignedShort();
                byte[] b = new byte[len];
                in.readFully(b);
                Message q = new Message(b);
                record(q, s.getPort(), true);
                if (silent) {
                    continue;
                }
                byte[] w = respond(q, true).toWire();
                out.writeShort(w.length);
                out.write(w);
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            // connection over
        }
    }

    private void record(Message q, int port, boolean overTcp) {
        Record r = q.getQuestion();
        if (r == null) {
            return;
        }
        OPTRecord opt = q.getOPT();
        seen.add(new Seen(port, q.getHeader().getID(), r.getName(), r.getType(), r.getDClass(), overTcp,
                flags(q), opt != null && (opt.getFlags() & 0x8000) != 0, opt != null));
    }

    private static int flags(Message q) {
        byte[] h = q.getHeader().toWire();
        return (h[2] & 0xFF) << 8 | (h[3] & 0xFF);
    }

    /** The authoritative answer (quirks applied) to {@code q}. */
    public Message respond(Message q, boolean overTcp) {
        Record question = q.getQuestion();
        Header qh = q.getHeader();
        Message r = new Message(qh.getID());
        Header h = r.getHeader();
        h.setFlag(Flags.QR);
        h.setFlag(Flags.AA);
        if (qh.getFlag(Flags.RD)) {
            h.setFlag(Flags.RD);
        }
        OPTRecord opt = q.getOPT();
        boolean dnssecOk = opt != null && (opt.getFlags() & 0x8000) != 0;
        // Pretend to have validated everything: lets the tests see AD pass through, and never on synthesis.
        if (qh.getFlag(Flags.AD) || dnssecOk) {
            h.setFlag(Flags.AD);
        }
        r.addRecord(question, Section.QUESTION);
        if (opt != null) {
            r.addRecord(new OPTRecord(1232, 0, 0, dnssecOk ? 0x8000 : 0), Section.ADDITIONAL);
        }
        Name name = question.getName();
        int type = question.getType();
        if (question.getDClass() == DClass.CH) {
            if (name.equals(VERSION_BIND) && type == Type.TXT) {
                r.addRecord(new TXTRecord(name, DClass.CH, 0, "test-upstream"), Section.ANSWER);
            } else {
                h.setRcode(Rcode.REFUSED);
            }
            return r;
        }
        Quirk k = quirks.get(name);
        if (k != null || name.subdomain(QUIRK) && !name.equals(QUIRK)) {
            return quirkAnswer(r, k, name, type);
        }
        for (int hop = 0; hop < 8; hop++) {
            Zone z = zoneFor(name);
            if (z == null) {
                if (hop == 0) {
                    h.setRcode(Rcode.REFUSED);
                }
                return r;
            }
            SetResponse sr = z.findRecords(name, type);
            if (sr.isSuccessful()) {
                for (RRset s : sr.answers()) {
                    add(r, s, Section.ANSWER, dnssecOk);
                    if (type == Type.MX) {
                        for (Record mx : s.rrs()) {
                            additionalFor(r, ((MXRecord) mx).getTarget());
                        }
                    }
                }
                return r;
            }
            if (sr.isCNAME()) {
                CNAMERecord c = sr.getCNAME();
                add(r, z.findExactMatch(c.getName(), Type.CNAME), Section.ANSWER, dnssecOk);
                name = c.getTarget();
                continue;
            }
            if (sr.isDNAME()) {
                DNAMERecord d = sr.getDNAME();
                add(r, z.findExactMatch(d.getName(), Type.DNAME), Section.ANSWER, dnssecOk);
                Name next;
                try {
                    next = name.fromDNAME(d);
                } catch (Exception e) {
                    h.setRcode(Rcode.YXDOMAIN);
                    return r;
                }
                r.addRecord(new CNAMERecord(name, DClass.IN, d.getTTL(), next), Section.ANSWER);
                name = next;
                continue;
            }
            if (sr.isNXDOMAIN()) {
                h.setRcode(Rcode.NXDOMAIN);
            }
            r.addRecord(negativeSoa(z), Section.AUTHORITY);
            return r;
        }
        return r;
    }

    private Message quirkAnswer(Message r, Quirk k, Name name, int type) {
        Zone test = zones.get(0);
        if (k == null) {
            r.getHeader().setRcode(Rcode.NXDOMAIN);
            r.addRecord(negativeSoa(test), Section.AUTHORITY);
            return r;
        }
        Act act = actFor(k, type);
        switch (act) {
            case SERVFAIL: r.getHeader().setRcode(Rcode.SERVFAIL); return r;
            case NXDOMAIN:
                r.getHeader().setRcode(Rcode.NXDOMAIN);
                r.addRecord(negativeSoa(test), Section.AUTHORITY);
                return r;
            case REFUSED: r.getHeader().setRcode(Rcode.REFUSED); return r;
            case NODATA: r.addRecord(negativeSoa(test), Section.AUTHORITY); return r;
            case NODATA_NO_SOA: return r;
            default:
                if (type == Type.A) {
                    try {
                        r.addRecord(new ARecord(name, DClass.IN, k.ttl(), InetAddress.getByName(k.address())),
                                Section.ANSWER);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                } else {
                    r.addRecord(negativeSoa(test), Section.AUTHORITY);
                }
                return r;
        }
    }

    private void additionalFor(Message r, Name target) {
        Zone z = zoneFor(target);
        if (z != null) {
            RRset a = z.findExactMatch(target, Type.A);
            if (a != null) {
                add(r, a, Section.ADDITIONAL, false);
            }
        }
    }

    private static void add(Message r, RRset s, int section, boolean dnssecOk) {
        if (s == null) {
            return;
        }
        for (Record rec : s.rrs()) {
            r.addRecord(rec, section);
        }
        if (dnssecOk) {
            for (Record sig : s.sigs()) {
                r.addRecord(sig, section);
            }
        }
    }

    /** RFC 2308 §3: the SOA of a negative answer carries min(SOA TTL, SOA MINIMUM). */
    private static SOARecord negativeSoa(Zone z) {
        SOARecord s = z.getSOA();
        return new SOARecord(s.getName(), DClass.IN, Math.min(s.getTTL(), s.getMinimum()), s.getHost(),
                s.getAdmin(), s.getSerial(), s.getRefresh(), s.getRetry(), s.getExpire(), s.getMinimum());
    }

    private Zone zoneFor(Name name) {
        Zone best = null;
        for (Zone z : zones) {
            if (name.subdomain(z.getOrigin()) && (best == null || z.getOrigin().labels() > best.getOrigin().labels())) {
                best = z;
            }
        }
        return best;
    }

    @Override
    public void close() {
        running = false;
        udp.close();
        spoofer.close();
        try {
            tcp.close();
        } catch (IOException ignored) {
            // closing
        }
        delayed.shutdownNow();
        for (Thread t : threads) {
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A UDP socket on loopback that receives and never answers: an upstream that is down but routable. */
    public static DatagramSocket blackHole() throws SocketException {
        return new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
    }
}
