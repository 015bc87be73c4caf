/**
 * Who is on the other end of a Kafka connection, and what it may do.
 *
 * <p><b>Brokers.</b> A follower proves it holds the cluster secret with the internal SASL
 * mechanism {@code RUNNEL-BROKER} ({@link dev.runnel.broker.security.BrokerAuthentication}), a
 * challenge and an HMAC answer that never send the secret, and only a connection that did so may
 * fetch as a replica (move a high watermark, join an ISR).
 *
 * <p><b>Users.</b> SASL PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 as Kafka runs them
 * ({@link dev.runnel.broker.security.SaslServerExchanges} makes one
 * {@link dev.runnel.broker.security.SaslServerExchange} per connection), all three checked against
 * the users' SCRAM credentials in ZooKeeper ({@link dev.runnel.broker.security.ScramCredentialStore},
 * {@code /users/<name>}: salts and derived keys, never a password), which also serves
 * AlterUserScramCredentials and DescribeUserScramCredentials (KIP-554). An unknown user fails
 * exactly as a wrong password does.
 *
 * <p><b>ACLs.</b> Kafka's model ({@link dev.runnel.broker.security.AclBinding}: a resource
 * pattern and an entry; filters with Kafka's matching rules; Kafka's wire codes) stored in
 * ZooKeeper ({@link dev.runnel.broker.security.AclStore}, {@code /acls/<type>/<pattern>/<name>},
 * written with compare-and-set) and watched by every broker, whose
 * {@link dev.runnel.broker.security.Authorizer} decides on an immutable
 * {@link dev.runnel.broker.security.AclIndex} swapped in whole on each change: super users, DENY
 * over ALLOW, literal, wildcard and prefixed patterns, implied DESCRIBE, and
 * {@code allow.everyone.if.no.acl.found}, as Kafka's {@code StandardAuthorizer}. Decisions are
 * audited on the logger {@code dev.runnel.broker.security.audit}.
 *
 * <p><b>Connections.</b> A {@link dev.runnel.broker.security.Session} per connection: the listener
 * and its {@link dev.runnel.broker.security.SecurityProtocol}, the principal (a TLS certificate's,
 * then the SASL user's), the SASL exchange under way and the session's lifetime (KIP-368), and the
 * authorizer its requests are checked by ({@code allowed}); the mechanisms a listener offers are
 * {@link dev.runnel.broker.security.SaslMechanisms}, and how this broker reaches the others'
 * inter-broker listener (plain or TLS sockets) {@link dev.runnel.broker.security.InterBrokerSecurity}.
 *
 * <p>This package uses nothing else of the broker; it speaks Kafka's error codes through its own
 * {@link dev.runnel.broker.security.SecurityError}, and the protocol handlers put them on the wire.
 */
package dev.runnel.broker.security;
