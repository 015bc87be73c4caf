package dev.runnel.gateway;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.HttpStatus;

import dev.runnel.gateway.web.ProxyException;

/**
 * The gateway's own Kafka clients: one idempotent acks=all producer shared by every produce
 * request (it batches across them) and one admin client for reads. They are made at first use,
 * so the gateway starts (and is ready) before any broker has registered; until one has, calls
 * that need the cluster are answered 503. Both close, bounded, with the context, after the web
 * server has stopped taking requests. Every Kafka client of the gateway, these and the consumers
 * made per request, starts from {@link #clientConfig()}: {@code runnel.gateway.kafka.properties}
 * (a secured listener's settings) and the bootstrap list.
 */
public class GatewayClients implements DisposableBean {

    /** The clients, once made. */
    private record Clients(String bootstrap, Producer<byte[], byte[]> producer, Admin admin) {
    }

    private final GatewayProperties properties;
    private final ClusterDirectory directory;
    private volatile Clients clients;
    private boolean closed;

    public GatewayClients(GatewayProperties properties, ClusterDirectory directory) {
        this.properties = properties;
        this.directory = directory;
    }

    private Clients clients() {
        Clients made = clients;
        return made != null ? made : make();
    }

    private synchronized Clients make() {
        if (clients != null) {
            return clients;
        }
        if (closed) {
            throw new ProxyException(HttpStatus.SERVICE_UNAVAILABLE, "cluster-unavailable", "the gateway is stopping");
        }
        String bootstrap;
        try {
            bootstrap = directory.bootstrapServers();
        } catch (IllegalStateException e) {
            throw new ProxyException(HttpStatus.SERVICE_UNAVAILABLE, "cluster-unavailable", e.getMessage());
        }
        int produceTimeout = (int) properties.getProduceTimeout().toMillis();
        Map<String, Object> producerConfig = clientConfig(bootstrap);
        producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, "runnel-gateway");
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        producerConfig.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, produceTimeout);
        producerConfig.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(produceTimeout, 30_000));
        producerConfig.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Math.max(produceTimeout,
                Math.min(produceTimeout, 30_000) + 5));
        Map<String, Object> adminConfig = clientConfig(bootstrap);
        adminConfig.put(AdminClientConfig.CLIENT_ID_CONFIG, "runnel-gateway-admin");
        adminConfig.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) properties.getAdminTimeout().toMillis());
        adminConfig.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) properties.getAdminTimeout().toMillis());
        Producer<byte[], byte[]> producer = null;
        try {
            producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
            clients = new Clients(bootstrap, producer, Admin.create(adminConfig));
        } catch (KafkaException e) {
            if (producer != null) {
                producer.close(Duration.ZERO);
            }
            throw new ProxyException(HttpStatus.SERVICE_UNAVAILABLE, "cluster-unavailable",
                    "Cannot make the gateway's Kafka clients for " + bootstrap + ": " + e.getMessage());
        }
        return clients;
    }

    /**
     * A new, modifiable map of the settings every Kafka client of the gateway starts from:
     * {@code runnel.gateway.kafka.properties} and the bootstrap list. The caller adds its own.
     */
    public Map<String, Object> clientConfig() {
        return clientConfig(bootstrap());
    }

    private Map<String, Object> clientConfig(String bootstrap) {
        Map<String, Object> config = new HashMap<>(properties.getKafka().getProperties());
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return config;
    }

    /** The bootstrap list the gateway's clients use, as Kafka's clients take it. */
    public String bootstrap() {
        return clients().bootstrap();
    }

    public Producer<byte[], byte[]> producer() {
        return clients().producer();
    }

    public Admin admin() {
        return clients().admin();
    }

    @Override
    public synchronized void destroy() {
        closed = true;
        if (clients != null) {
            clients.producer().close(Duration.ofSeconds(10));
            clients.admin().close(Duration.ofSeconds(5));
        }
    }
}
