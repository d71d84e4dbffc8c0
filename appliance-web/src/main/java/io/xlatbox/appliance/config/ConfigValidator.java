package io.xlatbox.appliance.config;

import io.xlatbox.appliance.dataplane.Dns64ConfigMapper;
import io.xlatbox.appliance.dataplane.EngineConfigMapper;
import io.xlatbox.dns64.Dns64Config;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * Checks a configuration completely before anything is saved or applied: the field constraints, then the
 * engine's and the DNS64's own validation. Every problem is reported, each with its field path.
 */
@Component
public class ConfigValidator {
    /** The DNS64PREFIX.MAPPEDRANGES column. */
    static final int MAPPED_RANGES_MAX = 4000;
    private final Validator validator;

    public ConfigValidator(Validator validator) {
        this.validator = validator;
    }

    public List<FieldError> validate(ApplianceConfig config) {
        List<FieldError> errors = new ArrayList<>();
        if (config == null) {
            errors.add(new FieldError("", "a configuration is required"));
            return errors;
        }
        for (ConstraintViolation<ApplianceConfig> v : validator.validate(config)) {
            // "dns64.listen[0].<list element>" is "dns64.listen[0]" to the user
            errors.add(new FieldError(v.getPropertyPath().toString().replace(".<list element>", ""),
                    v.getMessage()));
        }
        // The engine's and the DNS64's checks for each section whose fields passed, so that one answer names
        // every problem (a bad hostname does not hide a bad pool6).
        if (config.nat64() != null && clean(errors, "nat64")) {
            EngineConfigMapper.toEngine(config.nat64(), errors);
        }
        if (config.dns64() != null && clean(errors, "dns64")) {
            int before = errors.size();
            endpoints("dns64.listen", config.dns64().listen(), errors);
            endpoints("dns64.upstreams", config.dns64().upstreams(), errors);
            if (errors.size() == before) {
                Dns64ConfigMapper.toDns64(config.dns64(), errors);
            }
            storable(config.dns64(), errors);
        }
        errors.sort(Comparator.comparing(FieldError::field));
        return errors;
    }

    private static boolean clean(List<FieldError> errors, String section) {
        return errors.stream().noneMatch(e -> e.field().equals(section) || e.field().startsWith(section + "."));
    }

    /** "addr:port" syntax, entry by entry, so that an error names its entry (the DNS64's parser names none). */
    private static void endpoints(String path, List<String> list, List<FieldError> errors) {
        for (int i = 0; i < list.size(); i++) {
            try {
                Dns64Config.Endpoint.parse(list.get(i), 53);
            } catch (IllegalArgumentException e) {
                errors.add(new FieldError(path + "[" + i + "]", e.getMessage()));
            }
        }
    }

    /** What the database columns can hold beyond the per-field limits: a prefix's mapped ranges, joined. */
    private static void storable(Dns64Settings d, List<FieldError> errors) {
        for (int i = 0; i < d.prefixes().size(); i++) {
            if (String.join(",", d.prefixes().get(i).mappedRanges()).length() > MAPPED_RANGES_MAX) {
                errors.add(new FieldError("dns64.prefixes[" + i + "].mappedRanges", "too many ranges (at most "
                        + MAPPED_RANGES_MAX + " characters together)"));
            }
        }
    }

    /** Validates and throws {@link InvalidConfigException} listing every bad field. */
    public void check(ApplianceConfig config) {
        List<FieldError> errors = validate(config);
        if (!errors.isEmpty()) {
            throw new InvalidConfigException(errors);
        }
    }
}
