package io.xlatbox.engine.nat64;

import static io.xlatbox.engine.nat64.TcpState.ESTABLISHED;
import static io.xlatbox.engine.nat64.TcpState.TRANS;
import static io.xlatbox.engine.nat64.TcpState.V4_FIN_RCV;
import static io.xlatbox.engine.nat64.TcpState.V4_FIN_V6_FIN_RCV;
import static io.xlatbox.engine.nat64.TcpState.V4_INIT;
import static io.xlatbox.engine.nat64.TcpState.V6_FIN_RCV;
import static io.xlatbox.engine.nat64.TcpState.V6_INIT;
import static io.xlatbox.engine.nat64.TcpStateMachine.KEEP;
import static io.xlatbox.engine.nat64.TcpStateMachine.REFRESH;
import static io.xlatbox.engine.nat64.TcpStateMachine.TO_EST;
import static io.xlatbox.engine.nat64.TcpStateMachine.TO_TRANS;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.xlatbox.engine.packet.TcpHeader;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The transitions of RFC 6146 §3.5.2.2, row by row as the RFC lists them. */
class TcpStateMachineTest {
    private static int flags(String f) {
        int v = 0;
        if (f.contains("S")) {
            v |= TcpHeader.SYN;
        }
        if (f.contains("F")) {
            v |= TcpHeader.FIN;
        }
        if (f.contains("R")) {
            v |= TcpHeader.RST;
        }
        if (f.contains("A")) {
            v |= TcpHeader.ACK;
        }
        return v;
    }

    private static int state(String s) {
        switch (s) {
            case "V4_INIT": return V4_INIT;
            case "V6_INIT": return V6_INIT;
            case "EST": return ESTABLISHED;
            case "V4_FIN": return V4_FIN_RCV;
            case "V6_FIN": return V6_FIN_RCV;
            case "BOTH_FIN": return V4_FIN_V6_FIN_RCV;
            default: return TRANS;
        }
    }

    private static int action(String a) {
        switch (a) {
            case "keep": return KEEP;
            case "refresh": return REFRESH;
            case "est": return TO_EST;
            default: return TO_TRANS;
        }
    }

    @ParameterizedTest(name = "{0} + {1} {2} -> {3} ({4})")
    @CsvSource({
        // state,  side, flags, next,     lifetime
        "V4_INIT,  v6,   SA,    EST,      est",
        "V4_INIT,  v6,   A,     V4_INIT,  keep",
        "V4_INIT,  v4,   S,     V4_INIT,  keep",
        "V6_INIT,  v4,   SA,    EST,      est",
        "V6_INIT,  v6,   S,     V6_INIT,  refresh",
        "V6_INIT,  v6,   A,     V6_INIT,  keep",
        "V6_INIT,  v4,   A,     V6_INIT,  keep",
        "EST,      v4,   FA,    V4_FIN,   keep",
        "EST,      v6,   FA,    V6_FIN,   keep",
        "EST,      v4,   R,     TRANS,    trans",
        "EST,      v6,   R,     TRANS,    trans",
        "EST,      v6,   A,     EST,      refresh",
        "EST,      v4,   A,     EST,      refresh",
        "V4_FIN,   v6,   FA,    BOTH_FIN, trans",
        "V4_FIN,   v6,   A,     V4_FIN,   refresh",
        "V4_FIN,   v4,   A,     V4_FIN,   refresh",
        "V4_FIN,   v4,   FA,    V4_FIN,   refresh",
        "V6_FIN,   v4,   FA,    BOTH_FIN, trans",
        "V6_FIN,   v4,   A,     V6_FIN,   refresh",
        "V6_FIN,   v6,   A,     V6_FIN,   refresh",
        "BOTH_FIN, v4,   A,     BOTH_FIN, keep",
        "BOTH_FIN, v6,   FA,    BOTH_FIN, keep",
        "TRANS,    v6,   A,     EST,      est",
        "TRANS,    v4,   A,     EST,      est",
        "TRANS,    v4,   R,     TRANS,    keep",
        "TRANS,    v6,   RA,    TRANS,    keep",
    })
    void transition(String from, String side, String f, String to, String lifetime) {
        int r = TcpStateMachine.next(state(from), side.equals("v6"), flags(f));
        assertEquals(TcpState.name(state(to)), TcpState.name(TcpStateMachine.state(r)));
        assertEquals(action(lifetime), TcpStateMachine.action(r));
    }
}
