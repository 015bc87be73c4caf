package dev.runnel.broker.security;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether a principal may do an operation on a resource, by Kafka's rules (its
 * {@code StandardAuthorizer}):
 *
 * <ol>
 *   <li>A super user ({@code super.users}) may do everything.</li>
 *   <li>The ACLs that apply to a resource are those of its type that are literal with its name,
 *       literal {@code *}, or prefixed with a prefix of its name (the name itself included).</li>
 *   <li>Of those, an entry matches when its principal is the caller's or {@code User:*}, its host
 *       the caller's address or {@code *}, and its operation the requested one or {@code ALL}; an
 *       ALLOW of READ, WRITE, DELETE or ALTER also matches DESCRIBE, and an ALLOW of ALTER_CONFIGS
 *       also matches DESCRIBE_CONFIGS (a DENY implies nothing beyond its own operation).</li>
 *   <li>Any matching DENY denies; otherwise any matching ALLOW allows; otherwise, if no ACL at all
 *       applies to the resource (for any principal or operation), {@code allow.everyone.if.no.acl.found}
 *       decides; otherwise denied.</li>
 * </ol>
 *
 * Every decision is written to the logger {@value #AUDIT_LOGGER} (Kafka's {@code kafka.authorizer.logger}):
 * a denial at INFO and an allowance at DEBUG when the {@link Audit} of the call asks for it,
 * otherwise at TRACE.
 *
 * <p>Thread-safe and lock-free: the ACLs are an immutable {@link AclIndex} swapped in whole by
 * {@link #load}. Until the first load, every principal but a super user gets
 * {@link AuthorizerNotReadyException}.
 */
public final class Authorizer {

    /** The name of the audit logger. */
    public static final String AUDIT_LOGGER = "dev.runnel.broker.security.audit";

    private static final Logger AUDIT = LoggerFactory.getLogger(AUDIT_LOGGER);
    private static final Set<AclOperation> IMPLIES_DESCRIBE = EnumSet.of(AclOperation.DESCRIBE, AclOperation.READ,
            AclOperation.WRITE, AclOperation.DELETE, AclOperation.ALTER);
    private static final Set<AclOperation> IMPLIES_DESCRIBE_CONFIGS = EnumSet.of(AclOperation.DESCRIBE_CONFIGS,
            AclOperation.ALTER_CONFIGS);
    /** The made-up name Kafka's authorizeByResourceType first asks about. */
    private static final String ANY_NAME = "hardcode";

    private final Set<String> superUsers;
    private final boolean allowEveryoneIfNoAclFound;
    private volatile AclIndex acls;

    /**
     * @param superUsers                principals that may do everything
     * @param allowEveryoneIfNoAclFound whether a resource no ACL applies to is open to everyone
     */
    public Authorizer(Set<Principal> superUsers, boolean allowEveryoneIfNoAclFound) {
        Set<String> names = new HashSet<>();
        superUsers.forEach(p -> names.add(p.toString()));
        this.superUsers = Set.copyOf(names);
        this.allowEveryoneIfNoAclFound = allowEveryoneIfNoAclFound;
    }

    /**
     * Reads {@code super.users} as Kafka does: principals separated by {@code ;}, blanks ignored.
     *
     * @throws IllegalArgumentException if an item is not {@code type:name}
     */
    public static Set<Principal> parseSuperUsers(String value) {
        Set<Principal> principals = new LinkedHashSet<>();
        if (value != null) {
            for (String item : value.split(";")) {
                if (!item.isBlank()) {
                    principals.add(Principal.parse(item.trim()));
                }
            }
        }
        return principals;
    }

    /** Makes {@code index} the ACLs every later decision uses. */
    public void load(AclIndex index) {
        acls = Objects.requireNonNull(index, "index");
    }

    /** Whether ACLs have been loaded, so that decisions can be made. */
    public boolean isReady() {
        return acls != null;
    }

    public boolean isSuperUser(Principal principal) {
        return superUsers.contains(principal.toString());
    }

    /** The decision for an explicit request ({@link Audit#EXPLICIT}). */
    public AuthorizationResult authorize(Principal principal, String host, AclOperation operation, ResourceType type,
            String name) {
        return authorize(principal, host, operation, type, name, Audit.EXPLICIT);
    }

    /**
     * Whether {@code principal}, connected from {@code host}, may do {@code operation} on the
     * resource {@code type}/{@code name}. {@code host} is the client's IP address as
     * {@code InetAddress.getHostAddress()} writes it, which is what ACL hosts are compared with.
     *
     * @throws AuthorizerNotReadyException if no ACLs have loaded and the principal is no super user
     * @throws IllegalArgumentException    if the type or operation is ANY or UNKNOWN
     */
    public AuthorizationResult authorize(Principal principal, String host, AclOperation operation, ResourceType type,
            String name, Audit audit) {
        if (!type.isConcrete() || !operation.isConcrete()) {
            throw new IllegalArgumentException("cannot authorize " + operation + " on a resource of type " + type);
        }
        String caller = principal.toString();
        Rule rule;
        if (superUsers.contains(caller)) {
            rule = Rule.SUPER_USER;
        } else {
            AclIndex index = acls;
            if (index == null) {
                throw new AuthorizerNotReadyException();
            }
            rule = findRule(index, caller, host, operation, type, name);
        }
        audit(audit, rule, principal, host, operation, type, name);
        return rule.result();
    }

    /**
     * Whether {@code principal} may do {@code operation} on at least one resource of {@code type}
     * (Kafka's {@code Authorizer.authorizeByResourceType}, used for an idempotent producer without
     * IDEMPOTENT_WRITE on the cluster: WRITE on any topic). Allowed if the operation is allowed on a
     * resource no ACL names (this covers super users, wildcard allows and resource types without
     * ACLs under {@code allow.everyone.if.no.acl.found}); otherwise, looking only at entries of the
     * caller or {@code User:*}, its host or {@code *}, and exactly this operation or ALL (no implied
     * operations): denied by a wildcard DENY; allowed by a wildcard ALLOW, or by a literal ALLOW whose
     * name no literal DENY repeats and no prefixed DENY is a prefix of, or by a prefixed ALLOW no
     * prefixed DENY is a prefix of; else denied.
     */
    public AuthorizationResult authorizeByResourceType(Principal principal, String host, AclOperation operation,
            ResourceType type) {
        if (type == ResourceType.ANY) {
            throw new IllegalArgumentException("Must specify a non-filter resource type for authorizeByResourceType");
        }
        if (type == ResourceType.UNKNOWN) {
            throw new IllegalArgumentException("Unknown resource type");
        }
        if (operation == AclOperation.ANY) {
            throw new IllegalArgumentException("Must specify a non-filter operation type for authorizeByResourceType");
        }
        if (operation == AclOperation.UNKNOWN) {
            throw new IllegalArgumentException("Unknown operation type");
        }
        if (authorize(principal, host, operation, type, ANY_NAME, Audit.FILTER) == AuthorizationResult.ALLOWED) {
            return AuthorizationResult.ALLOWED;
        }
        AclIndex index = acls;
        AclIndex.TypeAcls typeAcls = index == null ? null : index.forType(type);
        if (typeAcls == null) {
            return AuthorizationResult.DENIED;
        }
        String caller = principal.toString();
        Set<String> literalDenies = new HashSet<>();
        Set<String> prefixDenies = new HashSet<>();
        Set<String> literalAllows = new HashSet<>();
        Set<String> prefixAllows = new HashSet<>();
        boolean[] wildcard = new boolean[2]; // [0] a wildcard DENY, [1] a wildcard ALLOW
        typeAcls.forEachBucket(bucket -> {
            ResourcePattern pattern = bucket.pattern();
            boolean isWildcard = pattern.patternType() == PatternType.LITERAL
                    && pattern.name().equals(ResourcePattern.WILDCARD);
            for (AccessControlEntry entry : bucket.entries()) {
                if (!hostMatches(entry, host) || !principalMatches(entry, caller)
                        || (entry.operation() != operation && entry.operation() != AclOperation.ALL)) {
                    continue;
                }
                boolean deny = entry.permissionType() == AclPermissionType.DENY;
                if (isWildcard) {
                    wildcard[deny ? 0 : 1] = true;
                } else if (pattern.patternType() == PatternType.LITERAL) {
                    (deny ? literalDenies : literalAllows).add(pattern.name());
                } else {
                    (deny ? prefixDenies : prefixAllows).add(pattern.name());
                }
            }
        });
        if (wildcard[0]) {
            return AuthorizationResult.DENIED;
        }
        if (wildcard[1]) {
            return AuthorizationResult.ALLOWED;
        }
        for (String name : literalAllows) {
            if (!literalDenies.contains(name) && !hasPrefixIn(name, prefixDenies)) {
                return AuthorizationResult.ALLOWED;
            }
        }
        for (String name : prefixAllows) {
            if (!hasPrefixIn(name, prefixDenies)) {
                return AuthorizationResult.ALLOWED;
            }
        }
        return AuthorizationResult.DENIED;
    }

    private static boolean hasPrefixIn(String name, Set<String> prefixes) {
        for (int length = 1; length <= name.length(); length++) {
            if (prefixes.contains(name.substring(0, length))) {
                return true;
            }
        }
        return false;
    }

    private Rule findRule(AclIndex index, String caller, String host, AclOperation operation, ResourceType type,
            String name) {
        AclIndex.TypeAcls typeAcls = index.forType(type);
        if (typeAcls == null) {
            return noAclRule();
        }
        Search search = new Search(caller, host, operation);
        if (search.scan(typeAcls.literal(name)) || search.scan(typeAcls.wildcard())) {
            return search.rule();
        }
        for (int length : typeAcls.prefixLengths()) {
            if (length > name.length()) {
                break;
            }
            if (search.scan(typeAcls.prefixed(name.substring(0, length)))) {
                return search.rule();
            }
        }
        return search.anyAcl ? search.rule() : noAclRule();
    }

    private Rule noAclRule() {
        return allowEveryoneIfNoAclFound ? Rule.DEFAULT_ALLOW : Rule.DEFAULT_DENY;
    }

    static boolean principalMatches(AccessControlEntry entry, String caller) {
        return entry.principal().equals(caller) || entry.principal().equals(Principal.WILDCARD);
    }

    static boolean hostMatches(AccessControlEntry entry, String host) {
        return entry.host().equals(AccessControlEntry.WILDCARD_HOST) || entry.host().equals(host);
    }

    /** Whether {@code entry} (already known to apply to the caller) grants or refuses {@code operation}. */
    static boolean operationMatches(AccessControlEntry entry, AclOperation operation) {
        AclOperation granted = entry.operation();
        if (granted == AclOperation.ALL || granted == operation) {
            return true;
        }
        if (entry.permissionType() != AclPermissionType.ALLOW) {
            return false;
        }
        return switch (operation) {
            case DESCRIBE -> IMPLIES_DESCRIBE.contains(granted);
            case DESCRIBE_CONFIGS -> IMPLIES_DESCRIBE_CONFIGS.contains(granted);
            default -> false;
        };
    }

    private static void audit(Audit audit, Rule rule, Principal principal, String host, AclOperation operation,
            ResourceType type, String name) {
        if (rule.result() == AuthorizationResult.ALLOWED) {
            if (audit.logIfAllowed() && AUDIT.isDebugEnabled()) {
                AUDIT.debug(auditLine(rule, principal, host, operation, type, name));
            } else if (AUDIT.isTraceEnabled()) {
                AUDIT.trace(auditLine(rule, principal, host, operation, type, name));
            }
        } else if (audit.logIfDenied()) {
            AUDIT.info(auditLine(rule, principal, host, operation, type, name));
        } else if (AUDIT.isTraceEnabled()) {
            AUDIT.trace(auditLine(rule, principal, host, operation, type, name));
        }
    }

    private static String auditLine(Rule rule, Principal principal, String host, AclOperation operation,
            ResourceType type, String name) {
        return "Principal = " + principal + " is " + (rule.result() == AuthorizationResult.ALLOWED ? "Allowed" : "Denied")
                + " operation = " + operation + " from host = " + host + " on resource = "
                + ResourcePattern.literal(type, name) + " based on rule " + rule;
    }

    /**
     * How a call wants its decision audited (Kafka's {@code logIfAllowed} and {@code logIfDenied}):
     * a request that names the resource logs both; filtering a list the caller did not name
     * (Metadata for all topics) logs only allowances; computing authorized operations logs neither.
     */
    public record Audit(boolean logIfAllowed, boolean logIfDenied) {
        public static final Audit EXPLICIT = new Audit(true, true);
        public static final Audit FILTER = new Audit(true, false);
        public static final Audit NONE = new Audit(false, false);
    }

    /** What a decision rested on, for the audit line; a matching ACL's text is built only when logged. */
    private record Rule(AuthorizationResult result, String kind, ResourcePattern pattern, AccessControlEntry entry) {
        static final Rule SUPER_USER = new Rule(AuthorizationResult.ALLOWED, "SuperUser", null, null);
        static final Rule DEFAULT_ALLOW = new Rule(AuthorizationResult.ALLOWED, "DefaultAllow", null, null);
        static final Rule DEFAULT_DENY = new Rule(AuthorizationResult.DENIED, "DefaultDeny", null, null);

        static Rule matching(AuthorizationResult result, ResourcePattern pattern, AccessControlEntry entry) {
            return new Rule(result, "MatchingAcl", pattern, entry);
        }

        @Override
        public String toString() {
            return entry == null ? kind : kind + "(acl=" + new AclBinding(pattern, entry) + ")";
        }
    }

    /** One decision's walk over the buckets that apply to the resource. */
    private static final class Search {

        private final String caller;
        private final String host;
        private final AclOperation operation;
        boolean anyAcl;
        private ResourcePattern allowPattern;
        private AccessControlEntry allow;
        private ResourcePattern denyPattern;
        private AccessControlEntry deny;

        Search(String caller, String host, AclOperation operation) {
            this.caller = caller;
            this.host = host;
            this.operation = operation;
        }

        /** Takes the entries of {@code bucket}; true once a DENY matched (the decision is made). */
        boolean scan(AclIndex.Bucket bucket) {
            if (bucket == null) {
                return false;
            }
            anyAcl = true;
            for (AccessControlEntry entry : bucket.entries()) {
                if (principalMatches(entry, caller) && hostMatches(entry, host) && operationMatches(entry, operation)) {
                    if (entry.permissionType() == AclPermissionType.ALLOW) {
                        allowPattern = bucket.pattern();
                        allow = entry;
                    } else {
                        denyPattern = bucket.pattern();
                        deny = entry;
                        return true;
                    }
                }
            }
            return false;
        }

        Rule rule() {
            if (deny != null) {
                return Rule.matching(AuthorizationResult.DENIED, denyPattern, deny);
            }
            if (allow != null) {
                return Rule.matching(AuthorizationResult.ALLOWED, allowPattern, allow);
            }
            return Rule.DEFAULT_DENY;
        }
    }
}
