package io.xlatbox.appliance.dataplane;

import io.xlatbox.appliance.ApplianceProperties;
import io.xlatbox.appliance.config.ApplianceConfig;
import io.xlatbox.appliance.config.FieldError;
import io.xlatbox.appliance.config.InvalidConfigException;
import io.xlatbox.appliance.config.SystemSettings;
import io.xlatbox.dns64.Dns64Config;
import io.xlatbox.dns64.Dns64Server;
import io.xlatbox.engine.DataplaneConfig;
import io.xlatbox.engine.Engine;
import io.xlatbox.engine.EngineConfig;
import io.xlatbox.engine.TranslatorGroup;
import io.xlatbox.engine.tun.NetNamespace;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * The bridge from configuration to the running NAT64 engine and DNS64 responder: starts them at boot with the
 * saved configuration, applies changes live, and reports what runs and what failed. A part that cannot start
 * (no TUN, a busy port) is reported with its cause; the appliance keeps running so that the user can fix it.
 */
@Service
public class DataplaneService {
    private static final Logger LOG = LoggerFactory.getLogger(DataplaneService.class);

    private final ApplianceProperties props;
    private TranslatorGroup group;
    private Engine engine;
    private Dns64Server dns;
    private ApplianceConfig running;
    private volatile String engineError;
    private volatile String dnsError;
    private volatile Instant startedAt;

    public DataplaneService(ApplianceProperties props) {
        this.props = props;
    }

    /** What runs, and why what does not. */
    public record State(boolean engineEnabled, boolean engineRunning, String engineError, boolean dns64Enabled,
                        boolean dns64Running, String dns64Error, Instant startedAt, String tunName,
                        List<Integer> dnsPorts) {
    }

    public synchronized State state() {
        return new State(props.dataplane().enabled(), engine != null && engine.healthy(), engineError,
                props.dns64().enabled() && running != null && running.dns64().enabled(), dns != null, dnsError,
                startedAt, engine != null ? engine.tunName() : null, dns != null ? dns.boundPorts() : List.of());
    }

    /** Starts everything with the saved configuration (at boot). */
    public synchronized void start(ApplianceConfig config) {
        List<FieldError> errors = new ArrayList<>();
        EngineConfig ec = EngineConfigMapper.toEngine(config.nat64(), errors);
        if (ec == null) {
            throw new InvalidConfigException(errors);
        }
        group = TranslatorGroup.stateful(ec, Clock.systemUTC());
        running = config;
        startedAt = Instant.now();
        startEngine(config.system());
        startDns64(config);
    }

    private void startEngine(SystemSettings system) {
        engineError = null;
        if (!props.dataplane().enabled()) {
            return;
        }
        try {
            engine = Engine.start(group, dataplane(system));
        } catch (IOException | RuntimeException e) {
            engine = null;
            engineError = "NAT64 engine could not start: " + e.getMessage();
            LOG.error(engineError, e);
        }
    }

    private void startDns64(ApplianceConfig config) {
        dnsError = null;
        if (!props.dns64().enabled() || !config.dns64().enabled()) {
            return;
        }
        List<FieldError> errors = new ArrayList<>();
        Dns64Config dc = Dns64ConfigMapper.toDns64(config.dns64(), errors);
        if (dc == null) {
            dnsError = "DNS64 configuration invalid: " + errors;
            LOG.error(dnsError);
            return;
        }
        try {
            dns = Dns64Server.start(dc, namespace());
        } catch (IOException | RuntimeException e) {
            dns = null;
            dnsError = "DNS64 could not start: " + e.getMessage();
            LOG.error(dnsError, e);
        }
    }

    /** The network namespace of the TUN device and the DNS64's sockets; null for the appliance's own. */
    private String namespace() {
        String ns = props.dataplane().namespace();
        return ns == null || ns.isBlank() ? null : ns;
    }

    private DataplaneConfig dataplane(SystemSettings s) {
        int queues = s.tunQueues() > 0 ? s.tunQueues() : Runtime.getRuntime().availableProcessors();
        return new DataplaneConfig(s.tunName(), queues, 0, namespace(), true,
                s.nat44() && s.wanInterface() != null && !s.wanInterface().isBlank() ? s.wanInterface() : null, true);
    }

    /** How many NAT64 sessions applying {@code next} would drop. */
    public synchronized int sessionsDroppedBy(ApplianceConfig next) {
        EngineConfig ec = EngineConfigMapper.toEngine(next.nat64(), new ArrayList<>());
        return ec == null || group == null ? 0 : group.sessionsDroppedBy(ec);
    }

    /**
     * Applies {@code next} to the running engine and DNS64. Either both take it, or neither runs it afterwards:
     * when the DNS64 refuses, the engine goes back to the previous configuration. Returns the sessions dropped.
     */
    public synchronized int apply(ApplianceConfig next) throws ApplyException {
        ApplianceConfig prev = running;
        List<FieldError> errors = new ArrayList<>();
        EngineConfig ec = EngineConfigMapper.toEngine(next.nat64(), errors);
        Dns64Config dc = Dns64ConfigMapper.toDns64(next.dns64(), errors);
        if (ec == null || dc == null) {
            throw new InvalidConfigException(errors);
        }
        int dropped = applyEngine(prev, next, ec);
        try {
            applyDns64(prev, next, dc);
        } catch (ApplyException e) {
            revertEngine(prev);
            throw e;
        }
        running = next;
        return dropped;
    }

    /** Calls {@code action} in the dataplane's network namespace (the lab's router), or here. */
    public <T> T inNamespace(Callable<T> action) throws Exception {
        return NetNamespace.callIn(namespace(), action);
    }

    /** Only what the TUN device and the host integration are made from needs a new device. */
    private static boolean needsRestart(SystemSettings a, SystemSettings b) {
        return !Objects.equals(a.tunName(), b.tunName()) || a.tunQueues() != b.tunQueues() || a.nat44() != b.nat44()
                || !Objects.equals(a.wanInterface(), b.wanInterface());
    }

    private int applyEngine(ApplianceConfig prev, ApplianceConfig next, EngineConfig ec) throws ApplyException {
        boolean restart = needsRestart(prev.system(), next.system());
        try {
            if (restart && engine != null) {
                engine.stop(); // the sessions live in the group and carry over to the new TUN
                engine = null;
            }
            int dropped = engine != null ? engine.apply(ec) : group.apply(ec);
            if (restart || (engine == null && props.dataplane().enabled())) {
                startEngine(next.system());
                if (restart && engineError != null) {
                    String why = engineError;
                    revertEngine(prev);
                    startEngine(prev.system());
                    throw new ApplyException(why, null);
                }
            }
            return dropped;
        } catch (IOException | RuntimeException e) {
            throw new ApplyException("the NAT64 engine refused the configuration: " + e.getMessage(), e);
        }
    }

    private void revertEngine(ApplianceConfig prev) {
        EngineConfig pc = EngineConfigMapper.toEngine(prev.nat64(), new ArrayList<>());
        try {
            if (engine != null) {
                engine.apply(pc);
            } else {
                group.apply(pc);
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("could not put the previous NAT64 configuration back", e);
        }
    }

    private void applyDns64(ApplianceConfig prev, ApplianceConfig next, Dns64Config dc) throws ApplyException {
        boolean wanted = props.dns64().enabled() && next.dns64().enabled();
        try {
            if (!wanted) {
                if (dns != null) {
                    dns.stop();
                    dns = null;
                }
                dnsError = null;
            } else if (dns == null) {
                try {
                    dns = Dns64Server.start(dc, namespace());
                    dnsError = null;
                } catch (IOException | RuntimeException e) {
                    if (!Objects.equals(prev.dns64(), next.dns64())) {
                        throw e;
                    }
                    // Its settings did not change, so this change did not break it: keep the error, apply the rest.
                    dnsError = "DNS64 could not start: " + e.getMessage();
                }
            } else {
                dns.apply(dc);
            }
        } catch (IOException | RuntimeException e) {
            throw new ApplyException("DNS64 refused the configuration: " + e.getMessage(), e);
        }
    }

    /** Re-applies a configuration after a failed transaction so that the dataplane matches the database again. */
    public synchronized void restore(ApplianceConfig config) {
        try {
            apply(config);
        } catch (ApplyException | RuntimeException e) {
            LOG.error("could not restore the dataplane to the saved configuration", e);
        }
    }

    public synchronized TranslatorGroup group() {
        return group;
    }

    public synchronized Engine engine() {
        return engine;
    }

    public synchronized Dns64Server dns64() {
        return dns;
    }

    @PreDestroy
    public synchronized void stop() {
        if (dns != null) {
            dns.stop();
            dns = null;
        }
        if (engine != null) {
            engine.stop();
            engine = null;
        }
    }

    /** The engine or the DNS64 refused a configuration that passed validation (a port in use, a failed route). */
    public static final class ApplyException extends Exception {
        public ApplyException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
