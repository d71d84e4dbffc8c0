package io.xlatbox.engine.tun;

/** The TUNSETOFFLOAD flags (include/uapi/linux/if_tun.h): what a TUN reader accepts from the kernel. */
public final class TunOffload {
    /** Packets may arrive with a partial transport checksum (virtio NEEDS_CSUM). */
    public static final int CSUM = 0x01;
    public static final int TSO4 = 0x02;
    public static final int TSO6 = 0x04;
    public static final int TSO_ECN = 0x08;
    public static final int UFO = 0x10;
    /** UDP segmentation offload (Linux 6.2 and later). */
    public static final int USO4 = 0x20;
    public static final int USO6 = 0x40;

    private TunOffload() {
    }
}
