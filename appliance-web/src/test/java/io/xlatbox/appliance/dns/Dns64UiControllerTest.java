package io.xlatbox.appliance.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.xlatbox.appliance.config.UiTestBase;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** The DNS64 statistics page (the tests run without the DNS64 sockets: xlatbox.dns64.enabled=false). */
class Dns64UiControllerTest extends UiTestBase {
    @Test
    void thePageSaysWhetherItRunsAndShowsTheSettingsItServes() throws Exception {
        String html = page("/dns");
        assertThat(html).contains("DNS64 statistics").contains("DNS64 is not running")
                .contains("9.9.9.9:53").contains("64:ff9b::/96").contains("(all IPv4)")
                .contains("aria-current=\"page\">DNS64 statistics</a>");
    }

    @Test
    void listenAddressesAreWrittenAsInTheSettings() throws Exception {
        assertThat(Dns64UiController.format(new InetSocketAddress(InetAddress.getByName("::"), 53)))
                .isEqualTo("[::]:53");
        assertThat(Dns64UiController.format(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 5353)))
                .isEqualTo("0.0.0.0:5353");
        assertThat(Dns64UiController.format(new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 53)))
                .isEqualTo("[2001:db8::1]:53");
    }
}
