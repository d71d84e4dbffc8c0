package io.xlatbox.appliance.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;

/**
 * The whole configuration of the box, as the user sees it: the same names in the UI, the REST JSON, the database
 * columns and the engine's {@code EngineConfig}. Immutable; every change makes a new numbered version.
 */
public record ApplianceConfig(@Valid @NotNull Nat64Settings nat64, @Valid @NotNull Dns64Settings dns64,
                              @Valid @NotNull SystemSettings system) {

    /** What a new box starts with: 64:ff9b::/96, a pool4 to be chosen, DNS64 on, RFC defaults everywhere. */
    public static ApplianceConfig defaults() {
        return new ApplianceConfig(Nat64Settings.defaults(), Dns64Settings.defaults(), SystemSettings.defaults());
    }

    public ApplianceConfig withNat64(Nat64Settings n) {
        return new ApplianceConfig(n, dns64, system);
    }

    public ApplianceConfig withDns64(Dns64Settings d) {
        return new ApplianceConfig(nat64, d, system);
    }

    public ApplianceConfig withSystem(SystemSettings s) {
        return new ApplianceConfig(nat64, dns64, s);
    }
}
