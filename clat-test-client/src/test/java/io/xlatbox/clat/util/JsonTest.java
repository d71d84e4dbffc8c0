package io.xlatbox.clat.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void roundTrip() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "a \"quoted\" line\nand a tab\t\u0001");
        m.put("n", 42L);
        m.put("d", 1.5);
        m.put("b", true);
        m.put("z", null);
        m.put("l", List.of(1L, "two", List.of()));
        m.put("o", Map.of());
        assertEquals(m, Json.parse(Json.write(m)));
        assertEquals(m, Json.parse(Json.pretty(m)));
    }

    @Test
    void readsIpJson() {
        Object v = Json.parse("[{\"dst\":\"default\",\"gateway\":\"2001:db8:1::1\",\"dev\":\"c0\",\"metric\":1024,"
                + "\"flags\":[]}]");
        Map<String, Object> r = Json.object(Json.array(v).get(0));
        assertEquals("c0", Json.string(r, "dev"));
        assertEquals(1024, Json.number(r, "metric", 0));
        assertEquals(-1, Json.number(r, "absent", -1));
    }

    @Test
    void badInput() {
        for (String bad : Arrays.asList("", "{", "[1,]", "{\"a\" 1}", "tru", "\"open", "1 2")) {
            assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
        }
    }
}
