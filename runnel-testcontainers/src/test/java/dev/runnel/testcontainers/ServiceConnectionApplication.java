package dev.runnel.testcontainers;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

import dev.runnel.client.listener.LogListener;

/**
 * An application of the Runnel starter, as a user's would be: a topic, and a {@code @LogListener}
 * that keeps what it receives. No component scan, so the test classes' own beans stay out.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@EnableAutoConfiguration
class ServiceConnectionApplication {

    static final String TOPIC = "service-connection-orders";

    @Bean
    NewTopic ordersTopic() {
        return new NewTopic(TOPIC, 1, (short) 1);
    }

    @Bean
    Received received() {
        return new Received();
    }

    /** The listener: every payload it is given, in order. */
    static final class Received {

        final BlockingQueue<String> payloads = new LinkedBlockingQueue<>();

        @LogListener(topics = TOPIC, groupId = "service-connection-app")
        void onOrder(String payload) {
            payloads.add(payload);
        }
    }
}
