package io.xlatbox.dns64;

import java.nio.ByteBuffer;

/** How a response goes back to a client: one instance per socket (UDP) or listener (TCP); {@code to} says where. */
interface Responder {
    /** Sends {@code response} (position to limit) to {@code to}; never throws. */
    void send(Object to, ByteBuffer response);

    /** Called once per query handed to the resolver, when it has been answered or dropped (TCP flow control). */
    default void done(Object to) {
    }
}
