package dev.runnel.controller.metadata;

import java.util.List;

/**
 * What the state machine decided for one event: the writes to commit, then the commands to send,
 * then the answer to whoever raised the event (null for cluster events).
 */
public record Decision(List<ZkWrite> writes, List<BrokerCommand> commands, Object reply) {

    public static final Decision NOTHING = new Decision(List.of(), List.of(), null);

    public Decision {
        writes = List.copyOf(writes);
        commands = List.copyOf(commands);
    }
}
