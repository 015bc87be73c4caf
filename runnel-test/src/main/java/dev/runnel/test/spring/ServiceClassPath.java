package dev.runnel.test.spring;

import java.net.URL;
import java.util.List;
import java.util.Map;

import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;

import dev.runnel.broker.BrokerApplication;
import dev.runnel.controller.ControllerApplication;

/**
 * Keeps the Runnel services, which share the test's class path, out of the application under
 * test. Two things would leak in: the broker's or controller's {@code application.yml} (Spring
 * Boot reads the first {@code application.yml} on the class path, which is theirs when the
 * application has none, e.g. {@code management.endpoint.health.group.readiness.include=metadata});
 * and Spring Cloud Zookeeper, whose auto-configuration would connect the application to
 * ZooKeeper on 127.0.0.1:2181. The first is removed from the environment; the second is switched
 * off with {@code spring.cloud.zookeeper.enabled=false} at the lowest precedence, so an
 * application that sets it itself keeps its value.
 *
 * <p>One thing is left as it is: the broker brings Spring Security. An application without it
 * gets Spring Boot's default security in these tests, so its HTTP endpoints ask for a login; see
 * the module's README.
 */
final class ServiceClassPath {

    static final String DEFAULTS_SOURCE = "embeddedRunnelDefaults";

    private ServiceClassPath() {
    }

    static void neutralize(ConfigurableEnvironment environment, ClassLoader classLoader) {
        URL yml = (classLoader != null ? classLoader : ServiceClassPath.class.getClassLoader())
                .getResource("application.yml");
        if (yml != null && fromService(yml)) {
            List<String> leaked = environment.getPropertySources().stream().map(PropertySource::getName)
                    .filter(name -> name.contains("class path resource [application.yml]")).toList();
            leaked.forEach(environment.getPropertySources()::remove);
        }
        environment.getPropertySources().addLast(new MapPropertySource(DEFAULTS_SOURCE,
                Map.of("spring.cloud.zookeeper.enabled", "false")));
    }

    private static boolean fromService(URL resource) {
        String url = resource.toString();
        for (Class<?> main : List.of(BrokerApplication.class, ControllerApplication.class)) {
            String location = main.getProtectionDomain().getCodeSource().getLocation().toString();
            if (url.contains(location.endsWith("/") ? location : location + "!")) {
                return true;
            }
        }
        return false;
    }
}
