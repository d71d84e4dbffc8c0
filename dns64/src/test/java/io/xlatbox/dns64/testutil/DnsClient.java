package io.xlatbox.dns64.testutil;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/** A small DNS client for the tests: one query, one answer, over UDP or TCP, with dnsjava messages. */
public final class DnsClient {
    private DnsClient() {
    }

    public static Message query(String name, int type) {
        Message m = Message.newQuery(Record.newRecord(Name.fromConstantString(name.endsWith(".") ? name : name + "."),
                type, DClass.IN));
        m.getHeader().setFlag(Flags.RD);
        return m;
    }

    public static Message withEdns(Message m, int size, boolean dnssecOk) {
        m.addRecord(new OPTRecord(size, 0, 0, dnssecOk ? 0x8000 : 0), Section.ADDITIONAL);
        return m;
    }

    /** Sends over UDP; null when nothing came back within {@code timeoutMs}. */
    public static byte[] udpRaw(int port, byte[] query, int timeoutMs) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(timeoutMs);
            s.send(new DatagramPacket(query, query.length, new InetSocketAddress("127.0.0.1", port)));
            byte[] buf = new byte[65535];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                s.receive(p);
            } catch (SocketTimeoutException e) {
                return null;
            }
            return Arrays.copyOf(buf, p.getLength());
        }
    }

    public static Message udp(int port, Message q) throws IOException {
        byte[] r = udpRaw(port, q.toWire(), 5000);
        if (r == null) {
            throw new SocketTimeoutException("no answer over UDP");
        }
        return new Message(r);
    }

    public static Message tcp(int port, Message q) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            byte[] w = q.toWire();
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeShort(w.length);
            out.write(w);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] b = new byte[in.readUnsignedShort()];
            in.readFully(b);
            return new Message(b);
        }
    }
}
