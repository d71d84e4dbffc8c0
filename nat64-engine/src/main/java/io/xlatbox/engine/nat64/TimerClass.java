package io.xlatbox.engine.nat64;

import io.xlatbox.engine.EngineConfig;

/** Which configured lifetime a session lives by (RFC 6146 §4). */
final class TimerClass {
    static final int UDP = 0;
    static final int ICMP = 1;
    static final int TCP_EST = 2;
    static final int TCP_TRANS = 3;
    static final int TCP_INCOMING_SYN = 4;

    private TimerClass() {
    }

    static long millis(EngineConfig c, int timerClass) {
        switch (timerClass) {
            case UDP: return c.udpTimeout().toMillis();
            case ICMP: return c.icmpTimeout().toMillis();
            case TCP_EST: return c.tcpEstablishedTimeout().toMillis();
            case TCP_TRANS: return c.tcpTransitoryTimeout().toMillis();
            default: return c.tcpIncomingSynTimeout().toMillis();
        }
    }
}
