package io.xlatbox.appliance;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the appliance process itself (not of the network): where its state lives and whether it drives a
 * real dataplane. The network configuration is in the database.
 */
@ConfigurationProperties("xlatbox")
/**
 * @param initialConfig a JSON document that replaces the factory defaults at the first start (when the database
 *                      holds no configuration yet): only the settings it names differ from the defaults (RFC 7396
 *                      merge). For preseeded images and the lab; ignored once a configuration is saved.
 */
public record ApplianceProperties(Path dataDir, Dataplane dataplane, Dns64 dns64, Path initialConfig) {
    public ApplianceProperties {
        if (dataDir == null) {
            dataDir = Path.of("/var/lib/xlatbox");
        }
        if (dataplane == null) {
            dataplane = new Dataplane(true, "");
        }
        if (dns64 == null) {
            dns64 = new Dns64(true);
        }
    }

    /** @param namespace network namespace of the TUN device and routes; empty for the appliance's own */
    public record Dataplane(boolean enabled, String namespace) {
    }

    public record Dns64(boolean enabled) {
    }
}
