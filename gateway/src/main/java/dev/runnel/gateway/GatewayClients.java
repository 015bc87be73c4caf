package dev.runnel.gateway;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.springframework.beans.factory.DisposableBean;

/**
 * The gateway's own Kafka clients: one idempotent acks=all producer shared by every produce
 * request (it batches across them) and one admin client for reads. Both close, bounded, with the
 * context, after the web server has stopped taking requests.
 */
public class GatewayClients implements DisposableBean {

    private final Producer<byte[], byte[]> producer;
    private final Admin admin;
    private final String bootstrap;

    public GatewayClients(GatewayProperties properties, ClusterDirectory directory) {
        this.bootstrap = directory.bootstrapServers();
        int produceTimeout = (int) properties.getProduceTimeout().toMillis();
        Map<String, Object> producerConfig = new HashMap<>();
        producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, "runnel-gateway");
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        producerConfig.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, produceTimeout);
        producerConfig.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(produceTimeout, 30_000));
        producerConfig.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Math.max(produceTimeout,
                Math.min(produceTimeout, 30_000) + 5));
        this.producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
        Map<String, Object> adminConfig = new HashMap<>();
        adminConfig.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        adminConfig.put(AdminClientConfig.CLIENT_ID_CONFIG, "runnel-gateway-admin");
        adminConfig.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) properties.getAdminTimeout().toMillis());
        adminConfig.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) properties.getAdminTimeout().toMillis());
        this.admin = Admin.create(adminConfig);
    }

    /** The bootstrap list the gateway's clients use, as Kafka's clients take it. */
    public String bootstrap() {
        return bootstrap;
    }

    public Producer<byte[], byte[]> producer() {
        return producer;
    }

    public Admin admin() {
        return admin;
    }

    @Override
    public void destroy() {
        producer.close(Duration.ofSeconds(10));
        admin.close(Duration.ofSeconds(5));
    }
}
