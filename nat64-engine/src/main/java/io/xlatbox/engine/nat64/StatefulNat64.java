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
 * <p>Threading: one writer. All methods run on the thread that owns the translator (issue #3 adds the
 * read-only fast path for other workers). Nothing here allocates after construction, except a used-port bitmap
 * the first time a pool4 address gives out a port.
 */
public final class StatefulNat64 implements AddressMapping, ExpiryWheel.Deadlines {
    private static final int TCP = 0;
    private static final int UDP = 1;
    private static final int ICMP = 2;

    private BibTable bibs;
    private SessionTable sessions;
    private HostTable hosts;
    private HashIndex adf;
    private ExpiryWheel wheel;
    private Pool4Allocator pool4;
    private SynStore syns;
    private FragmentTracker frags64;
    private FragmentTracker frags46;
    private final int secret = (int) (System.nanoTime() ^ 0x5DEECE66DL);

    private XlatContext ctx;
    private IcmpErrorOriginator errors;
    /** The configuration last applied to the tables (packets read theirs from the context). */
    private EngineConfig cfg;
    private final Tuple probe = new Tuple();

    public StatefulNat64(EngineConfig config) {
        int cap = config.maxSessions();
        bibs = new BibTable(cap + EngineConfig.MAX_STATIC_BIB);
        sessions = new SessionTable(cap);
        hosts = new HostTable(cap);
        adf = new HashIndex(cap);
        wheel = new ExpiryWheel(cap);
        cfg = config;
        pool4 = new Pool4Allocator(config.pool4());
        syns = new SynStore(config.maxStoredSyns());
        newFragmentTrackers(config);
        addStaticEntries(config.staticBib());
    }

    /** Connects the mapping to the worker context it runs in (they refer to each other). */
    public void bind(XlatContext context, IcmpErrorOriginator originator) {
        this.ctx = context;
        this.errors = originator;
    }

    private void newFragmentTrackers(EngineConfig c) {
        int slot = Math.max(c.ipv6Mtu(), c.ipv4Mtu()) + 64;
        frags64 = new FragmentTracker(c.maxFragmentBuffers(), slot);
        frags46 = new FragmentTracker(c.maxFragmentBuffers(), slot);
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
        if (t.fragment && !t.firstFragment) {
            if (t.errorLookup) { // the quoted packet is a later fragment: no ports to find its session by
                return drop(t, Counter.DROP_NO_SESSION);
            }
            // §3.4: a later fragment takes the translation of its packet's first fragment.
            long kc = (long) t.fragmentId << 32 | (z & 0xFFFFFFFFL);
            int e = frags64.find(t.src6Hi, t.src6Lo, kc);
            if (e >= 0) {
                t.out4Src = (int) frags64.valueLo(e);
                return TRANSLATE;
            }
            if (frags64.hold(t.src6Hi, t.src6Lo, kc, t.packet, t.packetOffset, t.packetLength,
                    ctx.now + c.fragmentTimeout().toMillis())) {
                ctx.count(Counter.FRAGMENTS_QUEUED);
                return STOLEN;
            }
            return drop(t, Counter.DROP_FRAGMENT_BUFFER_FULL);
        }
        if (t.errorLookup) {
            int b = bibs.find6(p, t.src6Hi, t.src6Lo, t.srcPort);
            if (b < 0) {
                return drop(t, Counter.DROP_NO_SESSION);
            }
            out4(t, b, p);
            return TRANSLATE;
        }
        int zPort = p == ICMP ? 0 : t.dstPort;
        int s = sessions.find6(t.src6Hi, t.src6Lo, t.srcPort, z, zPort, p);
        int v;
        if (s >= 0) { // the common case: one lookup, one cache line
            if (p == TCP) {
                if (sessions.state(s) == TcpState.V4_INIT && (t.tcpFlags & TcpHeader.SYN) != 0) {
                    discardStoredSyn(s); // the IPv6 side answers: the held IPv4 SYN has done its job
                }
                advance(s, true, t.tcpFlags);
            } else {
                touch(s);
            }
            t.out4Src = sessions.local4(s);
            t.outSrcPort = sessions.localPort(s);
            t.outDstPort = p == ICMP ? t.outSrcPort : t.dstPort;
            v = TRANSLATE;
        } else {
            v = p == TCP ? newTcp6(t, c, z) : newSession6(t, c, p, z, zPort);
        }
        if (v == TRANSLATE && t.fragment && t.moreFragments) {
            frags64.record(t.src6Hi, t.src6Lo, (long) t.fragmentId << 32 | (z & 0xFFFFFFFFL), 0, t.out4Src,
                    ctx.now + c.fragmentTimeout().toMillis());
        }
        return v;
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
        int b = bibs.find6(p, t.src6Hi, t.src6Lo, t.srcPort);
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
        int b = bibs.find6(TCP, t.src6Hi, t.src6Lo, t.srcPort);
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
            int slot = syns.findUnbound(z, t.dstPort);
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
        int t4 = syns.local4(slot);
        int tPort = syns.localPort(slot);
        if (pool4.isUsed(TCP, t4, tPort) || bibs.find4(TCP, t4, tPort) >= 0) {
            syns.remove(slot);
            int b = createBib6(t, TCP);
            if (b < 0) {
                return DROP;
            }
            return finishOpen(t, b, z, TcpState.V6_INIT, TimerClass.TCP_TRANS);
        }
        int host = hosts.getOrAdd(t.src6Hi, t.src6Lo);
        if (host < 0) {
            return limitDrop6(t, Counter.DROP_SESSION_LIMIT);
        }
        int b = bibs.add(TCP, t.src6Hi, t.src6Lo, t.srcPort, t4, tPort, false, host);
        if (b < 0) {
            hosts.releaseIfUnused(host);
            return limitDrop6(t, Counter.DROP_SESSION_LIMIT);
        }
        pool4.reserve(TCP, t4, tPort);
        hosts.bibs[host]++;
        if (hosts.paired[host] == 0) {
            hosts.paired[host] = t4;
        }
        ctx.count(Counter.BIB_CREATED);
        syns.remove(slot);
        return finishOpen(t, b, z, TcpState.ESTABLISHED, TimerClass.TCP_EST);
    }

    private int finishOpen(Tuple t, int b, int z, int state, int timer) {
        if (createSession(b, z, t.dstPort, state, timer) < 0) {
            if (bibs.sessions(b) == 0 && !bibs.isStatic(b)) {
                removeBib(b);
            }
            return limitDrop6(t, Counter.DROP_SESSION_LIMIT);
        }
        out4(t, b, TCP);
        return TRANSLATE;
    }

    /** §3.6: (T,t) from the BIB entry; Z from the destination; ICMP carries the identifier t both ways. */
    private void out4(Tuple t, int b, int p) {
        t.out4Src = bibs.v4Addr(b);
        t.outSrcPort = bibs.v4Port(b);
        t.outDstPort = p == ICMP ? bibs.v4Port(b) : t.dstPort;
    }

    private boolean withinLimits6(Tuple t, EngineConfig c) {
        if (sessions.size() >= c.maxSessions()) {
            limitDrop6(t, Counter.DROP_SESSION_LIMIT);
            return false;
        }
        int h = hosts.find(t.src6Hi, t.src6Lo);
        if (h >= 0 && hosts.sessions[h] >= c.maxSessionsPerHost()) {
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
        int host = hosts.getOrAdd(t.src6Hi, t.src6Lo);
        if (host < 0) {
            limitDrop6(t, Counter.DROP_SESSION_LIMIT);
            return -1;
        }
        int spread = HashIndex.hash(t.src6Hi ^ secret, t.src6Lo, (long) p << 16 | t.srcPort);
        long a = pool4.allocate(p, hosts.paired[host], t.srcPort, spread);
        if (a < 0) {
            hosts.releaseIfUnused(host);
            t.drop = Counter.DROP_POOL_EXHAUSTED;
            if (p != ICMP) { // §3.5.1: SHOULD send Address Unreachable; §3.5.3 sends nothing for ICMP
                t.errorType = Icmpv6Header.DEST_UNREACHABLE;
                t.errorCode = Icmpv6Header.CODE_ADDRESS_UNREACHABLE;
            }
            return -1;
        }
        int t4 = (int) (a >>> 16);
        int tPort = (int) (a & 0xFFFF);
        int b = bibs.add(p, t.src6Hi, t.src6Lo, t.srcPort, t4, tPort, false, host);
        if (b < 0) {
            pool4.release(p, t4, tPort);
            hosts.releaseIfUnused(host);
            limitDrop6(t, Counter.DROP_SESSION_LIMIT);
            return -1;
        }
        hosts.bibs[host]++;
        if (hosts.paired[host] == 0) {
            hosts.paired[host] = t4;
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
        if (t.fragment && !t.firstFragment) {
            if (t.errorLookup) {
                return drop(t, Counter.DROP_NO_SESSION);
            }
            long ka = (long) t.src4 << 32 | (t.dst4 & 0xFFFFFFFFL);
            long kb = (long) t.fragmentId << 8 | t.protocol;
            int e = frags46.find(ka, kb, 0);
            if (e >= 0) {
                t.out6DstHi = frags46.valueHi(e);
                t.out6DstLo = frags46.valueLo(e);
                return TRANSLATE;
            }
            if (!isLocal4(t.dst4)) {
                return drop(t, Counter.DROP_NOT_POOL4);
            }
            if (frags46.hold(ka, kb, 0, t.packet, t.packetOffset, t.packetLength,
                    ctx.now + c.fragmentTimeout().toMillis())) {
                ctx.count(Counter.FRAGMENTS_QUEUED);
                return STOLEN;
            }
            return drop(t, Counter.DROP_FRAGMENT_BUFFER_FULL);
        }
        int v;
        int s = t.errorLookup ? -1 : sessions.find4(t.dst4, t.dstPort, z, p == ICMP ? 0 : t.srcPort, p);
        if (s >= 0) { // the common case: one lookup, one cache line
            if (p == TCP) {
                if (sessions.state(s) == TcpState.V4_INIT && syns.size() > 0 && syns.findBySession(s) >= 0) {
                    // The stored SYN waits for the IPv6 side; a retransmission must not let itself in.
                    return drop(t, Counter.DROP_FILTERED);
                }
                advance(s, false, t.tcpFlags);
            } else {
                touch(s);
            }
            t.out6DstHi = sessions.v6Hi(s);
            t.out6DstLo = sessions.v6Lo(s);
            t.outDstPort = sessions.v6Port(s);
            t.outSrcPort = p == ICMP ? t.outDstPort : t.srcPort;
            v = TRANSLATE;
        } else {
            int b = bibs.find4(p, t.dst4, t.dstPort);
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
            frags46.record((long) t.src4 << 32 | (t.dst4 & 0xFFFFFFFFL), (long) t.fragmentId << 8 | t.protocol, 0,
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
        if (c.addressDependentFiltering() && adf.get(b, z, 0) < 0) {
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
            if (c.addressDependentFiltering() && adf.get(b, z, 0) < 0) {
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
        if (c.addressDependentFiltering() && adf.get(b, z, 0) < 0) {
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
        int r = syns.store(t.packet, t.packetOffset, t.packetLength, t.src4, t.srcPort, t.dst4, t.dstPort,
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
        int slot = syns.findBySession(s);
        if (slot >= 0) {
            syns.remove(slot);
        }
    }

    /** §3.6: (X',x) from the BIB entry; Y' is pool6 with the source embedded (set by the caller), y = z. */
    private void out6(Tuple t, int b, int p) {
        t.out6DstHi = bibs.v6Hi(b);
        t.out6DstLo = bibs.v6Lo(b);
        t.outDstPort = bibs.v6Port(b);
        t.outSrcPort = p == ICMP ? bibs.v6Port(b) : t.srcPort;
    }

    private boolean withinLimits4(Tuple t, EngineConfig c, int b) {
        if (sessions.size() >= c.maxSessions()) {
            limitDrop4(t, Counter.DROP_SESSION_LIMIT);
            return false;
        }
        int h = bibs.host(b);
        if (h >= 0 && hosts.sessions[h] >= c.maxSessionsPerHost()) {
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
        return pool4.isPoolAddress(addr);
    }

    /** Whether the address is the translator's own for hairpinning (RFC 6146 §3.8): pool4. */
    public boolean isHairpin(int dst4) {
        return pool4.isPoolAddress(dst4);
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
        int s = sessions.add(b, bibs, z, zPort, state, timer, ctx.now);
        if (s < 0) {
            return -1;
        }
        bibs.addSessions(b, 1);
        int h = bibs.host(b);
        if (h >= 0) {
            hosts.sessions[h]++;
        }
        int n = adf.get(b, z, 0);
        adf.put(b, z, 0, n < 0 ? 1 : n + 1);
        wheel.schedule(s, ctx.now + TimerClass.millis(ctx.config, timer), ctx.now);
        ctx.count(Counter.SESSIONS_CREATED);
        return s;
    }

    /** A packet refreshes the session: only its last-use time changes; the wheel notices when the slot is due. */
    private void touch(int s) {
        sessions.setLastUse(s, ctx.now);
    }

    /** Moves a TCP session through §3.5.2.2 for a packet from one side. */
    private void advance(int s, boolean fromIpv6, int flags) {
        int r = TcpStateMachine.next(sessions.state(s), fromIpv6, flags);
        switch (TcpStateMachine.action(r)) {
            case TcpStateMachine.REFRESH:
                sessions.setState(s, TcpStateMachine.state(r));
                touch(s);
                break;
            case TcpStateMachine.TO_EST:
                transition(s, TcpStateMachine.state(r), TimerClass.TCP_EST);
                break;
            case TcpStateMachine.TO_TRANS:
                transition(s, TcpStateMachine.state(r), TimerClass.TCP_TRANS);
                break;
            default:
                sessions.setState(s, TcpStateMachine.state(r));
        }
    }

    private void transition(int s, int state, int timer) {
        sessions.setState(s, state);
        sessions.setLastUse(s, ctx.now);
        if (sessions.timerClass(s) != timer) {
            sessions.setTimerClass(s, timer);
            wheel.schedule(s, ctx.now + TimerClass.millis(ctx.config, timer), ctx.now);
        }
    }

    private void removeSession(int s) {
        wheel.cancel(s);
        int b = sessions.bib(s);
        int z = sessions.remote4(s);
        int n = adf.get(b, z, 0);
        if (n <= 1) {
            adf.remove(b, z, 0);
        } else {
            adf.put(b, z, 0, n - 1);
        }
        if (syns.size() > 0) {
            discardStoredSyn(s);
        }
        sessions.remove(s);
        bibs.addSessions(b, -1);
        int h = bibs.host(b);
        if (h >= 0) {
            hosts.sessions[h]--;
        }
        if (bibs.sessions(b) == 0 && !bibs.isStatic(b)) {
            removeBib(b);
        }
    }

    private void removeBib(int b) {
        pool4.release(bibs.proto(b), bibs.v4Addr(b), bibs.v4Port(b));
        int h = bibs.host(b);
        bibs.remove(b);
        if (h >= 0) {
            hosts.bibs[h]--;
            hosts.releaseIfUnused(h);
        }
    }

    @Override
    public long deadline(int s) {
        return sessions.lastUse(s) + TimerClass.millis(ctx.config, sessions.timerClass(s));
    }

    @Override
    public void due(int s, long now) {
        int state = sessions.state(s);
        if (state == TcpState.ESTABLISHED) {
            // §3.5.2.2: an established session that went quiet gets a probe toward the IPv6 end and
            // TCP_TRANS to prove itself alive; any answer brings it back to ESTABLISHED.
            sendProbe(s);
            sessions.setState(s, TcpState.TRANS);
            sessions.setTimerClass(s, TimerClass.TCP_TRANS);
            sessions.setLastUse(s, now);
            wheel.schedule(s, now + TimerClass.millis(ctx.config, TimerClass.TCP_TRANS), now);
            return;
        }
        if (state == TcpState.V4_INIT) {
            int slot = syns.findBySession(s);
            if (slot >= 0) {
                // TCP_INCOMING_SYN ran out: Port Unreachable carrying the stored SYN.
                ctx.count(Counter.DROP_SYN_TIMEOUT);
                errors.toIpv4(syns.buffer(), syns.offset(slot), syns.length(slot), Icmpv4Header.DEST_UNREACHABLE,
                        Icmpv4Header.CODE_PORT_UNREACHABLE, 0);
                syns.remove(slot);
            }
        }
        ctx.count(Counter.SESSIONS_EXPIRED);
        removeSession(s);
    }

    /** A TCP segment with only ACK set and zero sequence numbers, from Y' to X' (what Jool sends). */
    private void sendProbe(int s) {
        int b = sessions.bib(s);
        Rfc6052Prefix pool6 = ctx.config.pool6();
        int z = sessions.remote4(s);
        long sHi = pool6.embedHi(z);
        long sLo = pool6.embedLo(z);
        ByteBuffer out = ctx.scratch;
        int o = XlatContext.HEADROOM;
        int tcp = o + Ipv6Header.LENGTH;
        out.putShort(tcp, (short) sessions.remotePort(s)).putShort(tcp + 2, (short) bibs.v6Port(b))
                .putInt(tcp + 4, 0).putInt(tcp + 8, 0).put(tcp + 12, (byte) 0x50).put(tcp + 13, (byte) TcpHeader.ACK)
                .putShort(tcp + 14, (short) 8192).putShort(tcp + 16, (short) 0).putShort(tcp + 18, (short) 0);
        long ph = Checksum.pseudoHeader6(sHi, sLo, bibs.v6Hi(b), bibs.v6Lo(b), IpProtocol.TCP, TcpHeader.MIN_LENGTH);
        out.putShort(tcp + 16, (short) Checksum.finish(Checksum.add(out, tcp, TcpHeader.MIN_LENGTH, ph)));
        ctx.ip6.wrap(out, o).write(0, 0, TcpHeader.MIN_LENGTH, IpProtocol.TCP, 255, sHi, sLo,
                bibs.v6Hi(b), bibs.v6Lo(b));
        ctx.count(Counter.TCP_PROBES_SENT);
        ctx.sink.emit(Side.IPV6, out, o, Ipv6Header.LENGTH + TcpHeader.MIN_LENGTH);
    }

    /**
     * Runs the timers up to {@code now}: due sessions, held SYNs whose IPv6 peer never answered, and fragments
     * whose first fragment never came.
     */
    public void expire(long now) {
        wheel.advance(now, this);
        for (int slot = syns.dueUnbound(now); slot >= 0; slot = syns.dueUnbound(now)) {
            ctx.count(Counter.DROP_SYN_TIMEOUT);
            errors.toIpv4(syns.buffer(), syns.offset(slot), syns.length(slot), Icmpv4Header.DEST_UNREACHABLE,
                    Icmpv4Header.CODE_PORT_UNREACHABLE, 0);
            syns.remove(slot);
        }
        int dropped = frags64.expire(now) + frags46.expire(now);
        if (dropped > 0) {
            ctx.counters.add(Counter.DROP_FRAGMENT_TIMEOUT, dropped);
        }
    }

    /** A held fragment whose packet's first fragment has now been translated, as side and slot, or -1. */
    public int readyFragment6() {
        return frags64.ready();
    }

    public int readyFragment4() {
        return frags46.ready();
    }

    public FragmentTracker fragments(Side from) {
        return from == Side.IPV6 ? frags64 : frags46;
    }

    // ------------------------------------------------------------------------------------------------------
    // Static BIB and live reconfiguration

    private void addStaticEntries(List<StaticBibEntry> entries) {
        for (StaticBibEntry e : entries) {
            int p = e.protocol().ordinal();
            if (bibs.find6(p, e.ipv6Hi(), e.ipv6Lo(), e.ipv6Port()) >= 0
                    || bibs.find4(p, e.ipv4Address(), e.ipv4Port()) >= 0) {
                continue;
            }
            // Room is reserved: dynamic entries never outnumber sessions, static ones never exceed MAX_STATIC_BIB.
            if (bibs.add(p, e.ipv6Hi(), e.ipv6Lo(), e.ipv6Port(), e.ipv4Address(), e.ipv4Port(), true, -1) >= 0) {
                pool4.reserve(p, e.ipv4Address(), e.ipv4Port());
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
        if (bibs.isStatic(b)) {
            for (StaticBibEntry e : next.staticBib()) {
                if (sameStatic(bibs, b, e)) {
                    return true;
                }
            }
            return false;
        }
        if (!nextPool.contains(bibs.proto(b), bibs.v4Addr(b), bibs.v4Port(b))) {
            return false;
        }
        for (StaticBibEntry e : next.staticBib()) {
            int p = e.protocol().ordinal();
            if (p == bibs.proto(b) && ((bibs.v4Addr(b) == e.ipv4Address() && bibs.v4Port(b) == e.ipv4Port())
                    || (bibs.v6Hi(b) == e.ipv6Hi() && bibs.v6Lo(b) == e.ipv6Lo() && bibs.v6Port(b) == e.ipv6Port()))) {
                return false;
            }
        }
        return true;
    }

    /** How many sessions {@link #apply} would drop, so that a UI can warn first. */
    public int sessionsDroppedBy(EngineConfig next) {
        boolean pool6Changed = !next.pool6().equals(cfg.pool6());
        Pool4Allocator nextPool = new Pool4Allocator(next.pool4());
        int n = 0;
        for (int s = 0; s < sessions.capacity(); s++) {
            if (sessions.live(s) && (pool6Changed || !bibSurvives(sessions.bib(s), next, nextPool))) {
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
        if (next.maxSessions() > sessions.capacity()) {
            grow(next.maxSessions());
        }
        EngineConfig prev = cfg;
        cfg = next;
        boolean pool6Changed = !next.pool6().equals(prev.pool6());
        Pool4Allocator nextPool = new Pool4Allocator(next.pool4());
        int dropped = 0;
        for (int s = 0; s < sessions.capacity(); s++) {
            if (sessions.live(s) && (pool6Changed || !bibSurvives(sessions.bib(s), next, nextPool))) {
                removeSession(s);
                dropped++;
            }
        }
        for (int b = 0; b < bibs.capacity(); b++) {
            if (bibs.live(b) && !bibSurvives(b, next, nextPool)) {
                removeBib(b);
            }
        }
        for (int b = 0; b < bibs.capacity(); b++) {
            if (bibs.live(b)) {
                nextPool.reserve(bibs.proto(b), bibs.v4Addr(b), bibs.v4Port(b));
            }
        }
        pool4 = nextPool;
        addStaticEntries(next.staticBib());
        if (prev.maxStoredSyns() != next.maxStoredSyns()) {
            syns = new SynStore(next.maxStoredSyns());
        }
        if (prev.maxFragmentBuffers() != next.maxFragmentBuffers() || prev.ipv4Mtu() != next.ipv4Mtu()
                || prev.ipv6Mtu() != next.ipv6Mtu()) {
            newFragmentTrackers(next);
        }
        if (!prev.udpTimeout().equals(next.udpTimeout()) || !prev.icmpTimeout().equals(next.icmpTimeout())
                || !prev.tcpEstablishedTimeout().equals(next.tcpEstablishedTimeout())
                || !prev.tcpTransitoryTimeout().equals(next.tcpTransitoryTimeout())
                || !prev.tcpIncomingSynTimeout().equals(next.tcpIncomingSynTimeout())) {
            wheel.rescheduleAll(ctx.now, this);
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
        int[] bibMap = new int[bibs.capacity()];
        for (int b = 0; b < bibs.capacity(); b++) {
            if (!bibs.live(b)) {
                continue;
            }
            int h = bibs.host(b);
            int nhId = -1;
            if (h >= 0) {
                nhId = nh.getOrAdd(hosts.hi[h], hosts.lo[h]);
                nh.paired[nhId] = hosts.paired[h];
                nh.bibs[nhId]++;
            }
            bibMap[b] = nb.add(bibs.proto(b), bibs.v6Hi(b), bibs.v6Lo(b), bibs.v6Port(b), bibs.v4Addr(b),
                    bibs.v4Port(b), bibs.isStatic(b), nhId);
        }
        int[] sessionMap = new int[sessions.capacity()];
        for (int s = 0; s < sessions.capacity(); s++) {
            if (!sessions.live(s)) {
                continue;
            }
            int b = bibMap[sessions.bib(s)];
            int z = sessions.remote4(s);
            int n = ns.add(b, nb, z, sessions.remotePort(s), sessions.state(s), sessions.timerClass(s),
                    sessions.lastUse(s));
            sessionMap[s] = n;
            nb.addSessions(b, 1);
            if (nb.host(b) >= 0) {
                nh.sessions[nb.host(b)]++;
            }
            int count = nadf.get(b, z, 0);
            nadf.put(b, z, 0, count < 0 ? 1 : count + 1);
        }
        syns.renumberSessions(sessionMap);
        bibs = nb;
        sessions = ns;
        hosts = nh;
        adf = nadf;
        wheel = nw;
        for (int s = 0; s < ns.capacity(); s++) {
            if (ns.live(s)) {
                wheel.schedule(s, deadline(s), ctx.now);
            }
        }
    }

    /** Number of sessions the tables hold now; {@link #apply} grows them for a larger maxSessions. */
    public int sessionCapacity() {
        return sessions.capacity();
    }

    // ------------------------------------------------------------------------------------------------------
    // Status

    public int bibCount(L4Protocol p) {
        return bibs.perProtocol[p.ordinal()];
    }

    public int sessionCount(L4Protocol p) {
        return sessions.perProtocol[p.ordinal()];
    }

    public int sessionCount() {
        return sessions.size();
    }

    public int storedSynCount() {
        return syns.size();
    }

    /** Per pool4 address of a protocol: {address, ports in use, ports configured}. */
    public List<long[]> pool4Usage(L4Protocol p) {
        return pool4.usage(p.ordinal());
    }

    /** Visits sessions in table order; the visitor returns false to stop. */
    public void forEachSession(SessionVisitor v) {
        Rfc6052Prefix pool6 = cfg.pool6();
        for (int s = 0; s < sessions.capacity(); s++) {
            if (!sessions.live(s)) {
                continue;
            }
            int b = sessions.bib(s);
            int z = sessions.remote4(s);
            if (!v.visit(L4Protocol.ofIndex(bibs.proto(b)), bibs.v6Hi(b), bibs.v6Lo(b), bibs.v6Port(b),
                    pool6.embedHi(z), pool6.embedLo(z), sessions.remotePort(s), bibs.v4Addr(b), bibs.v4Port(b),
                    z, sessions.remotePort(s), sessions.state(s), deadline(s))) {
                return;
            }
        }
    }

    /** Visits BIB entries in table order; the visitor returns false to stop. */
    public void forEachBib(BibVisitor v) {
        for (int b = 0; b < bibs.capacity(); b++) {
            if (bibs.live(b) && !v.visit(L4Protocol.ofIndex(bibs.proto(b)), bibs.v6Hi(b), bibs.v6Lo(b),
                    bibs.v6Port(b), bibs.v4Addr(b), bibs.v4Port(b), bibs.isStatic(b), bibs.sessions(b))) {
                return;
            }
        }
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
