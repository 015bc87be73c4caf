package dev.runnel.examples.streams;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.TableJoined;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The example's topology: every kind of join Kafka Streams has, and a windowed count, over four
 * input topics. Keys and values are strings (comma-separated fields), so every topic can be read
 * with the console consumer.
 *
 * <pre>
 * regions   region code -&gt; region name                  (KTable)
 * customers customer id -&gt; "name,region code"           (KTable)
 * orders    order id    -&gt; "customer id,amount"         (KStream)
 * payments  order id    -&gt; "method"                     (KStream)
 *
 * The orders are re-keyed by customer, through the repartition topic orders-by-customer, for:
 * orders-enriched      orders JOIN customers (KStream-KTable inner join), by customer:
 *                      customer id -&gt; "order id,amount,customer name"
 * orders-with-customer orders LEFT JOIN customers (KStream-KTable left join), by customer:
 *                      customer id -&gt; "order id,amount,customer name" or "order id,amount,?"
 * orders-per-minute    orders per customer per minute (tumbling window, 1 h grace):
 *                      "customer id@window start (ISO-8601)" -&gt; count
 * and, by order id:
 * order-payments       orders OUTER JOIN payments within 10 s of each other (KStream-KStream, windowed):
 *                      order id -&gt; "customer id,amount|method", "customer id,amount|-" (an order
 *                      without payment) or "-|method" (a payment without order); the last two once
 *                      the window has closed (its 1 h grace passed in stream time), or at once for
 *                      a record that comes when stream time has already passed its window
 * customer-regions     customers JOIN regions on the customer's region code (KTable-KTable
 *                      foreign-key join): customer id -&gt; "customer name@region name"
 * </pre>
 *
 * <p>The tables are materialized in queryable stores ({@link #QUERYABLE_STORES}).
 */
public final class JoinsTopology {

    public static final String REGIONS = "regions";
    public static final String CUSTOMERS = "customers";
    public static final String ORDERS = "orders";
    public static final String PAYMENTS = "payments";
    public static final List<String> INPUT_TOPICS = List.of(REGIONS, CUSTOMERS, ORDERS, PAYMENTS);

    public static final String ORDERS_ENRICHED = "orders-enriched";
    public static final String ORDERS_WITH_CUSTOMER = "orders-with-customer";
    public static final String ORDER_PAYMENTS = "order-payments";
    public static final String CUSTOMER_REGIONS = "customer-regions";
    public static final String ORDERS_PER_MINUTE = "orders-per-minute";
    public static final List<String> OUTPUT_TOPICS = List.of(ORDERS_ENRICHED, ORDERS_WITH_CUSTOMER, ORDER_PAYMENTS,
            CUSTOMER_REGIONS, ORDERS_PER_MINUTE);

    /** Key-value stores: region code to name, customer id to "name,region code", and the foreign-key join's result. */
    public static final String REGIONS_STORE = "regions-store";
    public static final String CUSTOMERS_STORE = "customers-store";
    public static final String CUSTOMER_REGIONS_STORE = "customer-regions-store";
    /** A window store: per customer and minute, the number of orders. */
    public static final String ORDERS_PER_MINUTE_STORE = "orders-per-minute-store";
    public static final List<String> QUERYABLE_STORES = List.of(REGIONS_STORE, CUSTOMERS_STORE, CUSTOMER_REGIONS_STORE,
            ORDERS_PER_MINUTE_STORE);

    /** The repartition topic of the orders re-keyed by customer: {@code <application.id>-orders-by-customer-repartition}. */
    public static final String ORDERS_BY_CUSTOMER = "orders-by-customer";

    /** An order and a payment join when their timestamps are at most this far apart. */
    public static final Duration PAYMENT_WINDOW = Duration.ofSeconds(10);
    /** How late (in stream time) a record may come to a join window or a count window. */
    public static final Duration GRACE = Duration.ofHours(1);
    public static final Duration COUNT_WINDOW = Duration.ofMinutes(1);

    /** The value of a side of the outer join that has no partner, and the name of a customer the left join misses. */
    public static final String NONE = "-";
    public static final String UNKNOWN_CUSTOMER = "?";

    private JoinsTopology() {
    }

    public static Topology build() {
        StreamsBuilder builder = new StreamsBuilder();
        KTable<String, String> regions = builder.table(REGIONS,
                Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as(REGIONS_STORE));
        KTable<String, String> customers = builder.table(CUSTOMERS,
                Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as(CUSTOMERS_STORE));
        KStream<String, String> orders = builder.stream(ORDERS);
        KStream<String, String> payments = builder.stream(PAYMENTS);

        // KStream-KStream windowed outer join, by order id: both topics have that key.
        orders.outerJoin(payments,
                (order, method) -> (order == null ? NONE : order) + "|" + (method == null ? NONE : method),
                JoinWindows.ofTimeDifferenceAndGrace(PAYMENT_WINDOW, GRACE), StreamJoined.as("orders-payments"))
                .to(ORDER_PAYMENTS);

        // The orders by customer, "order id,amount", for the table joins and the count: through a repartition topic.
        KStream<String, String> ordersByCustomer = orders
                .map((orderId, order) -> {
                    String[] fields = order.split(",", 2);
                    return KeyValue.pair(fields[0], orderId + "," + fields[1]);
                }, Named.as("orders-by-customer-key"))
                .repartition(Repartitioned.as(ORDERS_BY_CUSTOMER));

        // KStream-KTable inner join: orders of known customers only.
        ordersByCustomer.join(customers, (order, customer) -> order + "," + name(customer),
                Joined.as("orders-customers"))
                .to(ORDERS_ENRICHED);

        // KStream-KTable left join: every order, "?" for a customer not in the table.
        ordersByCustomer.leftJoin(customers,
                (order, customer) -> order + "," + (customer == null ? UNKNOWN_CUSTOMER : name(customer)),
                Joined.as("orders-customers-left"))
                .to(ORDERS_WITH_CUSTOMER);

        // KTable-KTable foreign-key join: each customer with its region's name.
        customers.join(regions, customer -> customer.split(",", 2)[1],
                (customer, region) -> name(customer) + "@" + region, TableJoined.as("customers-regions"),
                Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as(CUSTOMER_REGIONS_STORE))
                .toStream()
                .to(CUSTOMER_REGIONS);

        // Windowed count: orders per customer and minute.
        ordersByCustomer.groupByKey()
                .windowedBy(TimeWindows.ofSizeAndGrace(COUNT_WINDOW, GRACE))
                .count(Materialized.<String, Long, WindowStore<Bytes, byte[]>>as(ORDERS_PER_MINUTE_STORE))
                .toStream()
                .map((window, count) -> KeyValue.pair(windowKey(window), Long.toString(count)),
                        Named.as("orders-per-minute-key"))
                .to(ORDERS_PER_MINUTE);
        return builder.build();
    }

    /** The output key of a count: {@code customer id@window start}, the start as ISO-8601 ({@link Instant#toString}). */
    public static String windowKey(Windowed<String> window) {
        return windowKey(window.key(), window.window().start());
    }

    public static String windowKey(String customerId, long windowStartMs) {
        return customerId + "@" + Instant.ofEpochMilli(windowStartMs);
    }

    private static String name(String customer) {
        return customer.split(",", 2)[0];
    }
}
