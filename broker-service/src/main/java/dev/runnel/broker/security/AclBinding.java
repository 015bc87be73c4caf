package dev.runnel.broker.security;

import java.util.Objects;

/**
 * One ACL: a resource pattern and an entry (Kafka's {@code AclBinding}). Immutable; two bindings
 * are the same ACL when they are equal, and the store keeps each ACL once.
 *
 * @param pattern the resources it applies to
 * @param entry   who, from where, what, and whether allowed
 */
public record AclBinding(ResourcePattern pattern, AccessControlEntry entry) {

    public AclBinding {
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(entry, "entry");
    }

    /** The filter that matches exactly this binding. */
    public AclBindingFilter toFilter() {
        return new AclBindingFilter(pattern.toFilter(), entry.toFilter());
    }

    @Override
    public String toString() {
        return "(pattern=" + pattern + ", entry=" + entry + ")";
    }
}
