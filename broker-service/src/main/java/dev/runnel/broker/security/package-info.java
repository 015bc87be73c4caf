/**
 * Who is on the other end of a Kafka connection. Until listeners with TLS and SASL for users
 * exist, the only principal is a broker: a follower proves it holds the cluster secret with the
 * internal SASL mechanism {@code RUNNEL-BROKER} ({@link dev.runnel.broker.security.BrokerAuthentication}),
 * a challenge and an HMAC answer that never send the secret, and only a connection that did so may
 * fetch as a replica (move a high watermark, join an ISR).
 */
package dev.runnel.broker.security;
