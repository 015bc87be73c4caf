package dev.runnel.examples.orders;

import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** Orders in over HTTP, out to the {@code orders} topic, and read by billing and by shipping. */
@SpringBootApplication
public class OrdersApplication {

    /** Created at startup if the cluster does not have it yet. */
    @Bean
    NewTopic ordersTopic(@Value("${orders.topic}") String topic, @Value("${orders.partitions:6}") int partitions,
            @Value("${orders.replication-factor:3}") short replicationFactor) {
        return new NewTopic(topic, partitions, replicationFactor);
    }

    public static void main(String[] args) {
        SpringApplication.run(OrdersApplication.class, args);
    }
}
