package io.xlatbox.dns64;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The client side: queries to the upstream resolvers, asynchronously, with no thread per query.
 *
 * <p>Each lane has a selector thread and a pool of UDP sockets, each bound to its own kernel-chosen random port and
 * replaced by a fresh one after a few thousand queries or a minute. Every query goes out on a randomly chosen
 * socket with a random ID, from a cryptographic generator (RFC 5452 §9.2). An answer is accepted only from the
 * server and port it was sent to, with the same ID, and the same question (RFC 5452 §9.1); anything else is
 * dropped and counted, and the query keeps waiting. A truncated answer is asked again over TCP (RFC 7766 §5) on
 * a small bounded pool. A query that gets no answer within the timeout is sent to the next upstream (failover);
 * an upstream that keeps timing out is skipped for a while.
 */
final class Upstream implements AutoCloseable {
    /** How an upstream query ends: exactly one of these is called, once. */
    interface Callback {
        /** A full answer (never truncated) that matched the question. */
        void onAnswer(byte[] msg, int len);

        /** No answer: {@code timeout} when every attempt timed out, else a send or TCP error. */
        void onFailure(boolean timeout);
    }

    private static final int SOCKETS_PER_LANE = 32;
    private static final int MAX_USES = 4096;
    private static final long MAX_SOCKET_AGE = TimeUnit.SECONDS.toNanos(60);
    private static final int MAX_ATTEMPTS = 3;
    private static final int FAILURES_TO_SKIP = 3;
    private static final long SKIP_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** Our EDNS payload size toward upstreams (RFC 6891 §6.2.5; 1232 as recommended by the DNS flag day 2020). */
    private static final int UPSTREAM_UDP_SIZE = 1232;
    /** How often a lane looks for timed-out queries: the precision of the upstream timeout. */
    private static final long SCAN_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /** The upstream list in force, with per-server health. */
    private static final class Servers {
        final InetSocketAddress[] addresses;
        final long timeoutNanos;
        final AtomicInteger[] failures;
        final long[] skipUntil;

        Servers(List<InetSocketAddress> list, long timeoutNanos) {
            addresses = list.toArray(new InetSocketAddress[0]);
            this.timeoutNanos = timeoutNanos;
            failures = new AtomicInteger[addresses.length];
            for (int i = 0; i < failures.length; i++) {
                failures[i] = new AtomicInteger();
            }
            skipUntil = new long[addresses.length];
        }

        /** The first server in order of preference that is not being skipped. */
        int first(long now) {
            for (int i = 0; i < addresses.length; i++) {
                if (failures[i].get() < FAILURES_TO_SKIP || now - skipUntil[i] > 0) {
                    return i;
                }
            }
            return 0;
        }
    }

    /** What is asked: the same for every attempt. */
    private record Request(byte[] qname, int qnameLen, int qtype, int qclass, boolean dnssecOk, boolean cd,
                           Callback cb, Servers servers) {
    }

    private static final class Slot {
        final int index;
        final DatagramChannel channel;
        final long opened;
        final AtomicInteger uses = new AtomicInteger();

        Slot(int index, DatagramChannel channel, long opened) {
            this.index = index;
            this.channel = channel;
            this.opened = opened;
        }
    }

    /**
     * One attempt in flight, in its lane's map until it completes. Whoever completes it (answer, timeout, error)
     * is the one whose {@code remove(key, pending)} succeeds, and takes the request out, so that a late reference
     * to the pending keeps no resolution alive.
     */
    private static final class Pending {
        Request req;
        final Slot slot;
        final int key;
        final int server;
        final int attempt;
        byte[] wire;
        final long deadline;

        /** The request, for the one caller that removed the pending from the map; the pending lets go of it. */
        Request take() {
            Request r = req;
            req = null;
            return r;
        }

        Pending(Request req, Slot slot, int key, int server, int attempt, byte[] wire, long deadline) {
            this.req = req;
            this.slot = slot;
            this.key = key;
            this.server = server;
            this.attempt = attempt;
            this.wire = wire;
            this.deadline = deadline;
        }
    }

    /** Random bytes from a SecureRandom, drawn in blocks: cheap per query, unpredictable to an off-path attacker. */
    private static final class Rng {
        private final SecureRandom random = new SecureRandom();
        private final byte[] block = new byte[4096];
        private int pos = block.length;

        int next16() {
            if (pos + 2 > block.length) {
                random.nextBytes(block);
                pos = 0;
            }
            int v = (block[pos] & 0xFF) << 8 | (block[pos + 1] & 0xFF);
            pos += 2;
            return v;
        }
    }

    private final Dns64Counters counters;
    private final Lane[] lanes;
    private final ThreadPoolExecutor tcp;
    private final ThreadLocal<Rng> rng = ThreadLocal.withInitial(Rng::new);
    private final ThreadLocal<ByteBuffer> sendBuffers = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(512));
    private volatile Servers servers;
    private volatile boolean running = true;
    private final AtomicInteger nextLane = new AtomicInteger();
    private final ThreadLocal<Lane> homeLane = ThreadLocal.withInitial(this::nextLane);

    Upstream(Dns64Counters counters, int laneCount, List<InetSocketAddress> servers, long timeoutNanos,
             InNamespace namespace) throws IOException {
        this.counters = counters;
        this.servers = new Servers(servers, timeoutNanos);
        tcp = new ThreadPoolExecutor(0, 4, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(256), r -> {
            Thread t = new Thread(namespace.thread(r), "dns64-upstream-tcp");
            t.setDaemon(true);
            return t;
        });
        lanes = new Lane[laneCount];
        try {
            for (int i = 0; i < laneCount; i++) {
                lanes[i] = new Lane(i, namespace);
            }
        } catch (IOException e) {
            close();
            throw e;
        }
        for (Lane l : lanes) {
            l.thread.start();
        }
    }

    /** Swaps the upstream list; queries already sent finish with the old one. */
    void configure(List<InetSocketAddress> list, long timeoutNanos) {
        Servers s = servers;
        if (!Arrays.asList(s.addresses).equals(list) || s.timeoutNanos != timeoutNanos) {
            servers = new Servers(list, timeoutNanos);
        }
    }

    /**
     * Asks the upstreams for (qname, qtype, qclass); {@code qname} is uncompressed wire form, its first
     * {@code qnameLen} bytes. DO and CD are passed on (RFC 6147 §5.5: a DNS64 forwards the client's DNSSEC bits).
     */
    void query(byte[] qname, int qnameLen, int qtype, int qclass, boolean dnssecOk, boolean cd, Callback cb) {
        Servers s = servers;
        Request req = new Request(qname, qnameLen, qtype, qclass, dnssecOk, cd, cb, s);
        send(lane(), req, 0, s.first(System.nanoTime()));
    }

    private Lane nextLane() {
        return lanes[Math.floorMod(nextLane.getAndIncrement(), lanes.length)];
    }

    private Lane lane() {
        Thread t = Thread.currentThread();
        if (t instanceof LaneThread lt && lt.lane.owner == this) {
            return lt.lane; // a follow-up query from an answer callback stays on its lane
        }
        return homeLane.get(); // each listener thread keeps one lane, handed out in turn
    }

    private void send(Lane lane, Request req, int attempt, int server) {
        if (!running) {
            req.cb.onFailure(false);
            return;
        }
        Rng r = rng.get();
        int key;
        Slot slot;
        int tries = 0;
        do {
            int idx = r.next16() % SOCKETS_PER_LANE;
            key = idx << 16 | r.next16();
            slot = lane.slots.get(idx);
        } while (lane.pending.containsKey(key) && ++tries < 16);
        byte[] wire = queryWire(key & 0xFFFF, req);
        long deadline = System.nanoTime() + req.servers.timeoutNanos;
        Pending p = new Pending(req, slot, key, server, attempt, wire, deadline);
        if (lane.pending.putIfAbsent(key, p) != null) {
            counters.inc(Dns64Counter.UPSTREAM_ERRORS); // 16 collisions in a row: the lane is saturated
            req.cb.onFailure(false);
            return;
        }
        ByteBuffer buf = sendBuffers.get();
        buf.clear();
        buf.put(wire).flip();
        try {
            slot.channel.send(buf, req.servers.addresses[server]);
            slot.uses.incrementAndGet();
            counters.inc(Dns64Counter.UPSTREAM_QUERIES);
        } catch (IOException | RuntimeException e) {
            if (lane.pending.remove(key, p)) {
                counters.inc(Dns64Counter.UPSTREAM_ERRORS);
                p.wire = null;
                retryOrFail(lane, p, p.take(), false);
            }
        }
    }

    /** The query: RD=1, AD=1 (RFC 6840 §5.7), CD as asked, and an OPT record with our size and the DO bit. */
    private static byte[] queryWire(int id, Request req) {
        byte[] w = new byte[Wire.HEADER + req.qnameLen + 4 + 11];
        Wire.put16(w, 0, id);
        Wire.put16(w, 2, Wire.FLAG_RD | Wire.FLAG_AD | (req.cd ? Wire.FLAG_CD : 0));
        Wire.put16(w, 4, 1);
        Wire.put16(w, 10, 1);
        System.arraycopy(req.qname, 0, w, Wire.HEADER, req.qnameLen);
        int p = Wire.HEADER + req.qnameLen;
        Wire.put16(w, p, req.qtype);
        Wire.put16(w, p + 2, req.qclass);
        p += 4;
        w[p] = 0;
        Wire.put16(w, p + 1, Wire.TYPE_OPT);
        Wire.put16(w, p + 3, UPSTREAM_UDP_SIZE);
        w[p + 7] = (byte) (req.dnssecOk ? 0x80 : 0);
        return w;
    }

    /** RFC 5452 §9.1: QR set, same ID, one question equal to ours (name compared without case). */
    private static boolean matches(Pending p, Request r, byte[] msg, int len) {
        if (len < Wire.HEADER || Wire.u16(msg, 0) != (p.key & 0xFFFF) || (msg[2] & 0x80) == 0
                || Wire.u16(msg, 4) != 1) {
            return false;
        }
        int end = Wire.skipName(msg, Wire.HEADER, len);
        return end > 0 && end + 4 <= len
                && Wire.sameName(r.qname, 0, r.qnameLen, msg, Wire.HEADER, end)
                && Wire.u16(msg, end) == r.qtype && Wire.u16(msg, end + 2) == r.qclass;
    }

    private void retryOrFail(Lane lane, Pending p, Request r, boolean timeout) {
        Servers s = r.servers;
        int attempts = Math.min(MAX_ATTEMPTS, s.addresses.length);
        if (p.attempt + 1 < attempts && running) {
            counters.inc(Dns64Counter.UPSTREAM_FAILOVERS);
            send(lane, r, p.attempt + 1, (p.server + 1) % s.addresses.length);
        } else {
            r.cb.onFailure(timeout);
        }
    }

    private static void healthy(Pending p, Request r) {
        r.servers.failures[p.server].set(0);
    }

    private static void unhealthy(Pending p, Request r) {
        Servers s = r.servers;
        if (s.failures[p.server].incrementAndGet() >= FAILURES_TO_SKIP) {
            s.skipUntil[p.server] = System.nanoTime() + SKIP_NANOS;
        }
    }

    /** RFC 7766 §5: the same query over TCP, after a truncated UDP answer. */
    private void retryOverTcp(Lane lane, Pending p, Request r, byte[] wire) {
        counters.inc(Dns64Counter.UPSTREAM_TCP_QUERIES);
        try {
            tcp.execute(() -> {
                InetSocketAddress server = r.servers.addresses[p.server];
                int timeoutMs = (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(r.servers.timeoutNanos));
                try (Socket s = new Socket()) {
                    s.connect(server, timeoutMs);
                    s.setSoTimeout(timeoutMs);
                    s.setTcpNoDelay(true);
                    OutputStream out = s.getOutputStream();
                    byte[] framed = new byte[wire.length + 2];
                    Wire.put16(framed, 0, wire.length);
                    System.arraycopy(wire, 0, framed, 2, wire.length);
                    out.write(framed);
                    out.flush();
                    InputStream in = s.getInputStream();
                    DataInputStream din = new DataInputStream(in);
                    int len = din.readUnsignedShort();
                    byte[] msg = new byte[len];
                    din.readFully(msg);
                    if (!matches(p, r, msg, len)) {
                        counters.inc(Dns64Counter.UPSTREAM_REJECTED);
                        throw new IOException("TCP answer does not match the question");
                    }
                    r.cb.onAnswer(msg, len);
                } catch (IOException | RuntimeException e) {
                    counters.inc(Dns64Counter.UPSTREAM_ERRORS);
                    retryOrFail(lane, p, r, false);
                }
            });
        } catch (RejectedExecutionException e) {
            counters.inc(Dns64Counter.UPSTREAM_ERRORS);
            retryOrFail(lane, p, r, false);
        }
    }

    @Override
    public void close() {
        running = false;
        for (Lane l : lanes) {
            if (l != null) {
                l.stop();
            }
        }
        tcp.shutdownNow();
    }

    private static final class LaneThread extends Thread {
        final Lane lane;

        LaneThread(Lane lane, String name, InNamespace namespace) {
            super(namespace.thread(lane::run), name);
            this.lane = lane;
            setDaemon(true);
        }

    }

    private record Retired(Slot slot, SelectionKey key, long closeAt) {
    }

    /** One selector thread and its sockets. */
    private final class Lane {
        final Upstream owner = Upstream.this;
        final Selector selector;
        final AtomicReferenceArray<Slot> slots = new AtomicReferenceArray<>(SOCKETS_PER_LANE);
        final SelectionKey[] keys = new SelectionKey[SOCKETS_PER_LANE];
        final ConcurrentHashMap<Integer, Pending> pending = new ConcurrentHashMap<>();
        final List<Retired> retired = new ArrayList<>();
        final ByteBuffer rbuf = ByteBuffer.allocateDirect(65535);
        final byte[] rarr = new byte[65535];
        final LaneThread thread;
        private long lastRotation;
        private long lastScan;

        Lane(int index, InNamespace namespace) throws IOException {
            selector = Selector.open();
            long now = System.nanoTime();
            for (int i = 0; i < SOCKETS_PER_LANE; i++) {
                open(i, now);
            }
            thread = new LaneThread(this, "dns64-upstream-" + index, namespace);
        }

        private void open(int i, long now) throws IOException {
            DatagramChannel ch = DatagramChannel.open();
            try {
                ch.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
                ch.bind(null); // an ephemeral port, chosen at random by the kernel
                ch.configureBlocking(false);
                Slot s = new Slot(i, ch, now);
                keys[i] = ch.register(selector, SelectionKey.OP_READ, s);
                slots.set(i, s);
            } catch (IOException e) {
                ch.close();
                throw e;
            }
        }

        void run() {
            while (running) {
                try {
                    selector.select(10);
                    Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                    while (it.hasNext()) {
                        SelectionKey k = it.next();
                        it.remove();
                        if (k.isValid() && k.isReadable()) {
                            drain((Slot) k.attachment());
                        }
                    }
                    long now = System.nanoTime();
                    if (now - lastScan > SCAN_NANOS) {
                        lastScan = now;
                        expire(now);
                    }
                    if (now - lastRotation > TimeUnit.MILLISECONDS.toNanos(200)) {
                        lastRotation = now;
                        rotate(now);
                    }
                } catch (IOException | RuntimeException e) {
                    if (running) {
                        counters.inc(Dns64Counter.UPSTREAM_ERRORS);
                    }
                }
            }
        }

        private void drain(Slot slot) throws IOException {
            for (int i = 0; i < 256; i++) {
                rbuf.clear();
                SocketAddress from = slot.channel.receive(rbuf);
                if (from == null) {
                    return;
                }
                int n = rbuf.position();
                rbuf.flip();
                rbuf.get(rarr, 0, n);
                answer(slot, from, n);
            }
        }

        private void answer(Slot slot, SocketAddress from, int n) {
            if (n < Wire.HEADER) {
                counters.inc(Dns64Counter.UPSTREAM_REJECTED);
                return;
            }
            int key = slot.index << 16 | Wire.u16(rarr, 0);
            Pending p = pending.get(key);
            Request r = p == null ? null : p.req;
            if (r == null || p.slot != slot || !from.equals(r.servers.addresses[p.server]) || !matches(p, r, rarr, n)) {
                counters.inc(Dns64Counter.UPSTREAM_REJECTED); // RFC 5452: late, stray or spoofed
                return;
            }
            if (!pending.remove(key, p)) {
                return; // timed out a moment ago
            }
            byte[] wire = p.wire;
            p.wire = null;
            p.take();
            healthy(p, r);
            int rcode = rarr[3] & 0xF;
            if ((rarr[2] & 0x02) != 0) {
                retryOverTcp(this, p, r, wire);
                return;
            }
            if (rcode == 5 && p.attempt + 1 < Math.min(MAX_ATTEMPTS, r.servers.addresses.length)) {
                retryOrFail(this, p, r, false); // REFUSED: that upstream will not serve us; ask the next one
                return;
            }
            r.cb.onAnswer(Arrays.copyOf(rarr, n), n);
        }

        /**
         * Times out what waited too long. Only queries still in flight are in the map (answered ones leave at
         * once), so the scan is short and nothing lingers for the garbage collector to copy.
         */
        private void expire(long now) {
            for (Pending p : pending.values()) {
                if (now - p.deadline >= 0 && pending.remove(p.key, p)) {
                    counters.inc(Dns64Counter.UPSTREAM_TIMEOUTS);
                    p.wire = null;
                    Request r = p.take();
                    unhealthy(p, r);
                    retryOrFail(this, p, r, true);
                }
            }
        }

        /** RFC 5452 §9.2: sockets move to fresh random ports; an old one lingers until its answers are in. */
        private void rotate(long now) {
            for (int i = 0; i < SOCKETS_PER_LANE; i++) {
                Slot s = slots.get(i);
                if (s.uses.get() >= MAX_USES || now - s.opened > MAX_SOCKET_AGE) {
                    SelectionKey old = keys[i];
                    try {
                        open(i, now);
                        retired.add(new Retired(s, old, now + 2 * servers.timeoutNanos + TimeUnit.SECONDS.toNanos(1)));
                    } catch (IOException e) {
                        counters.inc(Dns64Counter.UPSTREAM_ERRORS);
                        return;
                    }
                }
            }
            Iterator<Retired> it = retired.iterator();
            while (it.hasNext()) {
                Retired r = it.next();
                if (now - r.closeAt >= 0) {
                    r.key.cancel();
                    closeQuietly(r.slot.channel);
                    it.remove();
                }
            }
        }

        void stop() {
            selector.wakeup();
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (int i = 0; i < SOCKETS_PER_LANE; i++) {
                Slot s = slots.get(i);
                if (s != null) {
                    closeQuietly(s.channel);
                }
            }
            for (Retired r : retired) {
                closeQuietly(r.slot.channel);
            }
            try {
                selector.close();
            } catch (IOException ignored) {
                // closing
            }
            // Whoever still waits gets an answer: the server is going away.
            for (Pending p : pending.values()) {
                if (pending.remove(p.key, p)) {
                    p.take().cb.onFailure(false);
                }
            }
        }
    }

    private static void closeQuietly(DatagramChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
