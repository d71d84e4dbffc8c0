package io.xlatbox.appliance.dataplane;

import io.xlatbox.appliance.config.FieldError;
import io.xlatbox.appliance.config.Nat64Settings;
import io.xlatbox.engine.ConfigException;
import io.xlatbox.engine.EngineConfig;
import io.xlatbox.engine.addr.Pool4Entry;
import io.xlatbox.engine.addr.StaticBibEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * NAT64 settings to the engine's {@link EngineConfig}, field for field under the same names. The engine's own
 * validation (RFC minimums, overlapping pool4 entries, illegal prefixes) reports its errors with the paths used
 * here, under {@code nat64.}.
 */
public final class EngineConfigMapper {
    private EngineConfigMapper() {
    }

    /** The engine configuration, or the list of what is wrong with the settings. */
    public static EngineConfig toEngine(Nat64Settings n, List<FieldError> errors) {
        EngineConfig.Builder b = EngineConfig.builder();
        int before = errors.size();
        try {
            b.pool6(n.pool6());
        } catch (IllegalArgumentException e) {
            errors.add(new FieldError("nat64.pool6", e.getMessage()));
        }
        List<Pool4Entry> pool4 = new ArrayList<>();
        for (int i = 0; i < n.pool4().size(); i++) {
            Nat64Settings.Pool4Range r = n.pool4().get(i);
            try {
                pool4.add(Pool4Entry.parse(r.protocol(), r.prefix(), r.portMin(), r.portMax()));
            } catch (IllegalArgumentException e) {
                errors.add(new FieldError("nat64.pool4[" + i + "]" + (e.getMessage().contains("protocol")
                        ? ".protocol" : ".prefix"), e.getMessage()));
            }
        }
        List<StaticBibEntry> statics = new ArrayList<>();
        for (int i = 0; i < n.staticBib().size(); i++) {
            Nat64Settings.StaticBinding s = n.staticBib().get(i);
            try {
                statics.add(StaticBibEntry.parse(s.protocol(), s.ipv6Address(), s.ipv6Port(), s.ipv4Address(),
                        s.ipv4Port()));
            } catch (IllegalArgumentException e) {
                String m = e.getMessage();
                String field = m.contains("protocol") ? "protocol" : m.contains("IPv6") ? "ipv6Address" : "ipv4Address";
                errors.add(new FieldError("nat64.staticBib[" + i + "]." + field, m));
            }
        }
        if (errors.size() > before) {
            return null;
        }
        b.pool4(pool4).staticBib(statics)
                .udpTimeout(Duration.ofSeconds(n.udpTimeout()))
                .tcpEstablishedTimeout(Duration.ofSeconds(n.tcpEstablishedTimeout()))
                .tcpTransitoryTimeout(Duration.ofSeconds(n.tcpTransitoryTimeout()))
                .icmpTimeout(Duration.ofSeconds(n.icmpTimeout()))
                .maxSessions(n.maxSessions())
                .maxSessionsPerHost(n.maxSessionsPerHost())
                .addressDependentFiltering(n.addressDependentFiltering())
                .dropExternallyInitiatedTcp(n.dropExternallyInitiatedTcp())
                .ipv6Mtu(n.ipv6Mtu())
                .ipv4Mtu(n.ipv4Mtu())
                .lowestIpv6Mtu(n.lowestIpv6Mtu())
                .ownIpv4Address(blankToNull(n.ownIpv4Address()))
                .ownIpv6Address(blankToNull(n.ownIpv6Address()))
                .allowNonGlobalWithWellKnownPrefix(n.allowNonGlobalWithWellKnownPrefix());
        try {
            return b.build();
        } catch (ConfigException e) {
            for (ConfigException.FieldError f : e.errors()) {
                errors.add(new FieldError("nat64." + f.path(), f.message()));
            }
            return null;
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
