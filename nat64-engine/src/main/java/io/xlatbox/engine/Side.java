package io.xlatbox.engine;

/** The two sides of the translator: the IPv6 network and the IPv4 network. */
public enum Side {
    IPV6,
    IPV4;

    public Side other() {
        return this == IPV6 ? IPV4 : IPV6;
    }
}
