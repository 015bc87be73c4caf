/**
 * {@code @SpringBootTest @EmbeddedRunnel}: a {@code ContextCustomizerFactory} (registered in {@code
 * META-INF/spring.factories}) starts the cluster with the application context, names it in the
 * environment and as Spring Boot's {@code KafkaConnectionDetails}, keeps the services' own
 * configuration out of the application, and closes the cluster with the context. Depends on {@code
 * dev.runnel.test} and spring-test; on spring-boot-kafka only when it is on the class path.
 */
package dev.runnel.test.spring;
