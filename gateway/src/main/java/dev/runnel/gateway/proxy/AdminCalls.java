package dev.runnel.gateway.proxy;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.springframework.http.HttpStatus;

import dev.runnel.gateway.web.ProxyException;

/**
 * Waits for an admin client's answer, bounded by {@code runnel.gateway.admin-timeout}, and turns
 * its failures into problems: an unknown topic or group is a 404, anything else a 503.
 */
final class AdminCalls {

    private AdminCalls() {
    }

    static <T> T await(KafkaFuture<T> future, Duration timeout) throws InterruptedException {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new ProxyException(HttpStatus.NOT_FOUND, "unknown-topic", e.getCause().getMessage());
            }
            if (e.getCause() instanceof GroupIdNotFoundException) {
                throw new ProxyException(HttpStatus.NOT_FOUND, "unknown-group", e.getCause().getMessage());
            }
            throw new ProxyException(HttpStatus.SERVICE_UNAVAILABLE, "cluster-unavailable", e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw new ProxyException(HttpStatus.SERVICE_UNAVAILABLE, "cluster-unavailable",
                    "the cluster did not answer within " + timeout);
        }
    }
}
