package io.xlatbox.dns64;

import java.util.Arrays;

/**
 * A cache and in-flight key: lowercased QNAME wire bytes, QTYPE, QCLASS and one byte of answer-changing bits.
 * Listener threads keep one mutable instance as a probe, so a lookup allocates nothing; keys stored in maps are
 * copies and never change.
 */
final class CacheKey {
    final byte[] bytes;
    private int len;
    private int hash;

    CacheKey(byte[] bytes, int len, int hash) {
        this.bytes = bytes;
        this.len = len;
        this.hash = hash;
    }

    void set(int len, int hash) {
        this.len = len;
        this.hash = hash;
    }

    int length() {
        return len;
    }

    /** An immutable copy, to store. */
    CacheKey copy() {
        return new CacheKey(Arrays.copyOf(bytes, len), len, hash);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CacheKey k && k.hash == hash && Arrays.equals(bytes, 0, len, k.bytes, 0, k.len);
    }

    @Override
    public String toString() {
        return "CacheKey[" + len + " bytes]";
    }
}
