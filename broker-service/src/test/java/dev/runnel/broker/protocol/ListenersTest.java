package dev.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import dev.runnel.broker.security.SecurityProtocol;

/** Kafka's listener settings as the broker reads them. */
class ListenersTest {

    @Test
    void namedListenersTakeTheirProtocolsAdvertisedAddressesAndTheInterBrokerName() {
        Listeners listeners = Listeners.parse("INTERNAL://0.0.0.0:9092, EXTERNAL://127.0.0.1:19092",
                "EXTERNAL://localhost:29092", "INTERNAL:SASL_PLAINTEXT,EXTERNAL:sasl_ssl", "internal", "broker-1");

        assertThat(listeners.all()).containsExactly(
                new Listener("INTERNAL", SecurityProtocol.SASL_PLAINTEXT, "0.0.0.0", 9092, "broker-1", 0),
                new Listener("EXTERNAL", SecurityProtocol.SASL_SSL, "127.0.0.1", 19092, "localhost", 29092));
        assertThat(listeners.interBroker().name()).isEqualTo("INTERNAL");
    }

    @Test
    void theProtocolNamesMapToThemselvesAndTheFirstListenerIsTheInterBrokerOne() {
        Listeners listeners = Listeners.parse("SSL://:9093,PLAINTEXT://127.0.0.1:9092", null, null, null, "10.0.0.5");

        assertThat(listeners.all()).extracting(Listener::protocol)
                .containsExactly(SecurityProtocol.SSL, SecurityProtocol.PLAINTEXT);
        assertThat(listeners.all().get(0).bindHost()).as("an empty host binds every interface").isEqualTo("0.0.0.0");
        assertThat(listeners.all().get(0).advertisedHost()).isEqualTo("10.0.0.5");
        assertThat(listeners.interBroker().name()).isEqualTo("SSL");
    }

    @Test
    void ipv6HostsAreWrittenInBrackets() {
        Listeners listeners = Listeners.parse("PLAINTEXT://[::1]:9092", null, null, null, "h");

        assertThat(listeners.all().get(0).bindHost()).isEqualTo("::1");
    }

    @Test
    void mistakesNameTheSettingAndTheEntry() {
        assertThatThrownBy(() -> Listeners.parse("CLIENT://127.0.0.1:9092", null, null, null, "h"))
                .hasMessageContaining("listener CLIENT has no security protocol")
                .hasMessageContaining("listener.security.protocol.map");
        assertThatThrownBy(() -> Listeners.parse("PLAINTEXT://127.0.0.1", null, null, null, "h"))
                .hasMessageContaining("has no port");
        assertThatThrownBy(() -> Listeners.parse("PLAINTEXT://127.0.0.1:9092,PLAINTEXT://127.0.0.1:9093", null, null,
                null, "h")).hasMessageContaining("names PLAINTEXT twice");
        assertThatThrownBy(() -> Listeners.parse("A://127.0.0.1:1", null, "A:TLS", null, "h"))
                .hasMessageContaining("unknown security protocol 'TLS'");
        assertThatThrownBy(() -> Listeners.parse("PLAINTEXT://127.0.0.1:1", "SSL://x:2", null, null, "h"))
                .hasMessageContaining("advertised.listeners names SSL, which is not in listeners");
        assertThatThrownBy(() -> Listeners.parse("PLAINTEXT://127.0.0.1:1", null, null, "INTERNAL", "h"))
                .hasMessageContaining("inter.broker.listener.name INTERNAL is not in listeners");
        assertThatThrownBy(() -> Listeners.parse("PLAINTEXT://127.0.0.1:70000", null, null, null, "h"))
                .hasMessageContaining("not 0 to 65535");
        assertThatThrownBy(() -> Listeners.parse(" ", null, null, null, "h"))
                .hasMessageContaining("at least one listener");
        assertThatThrownBy(() -> Listeners.parse("PLAINTEXT://0.0.0.0:1", null, null, null, "0.0.0.0"))
                .hasMessageContaining("cannot advertise 0.0.0.0");
    }
}
