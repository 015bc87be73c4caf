package dev.runnel.broker.security;

import java.util.Objects;

/**
 * The resources one ACL applies to: a type, a name and how the name is read (Kafka's
 * {@code ResourcePattern}). A stored pattern has a concrete type and a {@link PatternType#LITERAL}
 * or {@link PatternType#PREFIXED} pattern type; this record also holds whatever a CreateAcls
 * request carried, so that {@link AclValidation} can answer it with Kafka's error. Immutable.
 *
 * @param resourceType the type
 * @param name         the name; {@link #WILDCARD} in a literal pattern means every name
 * @param patternType  how {@code name} is read
 */
public record ResourcePattern(ResourceType resourceType, String name, PatternType patternType) {

    /** The literal name that matches every resource of its type. */
    public static final String WILDCARD = "*";

    public ResourcePattern {
        Objects.requireNonNull(resourceType, "resourceType");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(patternType, "patternType");
    }

    public static ResourcePattern literal(ResourceType type, String name) {
        return new ResourcePattern(type, name, PatternType.LITERAL);
    }

    public static ResourcePattern prefixed(ResourceType type, String prefix) {
        return new ResourcePattern(type, prefix, PatternType.PREFIXED);
    }

    /** The filter that matches exactly this pattern. */
    public ResourcePatternFilter toFilter() {
        return new ResourcePatternFilter(resourceType, name, patternType);
    }

    /** {@code Topic:LITERAL:orders}, as Kafka's audit lines write a resource. */
    @Override
    public String toString() {
        return resourceType.displayName() + ":" + patternType + ":" + name;
    }
}
