package io.xlatbox.engine.tun;

import com.kenai.jffi.MemoryIO;
import java.nio.ByteBuffer;

/**
 * A direct buffer and its native address, found once. {@link TunQueue} passes {@code address + offset} straight
 * to read(2) and write(2), so a worker that owns a fixed set of buffers pays no lookup per packet. Plain
 * {@code ByteBuffer}s work too (a queue remembers the addresses of the last few it saw); this is for callers that
 * cycle through more buffers than that.
 */
public final class PacketBuffer {
    private final ByteBuffer buffer;
    private final long address;

    private PacketBuffer(ByteBuffer buffer) {
        this.buffer = buffer;
        this.address = addressOf(buffer);
    }

    /** A new direct buffer of {@code capacity} bytes (big-endian, as packets are). */
    public static PacketBuffer allocate(int capacity) {
        return new PacketBuffer(ByteBuffer.allocateDirect(capacity));
    }

    /** Wraps an existing direct buffer; offsets count from its index 0, whatever its position. */
    public static PacketBuffer wrap(ByteBuffer direct) {
        return new PacketBuffer(direct);
    }

    public ByteBuffer buffer() {
        return buffer;
    }

    /** The native address of index 0. */
    public long address() {
        return address;
    }

    public int capacity() {
        return buffer.capacity();
    }

    /** The native address of index 0 of a direct buffer (JNI GetDirectBufferAddress; a slice has its own). */
    static long addressOf(ByteBuffer direct) {
        if (!direct.isDirect()) {
            throw new IllegalArgumentException("TUN I/O needs a direct ByteBuffer, not " + direct);
        }
        long address = MemoryIO.getInstance().getDirectBufferAddress(direct);
        if (address == 0) {
            throw new IllegalArgumentException("no native address for " + direct);
        }
        return address;
    }
}
