package dev.runnel.broker.replication;

import java.util.ArrayList;
import java.util.List;

/**
 * A partition's replication state as this broker holds it, one immutable value (Kafka's
 * {@code PartitionState}, KIP-497): the state the controller committed, and at most one ISR
 * change sent to the controller and not yet answered.
 *
 * <p>The <em>maximal ISR</em> is the committed ISR together with every replica the pending change
 * would add. The high watermark and {@code acks=all} count on it: while an expansion is in flight
 * the controller may already have committed the new member, which may then be elected, so a
 * record counts as replicated only once it has it too; while a shrink is in flight the leaving
 * member still counts until the controller agrees it left.
 *
 * @param hosted    the state the controller committed (leader, epochs, ISR, replicas)
 * @param proposed  the ISR sent to the controller and not yet answered; null when none is
 */
record IsrState(HostedPartition hosted, List<Integer> proposed) {

    IsrState {
        proposed = proposed == null ? null : List.copyOf(proposed);
    }

    static IsrState committed(HostedPartition hosted) {
        return new IsrState(hosted, null);
    }

    List<Integer> committedIsr() {
        return hosted.state().isr();
    }

    boolean changeInFlight() {
        return proposed != null;
    }

    /** The committed ISR and every replica the pending change would add. */
    List<Integer> maximalIsr() {
        if (proposed == null) {
            return committedIsr();
        }
        List<Integer> union = new ArrayList<>(committedIsr());
        proposed.stream().filter(r -> !union.contains(r)).forEach(union::add);
        return union;
    }

    IsrState withProposal(List<Integer> isr) {
        return new IsrState(hosted, isr);
    }
}
