package io.xlatbox.appliance;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.scheduling.annotation.EnableScheduling;

/** The xlatbox appliance: NAT64 engine, DNS64, configuration, UI and REST API in one JVM. */
@SpringBootApplication
@ConfigurationPropertiesScan
@EnableScheduling
public class XlatboxApplication {
    public static void main(String[] args) {
        SpringApplication.run(XlatboxApplication.class, args);
    }
}
