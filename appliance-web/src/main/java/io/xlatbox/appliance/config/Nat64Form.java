package io.xlatbox.appliance.config;

import static io.xlatbox.appliance.config.FormSupport.blank;
import static io.xlatbox.appliance.config.FormSupport.parseInt;
import static io.xlatbox.appliance.config.FormSupport.parseLong;
import static io.xlatbox.appliance.config.FormSupport.text;
import static io.xlatbox.appliance.config.FormSupport.trim;

import io.xlatbox.appliance.config.Nat64Settings.Pool4Range;
import io.xlatbox.appliance.config.Nat64Settings.StaticBinding;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * The NAT64 page's form, as typed: every value is text until {@link #toSettings} parses it. Tables are indexed
 * rows ({@code pool4[2].prefix}); a row is dropped when its remove box is ticked or all of it is blank, so an
 * empty row at the end adds an entry without JavaScript.
 */
public class Nat64Form {
    public String pool6 = "";
    public List<Pool4Row> pool4 = new ArrayList<>();
    public List<StaticRow> staticBib = new ArrayList<>();
    public String udpTimeout = "";
    public String tcpEstablishedTimeout = "";
    public String tcpTransitoryTimeout = "";
    public String icmpTimeout = "";
    public String maxSessions = "";
    public String maxSessionsPerHost = "";
    public boolean addressDependentFiltering;
    public boolean dropExternallyInitiatedTcp;
    public String ipv6Mtu = "";
    public String ipv4Mtu = "";
    public String lowestIpv6Mtu = "";
    public String ownIpv4Address = "";
    public String ownIpv6Address = "";
    public boolean allowNonGlobalWithWellKnownPrefix;

    /** Form row of each pool4 / staticBib entry of the last {@link #toSettings}, to put errors on the right row. */
    private final List<Integer> pool4Rows = new ArrayList<>();
    private final List<Integer> staticRows = new ArrayList<>();

    public static class Pool4Row {
        public String protocol = "";
        public String prefix = "";
        public String portMin = "";
        public String portMax = "";
        public boolean remove;

        public boolean isBlank() {
            return blank(protocol) && blank(prefix) && blank(portMin) && blank(portMax);
        }
    }

    public static class StaticRow {
        public String protocol = "";
        public String ipv6Address = "";
        public String ipv6Port = "";
        public String ipv4Address = "";
        public String ipv4Port = "";
        public boolean remove;

        public boolean isBlank() {
            return blank(protocol) && blank(ipv6Address) && blank(ipv6Port) && blank(ipv4Address) && blank(ipv4Port);
        }
    }

    public static Nat64Form of(Nat64Settings n) {
        Nat64Form f = new Nat64Form();
        f.pool6 = text(n.pool6());
        for (Pool4Range r : n.pool4()) {
            Pool4Row row = new Pool4Row();
            row.protocol = r.protocol();
            row.prefix = r.prefix();
            row.portMin = text(r.portMin());
            row.portMax = text(r.portMax());
            f.pool4.add(row);
        }
        for (StaticBinding b : n.staticBib()) {
            StaticRow row = new StaticRow();
            row.protocol = b.protocol();
            row.ipv6Address = b.ipv6Address();
            row.ipv6Port = text(b.ipv6Port());
            row.ipv4Address = b.ipv4Address();
            row.ipv4Port = text(b.ipv4Port());
            f.staticBib.add(row);
        }
        f.udpTimeout = text(n.udpTimeout());
        f.tcpEstablishedTimeout = text(n.tcpEstablishedTimeout());
        f.tcpTransitoryTimeout = text(n.tcpTransitoryTimeout());
        f.icmpTimeout = text(n.icmpTimeout());
        f.maxSessions = text(n.maxSessions());
        f.maxSessionsPerHost = text(n.maxSessionsPerHost());
        f.addressDependentFiltering = n.addressDependentFiltering();
        f.dropExternallyInitiatedTcp = n.dropExternallyInitiatedTcp();
        f.ipv6Mtu = text(n.ipv6Mtu());
        f.ipv4Mtu = text(n.ipv4Mtu());
        f.lowestIpv6Mtu = text(n.lowestIpv6Mtu());
        f.ownIpv4Address = text(n.ownIpv4Address());
        f.ownIpv6Address = text(n.ownIpv6Address());
        f.allowNonGlobalWithWellKnownPrefix = n.allowNonGlobalWithWellKnownPrefix();
        return f;
    }

    /** Appends an empty row to a table ("pool4" or "staticBib"), for the next entry. */
    public Nat64Form withEmptyRow(String table) {
        if ("staticBib".equals(table)) {
            staticBib.add(new StaticRow());
        } else {
            pool4.add(new Pool4Row());
        }
        return this;
    }

    /**
     * The settings the form describes. Unparsable numbers are recorded in {@code errors} under their input's name
     * and replaced by {@code current}'s value, so that the rest can still be validated.
     */
    public Nat64Settings toSettings(Nat64Settings current, FormErrors errors) {
        pool4Rows.clear();
        staticRows.clear();
        List<Pool4Range> ranges = new ArrayList<>();
        for (int i = 0; i < pool4.size(); i++) {
            Pool4Row r = pool4.get(i);
            if (r == null || r.remove || r.isBlank()) {
                continue;
            }
            String p = "pool4[" + i + "].";
            ranges.add(new Pool4Range(trim(r.protocol).toLowerCase(Locale.ROOT), trim(r.prefix),
                    parseInt(r.portMin, p + "portMin", 0, errors), parseInt(r.portMax, p + "portMax", 65535, errors)));
            pool4Rows.add(i);
        }
        List<StaticBinding> statics = new ArrayList<>();
        for (int i = 0; i < staticBib.size(); i++) {
            StaticRow r = staticBib.get(i);
            if (r == null || r.remove || r.isBlank()) {
                continue;
            }
            String p = "staticBib[" + i + "].";
            statics.add(new StaticBinding(trim(r.protocol).toLowerCase(Locale.ROOT), trim(r.ipv6Address),
                    parseInt(r.ipv6Port, p + "ipv6Port", 0, errors), trim(r.ipv4Address),
                    parseInt(r.ipv4Port, p + "ipv4Port", 0, errors)));
            staticRows.add(i);
        }
        return new Nat64Settings(trim(pool6), ranges, statics,
                parseLong(udpTimeout, "udpTimeout", current.udpTimeout(), errors),
                parseLong(tcpEstablishedTimeout, "tcpEstablishedTimeout", current.tcpEstablishedTimeout(), errors),
                parseLong(tcpTransitoryTimeout, "tcpTransitoryTimeout", current.tcpTransitoryTimeout(), errors),
                parseLong(icmpTimeout, "icmpTimeout", current.icmpTimeout(), errors),
                parseInt(maxSessions, "maxSessions", current.maxSessions(), errors),
                parseInt(maxSessionsPerHost, "maxSessionsPerHost", current.maxSessionsPerHost(), errors),
                addressDependentFiltering, dropExternallyInitiatedTcp,
                parseInt(ipv6Mtu, "ipv6Mtu", current.ipv6Mtu(), errors),
                parseInt(ipv4Mtu, "ipv4Mtu", current.ipv4Mtu(), errors),
                parseInt(lowestIpv6Mtu, "lowestIpv6Mtu", current.lowestIpv6Mtu(), errors),
                blank(ownIpv4Address) ? null : trim(ownIpv4Address),
                blank(ownIpv6Address) ? null : trim(ownIpv6Address),
                allowNonGlobalWithWellKnownPrefix);
    }

    /** Puts validation errors (paths like {@code nat64.pool4[1].portMin}) on this form's fields and rows. */
    public void addErrors(List<FieldError> validation, FormErrors errors) {
        Set<String> unparsable = errors.fields(); // their own message says it better
        FormSupport.mapErrors(validation, "nat64", (path, message) -> {
            String m = FormSupport.rowsInMessage(FormSupport.rowsInMessage(message, "pool4", pool4Rows),
                    "staticBib", staticRows);
            Matcher x = FormSupport.INDEXED.matcher(path);
            if (x.matches() && (x.group(1).equals("pool4") || x.group(1).equals("staticBib"))) {
                List<Integer> rows = x.group(1).equals("pool4") ? pool4Rows : staticRows;
                int i = Integer.parseInt(x.group(2));
                int row = i < rows.size() ? rows.get(i) : i;
                String key = x.group(1) + "[" + row + "]" + x.group(3);
                if (!unparsable.contains(key)) {
                    errors.add(key, m);
                }
            } else if (!unparsable.contains(path)) {
                errors.add(path, m);
            }
        }, errors);
    }
}
