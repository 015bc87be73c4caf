package dev.runnel.broker.security;

import java.util.Base64;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.runnel.broker.zookeeper.CasUpdate;
import dev.runnel.cluster.ClusterJson;

/**
 * The JSON of one user node, {@code /users/<name>}: the user's SCRAM credentials by mechanism name,
 * salt and keys in base64. Only derived values are kept: never a password or a salted password.
 *
 * <pre>
 * {"version":1,"credentials":{"SCRAM-SHA-256":{"salt":"…","storedKey":"…","serverKey":"…","iterations":8192}}}
 * </pre>
 *
 * A mechanism this version does not know is left out on reading.
 */
record UserCredentialsJson(int version, Map<String, Credential> credentials) {

    static final int VERSION = 1;

    record Credential(String salt, String storedKey, String serverKey, int iterations) {
    }

    /** The codec {@link CasUpdate} writes user nodes with. */
    static final CasUpdate.Codec<Map<ScramMechanism, ScramCredential>> CODEC = new CasUpdate.Codec<>() {
        @Override
        public Map<ScramMechanism, ScramCredential> empty() {
            return new EnumMap<>(ScramMechanism.class);
        }

        @Override
        public boolean isEmpty(Map<ScramMechanism, ScramCredential> value) {
            return value.isEmpty();
        }

        @Override
        public Map<ScramMechanism, ScramCredential> decode(byte[] data, String path) {
            return UserCredentialsJson.decode(data, path);
        }

        @Override
        public byte[] encode(Map<ScramMechanism, ScramCredential> value) {
            return UserCredentialsJson.encode(value);
        }
    };

    static byte[] encode(Map<ScramMechanism, ScramCredential> credentials) {
        Base64.Encoder base64 = Base64.getEncoder();
        Map<String, Credential> json = new LinkedHashMap<>();
        new EnumMap<>(credentials).forEach((mechanism, c) -> json.put(mechanism.mechanismName(),
                new Credential(base64.encodeToString(c.salt()), base64.encodeToString(c.storedKey()),
                        base64.encodeToString(c.serverKey()), c.iterations())));
        return ClusterJson.write(new UserCredentialsJson(VERSION, json));
    }

    /** @throws IllegalStateException if {@code data} is not a user node */
    static Map<ScramMechanism, ScramCredential> decode(byte[] data, String path) {
        UserCredentialsJson node = ClusterJson.read(data, UserCredentialsJson.class, path);
        Map<ScramMechanism, ScramCredential> credentials = new EnumMap<>(ScramMechanism.class);
        if (node.credentials() != null) {
            Base64.Decoder base64 = Base64.getDecoder();
            node.credentials().forEach((name, c) -> ScramMechanism.fromMechanismName(name).ifPresent(mechanism -> {
                try {
                    credentials.put(mechanism, new ScramCredential(base64.decode(c.salt()),
                            base64.decode(c.storedKey()), base64.decode(c.serverKey()), c.iterations()));
                } catch (IllegalArgumentException | NullPointerException e) {
                    throw new IllegalStateException("Cannot read " + path + ": the " + name
                            + " credential is not base64");
                }
            }));
        }
        return credentials;
    }
}
