package dev.runnel.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.io.support.ResourcePropertySource;

/**
 * Adds the gateway's defaults ({@code runnel-gateway.properties}) below every other property
 * source, early enough for logging levels to apply, and only when the application is the
 * gateway: the file is not named {@code application.properties}, so it stays out of other
 * services sharing a classpath with it (as the in-JVM cluster tests do).
 */
public class GatewayDefaults implements EnvironmentPostProcessor {

    static final String RESOURCE = "classpath:runnel-gateway.properties";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!application.getAllSources().contains(GatewayApplication.class)) {
            return;
        }
        try {
            environment.getPropertySources().addLast(new ResourcePropertySource("runnel-gateway defaults", RESOURCE));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the gateway's defaults " + RESOURCE, e);
        }
    }
}
