package dev.runnel.broker.group;

import org.apache.kafka.common.protocol.Errors;

/**
 * The answer to a ShareGroupHeartbeat.
 *
 * @param assignment the member's assignment when it must learn it (it joined, or it changed), else null
 */
public record ShareHeartbeatResult(Errors error, String errorMessage, String memberId, int memberEpoch,
        int heartbeatIntervalMs, PartitionSet assignment) {

    static ShareHeartbeatResult error(Errors error, String message) {
        return new ShareHeartbeatResult(error, message, null, 0, 0, null);
    }
}
