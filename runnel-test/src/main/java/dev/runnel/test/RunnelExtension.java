package dev.runnel.test;

import java.lang.annotation.Annotation;
import java.lang.reflect.Executable;
import java.util.Arrays;
import java.util.Optional;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The JUnit 5 side of {@link EmbeddedRunnel}: one {@link RunnelCluster} per annotated class
 * (nested classes share their enclosing class's), started before all its tests and closed after
 * them, even when a test fails; {@link RunnelCluster} parameters of tests and constructors get it.
 *
 * <p>In a Spring test the application context owns the cluster ({@code
 * dev.runnel.test.spring.EmbeddedRunnelContextCustomizerFactory}); this extension then starts
 * nothing and resolves parameters with the context's {@link RunnelCluster} bean, unless the
 * parameter is {@code @Autowired}, which Spring resolves itself.
 */
public final class RunnelExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(RunnelExtension.class);
    private static final String CLUSTER = "cluster";
    private static final String OWNER = "owner";
    private static final String PREVIOUS_PROPERTY = "previous-property";
    private static final String SPRING_EXTENSION = "org.springframework.test.context.junit.jupiter.SpringExtension";

    @Override
    public void beforeAll(ExtensionContext context) {
        if (isSpringTest(context) || store(context).get(CLUSTER, RunnelCluster.class) != null) {
            return; // the application context's, or the enclosing class's
        }
        EmbeddedRunnel settings = annotation(context.getRequiredTestClass())
                .orElseThrow(() -> new IllegalStateException("RunnelExtension needs @EmbeddedRunnel on "
                        + context.getRequiredTestClass().getName()));
        RunnelCluster cluster = start(settings);
        ExtensionContext.Store store = context.getStore(NAMESPACE);
        store.put(CLUSTER, cluster);
        store.put(OWNER + context.getUniqueId(), Boolean.TRUE);
        store.put(PREVIOUS_PROPERTY, Optional.ofNullable(System.getProperty(EmbeddedRunnel.BOOTSTRAP_SERVERS_PROPERTY)));
        System.setProperty(EmbeddedRunnel.BOOTSTRAP_SERVERS_PROPERTY, cluster.bootstrapServers());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        ExtensionContext.Store store = context.getStore(NAMESPACE);
        // Nested classes see their enclosing class's entries too: only the class that started the cluster closes it.
        if (store.remove(OWNER + context.getUniqueId()) == null) {
            return;
        }
        RunnelCluster cluster = store.remove(CLUSTER, RunnelCluster.class);
        @SuppressWarnings("unchecked")
        Optional<String> previous = store.remove(PREVIOUS_PROPERTY, Optional.class);
        try {
            cluster.close();
        } finally {
            if (previous != null && previous.isPresent()) {
                System.setProperty(EmbeddedRunnel.BOOTSTRAP_SERVERS_PROPERTY, previous.get());
            } else {
                System.clearProperty(EmbeddedRunnel.BOOTSTRAP_SERVERS_PROPERTY);
            }
        }
    }

    /** Starts the cluster {@code settings} describe; public for the Spring integration, which starts the same. */
    public static RunnelCluster start(EmbeddedRunnel settings) {
        RunnelCluster.Builder builder = RunnelCluster.builder().brokers(settings.brokers())
                .topics(settings.partitions(), settings.topics());
        for (String property : settings.brokerProperties()) {
            String[] pair = split(property);
            builder.brokerProperty(pair[0], pair[1]);
        }
        for (String property : settings.controllerProperties()) {
            String[] pair = split(property);
            builder.controllerProperty(pair[0], pair[1]);
        }
        return builder.start();
    }

    private static String[] split(String property) {
        int eq = property.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("@EmbeddedRunnel properties are name=value, not '" + property + "'");
        }
        return new String[] {property.substring(0, eq).trim(), property.substring(eq + 1).trim()};
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        if (parameter.getParameter().getType() != RunnelCluster.class) {
            return false;
        }
        return !isSpringTest(context) || !autowired(parameter);
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        if (isSpringTest(context)) {
            return SpringClusters.fromApplicationContext(context);
        }
        RunnelCluster cluster = store(context).get(CLUSTER, RunnelCluster.class);
        if (cluster == null) {
            throw new ParameterResolutionException("no Runnel cluster: is " + context.getRequiredTestClass().getName()
                    + " annotated with @EmbeddedRunnel?");
        }
        return cluster;
    }

    private static ExtensionContext.Store store(ExtensionContext context) {
        return context.getStore(NAMESPACE);
    }

    static Optional<EmbeddedRunnel> annotation(Class<?> testClass) {
        for (Class<?> c = testClass; c != null; c = c.getEnclosingClass()) {
            Optional<EmbeddedRunnel> found = AnnotationSupport.findAnnotation(c, EmbeddedRunnel.class);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    /** Whether Spring's JUnit extension runs this class: {@code @SpringBootTest}, {@code @SpringJUnitConfig}, ... */
    private static boolean isSpringTest(ExtensionContext context) {
        for (Class<?> c = context.getRequiredTestClass(); c != null; c = c.getEnclosingClass()) {
            boolean spring = AnnotationSupport.findRepeatableAnnotations(c, ExtendWith.class).stream()
                    .flatMap(e -> Arrays.stream(e.value())).anyMatch(x -> x.getName().equals(SPRING_EXTENSION));
            if (spring) {
                return true;
            }
        }
        return false;
    }

    private static boolean autowired(ParameterContext parameter) {
        Executable executable = parameter.getDeclaringExecutable();
        return Arrays.stream(parameter.getParameter().getAnnotations()).anyMatch(RunnelExtension::isAutowired)
                || Arrays.stream(executable.getAnnotations()).anyMatch(RunnelExtension::isAutowired);
    }

    private static boolean isAutowired(Annotation annotation) {
        return annotation.annotationType().getName().equals("org.springframework.beans.factory.annotation.Autowired");
    }
}
