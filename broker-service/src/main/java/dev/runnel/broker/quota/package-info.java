/**
 * Kafka's client quotas: the quotas themselves, per user, client id and user with client id (each
 * also as a default), kept in ZooKeeper as Kafka's ZooKeeper mode kept them ({@link
 * dev.runnel.broker.quota.ClientQuotaStore}, {@code /config/users}, {@code /config/clients}) and
 * watched by every broker; and their enforcement as Kafka's {@code ClientQuotaManager}: a rate over
 * sampled windows per quota entity ({@link dev.runnel.common.time.SampledRate}), the most specific
 * quota of a request's user and client id, and the time a client must wait to get back under it
 * ({@link dev.runnel.broker.quota.ClientQuotaManager}, {@link dev.runnel.broker.quota.ClientQuotas}).
 * Muting the connection for that time is the listener's part ({@code protocol}).
 */
package dev.runnel.broker.quota;
