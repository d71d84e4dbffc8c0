package io.xlatbox.engine.packet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import io.xlatbox.engine.testutil.Pkt;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChecksumTest {
    @Test
    void rfc1071Section3Example() {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (checksum 220d).
        ByteBuffer b = ByteBuffer.wrap(Pkt.unhex("0001f203f4f5f6f7"));
        assertEquals(0xddf2, Checksum.fold(Checksum.add(b, 0, 8, 0)));
        assertEquals(0x220d, Checksum.compute(b, 0, 8));
    }

    @Test
    void oddLengthPadsWithZero() {
        ByteBuffer b = ByteBuffer.wrap(Pkt.unhex("0102030405"));
        assertEquals(~(0x0102 + 0x0304 + 0x0500) & 0xFFFF, Checksum.compute(b, 0, 5));
    }

    @Test
    void knownIpv4HeaderChecksum() {
        // A well-known example header (Wikipedia "IPv4 header checksum"): checksum b861.
        byte[] h = Pkt.unhex("450000730000400040110000c0a80001c0a800c7");
        assertEquals(0xb861, Checksum.compute(ByteBuffer.wrap(h), 0, 20));
    }

    @Test
    void fullSumMatchesTextbookSumForAnyLengthAndOffset() {
        qt().forAll(integers().between(0, 3000), integers().between(0, 7), integers().all()).checkAssert((len, off, seed) -> {
            byte[] data = new byte[len + off];
            new Random(seed).nextBytes(data);
            ByteBuffer b = ByteBuffer.wrap(data);
            assertEquals(Pkt.checksum(data, off, len, 0), Checksum.compute(b, off, len));
        });
    }

    @Test
    void incrementalUpdateEqualsRecomputation() {
        // RFC 1624: replacing a 32-bit field and updating incrementally gives what a full recomputation gives.
        qt().forAll(integers().between(4, 200), integers().all(), integers().all()).checkAssert((len, seed, newWord) -> {
            byte[] data = new byte[len * 2];
            new Random(seed).nextBytes(data);
            ByteBuffer b = ByteBuffer.wrap(data);
            int before = Checksum.compute(b, 0, data.length);
            int oldWord = b.getInt(0);
            b.putInt(0, newWord);
            int updated = Checksum.update(before, Checksum.ofInt(oldWord), Checksum.ofInt(newWord));
            int full = Checksum.compute(b, 0, data.length);
            // 0x0000 and 0xffff are the same number in ones' complement.
            assertEquals(full % 0xFFFF, updated % 0xFFFF);
        });
    }

    @Test
    void badChecksumStaysBadBySameAmount() {
        byte[] data = Pkt.pattern(64);
        ByteBuffer b = ByteBuffer.wrap(data);
        int good = Checksum.compute(b, 0, 64);
        int bad = (good + 5) & 0xFFFF;
        int oldWord = b.getInt(8);
        b.putInt(8, 0xC0000201);
        int newGood = Checksum.update(good, Checksum.ofInt(oldWord), Checksum.ofInt(0xC0000201));
        int newBad = Checksum.update(bad, Checksum.ofInt(oldWord), Checksum.ofInt(0xC0000201));
        assertEquals(5, (newBad - newGood) & 0xFFFF);
    }

    @Test
    void verify() {
        byte[] h = Pkt.unhex("4500007300004000401100000a000001c0a800c7");
        ByteBuffer b = ByteBuffer.wrap(h);
        b.putShort(10, (short) Checksum.compute(b, 0, 20));
        assertTrue(Checksum.verify(b, 0, 20, 0));
        b.put(3, (byte) 0x74);
        assertFalse(Checksum.verify(b, 0, 20, 0));
    }
}
