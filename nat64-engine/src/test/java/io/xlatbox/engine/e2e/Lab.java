package io.xlatbox.engine.e2e;

import io.xlatbox.engine.Counter;
import io.xlatbox.engine.DataplaneConfig;
import io.xlatbox.engine.Engine;
import io.xlatbox.engine.EngineConfig;
import io.xlatbox.engine.L4Protocol;
import io.xlatbox.engine.TableQuery;
import io.xlatbox.engine.TableViews;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The namespace lab of {@code nat64-engine/lab/lab.sh}, driven from JUnit, for the end-to-end tests that send
 * real traffic (curl, ping, python3 sockets) through an in-process {@link Engine}.
 *
 * <h2>What it is</h2>
 * <pre>
 *   client (IPv6 only)              router                               server (IPv4 only)
 *   2001:db8:1::2 (::3, ::4 ...) -- 2001:db8:1::1 | 198.51.100.1 ------- 198.51.100.2
 *                                   TUN "nat64" (the Engine under test)  HTTP :80 (www/, big.bin), UDP echo :7
 * </pre>
 * The client reaches the server as 64:ff9b::c633:6402 (= 64:ff9b::198.51.100.2); pool4 is 192.0.2.0/24.
 *
 * <h2>How to use it</h2>
 * <pre>
 *   try (Lab lab = Lab.up("--big-mb", "100")) {           // lab.sh up --no-engine --id &lt;random&gt; ...
 *       Engine engine = lab.startEngine(Lab.baseConfig().build());   // TUN in the router namespace
 *       try {
 *           Lab.Result r = lab.exec(lab.client, Duration.ofSeconds(10), "ping", "-6", "-c", "3", Lab.SERVER6);
 *       } finally {
 *           engine.stop();
 *       }
 *   }
 * </pre>
 * <ul>
 *   <li>{@link #up} runs {@code lab.sh up --no-engine --id ID} with a fresh random 6-hex-digit ID (retrying if a
 *       lab with that ID already exists, so that concurrent runs and other engineers' labs never collide), and
 *       parses its ID=/CLIENT=/ROUTER=/SERVER=/STATE= lines.</li>
 *   <li>{@link #close} always runs {@code lab.sh down ID} (which kills everything left in the lab's namespaces
 *       and deletes them and the STATE directory); a JVM shutdown hook does the same if the test JVM exits
 *       without reaching close(), e.g. on Ctrl-C. Only a SIGKILLed JVM leaves a lab; remove it with
 *       {@code lab.sh down ID} or {@code lab.sh down --all} (which also removes other people's labs).</li>
 *   <li>Every command runs under {@code ip netns exec NS} with a timeout ({@link #exec}); stdout and stderr go
 *       to files in STATE, so no pipe can fill up and block, and no descriptor stays open in this JVM after the
 *       command ends (the engine's descriptor-leak test relies on that). Background programs ({@link #spawn})
 *       take commands on stdin and are killed, with their children, on close.</li>
 *   <li>Waits are polls with a deadline ({@link #waitUntil}); nothing waits unbounded.</li>
 *   <li>The engine is not the lab's: tests start it with {@link #startEngine} and must stop it (finally /
 *       {@code @AfterAll}) before closing the lab.</li>
 * </ul>
 * Needs root, iproute2, python3, curl, ping; tests using it are tagged {@code root} and use
 * {@link io.xlatbox.engine.tun.RootRequirement} (skipped without root, failing under CI=true). Run them with
 * {@code mvn -o test -pl nat64-engine -Dtest='EndToEnd*'}.
 */
public final class Lab implements AutoCloseable {
    public static final String CLIENT6 = "2001:db8:1::2";
    public static final String CLIENT6_B = "2001:db8:1::3";
    public static final String CLIENT6_C = "2001:db8:1::4";
    public static final String ROUTER6 = "2001:db8:1::1";
    public static final String ROUTER4 = "198.51.100.1";
    public static final String SERVER4 = "198.51.100.2";
    /** The server through NAT64: 64:ff9b::198.51.100.2. */
    public static final String SERVER6 = "64:ff9b::c633:6402";
    public static final String POOL6 = "64:ff9b::/96";
    public static final String POOL4 = "192.0.2.0/24";
    public static final String TUN = "nat64";

    private static final Duration UP_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration DOWN_TIMEOUT = Duration.ofSeconds(60);

    public final String id;
    public final String client;
    public final String router;
    public final String server;
    /** lab.sh's state directory of this lab (www/ with big.bin and big.bin.sha256); removed by down. */
    public final Path state;

    private final Path labScript;
    private final Thread shutdownHook;
    private final List<Background> background = new ArrayList<>();
    private final AtomicInteger fileCounter = new AtomicInteger();
    private boolean closed;

    private Lab(Path labScript, Map<String, String> info) {
        this.labScript = labScript;
        this.id = require(info, "ID");
        this.client = require(info, "CLIENT");
        this.router = require(info, "ROUTER");
        this.server = require(info, "SERVER");
        this.state = Path.of(require(info, "STATE"));
        this.shutdownHook = new Thread(this::closeAtExit, "lab-" + id + "-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    private static String require(Map<String, String> info, String key) {
        String v = info.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("lab.sh up printed no " + key + "= line: " + info);
        }
        return v;
    }

    /** Brings up a lab without an engine; {@code options} are lab.sh up options such as --hosts 3. */
    public static Lab up(String... options) throws IOException {
        Path script = findLabScript();
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            String id = String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
            if (Files.exists(Path.of("/run/netns/xl" + id + "c")) || Files.exists(Path.of("/run/netns/xl" + id + "r"))
                    || Files.exists(Path.of("/run/netns/xl" + id + "s"))
                    || Files.exists(labStateRoot().resolve(id))) {
                continue; // someone else's lab
            }
            List<String> cmd = new ArrayList<>(List.of("bash", script.toString(), "up", "--no-engine", "--id", id));
            cmd.addAll(Arrays.asList(options));
            Result r;
            try {
                r = run(cmd, UP_TIMEOUT, null);
            } catch (IOException e) {
                downById(script, id);
                throw e;
            }
            if (r.exit != 0) {
                last = new IOException("lab.sh up failed: " + r);
                if (r.stderr.contains("lab " + id + " exists")) {
                    continue; // raced with another lab of the same ID: not ours to take down
                }
                // lab.sh cleans up after a failed setup itself; down again in case it could not.
                downById(script, id);
                throw last;
            }
            Map<String, String> info = new LinkedHashMap<>();
            for (String line : r.stdout.split("\n")) {
                int eq = line.indexOf('=');
                if (!line.startsWith("#") && eq > 0 && line.substring(0, eq).matches("[A-Z]+")) {
                    info.put(line.substring(0, eq), line.substring(eq + 1).trim());
                }
            }
            try {
                Lab lab = new Lab(script, info);
                if (!lab.id.equals(id)) {
                    lab.close();
                    throw new IllegalStateException("lab.sh up made lab " + lab.id + ", asked for " + id);
                }
                try {
                    lab.awaitIpv6Ready();
                } catch (IOException | RuntimeException | Error e) {
                    lab.close();
                    throw e;
                }
                return lab;
            } catch (RuntimeException e) {
                downById(script, id);
                throw e;
            }
        }
        throw last != null ? last : new IOException("no free lab ID after 5 attempts");
    }

    /**
     * Waits until no IPv6 address of the client and the router is tentative. lab.sh returns while the
     * link-local addresses of c0 and rc are still in duplicate address detection (about a second); neighbour
     * discovery started in that window takes one or two retransmissions (1 s each), which would look like a lost
     * or late first packet.
     */
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

    private static Path labStateRoot() {
        String dir = System.getenv("XLATBOX_LAB_DIR");
        return Path.of(dir != null && !dir.isBlank() ? dir : "/tmp/xlatbox-lab");
    }

    /** lab.sh, found from the module directory (surefire's working directory) or the repository root. */
    static Path findLabScript() {
        List<Path> candidates = new ArrayList<>();
        String basedir = System.getProperty("basedir");
        if (basedir != null) {
            candidates.add(Path.of(basedir, "lab", "lab.sh"));
        }
        Path cwd = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        candidates.add(cwd.resolve("lab/lab.sh"));
        candidates.add(cwd.resolve("nat64-engine/lab/lab.sh"));
        for (Path p : candidates) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find nat64-engine/lab/lab.sh (looked at " + candidates + ")");
    }

    // ---------------------------------------------------------------------------------------------------------
    // The engine

    /** The usual configuration: pool6 64:ff9b::/96, pool4 192.0.2.0/24 for TCP, UDP and ICMP. */
    public static EngineConfig.Builder baseConfig() {
        return EngineConfig.builder().pool6(POOL6).addPool4(POOL4);
    }

    /** Starts an engine in the router namespace (TUN "nat64", 2 queues). The caller stops it. */
    public Engine startEngine(EngineConfig config) throws IOException {
        return startEngine(config, true);
    }

    /** As {@link #startEngine(EngineConfig)}, with or without TUN offloads (virtio-net headers, GSO). */
    public Engine startEngine(EngineConfig config, boolean offloads) throws IOException {
        return Engine.start(config,
                DataplaneConfig.defaults().withNamespace(router).withQueues(2).withOffloads(offloads));
    }

    /** Every session of the engine, or of one protocol (null: all), page by page. */
    public static List<TableViews.Session> sessions(Engine engine, L4Protocol protocol) {
        List<TableViews.Session> all = new ArrayList<>();
        int cursor = 0;
        for (int pages = 0; pages < 10_000 && cursor >= 0; pages++) {
            TableQuery.Page<TableViews.Session> page = engine.group().sessions(new TableQuery(protocol, null, cursor, 1000));
            all.addAll(page.items());
            cursor = page.nextCursor();
        }
        return all;
    }

    public static long counter(Engine engine, Counter c) {
        return engine.counters().getOrDefault(c, 0L);
    }

    /** Whether the TUN device exists in the router namespace. */
    public boolean hasTun() throws IOException {
        return exec(router, Duration.ofSeconds(10), "ip", "link", "show", "dev", TUN).exit == 0;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Commands

    /** What a command did. */
    public record Result(int exit, String stdout, String stderr, List<String> command, long millis) {
        public boolean ok() {
            return exit == 0;
        }

        public String output() {
            return stdout + stderr;
        }

        @Override
        public String toString() {
            return "`" + String.join(" ", command) + "` exit " + exit + " after " + millis + " ms"
                    + (stdout.isBlank() ? "" : "\n--- stdout\n" + tail(stdout))
                    + (stderr.isBlank() ? "" : "\n--- stderr\n" + tail(stderr));
        }

        private static String tail(String s) {
            return s.length() <= 4000 ? s : "..." + s.substring(s.length() - 4000);
        }
    }

    /** Runs {@code command} in namespace {@code ns}; kills it (and its children) after {@code timeout}. */
    public Result exec(String ns, Duration timeout, String... command) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(Arrays.asList(command));
        return run(cmd, timeout, state);
    }

    /** Runs a python3 script (text) in {@code ns} with the given arguments (sys.argv[1:]). */
    public Result python(String ns, Duration timeout, String script, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("python3", "-u", "-c", script));
        cmd.addAll(Arrays.asList(args));
        return exec(ns, timeout, cmd.toArray(String[]::new));
    }

    /**
     * Runs a command with stdout and stderr in files (deleted afterwards) and stdin from /dev/null: no pipe to
     * drain, nothing left open in this JVM once it returns. A timed-out command is killed with its children and
     * reported with exit code -1.
     */
    private static Result run(List<String> cmd, Duration timeout, Path dir) throws IOException {
        Path out = dir != null ? Files.createTempFile(dir, "exec-", ".out") : Files.createTempFile("lab-", ".out");
        Path err = dir != null ? Files.createTempFile(dir, "exec-", ".err") : Files.createTempFile("lab-", ".err");
        long t0 = System.nanoTime();
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .start();
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
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            if (exit == -1) {
                stderr += "\n[killed after " + timeout.toMillis() + " ms timeout]";
            }
            return new Result(exit, stdout, stderr, cmd.size() > 8 ? shorten(cmd) : List.copyOf(cmd),
                    (System.nanoTime() - t0) / 1_000_000);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static List<String> shorten(List<String> cmd) {
        List<String> s = new ArrayList<>();
        for (String c : cmd) {
            s.add(c.length() > 60 ? c.substring(0, 57).replace('\n', ' ') + "..." : c);
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

    /**
     * Starts a long-running command in {@code ns}: stdin is a pipe (for {@link Background#send}), stdout and
     * stderr go to files in STATE. Killed on {@link Background#close} or, at the latest, on {@link #close}.
     */
    public Background spawn(String ns, String... command) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(Arrays.asList(command));
        int n = fileCounter.incrementAndGet();
        Path out = state.resolve("bg-" + n + ".out");
        Path err = state.resolve("bg-" + n + ".err");
        Process p = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        Background b = new Background(p, out, err, shorten(cmd));
        synchronized (background) {
            background.add(b);
        }
        return b;
    }

    /** Starts a python3 script (text) in {@code ns} in the background. */
    public Background spawnPython(String ns, String script, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("python3", "-u", "-c", script));
        cmd.addAll(Arrays.asList(args));
        return spawn(ns, cmd.toArray(String[]::new));
    }

    /** A background program: its output so far, waits on it, commands to its stdin. */
    public static final class Background implements AutoCloseable {
        private final Process process;
        private final Path out;
        private final Path err;
        private final List<String> command;
        private OutputStream stdin;

        private Background(Process process, Path out, Path err, List<String> command) {
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

        public List<String> lines() {
            return stdout().lines().toList();
        }

        public boolean alive() {
            return process.isAlive();
        }

        /** Waits until a line of stdout matches; fails with the output if the program ends or time runs out. */
        public String awaitLine(Predicate<String> match, Duration timeout, String what) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                for (String line : lines()) {
                    if (match.test(line)) {
                        return line;
                    }
                }
                if (!process.isAlive()) {
                    // one more look: the line may have been written just before the exit
                    for (String line : lines()) {
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

        /** Writes a line to its stdin. */
        public void send(String line) throws IOException {
            stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        }

        /** Waits for it to exit; false on timeout (then it is still running). */
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

        /** Closes stdin and kills it and its children; idempotent. */
        @Override
        public void close() {
            try {
                if (stdin != null) {
                    stdin.close();
                }
            } catch (IOException ignored) {
                // it may have exited already
            }
            stdin = null;
            if (process.isAlive()) {
                kill(process);
            }
            try {
                process.getInputStream().close();
                process.getErrorStream().close();
            } catch (IOException ignored) {
                // redirected to files: these are null streams
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Waiting, files

    /** Polls {@code condition} every 20 ms until it holds; fails naming {@code what} after {@code timeout}. */
    public static void waitUntil(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            sleep(20);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** The SHA-256 that lab.sh wrote for www/big.bin. */
    public String bigFileSha256() throws IOException {
        return Files.readString(state.resolve("www/big.bin.sha256")).trim().split("\\s+")[0];
    }

    public long bigFileSize() throws IOException {
        return Files.size(state.resolve("www/big.bin"));
    }

    public static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 20];
        try (var in = Files.newInputStream(file)) {
            for (int n = in.read(buf); n > 0; n = in.read(buf)) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Open descriptors of this JVM. */
    public static long openFds() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Targets of the open descriptors, for messages. */
    public static List<String> fdTargets() {
        List<String> targets = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    targets.add(fd.getFileName() + " -> " + Files.readSymbolicLink(fd));
                } catch (IOException e) {
                    targets.add(fd.getFileName() + " -> ?");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return targets;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Teardown

    /** Kills the background programs and runs lab.sh down; always, also after failures. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            downQuietly();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway, and down is idempotent
            }
        }
    }

    /** The shutdown hook: the JVM exits without the test having closed the lab (Ctrl-C, SIGTERM, a crash). */
    private synchronized void closeAtExit() {
        if (!closed) {
            closed = true;
            System.err.println("lab " + id + ": JVM exiting, taking the lab down");
            downQuietly();
        }
    }

    private void downQuietly() {
        List<Background> bg;
        synchronized (background) {
            bg = new ArrayList<>(background);
            background.clear();
        }
        for (Background b : bg) {
            try {
                b.close();
            } catch (RuntimeException e) {
                System.err.println("lab " + id + ": cannot stop " + b + ": " + e);
            }
        }
        downById(labScript, id);
    }

    private static void downById(Path script, String id) {
        try {
            Result r = run(List.of("bash", script.toString(), "down", id), DOWN_TIMEOUT, null);
            if (r.exit != 0) {
                System.err.println("lab " + id + ": lab.sh down failed: " + r);
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("lab " + id + ": lab.sh down failed: " + e);
        }
    }

    @Override
    public String toString() {
        return "lab " + id + " (" + client + ", " + router + ", " + server + ", " + state + ")";
    }
}
