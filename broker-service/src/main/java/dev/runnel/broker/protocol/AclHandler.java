package dev.runnel.broker.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.apache.kafka.common.message.CreateAclsRequestData;
import org.apache.kafka.common.message.CreateAclsResponseData;
import org.apache.kafka.common.message.DeleteAclsRequestData;
import org.apache.kafka.common.message.DeleteAclsResponseData;
import org.apache.kafka.common.message.DescribeAclsRequestData;
import org.apache.kafka.common.message.DescribeAclsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.security.AccessControlEntry;
import dev.runnel.broker.security.AccessControlEntryFilter;
import dev.runnel.broker.security.AclBinding;
import dev.runnel.broker.security.AclBindingFilter;
import dev.runnel.broker.security.AclCreateResult;
import dev.runnel.broker.security.AclDeleteResult;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.AclPermissionType;
import dev.runnel.broker.security.AclStore;
import dev.runnel.broker.security.AclValidation;
import dev.runnel.broker.security.ApiError;
import dev.runnel.broker.security.PatternType;
import dev.runnel.broker.security.ResourcePattern;
import dev.runnel.broker.security.ResourcePatternFilter;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.security.Session;

/**
 * CreateAcls, DescribeAcls and DeleteAcls (v1-3): Kafka's ACLs, kept in ZooKeeper by the
 * {@link AclStore} and enforced by every broker moments after a change. Creating and deleting need
 * ALTER on the cluster, describing DESCRIBE; a broker that authorizes nothing answers
 * SECURITY_DISABLED, as Kafka without an authorizer. The store's ZooKeeper calls run on
 * {@code blocking}, never on a request-handler thread.
 */
final class AclHandler implements ApiHandler {

    private static final Logger log = LoggerFactory.getLogger(AclHandler.class);
    private static final String NO_AUTHORIZER = "No Authorizer is configured on the broker";

    private final AclStore store;
    private final Executor blocking;

    AclHandler(AclStore store, Executor blocking) {
        this.store = store;
        this.blocking = blocking;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        Session session = request.session();
        if (request.apiKey() == ApiKeys.CREATE_ACLS) {
            return create(session, (CreateAclsRequestData) request.body());
        }
        if (request.apiKey() == ApiKeys.DELETE_ACLS) {
            return delete(session, (DeleteAclsRequestData) request.body());
        }
        return CompletableFuture.completedFuture(describe(session, (DescribeAclsRequestData) request.body()));
    }

    private CompletableFuture<ApiMessage> create(Session session, CreateAclsRequestData body) {
        CreateAclsResponseData response = new CreateAclsResponseData();
        Errors refusal = refusal(session, AclOperation.ALTER);
        if (refusal != null) {
            body.creations().forEach(c -> response.results().add(new CreateAclsResponseData.AclCreationResult()
                    .setErrorCode(refusal.code()).setErrorMessage(refusal == Errors.SECURITY_DISABLED ? NO_AUTHORIZER
                            : null)));
            return CompletableFuture.completedFuture(response);
        }
        // Invalid creations are answered here and the rest written in one call, keeping the request's order.
        List<CreateAclsResponseData.AclCreationResult> results = new ArrayList<>();
        Map<Integer, AclBinding> valid = new LinkedHashMap<>();
        for (CreateAclsRequestData.AclCreation creation : body.creations()) {
            AclBinding binding = new AclBinding(new ResourcePattern(ResourceType.fromCode(creation.resourceType()),
                    creation.resourceName(), PatternType.fromCode(creation.resourcePatternType())),
                    new AccessControlEntry(creation.principal(), creation.host(),
                            AclOperation.fromCode(creation.operation()),
                            AclPermissionType.fromCode(creation.permissionType())));
            ApiError invalid = AclValidation.validateCreation(binding);
            CreateAclsResponseData.AclCreationResult result = new CreateAclsResponseData.AclCreationResult();
            if (invalid.error().code() != Errors.NONE.code()) {
                result.setErrorCode(invalid.error().code()).setErrorMessage(invalid.message());
            } else {
                valid.put(results.size(), binding);
            }
            results.add(result);
        }
        response.setResults(results);
        if (valid.isEmpty()) {
            return CompletableFuture.completedFuture(response);
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                List<AclCreateResult> created = store.createAcls(new ArrayList<>(valid.values()));
                int i = 0;
                for (int index : valid.keySet()) {
                    ApiError error = created.get(i++).error();
                    results.get(index).setErrorCode(error.error().code()).setErrorMessage(error.message());
                }
                log.info("ACLs created by {}: {}", session.principal(), valid.values());
            } catch (Exception e) {
                failAll(valid.keySet(), results, e);
            }
            return response;
        }, blocking);
    }

    private static void failAll(Iterable<Integer> indexes, List<CreateAclsResponseData.AclCreationResult> results,
            Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        for (int index : indexes) {
            results.get(index).setErrorCode(Errors.UNKNOWN_SERVER_ERROR.code())
                    .setErrorMessage("the ACLs could not be written to ZooKeeper: " + e.getMessage());
        }
    }

    private ApiMessage describe(Session session, DescribeAclsRequestData body) {
        DescribeAclsResponseData response = new DescribeAclsResponseData();
        Errors refusal = refusal(session, AclOperation.DESCRIBE);
        if (refusal != null) {
            return response.setErrorCode(refusal.code())
                    .setErrorMessage(refusal == Errors.SECURITY_DISABLED ? NO_AUTHORIZER : null);
        }
        AclBindingFilter filter = new AclBindingFilter(new ResourcePatternFilter(
                ResourceType.fromCode(body.resourceTypeFilter()), body.resourceNameFilter(),
                PatternType.fromCode(body.patternTypeFilter())), new AccessControlEntryFilter(body.principalFilter(),
                body.hostFilter(), AclOperation.fromCode(body.operation()),
                AclPermissionType.fromCode(body.permissionType())));
        if (filter.isUnknown()) {
            return response.setErrorCode(Errors.INVALID_REQUEST.code())
                    .setErrorMessage("The filter must not contain UNKNOWN elements");
        }
        // Grouped by resource pattern, in the order the store lists them.
        Map<ResourcePattern, DescribeAclsResponseData.DescribeAclsResource> resources = new LinkedHashMap<>();
        for (AclBinding binding : store.describe(filter)) {
            ResourcePattern pattern = binding.pattern();
            resources.computeIfAbsent(pattern, p -> new DescribeAclsResponseData.DescribeAclsResource()
                    .setResourceType(p.resourceType().code()).setResourceName(p.name())
                    .setPatternType(p.patternType().code())).acls().add(new DescribeAclsResponseData.AclDescription()
                            .setPrincipal(binding.entry().principal()).setHost(binding.entry().host())
                            .setOperation(binding.entry().operation().code())
                            .setPermissionType(binding.entry().permissionType().code()));
        }
        return response.setResources(new ArrayList<>(resources.values()));
    }

    private CompletableFuture<ApiMessage> delete(Session session, DeleteAclsRequestData body) {
        DeleteAclsResponseData response = new DeleteAclsResponseData();
        Errors refusal = refusal(session, AclOperation.ALTER);
        if (refusal != null) {
            body.filters().forEach(f -> response.filterResults().add(new DeleteAclsResponseData.DeleteAclsFilterResult()
                    .setErrorCode(refusal.code()).setErrorMessage(refusal == Errors.SECURITY_DISABLED ? NO_AUTHORIZER
                            : null)));
            return CompletableFuture.completedFuture(response);
        }
        List<AclBindingFilter> filters = new ArrayList<>();
        for (DeleteAclsRequestData.DeleteAclsFilter f : body.filters()) {
            filters.add(new AclBindingFilter(new ResourcePatternFilter(ResourceType.fromCode(f.resourceTypeFilter()),
                    f.resourceNameFilter(), PatternType.fromCode(f.patternTypeFilter())),
                    new AccessControlEntryFilter(f.principalFilter(), f.hostFilter(), AclOperation.fromCode(f.operation()),
                            AclPermissionType.fromCode(f.permissionType()))));
        }
        return CompletableFuture.supplyAsync(() -> {
            List<AclDeleteResult> results;
            try {
                results = store.deleteAcls(filters);
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                filters.forEach(f -> response.filterResults().add(new DeleteAclsResponseData.DeleteAclsFilterResult()
                        .setErrorCode(Errors.UNKNOWN_SERVER_ERROR.code())
                        .setErrorMessage("the ACLs could not be deleted in ZooKeeper: " + e.getMessage())));
                return response;
            }
            for (AclDeleteResult result : results) {
                DeleteAclsResponseData.DeleteAclsFilterResult out = new DeleteAclsResponseData.DeleteAclsFilterResult()
                        .setErrorCode(result.error().error().code()).setErrorMessage(result.error().message());
                for (AclBinding binding : result.deleted()) {
                    out.matchingAcls().add(new DeleteAclsResponseData.DeleteAclsMatchingAcl()
                            .setResourceType(binding.pattern().resourceType().code())
                            .setResourceName(binding.pattern().name())
                            .setPatternType(binding.pattern().patternType().code())
                            .setPrincipal(binding.entry().principal()).setHost(binding.entry().host())
                            .setOperation(binding.entry().operation().code())
                            .setPermissionType(binding.entry().permissionType().code()));
                }
                response.filterResults().add(out);
            }
            if (results.stream().anyMatch(r -> !r.deleted().isEmpty())) {
                log.info("ACLs deleted by {}: {}", session.principal(), results.stream()
                        .flatMap(r -> r.deleted().stream()).toList());
            }
            return response;
        }, blocking);
    }

    /** Why the session may not {@code operation} the cluster's ACLs, or null if it may. */
    private static Errors refusal(Session session, AclOperation operation) {
        if (!session.authorizes()) {
            return Errors.SECURITY_DISABLED;
        }
        return session.allowed(operation, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME) ? null
                : Errors.CLUSTER_AUTHORIZATION_FAILED;
    }
}
