package io.xlatbox.engine.tun;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;
import jnr.ffi.Runtime;

/**
 * Binds an interface of libc functions through jnr-ffi, for bindings that hard-code Linux's constants (the values
 * shared by x86-64 and arm64, asm-generic): it refuses other platforms rather than pass wrong flags to the kernel.
 * errno of a binding's {@code @SaveError} calls is read back with {@link #errno()}.
 *
 * <p>The binding interface must be public: jnr-ffi defines its implementation in a class loader of its own.
 */
public final class LibCLoader {
    private static final Runtime RUNTIME = Runtime.getSystemRuntime();

    private LibCLoader() {
    }

    /**
     * Loads libc as {@code binding}.
     *
     * @param needs what needs the binding, for the message on another platform ("TUN devices need Linux …")
     * @throws UnsupportedOperationException on anything but Linux on x86-64 or arm64
     */
    public static <T> T load(Class<T> binding, String needs) {
        Platform p = Platform.getNativePlatform();
        if (p.getOS() != Platform.OS.LINUX
                || (p.getCPU() != Platform.CPU.X86_64 && p.getCPU() != Platform.CPU.AARCH64)) {
            throw new UnsupportedOperationException(needs + " need Linux on x86-64 or arm64, not "
                    + p.getOS() + " on " + p.getCPU());
        }
        return LibraryLoader.create(binding).failImmediately().load("c");
    }

    /** errno of the last {@code @SaveError} call on this thread. Allocates nothing. */
    public static int errno() {
        return RUNTIME.getLastError();
    }
}
