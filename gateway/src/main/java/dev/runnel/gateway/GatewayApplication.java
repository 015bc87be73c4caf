package dev.runnel.gateway;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/**
 * The gateway: the cluster's HTTP front door (REST proxy, admin routing, web console). Its
 * defaults live in {@code runnel-gateway.properties} (see {@link GatewayDefaults}), below any
 * {@code application.properties} a deployment adds.
 */
@SpringBootApplication
@EnableConfigurationProperties(GatewayProperties.class)
public class GatewayApplication {

    public static void main(String[] args) {
        SpringApplication.run(GatewayApplication.class, args);
    }
}
