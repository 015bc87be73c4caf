package dev.runnel.broker.security;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The SASL mechanisms a listener serves ({@code sasl.enabled.mechanisms}): on a SASL listener the
 * user mechanisms configured, in their order, and the brokers' own {@link BrokerAuthentication#MECHANISM};
 * on any other listener only the brokers' own, so followers can prove who they are everywhere.
 * Immutable.
 */
public final class SaslMechanisms {

    private final BrokerAuthentication brokers;
    private final Map<String, Supplier<SaslServerExchange>> users;

    /** @param users a new exchange per user mechanism, in the order a client is told of them */
    public SaslMechanisms(BrokerAuthentication brokers, Map<String, Supplier<SaslServerExchange>> users) {
        this.brokers = brokers;
        this.users = new LinkedHashMap<>(users);
        if (this.users.containsKey(BrokerAuthentication.MECHANISM)) {
            throw new IllegalArgumentException(BrokerAuthentication.MECHANISM + " is the brokers' own mechanism");
        }
    }

    /** Only the brokers' own mechanism. */
    public static SaslMechanisms brokersOnly(BrokerAuthentication brokers) {
        return new SaslMechanisms(brokers, Map.of());
    }

    /** The mechanisms a connection over {@code protocol} may choose, as SaslHandshake lists them. */
    public List<String> enabled(SecurityProtocol protocol) {
        List<String> names = new ArrayList<>();
        if (protocol.sasl()) {
            names.addAll(users.keySet());
        }
        names.add(BrokerAuthentication.MECHANISM);
        return names;
    }

    /** A new exchange of {@code mechanism}, if a connection over {@code protocol} may use it. */
    public Optional<SaslServerExchange> start(String mechanism, SecurityProtocol protocol) {
        if (BrokerAuthentication.MECHANISM.equals(mechanism)) {
            return Optional.of(brokers.exchange());
        }
        Supplier<SaslServerExchange> user = protocol.sasl() ? users.get(mechanism) : null;
        return user == null ? Optional.empty() : Optional.of(user.get());
    }
}
