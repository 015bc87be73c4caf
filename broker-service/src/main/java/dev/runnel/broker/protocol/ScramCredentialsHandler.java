package dev.runnel.broker.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.apache.kafka.common.message.AlterUserScramCredentialsRequestData;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData;
import org.apache.kafka.common.message.DescribeUserScramCredentialsRequestData;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.AlterScramResult;
import dev.runnel.broker.security.DescribeScramResult;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.security.ScramCredentialStore;
import dev.runnel.broker.security.ScramDeletion;
import dev.runnel.broker.security.ScramUpsertion;
import dev.runnel.broker.security.Session;

/**
 * AlterUserScramCredentials and DescribeUserScramCredentials (v0, KIP-554): the users' SCRAM
 * credentials in ZooKeeper ({@link ScramCredentialStore}), as Kafka's
 * {@code kafka-configs --entity-type users --alter --add-config 'SCRAM-SHA-512=[password=...]'}
 * manages them. The client salts and hashes the password; only the keys derived from that are
 * stored. Altering needs ALTER on the cluster, describing DESCRIBE (both allowed when the broker
 * authorizes nothing, as in Kafka). The store's ZooKeeper calls run on {@code blocking}.
 */
final class ScramCredentialsHandler implements ApiHandler {

    private static final Logger log = LoggerFactory.getLogger(ScramCredentialsHandler.class);

    private final ScramCredentialStore store;
    private final Executor blocking;

    ScramCredentialsHandler(ScramCredentialStore store, Executor blocking) {
        this.store = store;
        this.blocking = blocking;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        Session session = request.session();
        if (request.apiKey() == ApiKeys.ALTER_USER_SCRAM_CREDENTIALS) {
            return alter(session, (AlterUserScramCredentialsRequestData) request.body());
        }
        return CompletableFuture.completedFuture(describe(session,
                (DescribeUserScramCredentialsRequestData) request.body()));
    }

    private CompletableFuture<ApiMessage> alter(Session session, AlterUserScramCredentialsRequestData body) {
        AlterUserScramCredentialsResponseData response = new AlterUserScramCredentialsResponseData();
        if (!session.allowed(AclOperation.ALTER, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME)) {
            List<String> users = new ArrayList<>();
            body.deletions().forEach(d -> addOnce(users, d.name()));
            body.upsertions().forEach(u -> addOnce(users, u.name()));
            users.forEach(user -> response.results().add(new AlterUserScramCredentialsResponseData
                    .AlterUserScramCredentialsResult().setUser(user)
                    .setErrorCode(Errors.CLUSTER_AUTHORIZATION_FAILED.code())));
            return CompletableFuture.completedFuture(response);
        }
        List<ScramDeletion> deletions = body.deletions().stream()
                .map(d -> new ScramDeletion(d.name(), d.mechanism())).toList();
        List<ScramUpsertion> upsertions = body.upsertions().stream().map(u -> new ScramUpsertion(u.name(),
                u.mechanism(), u.iterations(), u.salt(), u.saltedPassword())).toList();
        return CompletableFuture.supplyAsync(() -> {
            List<AlterScramResult> results;
            try {
                results = store.alter(deletions, upsertions);
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                List<String> users = new ArrayList<>();
                deletions.forEach(d -> addOnce(users, d.user()));
                upsertions.forEach(u -> addOnce(users, u.user()));
                users.forEach(user -> response.results().add(new AlterUserScramCredentialsResponseData
                        .AlterUserScramCredentialsResult().setUser(user).setErrorCode(Errors.UNKNOWN_SERVER_ERROR.code())
                        .setErrorMessage("the credentials could not be written to ZooKeeper: " + e.getMessage())));
                return response;
            }
            for (AlterScramResult result : results) {
                response.results().add(new AlterUserScramCredentialsResponseData.AlterUserScramCredentialsResult()
                        .setUser(result.user()).setErrorCode(result.error().error().code())
                        .setErrorMessage(result.error().message()));
                if (!result.error().isFailure()) {
                    log.info("SCRAM credentials of user {} altered by {}", result.user(), session.principal());
                }
            }
            return response;
        }, blocking);
    }

    private ApiMessage describe(Session session, DescribeUserScramCredentialsRequestData body) {
        DescribeUserScramCredentialsResponseData response = new DescribeUserScramCredentialsResponseData();
        if (!session.allowed(AclOperation.DESCRIBE, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME)) {
            return response.setErrorCode(Errors.CLUSTER_AUTHORIZATION_FAILED.code());
        }
        List<String> users = body.users() == null ? null
                : body.users().stream().map(DescribeUserScramCredentialsRequestData.UserName::name).toList();
        for (DescribeScramResult result : store.describe(users)) {
            DescribeUserScramCredentialsResponseData.DescribeUserScramCredentialsResult out =
                    new DescribeUserScramCredentialsResponseData.DescribeUserScramCredentialsResult()
                            .setUser(result.user()).setErrorCode(result.error().error().code())
                            .setErrorMessage(result.error().message());
            result.credentials().forEach(c -> out.credentialInfos().add(
                    new DescribeUserScramCredentialsResponseData.CredentialInfo().setMechanism(c.mechanism().type())
                            .setIterations(c.iterations())));
            response.results().add(out);
        }
        return response;
    }

    private static void addOnce(List<String> users, String user) {
        if (!users.contains(user)) {
            users.add(user);
        }
    }
}
