package dev.runnel.broker.group;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.common.TopicPartition;

/**
 * The group coordinator's side of transactions: TxnOffsetCommit, and the COMMIT and ABORT markers
 * that end a producer's transaction on an offsets partition (WriteTxnMarkers for a
 * {@code __consumer_offsets} partition is handed here, and this coordinator writes the marker).
 *
 * <p>A transactional commit, after AddOffsetsToTxn put the group's offsets partition in the
 * transaction: the transaction coordinator confirms that ({@link TransactionVerifier}), the group
 * checks the member as Kafka's classic group does for TxnOffsetCommit, and the offsets go into one
 * transactional batch of the producer's id and epoch. Replayed, they are <em>pending</em>: OffsetFetch
 * does not show them, and with RequireStable answers UNSTABLE_OFFSET_COMMIT for their partitions.
 * The producer's COMMIT marker makes them the committed offsets (unless a later plain commit holds
 * the partition), its ABORT marker drops them; see {@link OffsetStore}.
 */
public final class TransactionalOffsets {

    private static final Logger log = LoggerFactory.getLogger(TransactionalOffsets.class);

    private final GroupCoordinator coordinator;
    private final GroupMetadataManager groups;
    private final Clock clock;
    private final Supplier<TransactionVerifier> verifier;
    private final LongAdder commits = new LongAdder();

    /**
     * @param verifier the transaction coordinator's verification, or null while there is none
     *                 (TxnOffsetCommit then answers COORDINATOR_NOT_AVAILABLE)
     */
    public TransactionalOffsets(GroupCoordinator coordinator, Clock clock, Supplier<TransactionVerifier> verifier) {
        this.coordinator = coordinator;
        this.groups = coordinator.metadata();
        this.clock = clock;
        this.verifier = verifier;
    }

    /** An offset to commit in the transaction, as the request gives it. */
    public record Commit(long offset, int leaderEpoch, String metadata) {
    }

    /**
     * A TxnOffsetCommit: the producer's transaction, the group and (v3+) the member committing;
     * generation -1, an empty member id and no instance id for v0-v2.
     */
    public record Request(String transactionalId, long producerId, short producerEpoch, String groupId,
            int generationId, String memberId, String groupInstanceId, Map<TopicPartition, Commit> offsets) {

        public Request {
            memberId = memberId == null ? "" : memberId;
            offsets = new LinkedHashMap<>(offsets);
        }
    }

    /** Offsets committed in transactions since this broker began, whatever became of them (a metric). */
    public long commits() {
        return commits.sum();
    }

    /**
     * Writes the request's offsets as pending in the producer's transaction. Each partition's
     * outcome, or the whole request's error: the coordinator's, the verification's, the member
     * check's, or the write's (INVALID_PRODUCER_EPOCH when the log has seen a newer epoch).
     */
    public CompletableFuture<GroupOffsets.CommitResult> commit(Request request) {
        Errors error = groups.coordinatorError(request.groupId());
        TransactionVerifier transactions = error == Errors.NONE ? verifier.get() : null;
        if (error == Errors.NONE && transactions == null) {
            error = Errors.COORDINATOR_NOT_AVAILABLE;
        }
        if (error != Errors.NONE) {
            return failed(error);
        }
        CompletableFuture<Errors> verified;
        Object verification;
        try {
            verification = groups.startTransactionVerification(groups.partitionFor(request.groupId()),
                    request.producerId(), request.producerEpoch());
        } catch (GroupLog.GroupLogException e) {
            return failed(e.error() == Errors.NOT_LEADER_OR_FOLLOWER ? Errors.NOT_COORDINATOR : e.error());
        }
        try {
            verified = transactions.verify(request.transactionalId(), request.producerId(), request.producerEpoch(),
                    groups.partitionFor(request.groupId()));
        } catch (RuntimeException e) {
            verified = CompletableFuture.failedFuture(e);
        }
        return verified.handle((answer, failure) -> {
            if (failure != null) {
                log.warn("Cannot verify the transaction of {} for group {}", request.transactionalId(),
                        request.groupId(), failure);
            }
            return failure != null ? Errors.COORDINATOR_NOT_AVAILABLE : verificationError(answer);
        }).thenCompose(answer -> answer == Errors.NONE ? commitVerified(request, verification) : failed(answer));
    }

    private CompletableFuture<GroupOffsets.CommitResult> commitVerified(Request request, Object verification) {
        Errors error = groups.coordinatorError(request.groupId());
        if (error != Errors.NONE) {
            return failed(error);
        }
        ClassicGroup group = groups.group(request.groupId());
        if (group == null && request.generationId() >= 0) {
            return failed(Errors.ILLEGAL_GENERATION);
        }
        if (group == null) {
            group = groups.getOrCreate(request.groupId()); // a simple group, as for OffsetCommit
        }
        return coordinator.<GroupOffsets.CommitResult>onQueue(group, e -> new GroupOffsets.CommitResult(e, Map.of()),
                (g, respond) -> {
                    Errors invalid = validate(g, request);
                    if (invalid != Errors.NONE) {
                        respond.accept(new GroupOffsets.CommitResult(invalid, Map.of()));
                        return;
                    }
                    write(g, request, records(g, request), verification).thenAccept(
                            results -> respond.accept(new GroupOffsets.CommitResult(Errors.NONE, results)));
                });
    }

    /**
     * Kafka's classic group check for a transactional commit: a simple consumer's (generation -1,
     * the group Empty) and a v0-v2 client's (no generation, member or instance id) are taken in any
     * state; otherwise the member and generation must be the group's. Unlike OffsetCommit, a group
     * completing its rebalance is not refused: the producer commits what it consumed.
     */
    private static Errors validate(ClassicGroup g, Request request) {
        if (g.isShareGroup()) {
            return Errors.GROUP_ID_NOT_FOUND; // a share group has no committed offsets, as in Kafka
        }
        if (request.generationId() < 0 && g.is(GroupState.EMPTY)) {
            return Errors.NONE;
        }
        if (request.generationId() < 0 && request.memberId().isEmpty() && request.groupInstanceId() == null) {
            return Errors.NONE;
        }
        if (g.isConsumerGroup()) {
            return validateConsumerGroupMember(g.consumer(), request);
        }
        Errors error = GroupCoordinator.validateMember(g, request.memberId(), request.groupInstanceId());
        if (error == Errors.NONE && request.generationId() != g.generationId()) {
            error = Errors.ILLEGAL_GENERATION;
        }
        return error;
    }

    /**
     * A consumer group's check (KIP-848): the member, and its instance id if static, must be the
     * group's, committing with its member epoch; a stale one is ILLEGAL_GENERATION to a classic
     * member (the generation it knows is its epoch) and STALE_MEMBER_EPOCH to the others.
     */
    private static Errors validateConsumerGroupMember(ConsumerGroup cg, Request request) {
        ConsumerGroup.Member member = cg.member(request.memberId());
        if (member == null || member.metadata == null) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        if (request.groupInstanceId() != null && !request.groupInstanceId().equals(member.instanceId())) {
            return Errors.FENCED_INSTANCE_ID;
        }
        if (request.generationId() != member.assignment.memberEpoch()) {
            return member.metadata.isClassic() ? Errors.ILLEGAL_GENERATION : Errors.STALE_MEMBER_EPOCH;
        }
        return Errors.NONE;
    }

    /** The records of the commit, and each partition's outcome if they are written. */
    private CoordinatorResult<Map<TopicPartition, Errors>> records(ClassicGroup g, Request request) {
        long now = clock.millis();
        Map<TopicPartition, Errors> results = new LinkedHashMap<>();
        List<GroupRecord> records = new ArrayList<>();
        request.offsets().forEach((tp, c) -> {
            String metadata = c.metadata() == null ? "" : c.metadata();
            if (metadata.length() > groups.settings().maxMetadataBytes()) {
                results.put(tp, Errors.OFFSET_METADATA_TOO_LARGE);
            } else {
                results.put(tp, Errors.NONE);
                records.add(GroupRecord.offsetCommit(g.groupId, tp,
                        new OffsetAndMetadata(c.offset(), c.leaderEpoch(), metadata, now, -1)));
            }
        });
        return new CoordinatorResult<>(records, results);
    }

    /**
     * Writes the offsets in one transactional batch and replays them as pending once the ISR has
     * them. Completes on the group's queue with each partition's outcome.
     */
    private CompletableFuture<Map<TopicPartition, Errors>> write(ClassicGroup g, Request request,
            CoordinatorResult<Map<TopicPartition, Errors>> commit, Object verification) {
        if (commit.records().isEmpty()) {
            return CompletableFuture.completedFuture(commit.response());
        }
        g.offsetWriteStarted();
        return groups.writeTransactionalOffsets(g, commit.records(), request.producerId(), request.producerEpoch(),
                verification)
                .thenApply(w -> {
                    g.offsetWriteFinished();
                    boolean dead = g.is(GroupState.DEAD);
                    if (w.error() == Errors.NONE && !dead) {
                        groups.replay(g, commit.records(), w.baseOffset(), request.producerId());
                        commits.add(commit.records().size());
                    }
                    Errors written = w.error() == Errors.NONE && dead ? Errors.NOT_COORDINATOR : w.error();
                    Map<TopicPartition, Errors> results = new LinkedHashMap<>(commit.response());
                    commit.records().forEach(r -> results.put(((GroupRecord.OffsetCommit) r).partition(), written));
                    return results;
                });
    }

    /**
     * Writes the COMMIT ({@code commit}) or ABORT marker of the producer's transaction into offsets
     * partition {@code offsetsPartition} and applies it to the groups holding offsets of that
     * transaction: what WriteTxnMarkers does for a {@code __consumer_offsets} partition.
     *
     * @return NONE once written and applied; NOT_LEADER_OR_FOLLOWER while this broker does not serve
     *         the partition (not its coordinator, or still loading it), so the transaction coordinator
     *         retries; otherwise the write's error (NOT_ENOUGH_REPLICAS, INVALID_PRODUCER_EPOCH,
     *         TRANSACTION_COORDINATOR_FENCED, ...)
     */
    public CompletableFuture<Errors> completeTransaction(int offsetsPartition, long producerId, short producerEpoch,
            int coordinatorEpoch, boolean commit) {
        if (!groups.isActive(offsetsPartition)) {
            return CompletableFuture.completedFuture(Errors.NOT_LEADER_OR_FOLLOWER);
        }
        log.debug("Writing the {} marker of producer {} (epoch {}) into __consumer_offsets-{}", commit ? "COMMIT"
                : "ABORT", producerId, producerEpoch, offsetsPartition);
        return groups.writeMarker(offsetsPartition, producerId, producerEpoch, coordinatorEpoch, commit)
                .handle((error, failure) -> failure != null ? Errors.UNKNOWN_SERVER_ERROR : switch (error) {
                    case COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR ->
                            Errors.NOT_LEADER_OR_FOLLOWER;
                    default -> error;
                });
    }

    /** The transaction coordinator's answer as TxnOffsetCommit gives it (Kafka's verification does the same). */
    private static Errors verificationError(Errors answer) {
        if (answer == null) {
            return Errors.COORDINATOR_NOT_AVAILABLE;
        }
        return switch (answer) {
            case COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, NOT_ENOUGH_REPLICAS,
                    REQUEST_TIMED_OUT, NETWORK_EXCEPTION -> Errors.COORDINATOR_NOT_AVAILABLE;
            case PRODUCER_FENCED -> Errors.INVALID_PRODUCER_EPOCH;
            default -> answer;
        };
    }

    private static CompletableFuture<GroupOffsets.CommitResult> failed(Errors error) {
        return CompletableFuture.completedFuture(new GroupOffsets.CommitResult(error, Map.of()));
    }
}
