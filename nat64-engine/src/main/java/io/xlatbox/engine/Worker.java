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
    private volatile boolean running = true;
    private volatile Throwable failure;

    Worker(TunQueue queue, Translator translator, Wakeup wakeup, Counters.Stripe counters) {
        this.queue = queue;
        this.translator = translator;
        this.wakeup = wakeup;
        this.counters = counters;
    }

    void stop() {
        running = false;
    }

    Throwable failure() {
        return failure;
    }

    PacketSink sink() {
        return tx;
    }

    @Override
    public void run() {
        ByteBuffer b = rx.buffer();
        try {
            while (running) {
                // Read first and wait only when the queue is empty: under load a packet costs one read and one
                // write, and poll(2) is only paid for going idle.
                int n = queue.read(rx, HEADROOM, 65535);
                if (n > 0) {
                    Side side = (b.get(HEADROOM) & 0xF0) == 0x60 ? Side.IPV6 : Side.IPV4;
                    translator.process(side, b, HEADROOM, n, tx);
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
        try {
            if (!queue.write(buf, off, len)) {
                counters.inc(Counter.DROP_TX_FULL);
            }
        } catch (TunException e) {
            counters.inc(Counter.DROP_TX_ERROR); // e.g. the link was taken down; counted, not logged per packet
        }
    }
}
