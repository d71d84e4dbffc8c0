package io.xlatbox.clat.lab;

import io.xlatbox.clat.util.Threads;
import io.xlatbox.engine.tun.NetNamespace;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.Arrays;
import java.util.Map;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A small DNS server for the lab, over UDP, bound inside a namespace (its socket is opened on a thread that is in
 * it, so it belongs there; the receive loop then runs anywhere). It is authoritative for xlatbox.test
 * (server.xlatbox.test A 198.51.100.2; other names NXDOMAIN, other types NODATA) and, like any resolver per RFC
 * 8880, answers ipv4only.arpa A with 192.0.0.170 and .171 but AAAA with NODATA: a resolver that is not a DNS64.
 * Everything else is REFUSED.
 */
public final class LabDns implements AutoCloseable {
    static final Name ZONE = Name.fromConstantString("xlatbox.test.");
    static final Name IPV4ONLY = Name.fromConstantString("ipv4only.arpa.");

    private final DatagramSocket socket;
    private final Map<Name, InetAddress> a;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile int queries;

    private LabDns(DatagramSocket socket, Map<Name, InetAddress> a) {
        this.socket = socket;
        this.a = a;
        this.thread = new Thread(this::loop, "lab-dns-" + socket.getLocalSocketAddress());
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Listens on {@code address}:{@code port} in {@code namespace}. */
    public static LabDns start(String namespace, String address, int port) throws Exception {
        DatagramSocket s = NetNamespace.callIn(namespace, () -> {
            DatagramSocket d = new DatagramSocket(null);
            d.setReuseAddress(true);
            d.bind(new InetSocketAddress(InetAddress.getByName(address), port));
            return d;
        });
        return new LabDns(s, Map.of(Name.fromConstantString(ClatLab.SERVER_NAME + "."),
                InetAddress.getByName(ClatLab.SERVER4)));
    }

    public int queries() {
        return queries;
    }

    private void loop() {
        byte[] buf = new byte[4096];
        while (running) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(p);
            } catch (SocketException e) {
                return; // closed
            } catch (IOException e) {
                continue;
            }
            queries++;
            try {
                Message q = new Message(Arrays.copyOf(p.getData(), p.getLength()));
                byte[] out = answer(q).toWire(512);
                socket.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
            } catch (IOException | RuntimeException ignored) {
                // not DNS, or the client went away
            }
        }
    }

    Message answer(Message q) throws IOException {
        Message r = new Message(q.getHeader().getID());
        r.getHeader().setFlag(Flags.QR);
        if (q.getHeader().getFlag(Flags.RD)) {
            r.getHeader().setFlag(Flags.RD);
        }
        Record question = q.getQuestion();
        if (question == null) {
            r.getHeader().setRcode(Rcode.FORMERR);
            return r;
        }
        r.addRecord(question, Section.QUESTION);
        Name name = question.getName();
        int type = question.getType();
        if (name.equals(IPV4ONLY)) {
            r.getHeader().setFlag(Flags.RA);
            if (type == Type.A) {
                r.addRecord(new ARecord(IPV4ONLY, DClass.IN, 86400, InetAddress.getByName("192.0.0.170")),
                        Section.ANSWER);
                r.addRecord(new ARecord(IPV4ONLY, DClass.IN, 86400, InetAddress.getByName("192.0.0.171")),
                        Section.ANSWER);
            } else {
                r.addRecord(soa(IPV4ONLY), Section.AUTHORITY);
            }
            return r;
        }
        if (!name.subdomain(ZONE)) {
            r.getHeader().setRcode(Rcode.REFUSED);
            return r;
        }
        r.getHeader().setFlag(Flags.AA);
        InetAddress address = a.get(name);
        if (address == null && !name.equals(ZONE)) {
            r.getHeader().setRcode(Rcode.NXDOMAIN);
            r.addRecord(soa(ZONE), Section.AUTHORITY);
        } else if (address != null && type == Type.A) {
            r.addRecord(new ARecord(name, DClass.IN, 300, address), Section.ANSWER);
        } else {
            r.addRecord(soa(ZONE), Section.AUTHORITY);
        }
        return r;
    }

    private static SOARecord soa(Name zone) {
        return new SOARecord(zone, DClass.IN, 300, Name.fromConstantString("ns." + zone),
                Name.fromConstantString("hostmaster." + zone), 1, 3600, 600, 86400, 60);
    }

    @Override
    public void close() {
        running = false;
        socket.close();
        Threads.join(thread, 2000);
    }
}
