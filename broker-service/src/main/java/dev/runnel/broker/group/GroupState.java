package dev.runnel.broker.group;

import java.util.EnumSet;
import java.util.Set;

/**
 * The states of a classic consumer group, with the transitions Kafka's classic protocol allows.
 *
 * <pre>
 *           +--------------------------------------------------------------+
 *           v                                                              |
 *  Empty --join--> PreparingRebalance --all joined--> CompletingRebalance --leader's sync--> Stable
 *    ^                  |  ^                              |                                   |
 *    +--all left--------+  +------member joins/leaves/expires--------------+-------------------+
 *
 *  any state --group deleted, or its offsets partition moved away--> Dead
 * </pre>
 */
public enum GroupState {

    /** No members; the group may still hold committed offsets (a simple consumer's, or an idle group's). */
    EMPTY("Empty"),
    /** Waiting for every member to (re)join before the next generation. */
    PREPARING_REBALANCE("PreparingRebalance"),
    /** The generation is formed; waiting for the leader's assignment. */
    COMPLETING_REBALANCE("CompletingRebalance"),
    /** Every member has its assignment. */
    STABLE("Stable"),
    /** Being removed; requests are told to find the coordinator again. */
    DEAD("Dead");

    private final String kafkaName;
    private Set<GroupState> validPrevious;

    static {
        EMPTY.validPrevious = EnumSet.of(PREPARING_REBALANCE);
        PREPARING_REBALANCE.validPrevious = EnumSet.of(STABLE, COMPLETING_REBALANCE, EMPTY);
        COMPLETING_REBALANCE.validPrevious = EnumSet.of(PREPARING_REBALANCE);
        STABLE.validPrevious = EnumSet.of(COMPLETING_REBALANCE);
        DEAD.validPrevious = EnumSet.of(STABLE, PREPARING_REBALANCE, COMPLETING_REBALANCE, EMPTY, DEAD);
    }

    GroupState(String kafkaName) {
        this.kafkaName = kafkaName;
    }

    /** The name Kafka's tools show (DescribeGroups, ListGroups). */
    public String kafkaName() {
        return kafkaName;
    }

    /** Whether a group in {@code from} may move to this state. */
    public boolean canFollow(GroupState from) {
        return validPrevious.contains(from);
    }

    /** The state named {@code name} as Kafka spells it (case-insensitive), or null. */
    public static GroupState forKafkaName(String name) {
        for (GroupState state : values()) {
            if (state.kafkaName.equalsIgnoreCase(name)) {
                return state;
            }
        }
        return null;
    }
}
