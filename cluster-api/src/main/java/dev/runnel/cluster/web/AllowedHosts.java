package dev.runnel.cluster.web;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The names a service answers to in the HTTP {@code Host} header: a defence against DNS rebinding,
 * where a web page's own name is made to resolve to a service on the browser's network, so that
 * the page can call it as same-origin. Such a request carries the page's name in {@code Host}, so
 * a service that answers only to its own names refuses it.
 *
 * <p>An IP literal ({@code 10.0.0.7}, {@code [::1]}) is always allowed: a page can only be served
 * under an IP literal by that address itself, so no rebinding produces one (Kubernetes probes and
 * callers that use a pod's IP send these). A request without {@code Host} (HTTP/1.0, a health check
 * script) is allowed too: browsers always send it. A name is allowed if it is in the set (case and
 * a trailing dot ignored, the port stripped), or ends with an entry that starts with a dot
 * ({@code .svc.cluster.local}); the entry {@code *} allows every name. Immutable.
 */
public final class AllowedHosts {

    /** Names every service answers to. */
    public static final List<String> ALWAYS = List.of("localhost", "127.0.0.1", "[::1]");

    private static final String OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
    private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
    private static final Pattern IPV6 = Pattern.compile("\\[[0-9a-f:.]+(%[0-9a-z._~-]+)?]");

    private final boolean any;
    private final Set<String> names;
    private final List<String> suffixes;

    private AllowedHosts(boolean any, Set<String> names, List<String> suffixes) {
        this.any = any;
        this.names = Set.copyOf(names);
        this.suffixes = List.copyOf(suffixes);
    }

    /** {@link #ALWAYS} and {@code names} (blank entries ignored; {@code *} allows any name). */
    public static AllowedHosts of(Collection<String> names) {
        boolean any = false;
        Set<String> exact = new LinkedHashSet<>(ALWAYS);
        List<String> suffixes = new ArrayList<>();
        for (String entry : names) {
            if (entry == null || entry.isBlank()) {
                continue;
            }
            String name = normalize(entry.trim());
            if (name.equals("*")) {
                any = true;
            } else if (name.startsWith(".")) {
                suffixes.add(name);
            } else {
                exact.add(name);
            }
        }
        return new AllowedHosts(any, exact, suffixes);
    }

    /** Whether a request whose {@code Host} header is {@code host} (null: none) may be answered. */
    public boolean allows(String host) {
        if (any || host == null) {
            return true;
        }
        String name = normalize(host.trim());
        if (name.isEmpty()) {
            return false;
        }
        if (IPV4.matcher(name).matches() || IPV6.matcher(name).matches() || names.contains(name)) {
            return true;
        }
        for (String suffix : suffixes) {
            if (name.endsWith(suffix) || name.equals(suffix.substring(1))) {
                return true;
            }
        }
        return false;
    }

    /** Every name, for a message; {@code *} when any is allowed. */
    public String describe() {
        if (any) {
            return "*";
        }
        List<String> all = new ArrayList<>(names);
        all.addAll(suffixes);
        return String.join(", ", all);
    }

    /** The host without the port, lower case, without a trailing dot. */
    static String normalize(String host) {
        String name = host.toLowerCase(Locale.ROOT);
        if (name.startsWith("[")) {
            int end = name.indexOf(']');
            return end < 0 ? name : name.substring(0, end + 1);
        }
        int colon = name.lastIndexOf(':');
        if (colon >= 0 && name.indexOf(':') == colon) {
            name = name.substring(0, colon);
        }
        return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    }
}
