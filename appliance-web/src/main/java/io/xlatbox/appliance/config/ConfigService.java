package io.xlatbox.appliance.config;

import io.xlatbox.appliance.dataplane.DataplaneService;
import io.xlatbox.appliance.dataplane.DataplaneService.ApplyException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one way configuration changes: validate, save in one transaction, apply to the running engine and DNS64,
 * report. If validation fails nothing changes; if the apply fails the transaction rolls back and the previous
 * configuration keeps running; if the commit fails after the apply, the dataplane is put back. So the database
 * and the dataplane never disagree.
 */
@Service
@Order(Ordered.HIGHEST_PRECEDENCE)
public class ConfigService implements ApplicationRunner {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigService.class);

    private final ConfigStore store;
    private final ConfigValidator validator;
    private final DataplaneService dataplane;
    private final TransactionTemplate tx;
    private final JsonMapper json;
    private final ApplicationEventPublisher events; // [security] ChangeApplied, for the audit log
    private final InitialConfig initial;
    private volatile Active active;

    public ConfigService(ConfigStore store, ConfigValidator validator, DataplaneService dataplane,
                         PlatformTransactionManager txManager, JsonMapper json, ApplicationEventPublisher events,
                         InitialConfig initial) {
        this.initial = initial;
        this.store = store;
        this.validator = validator;
        this.dataplane = dataplane;
        this.tx = new TransactionTemplate(txManager);
        this.json = json;
        this.events = events;
    }

    /** The active configuration and its version number (the ETag of every configuration resource). */
    public record Active(long version, ApplianceConfig config) {
    }

    /** The outcome of an apply: the new version (unchanged when nothing changed) and the sessions dropped. */
    public record Applied(long version, boolean changed, int sessionsDropped, List<String> changes) {
    }

    /** [security] Published after every applied change (committed and running): the audit log records it. */
    public record ChangeApplied(long version, String author, String summary, List<String> changes) {
    }

    /** What an apply would do: the problems found, or the changes and the sessions they would drop. */
    public record Preview(boolean valid, List<FieldError> errors, List<String> changes, int sessionsDropped) {
    }

    /** At boot: load the saved configuration (or save the first one as version 1) and start the dataplane. */
    @Override
    public void run(ApplicationArguments args) {
        initialize();
    }

    synchronized void initialize() {
        if (active != null) {
            return;
        }
        Active a = tx.execute(status -> {
            var current = store.loadCurrent();
            var version = store.activeVersion();
            if (current.isPresent() && version.isPresent()) {
                return new Active(version.get(), current.get());
            }
            ApplianceConfig first = initial.load();
            store.save(1, first, "system", initial.origin(), List.of());
            return new Active(1, first);
        });
        store.sync(); // a first configuration just saved, too
        List<FieldError> errors = validator.validate(a.config());
        if (!errors.isEmpty()) {
            LOG.error("the saved configuration (version {}) is invalid: {}", a.version(), errors);
        }
        dataplane.start(a.config());
        active = a;
        LOG.info("configuration version {} active", a.version());
    }

    public Active active() {
        Active a = active;
        if (a == null) {
            initialize();
            a = active;
        }
        return a;
    }

    /** Validation and the effect of a change, without changing anything. */
    public Preview preview(ApplianceConfig next) {
        List<FieldError> errors = validator.validate(next);
        if (!errors.isEmpty()) {
            return new Preview(false, errors, List.of(), 0);
        }
        return new Preview(true, List.of(), changes(active().config(), next), dataplane.sessionsDroppedBy(next));
    }

    /**
     * Applies a new configuration made against version {@code ifMatch} (the ETag the client saw).
     *
     * @throws VersionConflictException when another change came first
     * @throws InvalidConfigException   naming every bad field; nothing changed
     * @throws ApplyFailedException     when the engine or DNS64 refused it; the previous configuration still runs
     */
    public synchronized Applied apply(ApplianceConfig next, long ifMatch, String author, String summary) {
        Active cur = active();
        if (ifMatch != cur.version()) {
            throw new VersionConflictException(ifMatch, cur.version());
        }
        validator.check(next);
        List<String> changes = changes(cur.config(), next);
        if (changes.isEmpty()) {
            return new Applied(cur.version(), false, 0, changes);
        }
        String why = summary != null && !summary.isBlank() ? summary : describe(changes);
        int[] dropped = new int[1];
        long version = tx.execute(status -> {
            long v = store.nextVersion();
            store.save(v, next, author, why, changes);
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    store.sync();
                }

                @Override
                public void afterCompletion(int completion) {
                    if (completion != STATUS_COMMITTED) {
                        // The commit failed after the apply (or an enclosing restore rolled back): undo it.
                        dataplane.restore(cur.config());
                        active = cur;
                    }
                }
            });
            try {
                dropped[0] = dataplane.apply(next);
            } catch (ApplyException e) {
                status.setRollbackOnly();
                throw new ApplyFailedException(e.getMessage(), e);
            }
            return v;
        });
        active = new Active(version, next);
        LOG.info("configuration version {} applied by {}: {}", version, author, why);
        events.publishEvent(new ChangeApplied(version, author, why, changes)); // [security] audit log
        return new Applied(version, true, dropped[0], changes);
    }

    /** Applies an earlier version again, as a new version. */
    public synchronized Applied rollback(long target, long ifMatch, String author) {
        ConfigStore.Version v = store.version(target)
                .orElseThrow(() -> new NotFoundException("no configuration version " + target));
        return apply(v.config(), ifMatch, author, "rollback to version " + target);
    }

    public List<ConfigStore.Version> versions(int limit, long before) {
        return store.versions(limit, before);
    }

    public ConfigStore.Version version(long v) {
        return store.version(v).orElseThrow(() -> new NotFoundException("no configuration version " + v));
    }

    /** What differs between two configurations, one line per setting: {@code path: old -> new}. */
    public List<String> changes(ApplianceConfig a, ApplianceConfig b) {
        Map<String, String> x = flatten(json.valueToTree(a));
        Map<String, String> y = flatten(json.valueToTree(b));
        List<String> out = new ArrayList<>();
        for (String k : union(x, y)) {
            String o = x.get(k);
            String n = y.get(k);
            if (!Objects.equals(o, n)) {
                out.add(k + ": " + (o == null ? "(none)" : o) + " -> " + (n == null ? "(none)" : n));
            }
        }
        return out;
    }

    private static List<String> union(Map<String, String> x, Map<String, String> y) {
        TreeMap<String, Boolean> keys = new TreeMap<>();
        x.keySet().forEach(k -> keys.put(k, true));
        y.keySet().forEach(k -> keys.put(k, true));
        return new ArrayList<>(keys.keySet());
    }

    private static Map<String, String> flatten(JsonNode node) {
        Map<String, String> out = new TreeMap<>();
        flatten("", node, out);
        return out;
    }

    private static void flatten(String path, JsonNode node, Map<String, String> out) {
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(path.isEmpty() ? e.getKey() : path + "." + e.getKey(), e.getValue(), out);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                flatten(path + "[" + i + "]", node.get(i), out);
            }
            if (node.isEmpty()) {
                out.put(path, "[]");
            }
        } else {
            out.put(path, node.isNull() ? "null" : node.asString());
        }
    }

    private static String describe(List<String> changes) {
        String first = changes.get(0);
        String s = changes.size() == 1 ? first : first + " and " + (changes.size() - 1) + " more";
        return s.length() > 1000 ? s.substring(0, 997) + "..." : s;
    }

    /** The engine or DNS64 refused a valid configuration; the previous one keeps running. */
    public static final class ApplyFailedException extends RuntimeException {
        public ApplyFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public static final class NotFoundException extends RuntimeException {
        public NotFoundException(String message) {
            super(message);
        }
    }
}
