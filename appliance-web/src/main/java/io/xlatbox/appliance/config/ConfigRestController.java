package io.xlatbox.appliance.config;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import io.xlatbox.appliance.security.Actor;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The configuration over REST: the whole of it or one section, previews, versions, diffs and rollback. Every
 * response carries the active version as ETag; every write needs it in If-Match.
 */
@RestController
@RequestMapping("/api/v1/config")
@Tag(name = "configuration")
public class ConfigRestController {
    private final ConfigService configs;

    public ConfigRestController(ConfigService configs) {
        this.configs = configs;
    }

    @GetMapping
    @Operation(summary = "The active configuration; its version is the ETag")
    public ResponseEntity<ApplianceConfig> get() {
        ConfigService.Active a = configs.active();
        return ResponseEntity.ok().eTag(ETags.of(a.version())).body(a.config());
    }

    @PutMapping
    @Operation(summary = "Replace the whole configuration (If-Match: the version it was made against)")
    public ResponseEntity<ConfigService.Applied> put(@RequestHeader(value = "If-Match", required = false) String ifMatch,
                                                     @RequestBody ApplianceConfig body, HttpServletRequest req) {
        return applied(configs.apply(body, ETags.parseIfMatch(ifMatch), Actor.of(req), null));
    }

    @GetMapping("/nat64")
    public ResponseEntity<Nat64Settings> getNat64() {
        return section(ApplianceConfig::nat64);
    }

    @PutMapping("/nat64")
    @Operation(summary = "Replace the NAT64 settings")
    public ResponseEntity<ConfigService.Applied> putNat64(
            @RequestHeader(value = "If-Match", required = false) String ifMatch, @RequestBody Nat64Settings body,
            HttpServletRequest req) {
        return replaceSection(ifMatch, req, c -> c.withNat64(body));
    }

    @GetMapping("/dns64")
    public ResponseEntity<Dns64Settings> getDns64() {
        return section(ApplianceConfig::dns64);
    }

    @PutMapping("/dns64")
    @Operation(summary = "Replace the DNS64 settings")
    public ResponseEntity<ConfigService.Applied> putDns64(
            @RequestHeader(value = "If-Match", required = false) String ifMatch, @RequestBody Dns64Settings body,
            HttpServletRequest req) {
        return replaceSection(ifMatch, req, c -> c.withDns64(body));
    }

    @GetMapping("/system")
    public ResponseEntity<SystemSettings> getSystem() {
        return section(ApplianceConfig::system);
    }

    @PutMapping("/system")
    @Operation(summary = "Replace the system settings (interfaces, TUN)")
    public ResponseEntity<ConfigService.Applied> putSystem(
            @RequestHeader(value = "If-Match", required = false) String ifMatch, @RequestBody SystemSettings body,
            HttpServletRequest req) {
        return replaceSection(ifMatch, req, c -> c.withSystem(body));
    }

    @PostMapping("/preview")
    @Operation(summary = "Validate a whole configuration and say what applying it would change and drop")
    public ConfigService.Preview preview(@RequestBody ApplianceConfig body) {
        return configs.preview(body);
    }

    @GetMapping("/versions")
    @Operation(summary = "Applied versions, newest first")
    public List<ConfigStore.Version> versions(@RequestParam(defaultValue = "50") int limit,
                                              @RequestParam(defaultValue = "9223372036854775807") long before) {
        return configs.versions(Math.max(1, Math.min(limit, 500)), before);
    }

    @GetMapping("/versions/{version}")
    public ConfigStore.Version version(@PathVariable long version) {
        return configs.version(version);
    }

    @GetMapping("/versions/{version}/diff")
    @Operation(summary = "What changed from version 'against' (default: the one before) to this version")
    public List<String> diff(@PathVariable long version, @RequestParam(required = false) Long against) {
        ConfigStore.Version to = configs.version(version);
        long from = against != null ? against : version - 1;
        ApplianceConfig base = from >= 1 ? configs.version(from).config() : to.config();
        return configs.changes(base, to.config());
    }

    @PostMapping("/versions/{version}/rollback")
    @Operation(summary = "Apply an earlier version again, as a new version")
    public ResponseEntity<ConfigService.Applied> rollback(@PathVariable long version,
                                                          @RequestHeader(value = "If-Match", required = false)
                                                          String ifMatch, HttpServletRequest req) {
        return applied(configs.rollback(version, ETags.parseIfMatch(ifMatch), Actor.of(req)));
    }

    private <T> ResponseEntity<T> section(Function<ApplianceConfig, T> part) {
        ConfigService.Active a = configs.active();
        return ResponseEntity.ok().eTag(ETags.of(a.version())).body(part.apply(a.config()));
    }

    /** Applies the active configuration with one section replaced, against the version in If-Match. */
    private ResponseEntity<ConfigService.Applied> replaceSection(String ifMatch, HttpServletRequest req,
                                                                 UnaryOperator<ApplianceConfig> replace) {
        ApplianceConfig next = replace.apply(configs.active().config());
        return applied(configs.apply(next, ETags.parseIfMatch(ifMatch), Actor.of(req), null));
    }

    private static ResponseEntity<ConfigService.Applied> applied(ConfigService.Applied r) {
        return ResponseEntity.ok().eTag(ETags.of(r.version())).body(r);
    }
}
