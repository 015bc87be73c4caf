package dev.runnel.broker.security;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Every ACL of the cluster at one moment, indexed for {@link Authorizer}: immutable, built whole
 * from the store's contents and swapped in whole, so a decision never sees half a change.
 *
 * <pre>
 *  per resource type:
 *    literal   name   -&gt; bucket     one hash lookup for the resource's own name
 *    wildcard          bucket       the literal "*" pattern
 *    prefixed  prefix -&gt; bucket     one hash lookup per distinct prefix length &lt;= the name's length
 *    prefix lengths    [3, 7, 12]   ascending
 * </pre>
 *
 * A bucket is one pattern with its entries, each entry once. Finding the ACLs that apply to a
 * resource costs one lookup for the literal name, one for the wildcard and one per distinct length
 * of the prefixed patterns of its type (in practice a handful), whatever the number of ACLs.
 */
public final class AclIndex {

    public static final AclIndex EMPTY = new AclIndex(new EnumMap<>(ResourceType.class), 0);

    private static final Comparator<AclBinding> ORDER = Comparator
            .comparing((AclBinding b) -> b.pattern().resourceType())
            .thenComparing(b -> b.pattern().patternType())
            .thenComparing(b -> b.pattern().name())
            .thenComparing(b -> b.entry().principal())
            .thenComparing(b -> b.entry().host())
            .thenComparing(b -> b.entry().operation())
            .thenComparing(b -> b.entry().permissionType());

    private final Map<ResourceType, TypeAcls> byType;
    private final int size;

    private AclIndex(Map<ResourceType, TypeAcls> byType, int size) {
        this.byType = byType;
        this.size = size;
    }

    /** The index of {@code bindings}; duplicates count once. */
    public static AclIndex of(Collection<AclBinding> bindings) {
        Map<ResourcePattern, Set<AccessControlEntry>> byPattern = new LinkedHashMap<>();
        for (AclBinding binding : bindings) {
            byPattern.computeIfAbsent(binding.pattern(), p -> new LinkedHashSet<>()).add(binding.entry());
        }
        return ofPatterns(byPattern);
    }

    /**
     * The index of the entries of each pattern. Patterns that cannot be stored (a type or pattern
     * type that is not concrete) are left out, as are patterns without entries.
     */
    public static AclIndex ofPatterns(Map<ResourcePattern, ? extends Collection<AccessControlEntry>> entries) {
        Map<ResourceType, Builder> builders = new EnumMap<>(ResourceType.class);
        int size = 0;
        for (Map.Entry<ResourcePattern, ? extends Collection<AccessControlEntry>> e : entries.entrySet()) {
            ResourcePattern pattern = e.getKey();
            if (!pattern.resourceType().isConcrete() || !pattern.patternType().isSpecific() || e.getValue().isEmpty()) {
                continue;
            }
            AccessControlEntry[] unique = new LinkedHashSet<>(e.getValue()).toArray(AccessControlEntry[]::new);
            builders.computeIfAbsent(pattern.resourceType(), t -> new Builder()).add(new Bucket(pattern, unique));
            size += unique.length;
        }
        Map<ResourceType, TypeAcls> byType = new EnumMap<>(ResourceType.class);
        builders.forEach((type, builder) -> byType.put(type, builder.build()));
        return new AclIndex(byType, size);
    }

    /** How many ACLs there are. */
    public int size() {
        return size;
    }

    /** Every ACL that matches {@code filter}, in a stable order (type, pattern type, name, entry). */
    public List<AclBinding> bindings(AclBindingFilter filter) {
        List<AclBinding> found = new ArrayList<>();
        for (TypeAcls acls : byType.values()) {
            acls.forEachBucket(bucket -> {
                if (filter.patternFilter().matches(bucket.pattern())) {
                    for (AccessControlEntry entry : bucket.entries()) {
                        if (filter.entryFilter().matches(entry)) {
                            found.add(new AclBinding(bucket.pattern(), entry));
                        }
                    }
                }
            });
        }
        found.sort(ORDER);
        return found;
    }

    /** The ACLs of {@code type}, or {@code null} if it has none. */
    TypeAcls forType(ResourceType type) {
        return byType.get(type);
    }

    /** One pattern and its entries. */
    record Bucket(ResourcePattern pattern, AccessControlEntry[] entries) {
    }

    /** The ACLs of one resource type. */
    static final class TypeAcls {

        private final Map<String, Bucket> literal;
        private final Bucket wildcard;
        private final Map<String, Bucket> prefixed;
        private final int[] prefixLengths;

        private TypeAcls(Map<String, Bucket> literal, Bucket wildcard, Map<String, Bucket> prefixed,
                int[] prefixLengths) {
            this.literal = literal;
            this.wildcard = wildcard;
            this.prefixed = prefixed;
            this.prefixLengths = prefixLengths;
        }

        /** The literal pattern of exactly {@code name} (not the wildcard), or {@code null}. */
        Bucket literal(String name) {
            return literal.get(name);
        }

        /** The literal {@code *} pattern, or {@code null}. */
        Bucket wildcard() {
            return wildcard;
        }

        /** The distinct lengths of the prefixed patterns, ascending. */
        int[] prefixLengths() {
            return prefixLengths;
        }

        /** The prefixed pattern of exactly {@code prefix}, or {@code null}. */
        Bucket prefixed(String prefix) {
            return prefixed.get(prefix);
        }

        void forEachBucket(Consumer<Bucket> action) {
            literal.values().forEach(action);
            if (wildcard != null) {
                action.accept(wildcard);
            }
            prefixed.values().forEach(action);
        }
    }

    private static final class Builder {

        private final Map<String, Bucket> literal = new HashMap<>();
        private Bucket wildcard;
        private final Map<String, Bucket> prefixed = new HashMap<>();
        private final Set<Integer> lengths = new TreeSet<>();

        void add(Bucket bucket) {
            String name = bucket.pattern().name();
            if (bucket.pattern().patternType() == PatternType.PREFIXED) {
                prefixed.put(name, bucket);
                lengths.add(name.length());
            } else if (name.equals(ResourcePattern.WILDCARD)) {
                wildcard = bucket;
            } else {
                literal.put(name, bucket);
            }
        }

        TypeAcls build() {
            return new TypeAcls(Map.copyOf(literal), wildcard, Map.copyOf(prefixed),
                    lengths.stream().mapToInt(Integer::intValue).toArray());
        }
    }
}
