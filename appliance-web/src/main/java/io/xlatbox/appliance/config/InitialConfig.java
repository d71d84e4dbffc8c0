package io.xlatbox.appliance.config;

import io.xlatbox.appliance.ApplianceProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The configuration of a first start: the factory defaults, with the settings of {@code xlatbox.initial-config}
 * merged over them as an RFC 7396 merge patch (objects merge member by member, anything else replaces). A
 * preseed that cannot be read or is invalid stops the start with the reason, rather than leaving a box running on
 * something nobody asked for.
 */
@Component
public class InitialConfig {
    private final Path file;
    private final JsonMapper json;
    private final ConfigValidator validator;

    public InitialConfig(ApplianceProperties props, JsonMapper json, ConfigValidator validator) {
        this.file = props.initialConfig();
        this.json = json;
        this.validator = validator;
    }

    /** Where the first configuration comes from, for the history. */
    public String origin() {
        return file == null ? "factory defaults" : "factory defaults with " + file;
    }

    public ApplianceConfig load() {
        ApplianceConfig defaults = ApplianceConfig.defaults();
        if (file == null) {
            return defaults;
        }
        ApplianceConfig merged;
        try {
            JsonNode patch = json.readTree(Files.readString(file));
            if (!patch.isObject()) {
                throw new IllegalStateException("initial configuration " + file + " is not a JSON object");
            }
            merged = json.treeToValue(merge(json.valueToTree(defaults), patch), ApplianceConfig.class);
        } catch (IOException | JacksonException e) {
            throw new IllegalStateException("cannot read the initial configuration " + file + ": " + e.getMessage(),
                    e);
        }
        List<FieldError> errors = validator.validate(merged);
        if (!errors.isEmpty()) {
            throw new IllegalStateException("the initial configuration " + file + " is invalid: " + errors);
        }
        return merged;
    }

    /** RFC 7396 §2: MergePatch(target, patch). */
    static JsonNode merge(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) {
            return patch;
        }
        ObjectNode result = target != null && target.isObject() ? ((ObjectNode) target).deepCopy()
                : ((ObjectNode) patch).objectNode();
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            if (e.getValue().isNull()) {
                result.remove(e.getKey());
            } else {
                result.set(e.getKey(), merge(result.get(e.getKey()), e.getValue()));
            }
        }
        return result;
    }
}
