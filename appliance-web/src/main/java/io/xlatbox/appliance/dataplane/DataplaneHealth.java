package io.xlatbox.appliance.dataplane;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/** Health of the NAT64 engine and the DNS64 for {@code /actuator/health}: down with the startup error when not running. */
@Component("dataplane")
public class DataplaneHealth implements HealthIndicator {
    private final DataplaneService dataplane;

    public DataplaneHealth(DataplaneService dataplane) {
        this.dataplane = dataplane;
    }

    @Override
    public Health health() {
        DataplaneService.State s = dataplane.state();
        boolean engineOk = !s.engineEnabled() || s.engineRunning();
        boolean dnsOk = !s.dns64Enabled() || s.dns64Running();
        Health.Builder b = engineOk && dnsOk ? Health.up() : Health.down();
        b.withDetail("engine", !s.engineEnabled() ? "disabled" : s.engineRunning() ? "running" : s.engineError());
        b.withDetail("dns64", !s.dns64Enabled() ? "disabled" : s.dns64Running() ? "running" : s.dns64Error());
        if (s.tunName() != null) {
            b.withDetail("tun", s.tunName());
        }
        return b.build();
    }
}
