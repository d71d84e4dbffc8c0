package io.xlatbox.clat;

/** The CLAT cannot start; {@link #reason()} tells why in a way a program can act on (the CLI's exit codes). */
public final class ClatException extends Exception {
    private static final long serialVersionUID = 1L;

    public enum Reason {
        /** Native IPv4 exists (RFC 6877 §6.3: the CLAT stays off), and it was not forced. Exit code 4. */
        NATIVE_IPV4(4),
        /** No PLAT prefix: no PREF64 and no answer from a DNS64 (RFC 7050). Exit code 3. */
        NO_PREFIX(3),
        /** No IPv6 uplink, no address to use, a device in the way, or a command that failed. Exit code 1. */
        SETUP(1);

        private final int exitCode;

        Reason(int exitCode) {
            this.exitCode = exitCode;
        }

        public int exitCode() {
            return exitCode;
        }
    }

    private final Reason reason;

    public ClatException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public ClatException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
