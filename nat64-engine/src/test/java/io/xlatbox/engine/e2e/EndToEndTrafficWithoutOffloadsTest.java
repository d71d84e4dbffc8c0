package io.xlatbox.engine.e2e;

/** {@link EndToEndTrafficTest} on a TUN without offloads: every packet read and written one by one. */
class EndToEndTrafficWithoutOffloadsTest extends EndToEndTrafficTest {
    @Override
    boolean offloads() {
        return false;
    }
}
