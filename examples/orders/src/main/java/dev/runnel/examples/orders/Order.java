package dev.runnel.examples.orders;

import java.math.BigDecimal;

/** An order as it travels on the {@code orders} topic (as JSON). */
public record Order(String id, String customer, String item, int quantity, BigDecimal price) {
}
