package io.xlatbox.engine.nat64;

/** The session states of RFC 6146 §3.5.2.1. CLOSED is the absence of a session. */
public final class TcpState {
    public static final int NONE = 0; // UDP and ICMP sessions
    public static final int V4_INIT = 1;
    public static final int V6_INIT = 2;
    public static final int ESTABLISHED = 3;
    public static final int V4_FIN_RCV = 4;
    public static final int V6_FIN_RCV = 5;
    public static final int V4_FIN_V6_FIN_RCV = 6;
    public static final int TRANS = 7;

    private static final String[] NAMES = {"", "V4 INIT", "V6 INIT", "ESTABLISHED", "V4 FIN RCV", "V6 FIN RCV",
        "V4 FIN + V6 FIN RCV", "TRANS"};

    private TcpState() {
    }

    public static String name(int state) {
        return NAMES[state];
    }
}
