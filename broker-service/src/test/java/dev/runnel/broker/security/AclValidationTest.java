package dev.runnel.broker.security;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What CreateAcls and DeleteAcls refuse, with Kafka's errors and messages. */
class AclValidationTest {

    private static final AccessControlEntry ENTRY = new AccessControlEntry("User:alice", "*", AclOperation.READ,
            AclPermissionType.ALLOW);

    private static ApiError create(ResourceType type, String name, PatternType patternType, AccessControlEntry entry) {
        return AclValidation.validateCreation(new AclBinding(new ResourcePattern(type, name, patternType), entry));
    }

    private static ApiError create(AccessControlEntry entry) {
        return create(ResourceType.TOPIC, "orders", PatternType.LITERAL, entry);
    }

    @Test
    void aValidBindingPasses() {
        assertThat(create(ENTRY)).isEqualTo(ApiError.NONE);
        assertThat(create(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL, ENTRY)).isEqualTo(ApiError.NONE);
        assertThat(create(ResourceType.GROUP, "billing-", PatternType.PREFIXED, ENTRY)).isEqualTo(ApiError.NONE);
        assertThat(create(new AccessControlEntry("Group:ops", "10.0.0.1", AclOperation.ALL, AclPermissionType.DENY)))
                .as("any principal type, as Kafka").isEqualTo(ApiError.NONE);
    }

    @Test
    void theClusterHasOneName() {
        assertThat(create(ResourceType.CLUSTER, "my-cluster", PatternType.LITERAL, ENTRY)).isEqualTo(ApiError.of(
                SecurityError.INVALID_REQUEST, "The only valid name for the CLUSTER resource is kafka-cluster"));
    }

    @Test
    void anEmptyNameIsRefused() {
        assertThat(create(ResourceType.TOPIC, "", PatternType.PREFIXED, ENTRY))
                .isEqualTo(ApiError.of(SecurityError.INVALID_REQUEST, "Invalid empty resource name"));
    }

    @Test
    void filterValuesAndUnknownsAreRefusedInABinding() {
        assertThat(create(ResourceType.ANY, "x", PatternType.LITERAL, ENTRY))
                .isEqualTo(ApiError.of(SecurityError.INVALID_REQUEST, "Invalid resourceType ANY"));
        assertThat(create(ResourceType.UNKNOWN, "x", PatternType.LITERAL, ENTRY).message())
                .isEqualTo("Invalid resourceType UNKNOWN");
        assertThat(create(ResourceType.TOPIC, "x", PatternType.MATCH, ENTRY).message())
                .isEqualTo("Invalid patternType MATCH");
        assertThat(create(ResourceType.TOPIC, "x", PatternType.ANY, ENTRY).message())
                .isEqualTo("Invalid patternType ANY");
        assertThat(create(ResourceType.TOPIC, "x", PatternType.UNKNOWN, ENTRY).message())
                .isEqualTo("Invalid patternType UNKNOWN");
        assertThat(create(new AccessControlEntry("User:a", "*", AclOperation.ANY, AclPermissionType.ALLOW)).message())
                .isEqualTo("Invalid operation ANY");
        assertThat(create(new AccessControlEntry("User:a", "*", AclOperation.UNKNOWN, AclPermissionType.ALLOW))
                .message()).isEqualTo("Invalid operation UNKNOWN");
        assertThat(create(new AccessControlEntry("User:a", "*", AclOperation.READ, AclPermissionType.ANY)).message())
                .isEqualTo("Invalid permissionType ANY");
        assertThat(create(new AccessControlEntry("User:a", "*", AclOperation.READ, AclPermissionType.UNKNOWN))
                .error()).isEqualTo(SecurityError.INVALID_REQUEST);
    }

    @Test
    void aPrincipalNeedsATypeSeparatedByAColon() {
        assertThat(create(new AccessControlEntry("alice", "*", AclOperation.READ, AclPermissionType.ALLOW)))
                .isEqualTo(ApiError.of(SecurityError.INVALID_REQUEST, "Could not parse principal from `alice` (no colon"
                        + " is present separating the principal type from the principal name)"));
    }

    @Test
    void deletionFiltersWithUnknownPartsAreRefused() {
        assertThat(AclValidation.validateDeletionFilter(AclBindingFilter.ANY)).isEqualTo(ApiError.NONE);
        assertThat(AclValidation.validateDeletionFilter(new AclBindingFilter(
                new ResourcePatternFilter(ResourceType.UNKNOWN, null, PatternType.ANY), AccessControlEntryFilter.ANY)))
                .isEqualTo(ApiError.of(SecurityError.INVALID_REQUEST, "Unknown patternFilter."));
        assertThat(AclValidation.validateDeletionFilter(new AclBindingFilter(ResourcePatternFilter.ANY,
                new AccessControlEntryFilter(null, null, AclOperation.ANY, AclPermissionType.UNKNOWN))))
                .isEqualTo(ApiError.of(SecurityError.INVALID_REQUEST, "Unknown entryFilter."));
    }
}
