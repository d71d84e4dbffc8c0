package io.xlatbox.appliance.config;

import static io.xlatbox.appliance.config.FormSupport.parseInt;
import static io.xlatbox.appliance.config.FormSupport.text;
import static io.xlatbox.appliance.config.FormSupport.trim;

import java.util.List;
import java.util.Set;

/** The system page's form: hostname, the interfaces and their roles, the TUN device, NAT44. */
public class SystemForm {
    public String hostname = "";
    public String wanInterface = "";
    public String lanInterface = "";
    public String tunName = "";
    public String tunQueues = "";
    public boolean nat44;

    public static SystemForm of(SystemSettings s) {
        SystemForm f = new SystemForm();
        f.hostname = text(s.hostname());
        f.wanInterface = text(s.wanInterface());
        f.lanInterface = text(s.lanInterface());
        f.tunName = text(s.tunName());
        f.tunQueues = text(s.tunQueues());
        f.nat44 = s.nat44();
        return f;
    }

    public SystemSettings toSettings(SystemSettings current, FormErrors errors) {
        return new SystemSettings(trim(hostname), trim(wanInterface), trim(lanInterface), trim(tunName),
                parseInt(tunQueues, "tunQueues", current.tunQueues(), errors), nat44);
    }

    public void addErrors(List<FieldError> validation, FormErrors errors) {
        Set<String> unparsable = errors.fields();
        FormSupport.mapErrors(validation, "system", (path, message) -> {
            if (!unparsable.contains(path)) {
                errors.add(path, message);
            }
        }, errors);
    }
}
