package dev.runnel.broker.security;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import dev.runnel.broker.zookeeper.CasUpdate;
import dev.runnel.cluster.ClusterJson;

/**
 * The JSON of one ACL node, {@code /acls/<type>/<pattern>/<name>}: the entries of that resource
 * pattern, each once, sorted so that the same entries always write the same bytes.
 *
 * <pre>
 * {"version":1,"acls":[{"principal":"User:alice","host":"*","operation":"READ","permissionType":"ALLOW"}]}
 * </pre>
 *
 * An entry whose operation or permission this version does not know is left out on reading.
 */
record AclNodeJson(int version, List<Entry> acls) {

    static final int VERSION = 1;

    /** One entry, with the operation and permission as their enum names. */
    record Entry(String principal, String host, String operation, String permissionType) {
    }

    private static final Comparator<AccessControlEntry> ORDER = Comparator.comparing(AccessControlEntry::principal)
            .thenComparing(AccessControlEntry::host)
            .thenComparing(AccessControlEntry::operation)
            .thenComparing(AccessControlEntry::permissionType);

    /** The codec {@link CasUpdate} writes ACL nodes with. */
    static final CasUpdate.Codec<Set<AccessControlEntry>> CODEC = new CasUpdate.Codec<>() {
        @Override
        public Set<AccessControlEntry> empty() {
            return Set.of();
        }

        @Override
        public boolean isEmpty(Set<AccessControlEntry> value) {
            return value.isEmpty();
        }

        @Override
        public Set<AccessControlEntry> decode(byte[] data, String path) {
            return AclNodeJson.decode(data, path);
        }

        @Override
        public byte[] encode(Set<AccessControlEntry> value) {
            return AclNodeJson.encode(value);
        }
    };

    static byte[] encode(Set<AccessControlEntry> entries) {
        List<Entry> sorted = new ArrayList<>(entries.size());
        entries.stream().sorted(ORDER).forEach(e -> sorted.add(new Entry(e.principal(), e.host(),
                e.operation().name(), e.permissionType().name())));
        return ClusterJson.write(new AclNodeJson(VERSION, sorted));
    }

    /** @throws IllegalStateException if {@code data} is not an ACL node */
    static Set<AccessControlEntry> decode(byte[] data, String path) {
        AclNodeJson node = ClusterJson.read(data, AclNodeJson.class, path);
        Set<AccessControlEntry> entries = new LinkedHashSet<>();
        if (node.acls() != null) {
            for (Entry e : node.acls()) {
                AclOperation operation = enumOrUnknown(AclOperation.class, e.operation(), AclOperation.UNKNOWN);
                AclPermissionType permission = enumOrUnknown(AclPermissionType.class, e.permissionType(),
                        AclPermissionType.UNKNOWN);
                if (e.principal() != null && e.host() != null && operation.isConcrete()
                        && (permission == AclPermissionType.ALLOW || permission == AclPermissionType.DENY)) {
                    entries.add(new AccessControlEntry(e.principal(), e.host(), operation, permission));
                }
            }
        }
        return entries;
    }

    private static <E extends Enum<E>> E enumOrUnknown(Class<E> type, String name, E unknown) {
        try {
            return name == null ? unknown : Enum.valueOf(type, name);
        } catch (IllegalArgumentException e) {
            return unknown;
        }
    }
}
