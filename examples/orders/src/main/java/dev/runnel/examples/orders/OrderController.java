package dev.runnel.examples.orders;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import dev.runnel.client.core.LogTemplate;

/** {@code POST /orders}: the order goes to the topic, keyed by customer, and the answer says where it landed. */
@RestController
class OrderController {

    private final LogTemplate template;
    private final String topic;

    OrderController(LogTemplate template, @Value("${orders.topic}") String topic) {
        this.template = template;
        this.topic = topic;
    }

    @PostMapping("/orders")
    CompletableFuture<ResponseEntity<Map<String, Object>>> place(@RequestBody Order request) {
        Order order = new Order(request.id() != null ? request.id() : UUID.randomUUID().toString(), request.customer(),
                request.item(), request.quantity(), request.price());
        return template.send(topic, order.customer(), order).thenApply(sent -> ResponseEntity.accepted().body(Map.of(
                "id", order.id(), "topic", sent.topic(), "partition", sent.partition(), "offset", sent.offset())));
    }
}
