package dev.runnel.broker.security;

import java.util.OptionalInt;

/**
 * One Kafka connection's authentication: anonymous until a SASL exchange proves more. Created per
 * connection; thread-safe (requests of one connection may be handled on several threads).
 */
public final class Session {

    private enum Stage {
        /** No SaslHandshake yet (or it named a mechanism not served). */
        START,
        /** SaslHandshake chose {@link BrokerAuthentication#MECHANISM}: the broker id comes next. */
        HANDSHAKEN,
        /** The challenge was sent: its HMAC comes next. */
        CHALLENGED,
        AUTHENTICATED,
        FAILED
    }

    private Stage stage = Stage.START;
    private int claimedBrokerId = -1;
    private byte[] challenge;
    private int brokerId = -1;

    /** A session no request of which has authenticated. */
    public static Session anonymous() {
        return new Session();
    }

    /** The broker this connection proved it is, if it did. */
    public synchronized OptionalInt broker() {
        return stage == Stage.AUTHENTICATED ? OptionalInt.of(brokerId) : OptionalInt.empty();
    }

    /** Whether this connection proved it is broker {@code id}. */
    public synchronized boolean isBroker(int id) {
        return stage == Stage.AUTHENTICATED && brokerId == id;
    }

    synchronized boolean handshake() {
        if (stage != Stage.START) {
            return false;
        }
        stage = Stage.HANDSHAKEN;
        return true;
    }

    synchronized boolean expectsBrokerId() {
        return stage == Stage.HANDSHAKEN;
    }

    synchronized void challenged(int claimed, byte[] nonce) {
        claimedBrokerId = claimed;
        challenge = nonce.clone();
        stage = Stage.CHALLENGED;
    }

    synchronized boolean expectsProof() {
        return stage == Stage.CHALLENGED;
    }

    synchronized int claimedBrokerId() {
        return claimedBrokerId;
    }

    synchronized byte[] challenge() {
        return challenge.clone();
    }

    synchronized void authenticated() {
        brokerId = claimedBrokerId;
        challenge = null;
        stage = Stage.AUTHENTICATED;
    }

    synchronized void failed() {
        challenge = null;
        stage = Stage.FAILED;
    }
}
