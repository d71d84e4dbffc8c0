package io.xlatbox.engine.nat64;

import io.xlatbox.engine.packet.TcpHeader;

/**
 * RFC 6146 §3.5.2.2 for a packet of a session that exists: the state it leads to and what becomes of the
 * lifetime. The machine is symmetric between the sides, except that a repeated IPv6 SYN in V6 INIT restarts
 * TCP_TRANS. CLOSED (no session) is decided by the caller, which creates the session.
 */
final class TcpStateMachine {
    /** The lifetime is left as it is. */
    static final int KEEP = 0;
    /** The current lifetime starts again. */
    static final int REFRESH = 1;
    /** The session now lives by TCP_EST, from now. */
    static final int TO_EST = 2;
    /** The session now lives by TCP_TRANS, from now. */
    static final int TO_TRANS = 3;

    private TcpStateMachine() {
    }

    static int state(int result) {
        return result >>> 8;
    }

    static int action(int result) {
        return result & 0xFF;
    }

    private static int r(int state, int action) {
        return state << 8 | action;
    }

    /** The outcome, {@code newState << 8 | action}, of a packet with {@code flags} from one side. */
    static int next(int state, boolean fromIpv6, int flags) {
        boolean syn = (flags & TcpHeader.SYN) != 0;
        boolean fin = (flags & TcpHeader.FIN) != 0;
        boolean rst = (flags & TcpHeader.RST) != 0;
        int myInit = fromIpv6 ? TcpState.V6_INIT : TcpState.V4_INIT;
        int myFin = fromIpv6 ? TcpState.V6_FIN_RCV : TcpState.V4_FIN_RCV;
        int otherInit = fromIpv6 ? TcpState.V4_INIT : TcpState.V6_INIT;
        int otherFin = fromIpv6 ? TcpState.V4_FIN_RCV : TcpState.V6_FIN_RCV;
        if (state == otherInit) { // the other side opened; our SYN completes the handshake
            return syn ? r(TcpState.ESTABLISHED, TO_EST) : r(state, KEEP);
        }
        if (state == myInit) {
            return r(state, syn && fromIpv6 ? REFRESH : KEEP);
        }
        if (state == TcpState.ESTABLISHED) {
            if (rst) {
                return r(TcpState.TRANS, TO_TRANS);
            }
            return fin ? r(myFin, KEEP) : r(state, REFRESH);
        }
        if (state == otherFin) {
            return fin ? r(TcpState.V4_FIN_V6_FIN_RCV, TO_TRANS) : r(state, REFRESH);
        }
        if (state == myFin) {
            return r(state, REFRESH);
        }
        if (state == TcpState.TRANS) {
            return rst ? r(state, KEEP) : r(TcpState.ESTABLISHED, TO_EST);
        }
        return r(state, KEEP); // V4 FIN + V6 FIN RCV
    }
}
