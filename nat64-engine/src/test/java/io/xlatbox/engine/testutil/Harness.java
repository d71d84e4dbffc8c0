package io.xlatbox.engine.testutil;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.xlatbox.engine.Counter;
import io.xlatbox.engine.EngineConfig;
import io.xlatbox.engine.ManualClock;
import io.xlatbox.engine.Side;
import io.xlatbox.engine.Translator;
import io.xlatbox.engine.addr.StaticBibEntry;
import java.time.Duration;
import java.util.List;

/** A stateful translator on a manual clock, configured like the classic NAT64 test network. */
public final class Harness {
    /** The IPv6 host, the IPv4 host, the translator's pool4 address. */
    public static final String V6_HOST = "2001:db8::5";
    public static final String V4_HOST = "192.0.2.5";
    public static final String V4_HOST_6 = "64:ff9b::192.0.2.5";
    public static final String POOL4 = "192.0.2.2";

    public final ManualClock clock = new ManualClock();
    public final Translator translator;

    public Harness(EngineConfig config) {
        translator = Translator.stateful(config, clock);
    }

    public Harness() {
        this(defaults().build());
    }

    /** pool6 64:ff9b::/96; pool4 192.0.2.2 ports 1-3000 (ICMP ids 0-3000); a static UDP and TCP entry on 2000. */
    public static EngineConfig.Builder defaults() {
        return EngineConfig.builder()
                .pool6("64:ff9b::/96")
                .addPool4(io.xlatbox.engine.addr.Pool4Entry.parse("tcp", POOL4, 1, 3000),
                        io.xlatbox.engine.addr.Pool4Entry.parse("udp", POOL4, 1, 3000),
                        io.xlatbox.engine.addr.Pool4Entry.parse("icmp", POOL4, 0, 3000))
                .addStaticBib(StaticBibEntry.parse("udp", V6_HOST, 2000, POOL4, 2000),
                        StaticBibEntry.parse("tcp", V6_HOST, 2000, POOL4, 2000))
                .ownIpv4Address(POOL4)
                .ownIpv6Address("2001:db8::1")
                .icmpErrorsPerSecond(0);
    }

    public List<Translator.Output> send6(byte[] p) {
        return translator.process(Side.IPV6, p);
    }

    public List<Translator.Output> send4(byte[] p) {
        return translator.process(Side.IPV4, p);
    }

    public byte[] one(List<Translator.Output> out, Side side) {
        assertEquals(1, out.size(), "expected exactly one packet, got " + out.size());
        assertEquals(side, out.get(0).side());
        return out.get(0).bytes();
    }

    public long count(Counter c) {
        return translator.counters().get(c);
    }

    public void advance(Duration d) {
        clock.advance(d);
    }
}
