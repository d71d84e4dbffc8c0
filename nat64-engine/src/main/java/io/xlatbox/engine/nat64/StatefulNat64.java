package io.xlatbox.engine.nat64;

import io.xlatbox.engine.Counter;
import io.xlatbox.engine.EngineConfig;
import io.xlatbox.engine.L4Protocol;
import io.xlatbox.engine.addr.Rfc6052Prefix;
import io.xlatbox.engine.addr.SpecialIpv4;
import io.xlatbox.engine.addr.StaticBibEntry;
import io.xlatbox.engine.packet.Checksum;
import io.xlatbox.engine.packet.Icmpv4Header;
import io.xlatbox.engine.packet.Icmpv6Header;
import io.xlatbox.engine.packet.IpProtocol;
import io.xlatbox.engine.packet.Ipv6Header;
import io.xlatbox.engine.packet.TcpHeader;
import io.xlatbox.engine.xlat.AddressMapping;
import io.xlatbox.engine.xlat.IcmpErrorOriginator;
import io.xlatbox.engine.xlat.Tuple;
import io.xlatbox.engine.xlat.XlatContext;
import io.xlatbox.engine.Side;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Stateful NAT64 (RFC 6146) as the address mapping of the RFC 7915 translator. The steps follow the RFC:
 * the translator determines the incoming tuple (§3.4); this class filters and updates the BIB and session
 * tables (§3.5: UDP §3.5.1, TCP §3.5.2, ICMP query §3.5.3) and computes the outgoing tuple (§3.6); the
 * translator then translates (§3.7), and hairpinning (§3.8) feeds packets for pool4 back in.
 *
 * <p>One instance per worker, over the shared {@link Nat64State}. A packet of an existing session whose state it
 * does not change takes the fast path, which only reads the tables (and writes the session's last-use time);
 * everything else needs the writer role, or is handed to its holder ({@link #HANDOFF}). Nothing here allocates
 * after construction, except a used-port bitmap the first time a pool4 address gives out a port.
 */
public final class StatefulNat64 implements AddressMapping, ExpiryWheel.Deadlines {
    private static final int TCP = 0;
    private static final int UDP = 1;
    private static final int ICMP = 2;

    private final Nat64State st;
    private final int worker;
    private long epoch;
    /** This worker holds the writer role (see {@link Nat64State}). */
    private boolean writing;

    private XlatContext ctx;
    private IcmpErrorOriginator errors;

    /** A worker's view of the shared state. */
    public StatefulNat64(Nat64State state) {
        this.st = state;
        this.worker = state.registerWorker();
    }

    public Nat64State state() {
        return st;
    }

    /** Connects the mapping to the worker context it runs in (they refer to each other). */
    public void bind(XlatContext context, IcmpErrorOriginator originator) {
        this.ctx = context;
        this.errors = originator;
    }

    private static int protoIndex(int ipProtocol) {
        return ipProtocol == IpProtocol.TCP ? TCP : ipProtocol == IpProtocol.UDP ? UDP : ICMP;
    }

    @Override
    public boolean translatesOtherProtocols() {
        return false;
    }

    // ------------------------------------------------------------------------------------------------------
    // §3.5 filtering and updating, §3.6 outgoing tuple: IPv6 to IPv4

    @Override
    public int map6to4(Tuple t) {
        EngineConfig c = ctx.config;
        Rfc6052Prefix pool6 = c.pool6();
        if (admitError6(t) != TRANSLATE) {
            return DROP;
        }
        int z = pool6.extract(t.dst6Hi, t.dst6Lo);
        if (!embeddable(c, z)) {
            return drop(t, Counter.DROP_NON_GLOBAL);
        }
        t.out4Dst = z;
        int p = protoIndex(t.protocol);
        int zPort = p == ICMP ? 0 : t.dstPort;
        if (!t.fragment && !t.errorLookup) {
            // Fast path, for any worker: an existing session whose state this packet does not change.
            int s = st.sessions.find6(t.src6Hi, t.src6Lo, t.srcPort, z, zPort, p);
            if (s >= 0 && st.sessions.matches6(s, t.src6Hi, t.src6Lo, t.srcPort, z, zPort, p)
                    && refreshesOnly(s, p, true, t.tcpFlags)) {
                t.out4Src = st.sessions.local4(s);
                t.outSrcPort = st.sessions.localPort(s);
                t.outDstPort = p == ICMP ? t.outSrcPort : t.dstPort;
                return TRANSLATE;
            }
        }
        return writer() ? slow6to4(t, c, p, z, zPort) : HANDOFF;
    }

    /** Everything but the fast path, under the writer role; kept apart so that the fast path stays small. */
    private int slow6to4(Tuple t, EngineConfig c, int p, int z, int zPort) {
        if (t.fragment && !t.firstFragment) {
            if (t.errorLookup) { // the quoted packet is a later fragment: no ports to find its session by
                return drop(t, Counter.DROP_NO_SESSION);
            }
            // §3.4: a later fragment takes the translation of its packet's first fragment.
            long kc = (long) t.fragmentId << 32 | (z & 0xFFFFFFFFL);
            int e = st.frags64.find(t.src6Hi, t.src6Lo, kc);
            if (e >= 0) {
                t.out4Src = (int) st.frags64.valueLo(e);
                return TRANSLATE;
            }
            if (st.frags64.hold(t.src6Hi, t.src6Lo, kc, t.packet, t.packetOffset, t.packetLength,
                    ctx.now + c.fragmentTimeout().toMillis())) {
                ctx.count(Counter.FRAGMENTS_QUEUED);
                return STOLEN;
            }
            return drop(t, Counter.DROP_FRAGMENT_BUFFER_FULL);
        }
        if (t.errorLookup) {
            int b = st.bibs.find6(p, t.src6Hi, t.src6Lo, t.srcPort);
            if (b < 0) {
                return drop(t, Counter.DROP_NO_SESSION);
            }
            out4(t, b, p);
            return TRANSLATE;
        }
        int s = st.sessions.find6(t.src6Hi, t.src6Lo, t.srcPort, z, zPort, p);
        int v;
        if (s >= 0) {
            if (p == TCP) {
                if (st.sessions.state(s) == TcpState.V4_INIT && (t.tcpFlags & TcpHeader.SYN) != 0) {
                    discardStoredSyn(s); // the IPv6 side answers: the held IPv4 SYN has done its job
                }
                advance(s, true, t.tcpFlags);
            } else {
                touch(s);
            }
            t.out4Src = st.sessions.local4(s);
            t.outSrcPort = st.sessions.localPort(s);
            t.outDstPort = p == ICMP ? t.outSrcPort : t.dstPort;
            v = TRANSLATE;
        } else {
            v = p == TCP ? newTcp6(t, c, z) : newSession6(t, c, p, z, zPort);
        }
        if (v == TRANSLATE && t.fragment && t.moreFragments) {
            st.frags64.record(t.src6Hi, t.src6Lo, (long) t.fragmentId << 32 | (z & 0xFFFFFFFFL), 0, t.out4Src,
                    ctx.now + c.fragmentTimeout().toMillis());
        }
        return v;
    }

    /**
     * Whether a packet of existing session {@code s} only refreshes it (or leaves it be), so that the fast path
     * may take it: UDP and ICMP always; TCP unless it changes the state (SYN, FIN, RST at the right moment), or
     * the session waits in V4 INIT, where an IPv4 SYN may be held.
     */
    private boolean refreshesOnly(int s, int p, boolean fromIpv6, int flags) {
        if (p != TCP) {
            touch(s);
            return true;
        }
        int state = st.sessions.state(s);
        if (state == TcpState.V4_INIT) {
            return false;
        }
        int r = TcpStateMachine.next(state, fromIpv6, flags);
        int action = TcpStateMachine.action(r);
        if (TcpStateMachine.state(r) != state || action > TcpStateMachine.REFRESH) {
            return false;
        }
        if (action == TcpStateMachine.REFRESH) {
            touch(s);
        }
        return true;
    }

    /** Takes the writer role for this packet if it can (see {@link Nat64State}); never waits. */
    private boolean writer() {
        if (!writing) {
            writing = st.tryAcquireWriter();
        }
        return writing;
    }

    /** Whether this worker holds the writer role now. */
    public boolean holdsWriter() {
        return writing;
    }

    /** Takes the writer role if free (for timers and queued packets); true when held. */
    public boolean tryWriter() {
        return writer();
    }

    /** For the control plane: waits for the writer role. */
    public void acquireWriterBlocking() {
        if (!writing) {
            st.acquireWriter();
            writing = true;
        }
    }

    public void releaseWriter() {
        if (writing) {
            writing = false;
            st.releaseWriter();
        }
    }

    /** The worker starts translating a packet: entries it reads now stay unreused until it is done. */
    public void beginPacket() {
        st.publishEpoch(worker, ++epoch);
    }

    public void endPacket() {
        st.publishEpoch(worker, ++epoch);
    }

    /** §3.5: only packets to Pref64 are ours, and one from Pref64 would loop. Errors are checked on the outside. */
    @Override
    public int admitError6(Tuple t) {
        Rfc6052Prefix pool6 = ctx.config.pool6();
        if (!pool6.contains(t.dst6Hi, t.dst6Lo)) {
            return drop(t, Counter.DROP_NOT_POOL6);
        }
        if (pool6.contains(t.src6Hi, t.src6Lo)) {
            return drop(t, Counter.DROP_HAIRPIN_LOOP);
        }
        return TRANSLATE;
    }

    /** §3.5.1 (UDP) and §3.5.3 (ICMP query) from the IPv6 side, for a packet without a session. */
    private int newSession6(Tuple t, EngineConfig c, int p, int z, int zPort) {
        if (!withinLimits6(t, c)) {
            return DROP;
        }
        int b = st.bibs.find6(p, t.src6Hi, t.src6Lo, t.srcPort);
        boolean newBib = b < 0;
        if (newBib) {
            b = createBib6(t, p);
            if (b < 0) {
                return DROP;
            }
        }
        if (createSession(b, z, zPort, TcpState.NONE, p == UDP ? TimerClass.UDP : TimerClass.ICMP) < 0) {
            if (newBib) {
                removeBib(b);
            }
            return limitDrop6(t, Counter.DROP_SESSION_LIMIT);
        }
        out4(t, b, p);
        return TRANSLATE;
    }

    /** §3.5.2.2 in CLOSED: a TCP packet from the IPv6 side without a session. */
    private int newTcp6(Tuple t, EngineConfig c, int z) {
        int b = st.bibs.find6(TCP, t.src6Hi, t.src6Lo, t.srcPort);
        if ((t.tcpFlags & TcpHeader.SYN) == 0) {
            if (b >= 0) { // a BIB entry but no session: translate, create nothing
                out4(t, b, TCP);
                return TRANSLATE;
            }
            return drop(t, Counter.DROP_TCP_NOT_SYN);
        }
        if (!withinLimits6(t, c)) {
            return DROP;
        }
        if (b < 0) {
            int slot = st.syns.findUnbound(z, t.dstPort);
            if (slot >= 0) {
                return simultaneousOpen(t, z, slot);
            }
            b = createBib6(t, TCP);
            if (b < 0) {
                return DROP;
            }
        }
        return finishOpen(t, b, z, TcpState.V6_INIT, TimerClass.TCP_TRANS);
    }

    /**
     * §3.5.2.2 simultaneous open: an IPv6 SYN meets an IPv4 SYN held for its peer, so the IPv6 side takes the
     * IPv4 transport address that the IPv4 SYN was sent to, and both sides have now sent a SYN.
     */
    private int simultaneousOpen(Tuple t, int z, int slot) {
        int t4 = st.syns.local4(slot);
        int tPort = st.syns.localPort(slot);
        if (st.pool4.isUsed(TCP, t4, tPort) || st.bibs.find4(TCP, t4, tPort) >= 0) {
            st.syns.remove(slot);
            int b = createBib6(t, TCP);
            if (b < 0) {
                return DROP;
            }
            return finishOpen(t, b, z, TcpState.V6_INIT, TimerClass.TCP_TRANS);
        }
        int host = st.hosts.getOrAdd(t.src6Hi, t.src6Lo);
        if (host < 0) {
            return limitDrop6(t, Counter.DROP_SESSION_LIMIT);
        }
        int b = st.bibs.add(TCP, t.src6Hi, t.src6Lo, t.srcPort, t4, tPort, false, host);
        if (b < 0) {
            st.hosts.releaseIfUnused(host);
            return limitDrop6(t, Counter.DROP_SESSION_LIMIT);
        }
        st.pool4.reserve(TCP, t4, tPort);
        st.hosts.bibs[host]++;
        if (st.hosts.paired[host] == 0) {
            st.hosts.paired[host] = t4;
        }
        ctx.count(Counter.BIB_CREATED);
        st.syns.remove(slot);
        return finishOpen(t, b, z, TcpState.ESTABLISHED, TimerClass.TCP_EST);
    }

    private int finishOpen(Tuple t, int b, int z, int state, int timer) {
        if (createSession(b, z, t.dstPort, state, timer) < 0) {
            if (st.bibs.sessions(b) == 0 && !st.bibs.isStatic(b)) {
                removeBib(b);
            }
            return limitDrop6(t, Counter.DROP_SESSION_LIMIT);
        }
        out4(t, b, TCP);
        return TRANSLATE;
    }

    /** §3.6: (T,t) from the BIB entry; Z from the destination; ICMP carries the identifier t both ways. */
    private void out4(Tuple t, int b, int p) {
        t.out4Src = st.bibs.v4Addr(b);
        t.outSrcPort = st.bibs.v4Port(b);
        t.outDstPort = p == ICMP ? st.bibs.v4Port(b) : t.dstPort;
    }

    private boolean withinLimits6(Tuple t, EngineConfig c) {
        if (st.sessions.size() >= c.maxSessions()) {
            limitDrop6(t, Counter.DROP_SESSION_LIMIT);
            return false;
        }
        int h = st.hosts.find(t.src6Hi, t.src6Lo);
        if (h >= 0 && st.hosts.sessions[h] >= c.maxSessionsPerHost()) {
            limitDrop6(t, Counter.DROP_HOST_LIMIT);
            return false;
        }
        return true;
    }

    /** A limit stops the packet: the sender learns at once (Destination Unreachable, administratively prohibited). */
    private static int limitDrop6(Tuple t, Counter why) {
        t.drop = why;
        t.errorType = Icmpv6Header.DEST_UNREACHABLE;
        t.errorCode = Icmpv6Header.CODE_ADMIN_PROHIBITED;
        return DROP;
    }

    /** §3.5.1.1: a new BIB entry with an IPv4 transport address from pool4; -1 after setting the drop. */
    private int createBib6(Tuple t, int p) {
        int host = st.hosts.getOrAdd(t.src6Hi, t.src6Lo);
        if (host < 0) {
            limitDrop6(t, Counter.DROP_SESSION_LIMIT);
            return -1;
        }
        int spread = HashIndex.hash(t.src6Hi ^ st.secret, t.src6Lo, (long) p << 16 | t.srcPort);
        long a = st.pool4.allocate(p, st.hosts.paired[host], t.srcPort, spread);
        if (a < 0) {
            st.hosts.releaseIfUnused(host);
            t.drop = Counter.DROP_POOL_EXHAUSTED;
            if (p != ICMP) { // §3.5.1: SHOULD send Address Unreachable; §3.5.3 sends nothing for ICMP
                t.errorType = Icmpv6Header.DEST_UNREACHABLE;
                t.errorCode = Icmpv6Header.CODE_ADDRESS_UNREACHABLE;
            }
            return -1;
        }
        int t4 = (int) (a >>> 16);
        int tPort = (int) (a & 0xFFFF);
        int b = st.bibs.add(p, t.src6Hi, t.src6Lo, t.srcPort, t4, tPort, false, host);
        if (b < 0) {
            st.pool4.release(p, t4, tPort);
            st.hosts.releaseIfUnused(host);
            limitDrop6(t, Counter.DROP_SESSION_LIMIT);
            return -1;
        }
        st.hosts.bibs[host]++;
        if (st.hosts.paired[host] == 0) {
            st.hosts.paired[host] = t4;
        }
        ctx.count(Counter.BIB_CREATED);
        return b;
    }

    // ------------------------------------------------------------------------------------------------------
    // §3.5 filtering and updating, §3.6 outgoing tuple: IPv4 to IPv6

    @Override
    public int map4to6(Tuple t) {
        EngineConfig c = ctx.config;
        Rfc6052Prefix pool6 = c.pool6();
        int z = t.src4;
        if (!embeddable(c, z)) {
            return drop(t, Counter.DROP_NON_GLOBAL);
        }
        t.out6SrcHi = pool6.embedHi(z);
        t.out6SrcLo = pool6.embedLo(z);
        int p = protoIndex(t.protocol);
        int zPort = p == ICMP ? 0 : t.srcPort;
        if (!t.fragment && !t.errorLookup) {
            // Fast path, for any worker: an existing session whose state this packet does not change.
            int s = st.sessions.find4(t.dst4, t.dstPort, z, zPort, p);
            if (s >= 0 && st.sessions.matches4(s, t.dst4, t.dstPort, z, zPort, p)
                    && refreshesOnly(s, p, false, t.tcpFlags)) {
                t.out6DstHi = st.sessions.v6Hi(s);
                t.out6DstLo = st.sessions.v6Lo(s);
                t.outDstPort = st.sessions.v6Port(s);
                t.outSrcPort = p == ICMP ? t.outDstPort : t.srcPort;
                return TRANSLATE;
            }
        }
        return writer() ? slow4to6(t, c, p, z, zPort) : HANDOFF;
    }

    /** Everything but the fast path, under the writer role; kept apart so that the fast path stays small. */
    private int slow4to6(Tuple t, EngineConfig c, int p, int z, int zPort) {
        if (t.fragment && !t.firstFragment) {
            if (t.errorLookup) {
                return drop(t, Counter.DROP_NO_SESSION);
            }
            long ka = (long) t.src4 << 32 | (t.dst4 & 0xFFFFFFFFL);
            long kb = (long) t.fragmentId << 8 | t.protocol;
            int e = st.frags46.find(ka, kb, 0);
            if (e >= 0) {
                t.out6DstHi = st.frags46.valueHi(e);
                t.out6DstLo = st.frags46.valueLo(e);
                return TRANSLATE;
            }
            if (!isLocal4(t.dst4)) {
                return drop(t, Counter.DROP_NOT_POOL4);
            }
            if (st.frags46.hold(ka, kb, 0, t.packet, t.packetOffset, t.packetLength,
                    ctx.now + c.fragmentTimeout().toMillis())) {
                ctx.count(Counter.FRAGMENTS_QUEUED);
                return STOLEN;
            }
            return drop(t, Counter.DROP_FRAGMENT_BUFFER_FULL);
        }
        int v;
        int s = t.errorLookup ? -1 : st.sessions.find4(t.dst4, t.dstPort, z, zPort, p);
        if (s >= 0) {
            if (p == TCP) {
                if (st.sessions.state(s) == TcpState.V4_INIT && st.syns.size() > 0 && st.syns.findBySession(s) >= 0) {
                    // The stored SYN waits for the IPv6 side; a retransmission must not let itself in.
                    return drop(t, Counter.DROP_FILTERED);
                }
                advance(s, false, t.tcpFlags);
            } else {
                touch(s);
            }
            t.out6DstHi = st.sessions.v6Hi(s);
            t.out6DstLo = st.sessions.v6Lo(s);
            t.outDstPort = st.sessions.v6Port(s);
            t.outSrcPort = p == ICMP ? t.outDstPort : t.srcPort;
            v = TRANSLATE;
        } else {
            int b = st.bibs.find4(p, t.dst4, t.dstPort);
            if (t.errorLookup) {
                if (b < 0) {
                    return drop(t, Counter.DROP_NO_SESSION);
                }
                out6(t, b, p);
                return TRANSLATE;
            }
            if (b < 0 && !isLocal4(t.dst4)) {
                v = drop(t, Counter.DROP_NOT_POOL4);
            } else {
                v = p == TCP ? newTcp4(t, c, b) : newSession4(t, c, p, b);
            }
        }
        if (v == TRANSLATE && t.fragment && t.moreFragments) {
            st.frags46.record((long) t.src4 << 32 | (t.dst4 & 0xFFFFFFFFL), (long) t.fragmentId << 8 | t.protocol, 0,
                    t.out6DstHi, t.out6DstLo, ctx.now + c.fragmentTimeout().toMillis());
        }
        return v;
    }

    /** §3.5.1 (UDP) and §3.5.3 (ICMP query) from the IPv4 side, for a packet without a session. */
    private int newSession4(Tuple t, EngineConfig c, int p, int b) {
        if (b < 0) {
            // No BIB entry: Destination Unreachable, Host Unreachable.
            t.drop = Counter.DROP_NO_BIB;
            t.errorType = Icmpv4Header.DEST_UNREACHABLE;
            t.errorCode = Icmpv4Header.CODE_HOST_UNREACHABLE;
            return DROP;
        }
        int z = t.src4;
        if (c.addressDependentFiltering() && st.adf.get(b, z, 0) < 0) {
            return filtered4(t);
        }
        if (!withinLimits4(t, c, b)) {
            return DROP;
        }
        if (createSession(b, z, p == ICMP ? 0 : t.srcPort, TcpState.NONE,
                p == UDP ? TimerClass.UDP : TimerClass.ICMP) < 0) {
            return limitDrop4(t, Counter.DROP_SESSION_LIMIT);
        }
        out6(t, b, p);
        return TRANSLATE;
    }

    /** §3.5.2.2 in CLOSED: a TCP packet from the IPv4 side without a session. */
    private int newTcp4(Tuple t, EngineConfig c, int b) {
        boolean syn = (t.tcpFlags & TcpHeader.SYN) != 0;
        int z = t.src4;
        if (b < 0) {
            if (!syn) {
                return drop(t, Counter.DROP_NO_BIB); // silently: no ICMP error for TCP without state
            }
            if (c.dropExternallyInitiatedTcp()) {
                return drop(t, Counter.DROP_FILTERED);
            }
            // Hold the SYN for TCP_INCOMING_SYN: an IPv6 SYN may still come (simultaneous open).
            return holdSyn(t, c, -1);
        }
        if (!syn) {
            if (c.addressDependentFiltering() && st.adf.get(b, z, 0) < 0) {
                return drop(t, Counter.DROP_FILTERED);
            }
            out6(t, b, TCP); // a BIB entry but no session: translate, create nothing
            return TRANSLATE;
        }
        if (c.dropExternallyInitiatedTcp()) {
            return drop(t, Counter.DROP_FILTERED);
        }
        if (!withinLimits4(t, c, b)) {
            return DROP;
        }
        if (c.addressDependentFiltering() && st.adf.get(b, z, 0) < 0) {
            int s = createSession(b, z, t.srcPort, TcpState.V4_INIT, TimerClass.TCP_INCOMING_SYN);
            if (s < 0) {
                return limitDrop4(t, Counter.DROP_SESSION_LIMIT);
            }
            return holdSyn(t, c, s);
        }
        if (createSession(b, z, t.srcPort, TcpState.V4_INIT, TimerClass.TCP_TRANS) < 0) {
            return limitDrop4(t, Counter.DROP_SESSION_LIMIT);
        }
        out6(t, b, TCP);
        return TRANSLATE;
    }

    private int holdSyn(Tuple t, EngineConfig c, int session) {
        int r = st.syns.store(t.packet, t.packetOffset, t.packetLength, t.src4, t.srcPort, t.dst4, t.dstPort,
                ctx.now + c.tcpIncomingSynTimeout().toMillis(), session);
        if (r == SynStore.DUPLICATE) {
            if (session >= 0) {
                removeSession(session);
            }
            return drop(t, Counter.DROP_FILTERED);
        }
        if (r == SynStore.FULL) {
            if (session >= 0) {
                removeSession(session);
            }
            t.drop = Counter.DROP_SYN_STORE_FULL;
            t.errorType = Icmpv4Header.DEST_UNREACHABLE;
            t.errorCode = Icmpv4Header.CODE_PORT_UNREACHABLE;
            return DROP;
        }
        ctx.count(Counter.SYNS_STORED);
        return STOLEN;
    }

    private void discardStoredSyn(int s) {
        int slot = st.syns.findBySession(s);
        if (slot >= 0) {
            st.syns.remove(slot);
        }
    }

    /** §3.6: (X',x) from the BIB entry; Y' is pool6 with the source embedded (set by the caller), y = z. */
    private void out6(Tuple t, int b, int p) {
        t.out6DstHi = st.bibs.v6Hi(b);
        t.out6DstLo = st.bibs.v6Lo(b);
        t.outDstPort = st.bibs.v6Port(b);
        t.outSrcPort = p == ICMP ? st.bibs.v6Port(b) : t.srcPort;
    }

    private boolean withinLimits4(Tuple t, EngineConfig c, int b) {
        if (st.sessions.size() >= c.maxSessions()) {
            limitDrop4(t, Counter.DROP_SESSION_LIMIT);
            return false;
        }
        int h = st.bibs.host(b);
        if (h >= 0 && st.hosts.sessions[h] >= c.maxSessionsPerHost()) {
            limitDrop4(t, Counter.DROP_HOST_LIMIT);
            return false;
        }
        return true;
    }

    private static int limitDrop4(Tuple t, Counter why) {
        t.drop = why;
        t.errorType = Icmpv4Header.DEST_UNREACHABLE;
        t.errorCode = Icmpv4Header.CODE_ADMIN_PROHIBITED;
        return DROP;
    }

    /** Address-dependent filtering refused the packet: Communication Administratively Prohibited. */
    private static int filtered4(Tuple t) {
        return limitDrop4(t, Counter.DROP_FILTERED);
    }

    private boolean isLocal4(int addr) {
        return st.pool4.isPoolAddress(addr);
    }

    /** Whether the address is the translator's own for hairpinning (RFC 6146 §3.8): pool4. */
    public boolean isHairpin(int dst4) {
        return st.pool4.isPoolAddress(dst4);
    }

    // ------------------------------------------------------------------------------------------------------
    // Translated ICMP errors (§3.7)

    @Override
    public boolean errorSource6to4(long hi, long lo, Tuple t) {
        t.errorSource4 = t.out4Src; // T: the IPv6 router's address has no IPv4 form
        return true;
    }

    @Override
    public boolean errorSource4to6(int src4, Tuple t) {
        // The router that sent the error, behind Pref64, so that traceroute shows the hops (as Jool does by
        // default); RFC 7915 §4.1 translates even an "illegal" source here, for troubleshooting.
        Rfc6052Prefix pool6 = ctx.config.pool6();
        t.errorSource6Hi = pool6.embedHi(src4);
        t.errorSource6Lo = pool6.embedLo(src4);
        return true;
    }

    /** RFC 6052 §3.1: the Well-Known Prefix never carries non-global IPv4 addresses (documentation ones excepted). */
    private static boolean embeddable(EngineConfig c, int v4) {
        return !c.pool6().isWellKnown() || c.allowNonGlobalWithWellKnownPrefix() || !SpecialIpv4.isNonGlobal(v4)
                || SpecialIpv4.isDocumentation(v4);
    }

    private static int drop(Tuple t, Counter why) {
        t.drop = why;
        return DROP;
    }

    // ------------------------------------------------------------------------------------------------------
    // Sessions, lifetimes and expiry

    private int createSession(int b, int z, int zPort, int state, int timer) {
        int s = st.sessions.add(b, st.bibs, z, zPort, state, timer, ctx.now);
        if (s < 0 && st.quarantined() > 0) {
            st.reclaim(worker); // seal what was retired ...
            st.reclaim(worker); // ... and free it if no other worker is still inside a packet
            s = st.sessions.add(b, st.bibs, z, zPort, state, timer, ctx.now);
        }
        if (s < 0) {
            return -1;
        }
        st.bibs.addSessions(b, 1);
        int h = st.bibs.host(b);
        if (h >= 0) {
            st.hosts.sessions[h]++;
        }
        int n = st.adf.get(b, z, 0);
        st.adf.put(b, z, 0, n < 0 ? 1 : n + 1);
        st.wheel.schedule(s, ctx.now + TimerClass.millis(ctx.config, timer), ctx.now);
        ctx.count(Counter.SESSIONS_CREATED);
        return s;
    }

    /** A packet refreshes the session: only its last-use time changes; the wheel notices when the slot is due. */
    private void touch(int s) {
        st.sessions.setLastUse(s, ctx.now);
    }

    /** Moves a TCP session through §3.5.2.2 for a packet from one side. */
    private void advance(int s, boolean fromIpv6, int flags) {
        int r = TcpStateMachine.next(st.sessions.state(s), fromIpv6, flags);
        switch (TcpStateMachine.action(r)) {
            case TcpStateMachine.REFRESH:
                st.sessions.setState(s, TcpStateMachine.state(r));
                touch(s);
                break;
            case TcpStateMachine.TO_EST:
                transition(s, TcpStateMachine.state(r), TimerClass.TCP_EST);
                break;
            case TcpStateMachine.TO_TRANS:
                transition(s, TcpStateMachine.state(r), TimerClass.TCP_TRANS);
                break;
            default:
                st.sessions.setState(s, TcpStateMachine.state(r));
        }
    }

    private void transition(int s, int state, int timer) {
        st.sessions.setState(s, state);
        st.sessions.setLastUse(s, ctx.now);
        if (st.sessions.timerClass(s) != timer) {
            st.sessions.setTimerClass(s, timer);
            st.wheel.schedule(s, ctx.now + TimerClass.millis(ctx.config, timer), ctx.now);
        }
    }

    private void removeSession(int s) {
        st.wheel.cancel(s);
        int b = st.sessions.bib(s);
        int z = st.sessions.remote4(s);
        int n = st.adf.get(b, z, 0);
        if (n <= 1) {
            st.adf.remove(b, z, 0);
        } else {
            st.adf.put(b, z, 0, n - 1);
        }
        if (st.syns.size() > 0) {
            discardStoredSyn(s);
        }
        st.sessions.remove(s);
        st.retire(s);
        st.bibs.addSessions(b, -1);
        int h = st.bibs.host(b);
        if (h >= 0) {
            st.hosts.sessions[h]--;
        }
        if (st.bibs.sessions(b) == 0 && !st.bibs.isStatic(b)) {
            removeBib(b);
        }
    }

    private void removeBib(int b) {
        st.pool4.release(st.bibs.proto(b), st.bibs.v4Addr(b), st.bibs.v4Port(b));
        int h = st.bibs.host(b);
        st.bibs.remove(b);
        if (h >= 0) {
            st.hosts.bibs[h]--;
            st.hosts.releaseIfUnused(h);
        }
    }

    @Override
    public long deadline(int s) {
        return st.sessions.lastUse(s) + TimerClass.millis(ctx.config, st.sessions.timerClass(s));
    }

    @Override
    public void due(int s, long now) {
        int state = st.sessions.state(s);
        if (state == TcpState.ESTABLISHED) {
            // §3.5.2.2: an established session that went quiet gets a probe toward the IPv6 end and
            // TCP_TRANS to prove itself alive; any answer brings it back to ESTABLISHED.
            sendProbe(s);
            st.sessions.setState(s, TcpState.TRANS);
            st.sessions.setTimerClass(s, TimerClass.TCP_TRANS);
            st.sessions.setLastUse(s, now);
            st.wheel.schedule(s, now + TimerClass.millis(ctx.config, TimerClass.TCP_TRANS), now);
            return;
        }
        if (state == TcpState.V4_INIT) {
            int slot = st.syns.findBySession(s);
            if (slot >= 0) {
                // TCP_INCOMING_SYN ran out: Port Unreachable carrying the stored SYN.
                ctx.count(Counter.DROP_SYN_TIMEOUT);
                errors.toIpv4(st.syns.buffer(), st.syns.offset(slot), st.syns.length(slot), Icmpv4Header.DEST_UNREACHABLE,
                        Icmpv4Header.CODE_PORT_UNREACHABLE, 0);
                st.syns.remove(slot);
            }
        }
        ctx.count(Counter.SESSIONS_EXPIRED);
        removeSession(s);
    }

    /** A TCP segment with only ACK set and zero sequence numbers, from Y' to X' (what Jool sends). */
    private void sendProbe(int s) {
        int b = st.sessions.bib(s);
        Rfc6052Prefix pool6 = ctx.config.pool6();
        int z = st.sessions.remote4(s);
        long sHi = pool6.embedHi(z);
        long sLo = pool6.embedLo(z);
        ByteBuffer out = ctx.scratch;
        int o = XlatContext.HEADROOM;
        int tcp = o + Ipv6Header.LENGTH;
        out.putShort(tcp, (short) st.sessions.remotePort(s)).putShort(tcp + 2, (short) st.bibs.v6Port(b))
                .putInt(tcp + 4, 0).putInt(tcp + 8, 0).put(tcp + 12, (byte) 0x50).put(tcp + 13, (byte) TcpHeader.ACK)
                .putShort(tcp + 14, (short) 8192).putShort(tcp + 16, (short) 0).putShort(tcp + 18, (short) 0);
        long ph = Checksum.pseudoHeader6(sHi, sLo, st.bibs.v6Hi(b), st.bibs.v6Lo(b), IpProtocol.TCP, TcpHeader.MIN_LENGTH);
        out.putShort(tcp + 16, (short) Checksum.finish(Checksum.add(out, tcp, TcpHeader.MIN_LENGTH, ph)));
        ctx.ip6.wrap(out, o).write(0, 0, TcpHeader.MIN_LENGTH, IpProtocol.TCP, 255, sHi, sLo,
                st.bibs.v6Hi(b), st.bibs.v6Lo(b));
        ctx.count(Counter.TCP_PROBES_SENT);
        ctx.sink.emit(Side.IPV6, out, o, Ipv6Header.LENGTH + TcpHeader.MIN_LENGTH);
    }

    /**
     * Runs the timers up to {@code now}: due sessions, held SYNs whose IPv6 peer never answered, and fragments
     * whose first fragment never came.
     */
    public void expire(long now) {
        st.reclaim(worker);
        st.wheel.advance(now, this);
        for (int slot = st.syns.dueUnbound(now); slot >= 0; slot = st.syns.dueUnbound(now)) {
            ctx.count(Counter.DROP_SYN_TIMEOUT);
            errors.toIpv4(st.syns.buffer(), st.syns.offset(slot), st.syns.length(slot), Icmpv4Header.DEST_UNREACHABLE,
                    Icmpv4Header.CODE_PORT_UNREACHABLE, 0);
            st.syns.remove(slot);
        }
        int dropped = st.frags64.expire(now) + st.frags46.expire(now);
        if (dropped > 0) {
            ctx.counters.add(Counter.DROP_FRAGMENT_TIMEOUT, dropped);
        }
    }

    /** A held fragment whose packet's first fragment has now been translated, as side and slot, or -1. */
    public int readyFragment6() {
        return st.frags64.ready();
    }

    public int readyFragment4() {
        return st.frags46.ready();
    }

    public FragmentTracker fragments(Side from) {
        return from == Side.IPV6 ? st.frags64 : st.frags46;
    }

    // ------------------------------------------------------------------------------------------------------
    // Static BIB and live reconfiguration

    /** Installs static BIB entries (writer role). */
    public void addStaticEntries(List<StaticBibEntry> entries) {
        for (StaticBibEntry e : entries) {
            int p = e.protocol().ordinal();
            if (st.bibs.find6(p, e.ipv6Hi(), e.ipv6Lo(), e.ipv6Port()) >= 0
                    || st.bibs.find4(p, e.ipv4Address(), e.ipv4Port()) >= 0) {
                continue;
            }
            // Room is reserved: dynamic entries never outnumber sessions, static ones never exceed MAX_STATIC_BIB.
            if (st.bibs.add(p, e.ipv6Hi(), e.ipv6Lo(), e.ipv6Port(), e.ipv4Address(), e.ipv4Port(), true, -1) >= 0) {
                st.pool4.reserve(p, e.ipv4Address(), e.ipv4Port());
            }
        }
    }

    private static boolean sameStatic(BibTable bibs, int b, StaticBibEntry e) {
        return bibs.proto(b) == e.protocol().ordinal() && bibs.v6Hi(b) == e.ipv6Hi() && bibs.v6Lo(b) == e.ipv6Lo()
                && bibs.v6Port(b) == e.ipv6Port() && bibs.v4Addr(b) == e.ipv4Address()
                && bibs.v4Port(b) == e.ipv4Port();
    }

    /**
     * Whether a BIB entry survives the change to {@code next}: a new pool6 invalidates every session (their
     * IPv6 view embeds the old prefix); a dynamic entry needs its IPv4 transport address in the new pool4; a
     * static entry must still be configured; a dynamic entry that collides with a new static one gives way.
     */
    private boolean bibSurvives(int b, EngineConfig next, Pool4Allocator nextPool) {
        if (st.bibs.isStatic(b)) {
            for (StaticBibEntry e : next.staticBib()) {
                if (sameStatic(st.bibs, b, e)) {
                    return true;
                }
            }
            return false;
        }
        if (!nextPool.contains(st.bibs.proto(b), st.bibs.v4Addr(b), st.bibs.v4Port(b))) {
            return false;
        }
        for (StaticBibEntry e : next.staticBib()) {
            int p = e.protocol().ordinal();
            if (p == st.bibs.proto(b) && ((st.bibs.v4Addr(b) == e.ipv4Address() && st.bibs.v4Port(b) == e.ipv4Port())
                    || (st.bibs.v6Hi(b) == e.ipv6Hi() && st.bibs.v6Lo(b) == e.ipv6Lo() && st.bibs.v6Port(b) == e.ipv6Port()))) {
                return false;
            }
        }
        return true;
    }

    /** How many sessions {@link #apply} would drop, so that a UI can warn first. */
    public int sessionsDroppedBy(EngineConfig next) {
        boolean pool6Changed = !next.pool6().equals(st.cfg.pool6());
        Pool4Allocator nextPool = new Pool4Allocator(next.pool4());
        int n = 0;
        for (int s = 0; s < st.sessions.capacity(); s++) {
            if (st.sessions.live(s) && (pool6Changed || !bibSurvives(st.sessions.bib(s), next, nextPool))) {
                n++;
            }
        }
        return n;
    }

    /**
     * Switches to a new configuration, keeping every session that does not depend on what changed; the others
     * are dropped and counted. Must run on the owning thread, between packets.
     */
    public int apply(EngineConfig next) {
        if (next.maxSessions() > st.sessions.capacity()) {
            grow(next.maxSessions());
        }
        EngineConfig prev = st.cfg;
        st.cfg = next;
        boolean pool6Changed = !next.pool6().equals(prev.pool6());
        Pool4Allocator nextPool = new Pool4Allocator(next.pool4());
        int dropped = 0;
        for (int s = 0; s < st.sessions.capacity(); s++) {
            if (st.sessions.live(s) && (pool6Changed || !bibSurvives(st.sessions.bib(s), next, nextPool))) {
                removeSession(s);
                dropped++;
            }
        }
        for (int b = 0; b < st.bibs.capacity(); b++) {
            if (st.bibs.live(b) && !bibSurvives(b, next, nextPool)) {
                removeBib(b);
            }
        }
        for (int b = 0; b < st.bibs.capacity(); b++) {
            if (st.bibs.live(b)) {
                nextPool.reserve(st.bibs.proto(b), st.bibs.v4Addr(b), st.bibs.v4Port(b));
            }
        }
        st.pool4 = nextPool;
        addStaticEntries(next.staticBib());
        if (prev.maxStoredSyns() != next.maxStoredSyns()) {
            st.syns = new SynStore(next.maxStoredSyns());
        }
        if (prev.maxFragmentBuffers() != next.maxFragmentBuffers() || prev.ipv4Mtu() != next.ipv4Mtu()
                || prev.ipv6Mtu() != next.ipv6Mtu()) {
            st.newFragmentTrackers(next);
        }
        if (!prev.udpTimeout().equals(next.udpTimeout()) || !prev.icmpTimeout().equals(next.icmpTimeout())
                || !prev.tcpEstablishedTimeout().equals(next.tcpEstablishedTimeout())
                || !prev.tcpTransitoryTimeout().equals(next.tcpTransitoryTimeout())
                || !prev.tcpIncomingSynTimeout().equals(next.tcpIncomingSynTimeout())) {
            st.wheel.rescheduleAll(ctx.now, this);
        }
        if (dropped > 0) {
            ctx.counters.add(Counter.SESSIONS_REMOVED_BY_CONFIG, dropped);
        }
        return dropped;
    }

    /**
     * Moves every BIB entry and session into tables sized for {@code capacity} sessions: ids change, state,
     * lifetimes and pool4 ports do not. Runs at configuration time, never on the packet path.
     */
    private void grow(int capacity) {
        BibTable nb = new BibTable(capacity + EngineConfig.MAX_STATIC_BIB);
        SessionTable ns = new SessionTable(capacity);
        HostTable nh = new HostTable(capacity);
        HashIndex nadf = new HashIndex(capacity);
        ExpiryWheel nw = new ExpiryWheel(capacity);
        int[] bibMap = new int[st.bibs.capacity()];
        for (int b = 0; b < st.bibs.capacity(); b++) {
            if (!st.bibs.live(b)) {
                continue;
            }
            int h = st.bibs.host(b);
            int nhId = -1;
            if (h >= 0) {
                nhId = nh.getOrAdd(st.hosts.hi[h], st.hosts.lo[h]);
                nh.paired[nhId] = st.hosts.paired[h];
                nh.bibs[nhId]++;
            }
            bibMap[b] = nb.add(st.bibs.proto(b), st.bibs.v6Hi(b), st.bibs.v6Lo(b), st.bibs.v6Port(b), st.bibs.v4Addr(b),
                    st.bibs.v4Port(b), st.bibs.isStatic(b), nhId);
        }
        int[] sessionMap = new int[st.sessions.capacity()];
        for (int s = 0; s < st.sessions.capacity(); s++) {
            if (!st.sessions.live(s)) {
                continue;
            }
            int b = bibMap[st.sessions.bib(s)];
            int z = st.sessions.remote4(s);
            int n = ns.add(b, nb, z, st.sessions.remotePort(s), st.sessions.state(s), st.sessions.timerClass(s),
                    st.sessions.lastUse(s));
            sessionMap[s] = n;
            nb.addSessions(b, 1);
            if (nb.host(b) >= 0) {
                nh.sessions[nb.host(b)]++;
            }
            int count = nadf.get(b, z, 0);
            nadf.put(b, z, 0, count < 0 ? 1 : count + 1);
        }
        st.syns.renumberSessions(sessionMap);
        st.bibs = nb;
        st.sessions = ns;
        st.hosts = nh;
        st.adf = nadf;
        st.wheel = nw;
        st.resetQuarantine(capacity);
        for (int s = 0; s < ns.capacity(); s++) {
            if (ns.live(s)) {
                st.wheel.schedule(s, deadline(s), ctx.now);
            }
        }
    }

    /** Number of sessions the tables hold now; {@link #apply} grows them for a larger maxSessions. */
    public int sessionCapacity() {
        return st.sessions.capacity();
    }

    // ------------------------------------------------------------------------------------------------------
    // Status

    public int bibCount(L4Protocol p) {
        return st.bibs.perProtocol[p.ordinal()];
    }

    public int sessionCount(L4Protocol p) {
        return st.sessions.perProtocol[p.ordinal()];
    }

    public int sessionCount() {
        return st.sessions.size();
    }

    public int storedSynCount() {
        return st.syns.size();
    }

    /** Per pool4 address of a protocol: {address, ports in use, ports configured}. */
    public List<long[]> pool4Usage(L4Protocol p) {
        return st.pool4.usage(p.ordinal());
    }

    /** Visits sessions in table order; the visitor returns false to stop. */
    public void forEachSession(SessionVisitor v) {
        forEachSession(0, v);
    }

    /**
     * Visits the sessions from table position {@code from} on, in table order, until the visitor returns false;
     * returns the position to continue from, or -1 after the last. Pages walk the table, never copy it.
     */
    public int forEachSession(int from, SessionVisitor v) {
        Rfc6052Prefix pool6 = st.cfg.pool6();
        for (int s = Math.max(0, from); s < st.sessions.capacity(); s++) {
            if (!st.sessions.live(s)) {
                continue;
            }
            int b = st.sessions.bib(s);
            int z = st.sessions.remote4(s);
            if (!v.visit(L4Protocol.ofIndex(st.bibs.proto(b)), st.bibs.v6Hi(b), st.bibs.v6Lo(b), st.bibs.v6Port(b),
                    pool6.embedHi(z), pool6.embedLo(z), st.sessions.remotePort(s), st.bibs.v4Addr(b), st.bibs.v4Port(b),
                    z, st.sessions.remotePort(s), st.sessions.state(s), deadline(s))) {
                return s + 1;
            }
        }
        return -1;
    }

    /** Visits BIB entries in table order; the visitor returns false to stop. */
    public void forEachBib(BibVisitor v) {
        forEachBib(0, v);
    }

    /** Like {@link #forEachSession(int, SessionVisitor)}, for BIB entries. */
    public int forEachBib(int from, BibVisitor v) {
        for (int b = Math.max(0, from); b < st.bibs.capacity(); b++) {
            if (st.bibs.live(b) && !v.visit(L4Protocol.ofIndex(st.bibs.proto(b)), st.bibs.v6Hi(b), st.bibs.v6Lo(b),
                    st.bibs.v6Port(b), st.bibs.v4Addr(b), st.bibs.v4Port(b), st.bibs.isStatic(b), st.bibs.sessions(b))) {
                return b + 1;
            }
        }
        return -1;
    }

    /** One session as RFC 6146 §3.2 writes it: (X',x),(Y',y) &lt;-&gt; (T,t),(Z,z). */
    @FunctionalInterface
    public interface SessionVisitor {
        boolean visit(L4Protocol protocol, long xHi, long xLo, int x, long yHi, long yLo, int y, int t4, int t,
                      int z4, int z, int tcpState, long expiresAtMillis);
    }

    @FunctionalInterface
    public interface BibVisitor {
        boolean visit(L4Protocol protocol, long xHi, long xLo, int x, int t4, int t, boolean isStatic, int sessions);
    }
}
