package dev.runnel.broker.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * ACLs a broker makes sure exist when it starts ({@code runnel.broker.authorizer.bootstrap-acls}
 * and {@code bootstrap-acls-file}), so a local or freshly deployed cluster grants its application
 * users their rights without running a tool once the brokers are up. One ALLOW rule from any host
 * per line:
 *
 * <pre>
 *   principal  operations               resource  pattern   name
 *   User:app   READ,WRITE,DESCRIBE      TOPIC     PREFIXED  app-
 *   User:app   READ                     GROUP     PREFIXED  app-
 * </pre>
 *
 * Blank lines and lines starting with {@code #} are skipped. An ACL that exists already is left
 * as it is; one removed since is made again at the next start, as a bootstrap user is. Stateless.
 */
public final class BootstrapAcls {

    private BootstrapAcls() {
    }

    /** The bindings of the given lines and of every line of {@code file} (if not null). */
    public static List<AclBinding> read(List<String> lines, Path file) throws IOException {
        List<String> all = new ArrayList<>(lines);
        if (file != null) {
            all.addAll(Files.readAllLines(file, StandardCharsets.UTF_8));
        }
        List<AclBinding> bindings = new ArrayList<>();
        for (String line : all) {
            bindings.addAll(parse(line));
        }
        return bindings;
    }

    /**
     * The bindings one line stands for: one per operation.
     *
     * @throws IllegalArgumentException if the line is not {@code principal operations resource pattern name}
     *                                  or names an unknown operation, resource type or pattern type
     */
    public static List<AclBinding> parse(String line) {
        String text = line.strip();
        if (text.isEmpty() || text.startsWith("#")) {
            return List.of();
        }
        String[] fields = text.split("\\s+");
        if (fields.length != 5) {
            throw invalid(line, "expected: principal operations resource-type pattern-type name");
        }
        ResourceType type = parseEnum(ResourceType.class, fields[2], line);
        PatternType patternType = parseEnum(PatternType.class, fields[3], line);
        List<AclBinding> bindings = new ArrayList<>();
        for (String operation : fields[1].split(",")) {
            AclBinding binding = new AclBinding(new ResourcePattern(type, fields[4], patternType),
                    new AccessControlEntry(fields[0], AccessControlEntry.WILDCARD_HOST,
                            parseEnum(AclOperation.class, operation, line), AclPermissionType.ALLOW));
            ApiError error = AclValidation.validateCreation(binding);
            if (error.isFailure()) {
                throw invalid(line, error.message());
            }
            bindings.add(binding);
        }
        return bindings;
    }

    private static <E extends Enum<E>> E parseEnum(Class<E> type, String text, String line) {
        try {
            return Enum.valueOf(type, text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw invalid(line, "unknown " + type.getSimpleName() + " " + text);
        }
    }

    private static IllegalArgumentException invalid(String line, String why) {
        return new IllegalArgumentException("runnel.broker.authorizer.bootstrap-acls: '" + line.strip() + "': " + why);
    }
}
