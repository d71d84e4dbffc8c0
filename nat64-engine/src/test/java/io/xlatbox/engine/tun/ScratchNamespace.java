package io.xlatbox.engine.tun;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace of one test, named {@code xt-} and random hex so that runs never collide, made with
 * {@code ip netns add} and deleted on close. Devices left open inside keep the namespace alive (a TUN socket holds
 * a reference), so tests close their devices first: try-with-resources in declaration order does that.
 */
public final class ScratchNamespace implements AutoCloseable {
    private static final String IP = ipCommand();

    public final String name;

    private ScratchNamespace(String name) {
        this.name = name;
    }

    public static ScratchNamespace create() {
        ScratchNamespace ns = new ScratchNamespace("xt-" + hex(4));
        run("ip", "netns", "add", ns.name).orThrow();
        return ns;
    }

    /** A fresh device name: "xt" and 8 hex digits, 10 bytes. */
    static String tunName() {
        return "xt" + hex(4);
    }

    /** Opens a TUN device inside this namespace. */
    TunDevice open(String device, int queues) throws Exception {
        return NetNamespace.callIn(name, () -> TunDevice.open(device, queues));
    }

    TunDevice open(String device, int queues, boolean multiQueue) throws Exception {
        return NetNamespace.callIn(name, () -> TunDevice.open(device, queues, multiQueue));
    }

    public <T> T callIn(Callable<T> action) throws Exception {
        return NetNamespace.callIn(name, action);
    }

    /** {@code ip -n <ns> args...}, which must succeed; returns its output. */
    public String ip(String... args) {
        return tryIp(args).orThrow();
    }

    /** {@code ip -n <ns> args...}, whatever its exit code. */
    public Result tryIp(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", name));
        cmd.addAll(Arrays.asList(args));
        return run(cmd.toArray(String[]::new));
    }

    /** A command inside the namespace ({@code ip netns exec}, which also mounts the namespace's /sys). */
    public String exec(String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", name));
        cmd.addAll(Arrays.asList(command));
        return run(cmd.toArray(String[]::new)).orThrow();
    }

    boolean hasLink(String device) {
        return tryIp("link", "show", "dev", device).exit == 0;
    }

    /** The device's line of {@code ip -o link show}. */
    String link(String device) {
        return ip("-o", "link", "show", "dev", device);
    }

    /** Inode of the namespace file, to compare with /proc/thread-self/ns/net. */
    long inode() throws IOException {
        return (Long) Files.getAttribute(Path.of(NetNamespace.RUN_DIR + name), "unix:ino");
    }

    @Override
    public void close() {
        Result r = run("ip", "netns", "del", name);
        if (r.exit != 0) {
            System.err.println("[tun tests] could not delete namespace " + name + ": " + r.output);
        }
    }

    @Override
    public String toString() {
        return name;
    }

    public record Result(String command, int exit, String output) {
        public String orThrow() {
            if (exit != 0) {
                throw new IllegalStateException("'" + command + "' exited " + exit + ": " + output);
            }
            return output;
        }
    }

    public static Result run(String... command) {
        String shown = String.join(" ", command);
        if (command[0].equals("ip") && IP != null) {
            command = command.clone();
            command[0] = IP; // /usr/sbin may not be on a non-root PATH
        }
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("'" + shown + "' did not finish in 20 s");
            }
            return new Result(shown, p.exitValue(), new String(out, StandardCharsets.UTF_8).trim());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run '" + shown + "'", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running '" + shown + "'", e);
        }
    }

    /** The ip command's path, or null when it is not installed. */
    static String ipCommand() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "ip"))) {
                return dir + "/ip";
            }
        }
        for (String p : List.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip")) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        return null;
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
