package dev.runnel.broker.security;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

/** Every wire code of this package's enums is Kafka's. */
class SecurityWireCodesTest {

    @Test
    void errorCodesAreKafkas() {
        for (SecurityError error : SecurityError.values()) {
            assertThat(error.code()).as(error.name()).isEqualTo(Errors.valueOf(error.name()).code());
        }
    }

    @Test
    void resourceTypesAreKafkas() {
        for (ResourceType type : ResourceType.values()) {
            org.apache.kafka.common.resource.ResourceType kafka = org.apache.kafka.common.resource.ResourceType
                    .valueOf(type.name());
            assertThat(type.code()).as(type.name()).isEqualTo(kafka.code());
            assertThat(ResourceType.fromCode(kafka.code())).isEqualTo(type);
        }
        assertThat(ResourceType.values()).hasSameSizeAs(org.apache.kafka.common.resource.ResourceType.values());
        assertThat(ResourceType.fromCode((byte) 99)).isEqualTo(ResourceType.UNKNOWN);
        assertThat(ResourceType.fromCode((byte) -1)).isEqualTo(ResourceType.UNKNOWN);
    }

    @Test
    void patternTypesAreKafkas() {
        for (PatternType type : PatternType.values()) {
            assertThat(type.code()).as(type.name())
                    .isEqualTo(org.apache.kafka.common.resource.PatternType.valueOf(type.name()).code());
        }
        assertThat(PatternType.values()).hasSameSizeAs(org.apache.kafka.common.resource.PatternType.values());
        assertThat(PatternType.fromCode((byte) 9)).isEqualTo(PatternType.UNKNOWN);
    }

    @Test
    void operationsAreKafkas() {
        for (AclOperation operation : AclOperation.values()) {
            assertThat(operation.code()).as(operation.name())
                    .isEqualTo(org.apache.kafka.common.acl.AclOperation.valueOf(operation.name()).code());
        }
        assertThat(AclOperation.values()).hasSameSizeAs(org.apache.kafka.common.acl.AclOperation.values());
        assertThat(AclOperation.fromCode((byte) 99)).isEqualTo(AclOperation.UNKNOWN);
    }

    @Test
    void permissionTypesAreKafkas() {
        for (AclPermissionType permission : AclPermissionType.values()) {
            assertThat(permission.code()).as(permission.name())
                    .isEqualTo(org.apache.kafka.common.acl.AclPermissionType.valueOf(permission.name()).code());
        }
        assertThat(AclPermissionType.values())
                .hasSameSizeAs(org.apache.kafka.common.acl.AclPermissionType.values());
    }

    @Test
    void scramMechanismTypesAreKip554s() {
        for (ScramMechanism mechanism : ScramMechanism.values()) {
            org.apache.kafka.clients.admin.ScramMechanism kafka = org.apache.kafka.clients.admin.ScramMechanism
                    .fromMechanismName(mechanism.mechanismName());
            assertThat(mechanism.type()).isEqualTo(kafka.type());
            assertThat(ScramMechanism.fromType(kafka.type())).contains(mechanism);
        }
        assertThat(ScramMechanism.fromType((byte) 0)).isEmpty();
        assertThat(ScramMechanism.fromMechanismName("SCRAM-SHA-1")).isEmpty();
    }
}
