package dev.runnel.gateway;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.PropertySource;

/**
 * The gateway: the cluster's HTTP front door (REST proxy, admin routing, web console). Its
 * defaults live in {@code runnel-gateway.properties}, below any {@code application.properties}
 * a deployment adds, and out of the way of the other services' own files when they share a
 * classpath (as the in-JVM cluster tests do).
 */
@SpringBootApplication
@EnableConfigurationProperties(GatewayProperties.class)
@PropertySource("classpath:runnel-gateway.properties")
public class GatewayApplication {

    public static void main(String[] args) {
        SpringApplication.run(GatewayApplication.class, args);
    }
}
