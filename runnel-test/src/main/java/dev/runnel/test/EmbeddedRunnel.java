package dev.runnel.test;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A Runnel cluster for the annotated test class, Runnel's {@code @EmbeddedKafka}.
 *
 * <p>On a plain JUnit 5 class, {@link RunnelExtension} starts a {@link RunnelCluster} before the
 * class's first test, stops it after its last, injects it into test and constructor parameters
 * of type {@link RunnelCluster}, and sets the system property {@link #BOOTSTRAP_SERVERS_PROPERTY}
 * meanwhile. With {@code @SpringBootTest} (any Spring test context), the cluster starts and stops
 * with the application context instead ({@code dev.runnel.test.spring}), which is told where it is:
 * {@code spring.kafka.bootstrap-servers}, {@code runnel.client.bootstrap-servers} and a Spring Boot
 * {@code KafkaConnectionDetails} bean.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(RunnelExtension.class)
public @interface EmbeddedRunnel {

    /** The system property and Spring property that hold the bootstrap servers while the cluster runs. */
    String BOOTSTRAP_SERVERS_PROPERTY = "runnel.test.bootstrap-servers";

    /** 1 or 3 brokers. */
    int brokers() default 1;

    /** Topics created before the tests run, each with {@link #partitions()} partitions on every broker. */
    String[] topics() default {};

    /** Partitions of each of {@link #topics()}. */
    int partitions() default 1;

    /** Broker settings as {@code name=value}, e.g. {@code "runnel.broker.auto-create-topics-enable=true"}. */
    String[] brokerProperties() default {};

    /** Controller settings as {@code name=value}. */
    String[] controllerProperties() default {};
}
