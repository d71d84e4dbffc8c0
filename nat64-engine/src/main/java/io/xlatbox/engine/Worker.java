package io.xlatbox.engine;

import io.xlatbox.engine.tun.PacketBuffer;
import io.xlatbox.engine.tun.TunException;
import io.xlatbox.engine.tun.TunQueue;
import io.xlatbox.engine.tun.Wakeup;
import java.nio.ByteBuffer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One TUN queue and the translator worker that serves it: read a packet, translate it, write what comes out back
 * into the same queue (the kernel routes it by its new header). When the queue is idle the worker serves what
 * other workers queued for the writer role. Nothing on this path allocates or logs.
 */
final class Worker implements Runnable {
    private static final Logger LOG = Logger.getLogger(Worker.class.getName());
    private static final int HEADROOM = 64;
    private static final int IDLE_POLL_MILLIS = 100;

    private final TunQueue queue;
    private final Translator translator;
    private final Wakeup wakeup;
    private final Counters.Stripe counters;
    private final PacketBuffer rx = PacketBuffer.allocate(65536 + 2 * HEADROOM);
    private final PacketSink tx = this::transmit;
    private final Offload none = new Offload();
    private final PacketSink plain = (side, buf, off, len) -> write(buf, off, len, none);
    private volatile boolean running = true;
    /** Length of the virtio-net header in front of every packet on the TUN (0 without offloads). */
    private final int vnet;
    private final Offload offloadIn;
    private final Offload offloadOut;
    private volatile Throwable failure;

    Worker(TunQueue queue, Translator translator, Wakeup wakeup, Counters.Stripe counters, boolean vnetHeader) {
        this.queue = queue;
        this.translator = translator;
        this.wakeup = wakeup;
        this.counters = counters;
        this.vnet = vnetHeader ? Offload.HEADER_LENGTH : 0;
        this.offloadIn = translator.inputOffload();
        this.offloadOut = translator.outputOffload();
    }

    void stop() {
        running = false;
    }

    Throwable failure() {
        return failure;
    }

    /**
     * A sink for packets made outside this worker's translation (the timers' probes and errors): they carry no
     * offload, whatever the packet this worker is translating now carries.
     */
    PacketSink plainSink() {
        return plain;
    }

    @Override
    public void run() {
        ByteBuffer b = rx.buffer();
        try {
            while (running) {
                // Read first and wait only when the queue is empty: under load a packet costs one read and one
                // write, and poll(2) is only paid for going idle.
                int n = queue.read(rx, HEADROOM - vnet, 65535 + vnet);
                if (n > vnet) {
                    if (vnet > 0) {
                        offloadIn.read(b, HEADROOM - vnet);
                    }
                    Side side = (b.get(HEADROOM) & 0xF0) == 0x60 ? Side.IPV6 : Side.IPV4;
                    translator.process(side, b, HEADROOM, n - vnet, tx);
                    continue;
                }
                translator.serve(tx);
                queue.awaitReadable(wakeup, IDLE_POLL_MILLIS);
            }
        } catch (TunException e) {
            if (running) {
                failure = e;
                LOG.log(Level.SEVERE, "TUN queue " + queue + " failed; its worker stops", e);
            }
        } catch (RuntimeException | Error e) {
            failure = e;
            LOG.log(Level.SEVERE, "worker of TUN queue " + queue + " failed", e);
        }
    }

    private void transmit(Side side, ByteBuffer buf, int off, int len) {
        write(buf, off, len, offloadOut);
    }

    private void write(ByteBuffer buf, int off, int len, Offload offload) {
        try {
            if (vnet > 0) {
                // Every buffer the translator emits from keeps headroom in front of the packet for this.
                offload.write(buf, off - vnet);
            }
            if (!queue.write(buf, off - vnet, len + vnet)) {
                counters.inc(Counter.DROP_TX_FULL);
            }
        } catch (TunException e) {
            counters.inc(Counter.DROP_TX_ERROR); // e.g. the link was taken down; counted, not logged per packet
        }
    }
}
