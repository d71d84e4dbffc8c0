package io.xlatbox.engine;

import java.nio.ByteBuffer;

/**
 * Receives the packets the translator emits. The bytes {@code [offset, offset+length)} of {@code buffer} are one
 * IP packet starting at its IP header; they are only valid during the call (the translator reuses its buffers).
 */
@FunctionalInterface
public interface PacketSink {
    void emit(Side side, ByteBuffer buffer, int offset, int length);
}
