package dev.runnel.broker.security;

import java.util.Objects;

/**
 * A filter over {@link AclBinding}s, as DescribeAcls and DeleteAcls carry one (Kafka's
 * {@code AclBindingFilter}): a binding matches when its pattern matches {@link #patternFilter()}
 * and its entry matches {@link #entryFilter()}. Immutable.
 *
 * @param patternFilter the filter on the resource pattern
 * @param entryFilter   the filter on the entry
 */
public record AclBindingFilter(ResourcePatternFilter patternFilter, AccessControlEntryFilter entryFilter) {

    public static final AclBindingFilter ANY = new AclBindingFilter(ResourcePatternFilter.ANY,
            AccessControlEntryFilter.ANY);

    public AclBindingFilter {
        Objects.requireNonNull(patternFilter, "patternFilter");
        Objects.requireNonNull(entryFilter, "entryFilter");
    }

    public boolean matches(AclBinding binding) {
        return patternFilter.matches(binding.pattern()) && entryFilter.matches(binding.entry());
    }

    /** Whether any part is {@code UNKNOWN}. */
    public boolean isUnknown() {
        return patternFilter.isUnknown() || entryFilter.isUnknown();
    }

    /** Whether this filter can match one binding at most. */
    public boolean matchesAtMostOne() {
        return findIndefiniteField() == null;
    }

    /** Kafka's description of the first part that can match more than one value, or {@code null}. */
    public String findIndefiniteField() {
        String indefinite = patternFilter.findIndefiniteField();
        return indefinite != null ? indefinite : entryFilter.findIndefiniteField();
    }
}
