package io.xlatbox.appliance.config;

import io.xlatbox.appliance.config.Dns64Settings.Dns64Prefix;
import io.xlatbox.appliance.config.Nat64Settings.Pool4Range;
import io.xlatbox.appliance.config.Nat64Settings.StaticBinding;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.databind.json.JsonMapper;

/**
 * The configuration in H2: the current settings, one column per setting, and every applied version as JSON.
 * Writes happen inside the caller's transaction ({@link ConfigService}), so a version, the current settings and
 * the active pointer change together or not at all.
 */
@Repository
public class ConfigStore {
    private static final List<String> DNS64_LISTS = List.of("LISTEN", "UPSTREAMS", "EXCLUSIONS", "CLIENTACL",
            "SYNTHESISACL");

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public ConfigStore(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** A stored version: its number, when and by whom it was applied, what changed, and the whole config. */
    public record Version(long version, OffsetDateTime createdAt, String author, String summary,
                          List<String> changes, ApplianceConfig config) {
    }

    /** The active version number, if any version was ever applied. */
    public Optional<Long> activeVersion() {
        return jdbc.sql("SELECT VERSION FROM ACTIVE_CONFIG WHERE ID = 1").query(Long.class).optional();
    }

    public long nextVersion() {
        return jdbc.sql("SELECT COALESCE(MAX(VERSION), 0) + 1 FROM CONFIG_VERSION").query(Long.class).single();
    }

    /** Records a version, makes it the current settings and the active version. */
    /**
     * Forces what is committed onto the disk (H2's CHECKPOINT SYNC: flush and fsync), so that a power cut right
     * after a change cannot take it back. Configuration changes are rare; the cost does not matter.
     */
    public void sync() {
        jdbc.sql("CHECKPOINT SYNC").update();
    }

    public void save(long version, ApplianceConfig config, String author, String summary, List<String> changes) {
        jdbc.sql("INSERT INTO CONFIG_VERSION (VERSION, CREATEDAT, AUTHOR, SUMMARY, CHANGES, CONFIG) "
                        + "VALUES (?, ?, ?, ?, ?, ?)")
                .params(version, OffsetDateTime.now(), author, summary, json.writeValueAsString(changes),
                        json.writeValueAsString(config))
                .update();
        writeCurrent(config);
        if (jdbc.sql("UPDATE ACTIVE_CONFIG SET VERSION = ? WHERE ID = 1").param(version).update() == 0) {
            jdbc.sql("INSERT INTO ACTIVE_CONFIG (ID, VERSION) VALUES (1, ?)").param(version).update();
        }
    }

    public Optional<Version> version(long v) {
        return jdbc.sql("SELECT VERSION, CREATEDAT, AUTHOR, SUMMARY, CHANGES, CONFIG FROM CONFIG_VERSION "
                        + "WHERE VERSION = ?")
                .param(v)
                .query((rs, i) -> new Version(rs.getLong(1), rs.getObject(2, OffsetDateTime.class), rs.getString(3),
                        rs.getString(4), Arrays.asList(json.readValue(rs.getString(5), String[].class)),
                        json.readValue(rs.getString(6), ApplianceConfig.class)))
                .optional();
    }

    /** Versions, newest first, without their configuration bodies. */
    public List<Version> versions(int limit, long before) {
        return jdbc.sql("SELECT VERSION, CREATEDAT, AUTHOR, SUMMARY, CHANGES FROM CONFIG_VERSION WHERE VERSION < ? "
                        + "ORDER BY VERSION DESC LIMIT ?")
                .params(before, limit)
                .query((rs, i) -> new Version(rs.getLong(1), rs.getObject(2, OffsetDateTime.class), rs.getString(3),
                        rs.getString(4), Arrays.asList(json.readValue(rs.getString(5), String[].class)), null))
                .list();
    }

    // ------------------------------------------------------------------------------------------ current settings

    /** The current settings, from their columns; empty on a box that was never configured. */
    public Optional<ApplianceConfig> loadCurrent() {
        List<Map<String, Object>> natRows = jdbc.sql("SELECT * FROM NAT64 WHERE ID = 1").query().listOfRows();
        List<Map<String, Object>> dnsRows = jdbc.sql("SELECT * FROM DNS64 WHERE ID = 1").query().listOfRows();
        List<Map<String, Object>> sysRows = jdbc.sql("SELECT * FROM SYSTEM WHERE ID = 1").query().listOfRows();
        if (natRows.isEmpty() || dnsRows.isEmpty() || sysRows.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Object> n = natRows.get(0);
        List<Pool4Range> pool4 = jdbc.sql("SELECT PROTOCOL, PREFIX, PORTMIN, PORTMAX FROM POOL4 ORDER BY POSITION")
                .query((rs, i) -> new Pool4Range(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getInt(4)))
                .list();
        List<StaticBinding> statics = jdbc.sql("SELECT PROTOCOL, IPV6ADDRESS, IPV6PORT, IPV4ADDRESS, IPV4PORT "
                        + "FROM STATICBIB ORDER BY POSITION")
                .query((rs, i) -> new StaticBinding(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4),
                        rs.getInt(5)))
                .list();
        Nat64Settings nat64 = new Nat64Settings((String) n.get("POOL6"), pool4, statics, num(n, "UDPTIMEOUT"),
                num(n, "TCPESTABLISHEDTIMEOUT"), num(n, "TCPTRANSITORYTIMEOUT"), num(n, "ICMPTIMEOUT"),
                (int) num(n, "MAXSESSIONS"), (int) num(n, "MAXSESSIONSPERHOST"),
                (Boolean) n.get("ADDRESSDEPENDENTFILTERING"), (Boolean) n.get("DROPEXTERNALLYINITIATEDTCP"),
                (int) num(n, "IPV6MTU"), (int) num(n, "IPV4MTU"), (int) num(n, "LOWESTIPV6MTU"),
                (String) n.get("OWNIPV4ADDRESS"), (String) n.get("OWNIPV6ADDRESS"),
                (Boolean) n.get("ALLOWNONGLOBALWITHWELLKNOWNPREFIX"));
        Map<String, Object> d = dnsRows.get(0);
        List<Dns64Prefix> prefixes = jdbc.sql("SELECT PREFIX, MAPPEDRANGES FROM DNS64PREFIX ORDER BY POSITION")
                .query((rs, i) -> new Dns64Prefix(rs.getString(1), splitList(rs.getString(2))))
                .list();
        Dns64Settings dns64 = new Dns64Settings((Boolean) d.get("ENABLED"), dnsList("LISTEN"), dnsList("UPSTREAMS"),
                prefixes, dnsList("EXCLUSIONS"), dnsList("CLIENTACL"), dnsList("SYNTHESISACL"),
                (int) num(d, "UPSTREAMTIMEOUTMILLIS"), (int) num(d, "CACHEMAXENTRIES"),
                (Boolean) d.get("ALLOWNONGLOBALWITHWELLKNOWNPREFIX"));
        Map<String, Object> s = sysRows.get(0);
        SystemSettings system = new SystemSettings((String) s.get("HOSTNAME"), (String) s.get("WANINTERFACE"),
                (String) s.get("LANINTERFACE"), (String) s.get("TUNNAME"), (int) num(s, "TUNQUEUES"),
                (Boolean) s.get("NAT44"));
        return Optional.of(new ApplianceConfig(nat64, dns64, system));
    }

    private static long num(Map<String, Object> row, String column) {
        return ((Number) row.get(column)).longValue();
    }

    private List<String> dnsList(String list) {
        return jdbc.sql("SELECT ENTRY FROM DNS64LIST WHERE LIST = ? ORDER BY POSITION").param(list)
                .query(String.class).list();
    }

    private static List<String> splitList(String s) {
        List<String> out = new ArrayList<>();
        for (String p : s.split(",")) {
            if (!p.isBlank()) {
                out.add(p.trim());
            }
        }
        return out;
    }

    private void writeCurrent(ApplianceConfig c) {
        for (String t : List.of("NAT64", "POOL4", "STATICBIB", "DNS64", "DNS64LIST", "DNS64PREFIX", "SYSTEM")) {
            jdbc.sql("DELETE FROM " + t).update();
        }
        Nat64Settings n = c.nat64();
        jdbc.sql("INSERT INTO NAT64 (ID, POOL6, UDPTIMEOUT, TCPESTABLISHEDTIMEOUT, TCPTRANSITORYTIMEOUT, ICMPTIMEOUT, "
                        + "MAXSESSIONS, MAXSESSIONSPERHOST, ADDRESSDEPENDENTFILTERING, DROPEXTERNALLYINITIATEDTCP, "
                        + "IPV6MTU, IPV4MTU, LOWESTIPV6MTU, OWNIPV4ADDRESS, OWNIPV6ADDRESS, "
                        + "ALLOWNONGLOBALWITHWELLKNOWNPREFIX) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .params(n.pool6(), n.udpTimeout(), n.tcpEstablishedTimeout(), n.tcpTransitoryTimeout(),
                        n.icmpTimeout(), n.maxSessions(), n.maxSessionsPerHost(), n.addressDependentFiltering(),
                        n.dropExternallyInitiatedTcp(), n.ipv6Mtu(), n.ipv4Mtu(), n.lowestIpv6Mtu(),
                        n.ownIpv4Address(), n.ownIpv6Address(), n.allowNonGlobalWithWellKnownPrefix())
                .update();
        for (int i = 0; i < n.pool4().size(); i++) {
            Pool4Range r = n.pool4().get(i);
            jdbc.sql("INSERT INTO POOL4 (POSITION, PROTOCOL, PREFIX, PORTMIN, PORTMAX) VALUES (?, ?, ?, ?, ?)")
                    .params(i, r.protocol(), r.prefix(), r.portMin(), r.portMax()).update();
        }
        for (int i = 0; i < n.staticBib().size(); i++) {
            StaticBinding b = n.staticBib().get(i);
            jdbc.sql("INSERT INTO STATICBIB (POSITION, PROTOCOL, IPV6ADDRESS, IPV6PORT, IPV4ADDRESS, IPV4PORT) "
                            + "VALUES (?, ?, ?, ?, ?, ?)")
                    .params(i, b.protocol(), b.ipv6Address(), b.ipv6Port(), b.ipv4Address(), b.ipv4Port()).update();
        }
        Dns64Settings d = c.dns64();
        jdbc.sql("INSERT INTO DNS64 (ID, ENABLED, UPSTREAMTIMEOUTMILLIS, CACHEMAXENTRIES, "
                        + "ALLOWNONGLOBALWITHWELLKNOWNPREFIX) VALUES (1, ?, ?, ?, ?)")
                .params(d.enabled(), d.upstreamTimeoutMillis(), d.cacheMaxEntries(),
                        d.allowNonGlobalWithWellKnownPrefix())
                .update();
        List<List<String>> lists = List.of(d.listen(), d.upstreams(), d.exclusions(), d.clientAcl(), d.synthesisAcl());
        for (int l = 0; l < lists.size(); l++) {
            for (int i = 0; i < lists.get(l).size(); i++) {
                jdbc.sql("INSERT INTO DNS64LIST (LIST, POSITION, ENTRY) VALUES (?, ?, ?)")
                        .params(DNS64_LISTS.get(l), i, lists.get(l).get(i)).update();
            }
        }
        for (int i = 0; i < d.prefixes().size(); i++) {
            Dns64Prefix p = d.prefixes().get(i);
            jdbc.sql("INSERT INTO DNS64PREFIX (POSITION, PREFIX, MAPPEDRANGES) VALUES (?, ?, ?)")
                    .params(i, p.prefix(), String.join(",", p.mappedRanges())).update();
        }
        SystemSettings s = c.system();
        jdbc.sql("INSERT INTO SYSTEM (ID, HOSTNAME, WANINTERFACE, LANINTERFACE, TUNNAME, TUNQUEUES, NAT44) "
                        + "VALUES (1, ?, ?, ?, ?, ?, ?)")
                .params(s.hostname(), nz(s.wanInterface()), nz(s.lanInterface()), s.tunName(), s.tunQueues(),
                        s.nat44())
                .update();
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
