package dev.runnel.broker.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** Kafka's filter rules for DescribeAcls and DeleteAcls, checked by example and against kafka-clients' own filters. */
class AclFilterTest {

    private static final AccessControlEntry ALICE_READ = new AccessControlEntry("User:alice", "*", AclOperation.READ,
            AclPermissionType.ALLOW);

    @Test
    void matchFindsTheLiteralTheWildcardAndEveryPrefixOfTheName() {
        ResourcePatternFilter match = new ResourcePatternFilter(ResourceType.TOPIC, "orders-eu", PatternType.MATCH);

        assertThat(match.matches(ResourcePattern.literal(ResourceType.TOPIC, "orders-eu"))).isTrue();
        assertThat(match.matches(ResourcePattern.literal(ResourceType.TOPIC, "*"))).isTrue();
        assertThat(match.matches(ResourcePattern.prefixed(ResourceType.TOPIC, "orders"))).isTrue();
        assertThat(match.matches(ResourcePattern.prefixed(ResourceType.TOPIC, "orders-eu"))).isTrue();
        assertThat(match.matches(ResourcePattern.literal(ResourceType.TOPIC, "orders"))).isFalse();
        assertThat(match.matches(ResourcePattern.prefixed(ResourceType.TOPIC, "orders-eu-1"))).isFalse();
        assertThat(match.matches(ResourcePattern.literal(ResourceType.GROUP, "orders-eu"))).isFalse();
    }

    @Test
    void anyTakesEveryPatternTypeWithExactlyTheName() {
        ResourcePatternFilter any = new ResourcePatternFilter(ResourceType.ANY, "orders", PatternType.ANY);

        assertThat(any.matches(ResourcePattern.literal(ResourceType.TOPIC, "orders"))).isTrue();
        assertThat(any.matches(ResourcePattern.prefixed(ResourceType.GROUP, "orders"))).isTrue();
        assertThat(any.matches(ResourcePattern.literal(ResourceType.TOPIC, "*"))).isFalse();
        assertThat(any.matches(ResourcePattern.prefixed(ResourceType.TOPIC, "ord"))).isFalse();
    }

    @Test
    void aWildcardNameInAnAnyFilterFindsOnlyWildcardPatterns() {
        ResourcePatternFilter wildcards = new ResourcePatternFilter(ResourceType.TOPIC, "*", PatternType.ANY);

        assertThat(wildcards.matches(ResourcePattern.literal(ResourceType.TOPIC, "*"))).isTrue();
        assertThat(wildcards.matches(ResourcePattern.literal(ResourceType.TOPIC, "orders"))).isFalse();
    }

    @Test
    void aSpecificPatternTypeTakesOnlyThatTypeAndName() {
        ResourcePatternFilter prefixed = new ResourcePatternFilter(ResourceType.TOPIC, "ord", PatternType.PREFIXED);

        assertThat(prefixed.matches(ResourcePattern.prefixed(ResourceType.TOPIC, "ord"))).isTrue();
        assertThat(prefixed.matches(ResourcePattern.literal(ResourceType.TOPIC, "ord"))).isFalse();
        assertThat(prefixed.matches(ResourcePattern.prefixed(ResourceType.TOPIC, "or"))).isFalse();
    }

    @Test
    void entryFiltersCompareTheTextSoUserStarFindsOnlyWildcardEntries() {
        AccessControlEntryFilter wildcard = new AccessControlEntryFilter("User:*", null, AclOperation.ANY,
                AclPermissionType.ANY);

        assertThat(wildcard.matches(ALICE_READ)).isFalse();
        assertThat(wildcard.matches(new AccessControlEntry("User:*", "*", AclOperation.READ,
                AclPermissionType.ALLOW))).isTrue();
        assertThat(AccessControlEntryFilter.ANY.matches(ALICE_READ)).isTrue();
        assertThat(new AccessControlEntryFilter(null, "10.0.0.1", AclOperation.ANY, AclPermissionType.ANY)
                .matches(ALICE_READ)).isFalse();
        assertThat(new AccessControlEntryFilter(null, null, AclOperation.ALL, AclPermissionType.ANY)
                .matches(ALICE_READ)).as("ALL in a filter is the operation ALL, not any").isFalse();
    }

    @Test
    void indefiniteFieldsAreNamedAsKafkaNamesThem() {
        assertThat(AclBindingFilter.ANY.findIndefiniteField()).isEqualTo("Resource type is ANY.");
        AclBinding binding = new AclBinding(ResourcePattern.literal(ResourceType.TOPIC, "t"), ALICE_READ);
        assertThat(binding.toFilter().matchesAtMostOne()).isTrue();
        assertThat(new AclBindingFilter(binding.pattern().toFilter(), AccessControlEntryFilter.ANY)
                .findIndefiniteField()).isEqualTo("Principal is NULL");
        assertThat(new AclBindingFilter(new ResourcePatternFilter(ResourceType.TOPIC, "t", PatternType.MATCH),
                ALICE_READ.toFilter()).findIndefiniteField()).isEqualTo("Resource pattern type is MATCH.");
        assertThat(new AclBindingFilter(new ResourcePatternFilter(ResourceType.UNKNOWN, "t", PatternType.LITERAL),
                ALICE_READ.toFilter()).isUnknown()).isTrue();
        assertThat(new AclBindingFilter(binding.pattern().toFilter(), new AccessControlEntryFilter(null, null,
                AclOperation.UNKNOWN, AclPermissionType.ANY)).isUnknown()).isTrue();
    }

    @Test
    void everyFilterMatchesAsKafkaClientsFiltersDo() {
        Random random = new Random(25);
        List<String> names = List.of("*", "a", "ab", "abc", "b", "ba");
        List<String> principals = List.of("User:alice", "User:bob", "User:*", "Group:ops");
        List<String> hosts = List.of("*", "10.0.0.1", "10.0.0.2");
        ResourceType[] storedTypes = {ResourceType.TOPIC, ResourceType.GROUP, ResourceType.CLUSTER};
        PatternType[] storedPatterns = {PatternType.LITERAL, PatternType.PREFIXED};
        AclOperation[] operations = {AclOperation.ALL, AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE};
        AclPermissionType[] permissions = {AclPermissionType.ALLOW, AclPermissionType.DENY};
        for (int i = 0; i < 20_000; i++) {
            AclBinding binding = new AclBinding(
                    new ResourcePattern(pick(random, storedTypes), pick(random, names), pick(random, storedPatterns)),
                    new AccessControlEntry(pick(random, principals), pick(random, hosts), pick(random, operations),
                            pick(random, permissions)));
            AclBindingFilter filter = new AclBindingFilter(
                    new ResourcePatternFilter(
                            random.nextInt(3) == 0 ? ResourceType.ANY : pick(random, storedTypes),
                            random.nextInt(4) == 0 ? null : pick(random, names),
                            pick(random, new PatternType[] {PatternType.ANY, PatternType.MATCH, PatternType.LITERAL,
                                    PatternType.PREFIXED})),
                    new AccessControlEntryFilter(
                            random.nextBoolean() ? null : pick(random, principals),
                            random.nextBoolean() ? null : pick(random, hosts),
                            random.nextBoolean() ? AclOperation.ANY : pick(random, operations),
                            random.nextBoolean() ? AclPermissionType.ANY : pick(random, permissions)));

            assertThat(filter.matches(binding)).as("%s on %s", filter, binding)
                    .isEqualTo(kafka(filter).matches(kafka(binding)));
        }
    }

    private static <T> T pick(Random random, T[] values) {
        return values[random.nextInt(values.length)];
    }

    private static <T> T pick(Random random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    static org.apache.kafka.common.acl.AclBinding kafka(AclBinding binding) {
        return new org.apache.kafka.common.acl.AclBinding(
                new org.apache.kafka.common.resource.ResourcePattern(
                        org.apache.kafka.common.resource.ResourceType.fromCode(binding.pattern().resourceType().code()),
                        binding.pattern().name(),
                        org.apache.kafka.common.resource.PatternType.fromCode(binding.pattern().patternType().code())),
                new org.apache.kafka.common.acl.AccessControlEntry(binding.entry().principal(), binding.entry().host(),
                        org.apache.kafka.common.acl.AclOperation.fromCode(binding.entry().operation().code()),
                        org.apache.kafka.common.acl.AclPermissionType.fromCode(
                                binding.entry().permissionType().code())));
    }

    static org.apache.kafka.common.acl.AclBindingFilter kafka(AclBindingFilter filter) {
        ResourcePatternFilter pattern = filter.patternFilter();
        AccessControlEntryFilter entry = filter.entryFilter();
        return new org.apache.kafka.common.acl.AclBindingFilter(
                new org.apache.kafka.common.resource.ResourcePatternFilter(
                        org.apache.kafka.common.resource.ResourceType.fromCode(pattern.resourceType().code()),
                        pattern.name(),
                        org.apache.kafka.common.resource.PatternType.fromCode(pattern.patternType().code())),
                new org.apache.kafka.common.acl.AccessControlEntryFilter(entry.principal(), entry.host(),
                        org.apache.kafka.common.acl.AclOperation.fromCode(entry.operation().code()),
                        org.apache.kafka.common.acl.AclPermissionType.fromCode(entry.permissionType().code())));
    }
}
