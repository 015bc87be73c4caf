package dev.runnel.broker.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.runnel.broker.security.SecurityProtocol;

/**
 * The broker's listeners from Kafka's settings, checked: {@code listeners}
 * ({@code NAME://host:port,...}; an empty host or {@code 0.0.0.0} binds every interface),
 * {@code advertised.listeners} (what clients are told, per name; by default the bound host, or the
 * broker's host when the listener binds every interface, and the bound port),
 * {@code listener.security.protocol.map} ({@code NAME:PROTOCOL,...}; the four protocol names map to
 * themselves unless set) and {@code inter.broker.listener.name} (the listener brokers replicate
 * over and register first; the first listener unless set).
 *
 * @param all         every listener, in the configured order
 * @param interBroker the one brokers use
 */
public record Listeners(List<Listener> all, Listener interBroker) {

    public Listeners {
        all = List.copyOf(all);
    }

    /** One PLAINTEXT listener: a broker configured only with a host and a port. */
    public static Listeners single(Listener listener) {
        return new Listeners(List.of(listener), listener);
    }

    /**
     * Reads the settings.
     *
     * @param defaultHost the broker's host, advertised for a listener that binds every interface
     * @throws IllegalArgumentException naming the setting and the entry that is wrong
     */
    public static Listeners parse(String listeners, String advertisedListeners, String protocolMap,
            String interBrokerListenerName, String defaultHost) {
        Map<String, SecurityProtocol> protocols = protocolMap(protocolMap);
        Map<String, HostPort> bound = endpoints("listeners", listeners);
        if (bound.isEmpty()) {
            throw new IllegalArgumentException("listeners: at least one listener is needed (such as PLAINTEXT://127.0.0.1:9092)");
        }
        Map<String, HostPort> advertised = advertisedListeners == null || advertisedListeners.isBlank() ? Map.of()
                : endpoints("advertised.listeners", advertisedListeners);
        for (String name : advertised.keySet()) {
            if (!bound.containsKey(name)) {
                throw new IllegalArgumentException("advertised.listeners names " + name + ", which is not in listeners ("
                        + String.join(", ", bound.keySet()) + ")");
            }
        }
        List<Listener> all = new ArrayList<>();
        for (Map.Entry<String, HostPort> entry : bound.entrySet()) {
            String name = entry.getKey();
            SecurityProtocol protocol = protocols.get(name);
            if (protocol == null) {
                throw new IllegalArgumentException("listener " + name + " has no security protocol: add " + name
                        + ":<PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL> to listener.security.protocol.map");
            }
            HostPort bind = entry.getValue();
            HostPort told = advertised.get(name);
            String advertisedHost = told != null && !told.host().isEmpty() ? told.host()
                    : wildcard(bind.host()) ? defaultHost : bind.host();
            if (wildcard(advertisedHost)) {
                throw new IllegalArgumentException("advertised.listeners: " + name + " cannot advertise " + advertisedHost
                        + ", which clients cannot connect to");
            }
            all.add(new Listener(name, protocol, bind.host().isEmpty() ? "0.0.0.0" : bind.host(), bind.port(),
                    advertisedHost, told == null ? 0 : told.port()));
        }
        String interName = interBrokerListenerName == null || interBrokerListenerName.isBlank() ? all.get(0).name()
                : interBrokerListenerName.trim().toUpperCase(Locale.ROOT);
        Listener inter = all.stream().filter(l -> l.name().equals(interName)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("inter.broker.listener.name " + interName
                        + " is not in listeners (" + String.join(", ", bound.keySet()) + ")"));
        return new Listeners(all, inter);
    }

    /** The listener named {@code name}, or null. */
    public Listener named(String name) {
        return all.stream().filter(l -> l.name().equals(name)).findFirst().orElse(null);
    }

    private record HostPort(String host, int port) {
    }

    private static boolean wildcard(String host) {
        return host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    }

    private static Map<String, SecurityProtocol> protocolMap(String text) {
        Map<String, SecurityProtocol> map = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            for (SecurityProtocol protocol : SecurityProtocol.values()) {
                map.put(protocol.name(), protocol);
            }
            return map;
        }
        for (String entry : text.split(",")) {
            String trimmed = entry.trim();
            int colon = trimmed.indexOf(':');
            if (colon <= 0 || colon == trimmed.length() - 1) {
                throw new IllegalArgumentException("listener.security.protocol.map: '" + trimmed
                        + "' is not NAME:PROTOCOL");
            }
            String name = trimmed.substring(0, colon).trim().toUpperCase(Locale.ROOT);
            SecurityProtocol protocol;
            try {
                protocol = SecurityProtocol.of(trimmed.substring(colon + 1));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("listener.security.protocol.map: " + e.getMessage());
            }
            if (map.put(name, protocol) != null) {
                throw new IllegalArgumentException("listener.security.protocol.map names " + name + " twice");
            }
        }
        return map;
    }

    private static Map<String, HostPort> endpoints(String setting, String text) {
        Map<String, HostPort> endpoints = new LinkedHashMap<>();
        for (String entry : text.split(",")) {
            String trimmed = entry.trim();
            if (trimmed.isEmpty()) {
                continue;
            }
            int scheme = trimmed.indexOf("://");
            if (scheme <= 0) {
                throw new IllegalArgumentException(setting + ": '" + trimmed + "' is not NAME://host:port");
            }
            String name = trimmed.substring(0, scheme).toUpperCase(Locale.ROOT);
            String address = trimmed.substring(scheme + 3);
            int colon = address.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException(setting + ": '" + trimmed + "' has no port");
            }
            String host = address.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(address.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(setting + ": '" + trimmed + "' has no port number");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException(setting + ": port " + port + " of " + name + " is not 0 to 65535");
            }
            if (endpoints.put(name, new HostPort(host, port)) != null) {
                throw new IllegalArgumentException(setting + " names " + name + " twice");
            }
        }
        return endpoints;
    }
}
