/**
 * A Runnel cluster for application tests, in the test's JVM: {@link dev.runnel.test.RunnelCluster}
 * (the API: ZooKeeper, a controller and one or three brokers, every port ephemeral), {@link
 * dev.runnel.test.RunnelNodes} (one node as a Spring Boot context, for tests that need more control),
 * and the JUnit 5 annotation {@link dev.runnel.test.EmbeddedRunnel} with {@link
 * dev.runnel.test.RunnelExtension}. Depends on the broker, controller and local-zookeeper modules' public
 * classes and on JUnit 5; Spring's test support only through {@code SpringClusters}, loaded in Spring
 * tests alone. The Spring test integration is in {@code dev.runnel.test.spring}, which depends on this
 * package and never the other way.
 */
package dev.runnel.test;
