package dev.runnel.gateway.consumer;

import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.runnel.gateway.GatewayProperties;

/** The REST consumers and the timer that closes idle ones. */
@Configuration(proxyBeanMethods = false)
class ConsumerInstancesConfiguration {

    @Bean(destroyMethod = "closeAll")
    ConsumerInstances consumerInstances(Clock gatewayClock, GatewayProperties properties) {
        return new ConsumerInstances(gatewayClock, properties.getConsumerIdleTimeout().toMillis());
    }

    @Bean
    IdleConsumerReaper idleConsumerReaper(ConsumerInstances instances, GatewayProperties properties) {
        return new IdleConsumerReaper(instances, Math.max(1, properties.getConsumerIdleTimeout().toMillis() / 4));
    }

    /** Looks for idle consumers four times per idle timeout. */
    static final class IdleConsumerReaper implements DisposableBean {

        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "rest-consumer-reaper");
            t.setDaemon(true);
            return t;
        });

        IdleConsumerReaper(ConsumerInstances instances, long periodMillis) {
            timer.scheduleWithFixedDelay(() -> {
                try {
                    instances.expireIdle();
                } catch (RuntimeException e) {
                    LoggerFactory.getLogger(IdleConsumerReaper.class).warn("Closing idle consumers failed", e);
                }
            }, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
        }

        @Override
        public void destroy() {
            timer.shutdownNow();
        }
    }
}
