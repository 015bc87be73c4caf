package dev.runnel.examples.orders;

import java.math.BigDecimal;
import java.util.concurrent.atomic.AtomicReference;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import dev.runnel.client.listener.LogKey;
import dev.runnel.client.listener.LogListener;
import dev.runnel.client.listener.LogPartition;

/** The billing group: every order, one consumer per partition up to three, and a running total. */
@Component
class Billing {

    private static final Logger log = LoggerFactory.getLogger(Billing.class);

    private final AtomicReference<BigDecimal> billed = new AtomicReference<>(BigDecimal.ZERO);

    @LogListener(id = "billing", topics = "${orders.topic}", groupId = "billing", concurrency = "3")
    void bill(Order order, @LogKey String customer, @LogPartition int partition) {
        if (order.quantity() <= 0) {
            // Retried, then published to orders.DLT with the reason in its headers.
            throw new IllegalArgumentException("order " + order.id() + " has no quantity");
        }
        BigDecimal amount = order.price().multiply(BigDecimal.valueOf(order.quantity()));
        BigDecimal total = billed.accumulateAndGet(amount, BigDecimal::add);
        log.info("billed {} {} for order {} (partition {}); billed so far {}", customer, amount, order.id(), partition,
                total);
    }

    /** What has been billed so far. */
    BigDecimal billed() {
        return billed.get();
    }
}
