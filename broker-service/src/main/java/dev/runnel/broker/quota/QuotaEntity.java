package dev.runnel.broker.quota;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a quota applies to: a user, a client id, or a client id of a user. A component absent from
 * the entity is not {@link #hasUser set}; a set component whose name is null is the default one
 * (Kafka's {@code <default>}).
 *
 * @param hasUser   whether the entity names a user (or the default user)
 * @param user      the user, null for the default user
 * @param hasClient whether the entity names a client id (or the default client id)
 * @param clientId  the client id, null for the default client id
 */
public record QuotaEntity(boolean hasUser, String user, boolean hasClient, String clientId) {

    /** The entity type names of the Kafka API. */
    public static final String USER = "user";
    public static final String CLIENT_ID = "client-id";
    public static final String IP = "ip";

    public QuotaEntity {
        if (!hasUser && !hasClient) {
            throw new IllegalArgumentException("a quota entity names a user, a client id or both");
        }
        user = hasUser ? user : null;
        clientId = hasClient ? clientId : null;
    }

    public static QuotaEntity user(String user) {
        return new QuotaEntity(true, user, false, null);
    }

    public static QuotaEntity client(String clientId) {
        return new QuotaEntity(false, null, true, clientId);
    }

    public static QuotaEntity userClient(String user, String clientId) {
        return new QuotaEntity(true, user, true, clientId);
    }

    /** The entity as the Kafka API lists it: type to name (null for a default), user first. */
    public Map<String, String> components() {
        Map<String, String> components = new LinkedHashMap<>();
        if (hasUser) {
            components.put(USER, user);
        }
        if (hasClient) {
            components.put(CLIENT_ID, clientId);
        }
        return components;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        if (hasUser) {
            text.append("user ").append(user == null ? "<default>" : user);
        }
        if (hasClient) {
            text.append(hasUser ? " " : "").append("client-id ").append(clientId == null ? "<default>" : clientId);
        }
        return text.toString();
    }
}
