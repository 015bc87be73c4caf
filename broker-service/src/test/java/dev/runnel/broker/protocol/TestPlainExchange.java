package dev.runnel.broker.protocol;

import java.nio.charset.StandardCharsets;

import dev.runnel.broker.security.SaslAuthenticationException;
import dev.runnel.broker.security.SaslServerExchange;
import dev.runnel.broker.security.SecurityError;

/** RFC 4616 PLAIN that takes any user whose password is {@code right}: for tests of the listener, not of SASL. */
final class TestPlainExchange implements SaslServerExchange {

    private String user;

    @Override
    public String mechanism() {
        return "PLAIN";
    }

    @Override
    public byte[] evaluate(byte[] message) {
        String[] parts = new String(message, StandardCharsets.UTF_8).split("\u0000", -1);
        if (parts.length != 3 || !parts[2].equals("right")) {
            throw new SaslAuthenticationException(SecurityError.SASL_AUTHENTICATION_FAILED,
                    "invalid user name or password", "a wrong password");
        }
        user = parts[1];
        return new byte[0];
    }

    @Override
    public boolean complete() {
        return user != null;
    }

    @Override
    public String authorizedUser() {
        return user;
    }

    /** The PLAIN message of {@code user} with {@code password}. */
    static byte[] plain(String user, String password) {
        return ("\u0000" + user + "\u0000" + password).getBytes(StandardCharsets.UTF_8);
    }
}
