package io.xlatbox.clat.lab;

import io.xlatbox.engine.DataplaneConfig;
import io.xlatbox.engine.Engine;
import io.xlatbox.engine.EngineConfig;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * The namespace lab of {@code nat64-engine/lab/lab.sh}, for the CLAT's end-to-end tests (nat64-engine's own Lab
 * helper is in that module's test scope, so this is a smaller one of the same shape):
 * <pre>
 *   client (IPv6 only)          router                               server (IPv4 only)
 *   c0 2001:db8:1::2/64 ------- rc 2001:db8:1::1 | rs 198.51.100.1 -- s0 198.51.100.2
 *   + the CLAT under test       the NAT64 engine (in-process)          HTTP :80, UDP echo :7 (lab.sh)
 *     (TUN clat, 192.0.0.2)     + our DNS64 on [2001:db8:1::1]:53       + a small DNS on :5300 (the tests)
 * </pre>
 * {@link #up} runs {@code lab.sh up --no-engine --id <random>}; {@link #close} (or a JVM shutdown hook) kills what
 * the tests started and runs {@code lab.sh down}. Every command has a timeout; output goes to files.
 */
public final class ClatLab implements AutoCloseable {
    public static final String CLIENT6 = "2001:db8:1::2";
    public static final String ROUTER6 = "2001:db8:1::1";
    public static final String ROUTER4 = "198.51.100.1";
    public static final String SERVER4 = "198.51.100.2";
    public static final String POOL4 = "192.0.2.0/24";
    public static final String SERVER_NAME = "server.xlatbox.test";
    /**
     * The tests' own DNS on the server (LabDns), off port 53: lab.sh's services.py may serve a zone of its own on
     * 53, and the tests must not depend on which lab.sh they run with.
     */
    public static final int SERVER_DNS_PORT = 5300;
    /** That DNS as the DNS64's upstream and as the IPv4 resolver literal of the dns4 check. */
    public static final String SERVER_DNS = SERVER4 + ":" + SERVER_DNS_PORT;

    public final String id;
    public final String client;
    public final String router;
    public final String server;
    /** lab.sh's state directory: www/ (index.html, big.bin, big.bin.sha256) and logs. */
    public final Path state;

    private final Path script;
    private final Thread hook;
    private final List<Background> background = new ArrayList<>();
    private int files;
    private boolean closed;

    private ClatLab(Path script, String id, Path state) {
        this.script = script;
        this.id = id;
        this.client = "xl" + id + "c";
        this.router = "xl" + id + "r";
        this.server = "xl" + id + "s";
        this.state = state;
        this.hook = new Thread(this::closeAtExit, "clat-lab-" + id + "-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** A new lab without an engine; {@code options} go to lab.sh up (e.g. --big-mb 100). */
    public static ClatLab up(String... options) throws IOException {
        return start("--no-engine", options);
    }

    /**
     * A new lab with the packaged appliance (its NAT64 and DNS64 in the router, as the README runs it);
     * {@code options} go to lab.sh up (e.g. --clat --http).
     */
    public static ClatLab withAppliance(String... options) throws IOException {
        return start("--appliance", options);
    }

    private static ClatLab start(String mode, String... options) throws IOException {
        Path script = findScript();
        for (int attempt = 0; attempt < 5; attempt++) {
            String id = String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
            if (Files.exists(Path.of("/run/netns/xl" + id + "c")) || Files.exists(Path.of("/run/netns/xl" + id + "r"))
                    || Files.exists(Path.of("/run/netns/xl" + id + "s"))) {
                continue;
            }
            List<String> cmd = new ArrayList<>(List.of("bash", script.toString(), "up", mode, "--id", id));
            cmd.addAll(Arrays.asList(options));
            Result r = run(cmd, Duration.ofSeconds(240));
            if (r.exit != 0) {
                if (r.stderr.contains("lab " + id + " exists")) {
                    continue;
                }
                run(List.of("bash", script.toString(), "down", id), Duration.ofSeconds(60));
                throw new IOException("lab.sh up failed: " + r);
            }
            Map<String, String> info = new LinkedHashMap<>();
            for (String line : r.stdout.split("\n")) {
                int eq = line.indexOf('=');
                if (!line.startsWith("#") && eq > 0) {
                    info.put(line.substring(0, eq), line.substring(eq + 1).trim());
                }
            }
            ClatLab lab = new ClatLab(script, id, Path.of(info.getOrDefault("STATE", "/tmp/xlatbox-lab/" + id)));
            try {
                lab.awaitIpv6Ready();
                // ICMP rate limits off in the lab: the tests run traceroutes several times a second.
                for (String ns : List.of(lab.client, lab.router, lab.server)) {
                    lab.exec(ns, Duration.ofSeconds(10), "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0");
                    lab.exec(ns, Duration.ofSeconds(10), "sysctl", "-qw", "net.ipv6.icmp.ratelimit=0");
                }
            } catch (IOException | RuntimeException | Error e) {
                lab.close();
                throw e;
            }
            return lab;
        }
        throw new IOException("no free lab ID after 5 attempts");
    }

    private void awaitIpv6Ready() throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        for (String ns : List.of(client, router)) {
            while (true) {
                Result r = exec(ns, Duration.ofSeconds(10), "ip", "-6", "-o", "addr", "show", "tentative");
                if (r.exit == 0 && r.stdout.isBlank()) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("IPv6 addresses still tentative in " + ns + ": " + r);
                }
                sleep(50);
            }
        }
    }

    static Path findScript() {
        List<Path> candidates = new ArrayList<>();
        String basedir = System.getProperty("basedir");
        if (basedir != null) {
            candidates.add(Path.of(basedir, "..", "nat64-engine", "lab", "lab.sh"));
        }
        Path cwd = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        candidates.add(cwd.resolve("../nat64-engine/lab/lab.sh"));
        candidates.add(cwd.resolve("nat64-engine/lab/lab.sh"));
        for (Path p : candidates) {
            if (Files.isRegularFile(p)) {
                return p.normalize();
            }
        }
        throw new IllegalStateException("cannot find nat64-engine/lab/lab.sh (looked at " + candidates + ")");
    }

    // ---------------------------------------------------------------------------------------------------------
    // The engine

    /** Starts the NAT64 engine in the router with {@code pool6} and pool4 192.0.2.0/24; the caller stops it. */
    public Engine startEngine(String pool6) throws IOException {
        EngineConfig c = EngineConfig.builder().pool6(pool6).addPool4(POOL4).build();
        return Engine.start(c, DataplaneConfig.defaults().withNamespace(router).withQueues(2).withTunName("nat64"));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Commands

    public record Result(int exit, String stdout, String stderr, List<String> command, long millis) {
        public boolean ok() {
            return exit == 0;
        }

        @Override
        public String toString() {
            return "`" + String.join(" ", command) + "` exit " + exit + " after " + millis + " ms"
                    + (stdout.isBlank() ? "" : "\n--- stdout\n" + stdout) + (stderr.isBlank() ? "" : "\n--- stderr\n"
                    + stderr);
        }
    }

    /** Runs {@code command} in namespace {@code ns} (null: here), killed after {@code timeout}. */
    public Result exec(String ns, Duration timeout, String... command) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (ns != null) {
            cmd.addAll(List.of("ip", "netns", "exec", ns));
        }
        cmd.addAll(Arrays.asList(command));
        return run(cmd, timeout);
    }

    public Result python(String ns, Duration timeout, String script, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("python3", "-u", "-c", script));
        cmd.addAll(Arrays.asList(args));
        return exec(ns, timeout, cmd.toArray(String[]::new));
    }

    /** Runs a class of this module's test class path in a new JVM, in {@code ns} (null: here), and waits. */
    public Result java(String ns, Duration timeout, String mainClass, String... args) throws IOException {
        return exec(ns, timeout, javaCommand(mainClass, args).toArray(String[]::new));
    }

    static List<String> javaCommand(String mainClass, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-Dslf4j.provider=org.slf4j.helpers.NOP_FallbackServiceProvider",
                "-Dslf4j.internal.verbosity=WARN", "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    private static Result run(List<String> cmd, Duration timeout) throws IOException {
        Path out = Files.createTempFile("clat-lab-", ".out");
        Path err = Files.createTempFile("clat-lab-", ".err");
        long t0 = System.nanoTime();
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            int exit;
            try {
                if (p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    exit = p.exitValue();
                } else {
                    kill(p);
                    exit = -1;
                }
            } catch (InterruptedException e) {
                kill(p);
                Thread.currentThread().interrupt();
                throw new IOException("interrupted: " + cmd, e);
            }
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            if (exit == -1) {
                stderr += "\n[killed after " + timeout.toMillis() + " ms]";
            }
            return new Result(exit, Files.readString(out, StandardCharsets.UTF_8), stderr, shorten(cmd),
                    (System.nanoTime() - t0) / 1_000_000L);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static List<String> shorten(List<String> cmd) {
        List<String> s = new ArrayList<>();
        for (String c : cmd) {
            s.add(c.length() > 80 ? c.substring(0, 77).replace('\n', ' ') + "..." : c);
        }
        return s;
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts a long-running command in {@code ns} (null: here); killed on its close or the lab's. */
    public synchronized Background spawn(String ns, String... command) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (ns != null) {
            cmd.addAll(List.of("ip", "netns", "exec", ns));
        }
        cmd.addAll(Arrays.asList(command));
        int n = ++files;
        Path out = state.resolve("bg-" + n + ".out");
        Path err = state.resolve("bg-" + n + ".err");
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.PIPE).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        Background b = new Background(p, out, err, shorten(cmd));
        background.add(b);
        return b;
    }

    public Background spawnJava(String ns, String mainClass, String... args) throws IOException {
        return spawn(ns, javaCommand(mainClass, args).toArray(String[]::new));
    }

    public Background spawnPython(String ns, String script, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("python3", "-u", "-c", script));
        cmd.addAll(Arrays.asList(args));
        return spawn(ns, cmd.toArray(String[]::new));
    }

    /** A background program: output so far, waiting for lines, commands on stdin. */
    public static final class Background implements AutoCloseable {
        private final Process process;
        private final Path out;
        private final Path err;
        private final List<String> command;
        private OutputStream stdin;

        Background(Process process, Path out, Path err, List<String> command) {
            this.process = process;
            this.out = out;
            this.err = err;
            this.command = command;
            this.stdin = process.getOutputStream();
        }

        public String stdout() {
            return read(out);
        }

        public String stderr() {
            return read(err);
        }

        private static String read(Path p) {
            try {
                return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public long pid() {
            return process.pid();
        }

        public boolean alive() {
            return process.isAlive();
        }

        /** Waits for a stdout line; fails with the output when the program exits or the time runs out. */
        public String awaitLine(Predicate<String> match, Duration timeout, String what) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                for (String line : stdout().lines().toList()) {
                    if (match.test(line)) {
                        return line;
                    }
                }
                if (!process.isAlive()) {
                    for (String line : stdout().lines().toList()) {
                        if (match.test(line)) {
                            return line;
                        }
                    }
                    throw new AssertionError("waiting for " + what + ": " + this + " exited (" + process.exitValue()
                            + ")\n" + describe());
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("waiting for " + what + ": not seen after " + timeout.toMillis()
                            + " ms\n" + describe());
                }
                sleep(20);
            }
        }

        public void send(String line) throws IOException {
            stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        }

        /** SIGTERM, as systemd or Ctrl-C would stop it. */
        public void terminate() {
            process.destroy();
        }

        public boolean waitFor(Duration timeout) {
            try {
                return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        public int exitValue() {
            return process.exitValue();
        }

        public String describe() {
            return "`" + String.join(" ", command) + "`\n--- stdout\n" + stdout() + "--- stderr\n" + stderr();
        }

        @Override
        public String toString() {
            return "`" + String.join(" ", command) + "`";
        }

        @Override
        public void close() {
            try {
                if (stdin != null) {
                    stdin.close();
                }
            } catch (IOException ignored) {
                // already gone
            }
            stdin = null;
            if (process.isAlive()) {
                process.destroy();
                try {
                    if (!process.waitFor(10, TimeUnit.SECONDS)) {
                        kill(process);
                    }
                } catch (InterruptedException e) {
                    kill(process);
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers

    public static void waitUntil(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            sleep(50);
        }
    }

    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /**
     * The kernel's checksum error counters in {@code ns}: InCsumErrors of Ip... Tcp, Udp, Icmp (/proc/net/snmp) and
     * Udp6, Icmp6 (/proc/net/snmp6), summed.
     */
    public long checksumErrors(String ns) throws IOException {
        Result r = exec(ns, Duration.ofSeconds(10), "cat", "/proc/net/snmp", "/proc/net/snmp6");
        if (!r.ok()) {
            throw new IOException(r.toString());
        }
        long total = 0;
        String[] lines = r.stdout.split("\n");
        for (int i = 0; i + 1 < lines.length; i++) {
            String[] head = lines[i].trim().split("\\s+");
            String[] vals = lines[i + 1].trim().split("\\s+");
            if (head.length > 1 && vals.length == head.length && head[0].equals(vals[0]) && head[0].endsWith(":")) {
                for (int k = 1; k < head.length; k++) {
                    if (head[k].equals("InCsumErrors")) {
                        total += Long.parseLong(vals[k]);
                    }
                }
                i++;
            }
        }
        for (String line : lines) {
            String[] w = line.trim().split("\\s+");
            if (w.length == 2 && w[0].endsWith("InCsumErrors")) {
                total += Long.parseLong(w[1]);
            }
        }
        return total;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Teardown

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            down();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway; down is idempotent
            }
        }
    }

    private synchronized void closeAtExit() {
        if (!closed) {
            closed = true;
            System.err.println("clat lab " + id + ": JVM exiting, taking the lab down");
            down();
        }
    }

    private void down() {
        for (Background b : new ArrayList<>(background)) {
            try {
                b.close();
            } catch (RuntimeException e) {
                System.err.println("clat lab " + id + ": cannot stop " + b + ": " + e);
            }
        }
        background.clear();
        try {
            Result r = run(List.of("bash", script.toString(), "down", id), Duration.ofSeconds(60));
            if (r.exit != 0) {
                System.err.println("clat lab " + id + ": lab.sh down failed: " + r);
            }
        } catch (IOException e) {
            System.err.println("clat lab " + id + ": lab.sh down failed: " + e);
        }
    }

    @Override
    public String toString() {
        return "clat lab " + id + " (" + client + ", " + router + ", " + server + ")";
    }
}
