package dev.runnel.examples.orders;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import dev.runnel.client.listener.LogListener;

/** The shipping group: the same orders again, a poll's worth at a time. */
@Component
class Shipping {

    private static final Logger log = LoggerFactory.getLogger(Shipping.class);

    @LogListener(id = "shipping", topics = "${orders.topic}", groupId = "shipping", batch = "true")
    void ship(List<Order> orders) {
        for (Order order : orders) {
            log.info("shipping {} x {} of order {} to {}", order.quantity(), order.item(), order.id(), order.customer());
        }
    }
}
