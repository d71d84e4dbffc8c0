package io.xlatbox.clat.discovery;

/** No PLAT prefix could be learned; the message says what was tried and what each attempt got. */
public final class DiscoveryException extends Exception {
    private static final long serialVersionUID = 1L;

    public DiscoveryException(String message) {
        super(message);
    }
}
