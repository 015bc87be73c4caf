/**
 * What producing and listening share: the conversion of keys and payloads to bytes and back ({@link
 * dev.runnel.client.support.PayloadCodec}), and the Kafka serializer on it ({@link
 * dev.runnel.client.support.PayloadSerializer}) that the producer factory uses for keys and
 * values. Depends on Jackson and {@code kafka-clients}, nothing else of the starter.
 */
package dev.runnel.client.support;
