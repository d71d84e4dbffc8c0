package io.xlatbox.appliance.dataplane;

import io.xlatbox.appliance.config.Dns64Settings;
import io.xlatbox.appliance.config.FieldError;
import io.xlatbox.engine.ConfigException;
import io.xlatbox.dns64.Dns64Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * DNS64 settings to the responder's {@link Dns64Config}. Its validation (RFC 6052 prefixes, address syntax, ACLs)
 * reports errors with the same names, under {@code dns64.}.
 */
public final class Dns64ConfigMapper {
    private Dns64ConfigMapper() {
    }

    public static Dns64Config toDns64(Dns64Settings d, List<FieldError> errors) {
        List<Dns64Config.PrefixSpec> prefixes = new ArrayList<>();
        for (Dns64Settings.Dns64Prefix p : d.prefixes()) {
            // No ranges listed means: every IPv4 address RFC 6147 allows (the Well-Known Prefix still refuses
            // non-global ones).
            prefixes.add(new Dns64Config.PrefixSpec(p.prefix(),
                    p.mappedRanges().isEmpty() ? List.of("0.0.0.0/0") : p.mappedRanges()));
        }
        try {
            return Dns64Config.builder()
                    .listen(d.listen().toArray(String[]::new))
                    .upstreams(d.upstreams().toArray(String[]::new))
                    .upstreamTimeout(Duration.ofMillis(d.upstreamTimeoutMillis()))
                    .prefixSpecs(prefixes)
                    .exclusions(d.exclusions())
                    .clientAcl(d.clientAcl())
                    .synthesisAcl(d.synthesisAcl())
                    .cacheMaxEntries(d.cacheMaxEntries())
                    .allowNonGlobalWithWellKnownPrefix(d.allowNonGlobalWithWellKnownPrefix())
                    .build();
        } catch (ConfigException e) {
            for (ConfigException.FieldError f : e.errors()) {
                String path = f.path().equals("upstreamTimeout") ? "upstreamTimeoutMillis" : f.path();
                errors.add(new FieldError("dns64." + path, f.message()));
            }
            return null;
        } catch (IllegalArgumentException e) {
            errors.add(new FieldError("dns64", e.getMessage()));
            return null;
        }
    }
}
