package dev.runnel.broker.security;

import java.util.Objects;

/**
 * A filter over {@link ResourcePattern}s, as DescribeAcls and DeleteAcls carry one (Kafka's
 * {@code ResourcePatternFilter}, whose rules {@link #matches} follows):
 *
 * <ul>
 *   <li>type: {@link ResourceType#ANY} takes every type, any other only its own;</li>
 *   <li>name: {@code null} takes every name;</li>
 *   <li>pattern type: {@link PatternType#ANY} takes every pattern type whose name equals the
 *       filter's (so a name of {@code *} finds only wildcard patterns); {@link PatternType#MATCH}
 *       takes the literal pattern of the name, the literal {@code *} and every prefixed pattern the
 *       name starts with; any other only patterns of that type and exactly that name.</li>
 * </ul>
 *
 * Immutable.
 *
 * @param resourceType the type to take, or {@link ResourceType#ANY}
 * @param name         the name, or {@code null} for any
 * @param patternType  how to compare names, see above
 */
public record ResourcePatternFilter(ResourceType resourceType, String name, PatternType patternType) {

    public static final ResourcePatternFilter ANY = new ResourcePatternFilter(ResourceType.ANY, null, PatternType.ANY);

    public ResourcePatternFilter {
        Objects.requireNonNull(resourceType, "resourceType");
        Objects.requireNonNull(patternType, "patternType");
    }

    /** Whether the type or the pattern type is {@code UNKNOWN} (DeleteAcls refuses such a filter). */
    public boolean isUnknown() {
        return resourceType == ResourceType.UNKNOWN || patternType == PatternType.UNKNOWN;
    }

    public boolean matches(ResourcePattern pattern) {
        if (resourceType != ResourceType.ANY && resourceType != pattern.resourceType()) {
            return false;
        }
        if (patternType != PatternType.ANY && patternType != PatternType.MATCH && patternType != pattern.patternType()) {
            return false;
        }
        if (name == null) {
            return true;
        }
        if (patternType == PatternType.ANY || patternType == pattern.patternType()) {
            return name.equals(pattern.name());
        }
        return switch (pattern.patternType()) {
            case LITERAL -> name.equals(pattern.name()) || pattern.name().equals(ResourcePattern.WILDCARD);
            case PREFIXED -> name.startsWith(pattern.name());
            default -> false; // no stored pattern has another type
        };
    }

    /** Whether this filter can match one pattern at most: no ANY, MATCH or UNKNOWN part and a name. */
    public boolean matchesAtMostOne() {
        return findIndefiniteField() == null;
    }

    /** Kafka's description of the first part that can match more than one value, or {@code null}. */
    public String findIndefiniteField() {
        if (resourceType == ResourceType.ANY) {
            return "Resource type is ANY.";
        }
        if (resourceType == ResourceType.UNKNOWN) {
            return "Resource type is UNKNOWN.";
        }
        if (name == null) {
            return "Resource name is NULL.";
        }
        if (patternType == PatternType.MATCH) {
            return "Resource pattern type is MATCH.";
        }
        if (patternType == PatternType.UNKNOWN) {
            return "Resource pattern type is UNKNOWN.";
        }
        return null;
    }
}
