/**
 * What producing and listening share: the conversion of keys and payloads to bytes and back ({@link
 * dev.runnel.client.support.PayloadCodec}). Depends on Jackson and {@code kafka-clients}' header
 * types, nothing else of the starter.
 */
package dev.runnel.client.support;
