package dev.runnel.broker.protocol;

import java.util.Locale;

import dev.runnel.broker.security.SecurityProtocol;

/**
 * One named Kafka listener of the broker ({@code listeners}, {@code advertised.listeners},
 * {@code listener.security.protocol.map}).
 *
 * @param name           the listener's name, upper case ({@code INTERNAL}, {@code PLAINTEXT})
 * @param protocol       how its connections are secured
 * @param bindHost       the address it binds; {@code 0.0.0.0} for every interface
 * @param port           the port it binds; 0 for the kernel's choice
 * @param advertisedHost the host clients are told to connect to
 * @param advertisedPort the port clients are told; 0 for the port bound
 */
public record Listener(String name, SecurityProtocol protocol, String bindHost, int port, String advertisedHost,
        int advertisedPort) {

    public Listener {
        if (name == null || !name.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("a listener name is letters, digits, '_' and '-', not '" + name + "'");
        }
        name = name.toUpperCase(Locale.ROOT);
        if (port < 0 || port > 65535 || advertisedPort < 0 || advertisedPort > 65535) {
            throw new IllegalArgumentException("listener " + name + ": ports are 0 to 65535");
        }
    }

    /** A plaintext listener named {@code PLAINTEXT}. */
    public static Listener plaintext(String bindHost, int port, String advertisedHost) {
        return new Listener("PLAINTEXT", SecurityProtocol.PLAINTEXT, bindHost, port, advertisedHost, 0);
    }
}
