package dev.runnel.broker.group;

import org.apache.kafka.common.protocol.Errors;

/**
 * The answer to a ConsumerGroupHeartbeat.
 *
 * @param assignment the member's assignment when it must learn it, else null
 */
public record ConsumerHeartbeatResult(Errors error, String errorMessage, String memberId, int memberEpoch,
        int heartbeatIntervalMs, PartitionSet assignment) {

    static ConsumerHeartbeatResult error(Errors error, String message) {
        return new ConsumerHeartbeatResult(error, message, null, 0, 0, null);
    }
}
