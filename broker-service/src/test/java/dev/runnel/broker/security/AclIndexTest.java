package dev.runnel.broker.security;

import static dev.runnel.broker.security.AuthorizerTest.allow;
import static dev.runnel.broker.security.AuthorizerTest.deny;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

class AclIndexTest {

    @Test
    void eachAclCountsOnceAndDescribesInAStableOrder() {
        AclBinding first = allow("b", "User:alice", AclOperation.READ);
        AclBinding second = deny("a", "User:bob", AclOperation.WRITE);
        AclBinding group = new AclBinding(ResourcePattern.prefixed(ResourceType.GROUP, "g"),
                new AccessControlEntry("User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW));

        AclIndex index = AclIndex.of(List.of(first, group, second, first));

        assertThat(index.size()).isEqualTo(3);
        assertThat(index.bindings(AclBindingFilter.ANY)).containsExactly(second, first, group);
        assertThat(index.bindings(new AclBindingFilter(new ResourcePatternFilter(ResourceType.TOPIC, "b",
                PatternType.MATCH), AccessControlEntryFilter.ANY))).containsExactly(first);
    }

    @Test
    void patternsThatCannotBeStoredAndEmptyPatternsAreLeftOut() {
        AccessControlEntry entry = new AccessControlEntry("User:alice", "*", AclOperation.READ, AclPermissionType.ALLOW);

        AclIndex index = AclIndex.ofPatterns(Map.of(
                new ResourcePattern(ResourceType.ANY, "x", PatternType.LITERAL), Set.of(entry),
                new ResourcePattern(ResourceType.TOPIC, "x", PatternType.MATCH), Set.of(entry),
                ResourcePattern.literal(ResourceType.TOPIC, "empty"), Set.of()));

        assertThat(index.size()).isZero();
        assertThat(index.bindings(AclBindingFilter.ANY)).isEmpty();
    }
}
