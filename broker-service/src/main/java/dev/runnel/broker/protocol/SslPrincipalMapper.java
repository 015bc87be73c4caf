package dev.runnel.broker.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Kafka's {@code ssl.principal.mapping.rules}: the user name of a client certificate's distinguished
 * name (RFC 2253, as {@code CN=alice,OU=apps,O=example}). Rules are tried in order, separated by
 * commas: {@code RULE:pattern/replacement/} with an optional {@code L} or {@code U} after the last
 * slash (lower or upper case the result) applies when the pattern matches the whole name, and
 * {@code DEFAULT} gives the name unchanged; with no rule matching the name, the mapping fails.
 * A {@code /} or {@code ,} inside a pattern or replacement is escaped with a backslash.
 */
final class SslPrincipalMapper {

    private record Rule(Pattern pattern, String replacement, Character caseChange) {

        String apply(String name) {
            if (pattern == null) {
                return name;
            }
            var matcher = pattern.matcher(name);
            if (!matcher.matches()) {
                return null;
            }
            String mapped = matcher.replaceAll(replacement);
            if (caseChange == null) {
                return mapped;
            }
            return caseChange == 'L' ? mapped.toLowerCase(Locale.ROOT) : mapped.toUpperCase(Locale.ROOT);
        }
    }

    private final List<Rule> rules;

    private SslPrincipalMapper(List<Rule> rules) {
        this.rules = rules;
    }

    /**
     * Reads the rules; null or blank is {@code DEFAULT}.
     *
     * @throws IllegalArgumentException naming the rule that cannot be read
     */
    static SslPrincipalMapper of(String text) {
        List<Rule> rules = new ArrayList<>();
        String rest = text == null || text.isBlank() ? "DEFAULT" : text.trim();
        while (!rest.isEmpty()) {
            if (rest.startsWith("DEFAULT")) {
                rules.add(new Rule(null, null, null));
                rest = rest.substring("DEFAULT".length());
            } else if (rest.startsWith("RULE:")) {
                int[] end = new int[1];
                String pattern = until(rest, "RULE:".length(), end);
                String replacement = until(rest, end[0] + 1, end);
                int next = end[0] + 1;
                Character caseChange = null;
                if (next < rest.length() && (rest.charAt(next) == 'L' || rest.charAt(next) == 'U')) {
                    caseChange = rest.charAt(next);
                    next++;
                }
                try {
                    rules.add(new Rule(Pattern.compile(pattern), replacement, caseChange));
                } catch (PatternSyntaxException e) {
                    throw new IllegalArgumentException("ssl.principal.mapping.rules: bad pattern '" + pattern + "': "
                            + e.getDescription());
                }
                rest = rest.substring(next);
            } else {
                throw new IllegalArgumentException("ssl.principal.mapping.rules: expected RULE:pattern/replacement/ or "
                        + "DEFAULT at '" + rest + "'");
            }
            rest = rest.strip();
            if (rest.startsWith(",")) {
                rest = rest.substring(1).strip();
            } else if (!rest.isEmpty()) {
                throw new IllegalArgumentException("ssl.principal.mapping.rules: expected ',' before '" + rest + "'");
            }
        }
        return new SslPrincipalMapper(List.copyOf(rules));
    }

    /** The text from {@code start} to the next unescaped slash, unescaped; {@code end[0]} is the slash. */
    private static String until(String text, int start, int[] end) {
        StringBuilder out = new StringBuilder();
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length() && (text.charAt(i + 1) == '/' || text.charAt(i + 1) == ',')) {
                out.append(text.charAt(++i));
            } else if (c == '/') {
                end[0] = i;
                return out.toString();
            } else {
                out.append(c);
            }
        }
        throw new IllegalArgumentException("ssl.principal.mapping.rules: a rule is RULE:pattern/replacement/, and '"
                + text + "' lacks a '/'");
    }

    /**
     * The user name of {@code distinguishedName}.
     *
     * @throws IllegalArgumentException when no rule maps it
     */
    String map(String distinguishedName) {
        for (Rule rule : rules) {
            String mapped = rule.apply(distinguishedName);
            if (mapped != null) {
                return mapped;
            }
        }
        throw new IllegalArgumentException("no ssl.principal.mapping.rules rule maps '" + distinguishedName + "'");
    }
}
