package dev.runnel.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A module's package layers, checked on its sources: each package of the module states which of
 * the module's other packages it may use, and {@link #violations()} lists every departure.
 *
 * <ul>
 *   <li>an import of a package of the module that the importing package may not use (which is how
 *       a reintroduced cycle shows: the table itself is checked to be free of cycles);</li>
 *   <li>a package the table does not name (a new package states its place);</li>
 *   <li>a fully qualified class name in code rather than an import (it hides a dependency from
 *       the import list), and wildcard imports.</li>
 * </ul>
 *
 * <p>Reads the sources, not the bytecode: imports are what a reader sees, and with fully
 * qualified names refused they are every dependency outside the own package. Comments and string
 * literals are ignored, so Javadoc may still link anywhere.
 */
public final class PackageLayers {

    private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
    private static final Pattern IMPORT = Pattern.compile("^import (static )?([\\w.]+?)(\\.\\*)?;", Pattern.MULTILINE);
    private static final Pattern QUALIFIED = Pattern.compile(
            "(?<![\\w.])(?:java|javax|jakarta|org|com|io|dev|net|reactor)\\.(?:[a-z_]\\w*\\.)+[A-Z]\\w*");

    private final Path sources;
    private final String base;
    private final Map<String, Set<String>> mayUse = new LinkedHashMap<>();

    private PackageLayers(Path sources, String base) {
        this.sources = sources;
        this.base = base;
    }

    /**
     * The layers of the packages under {@code basePackage} in {@code sourceRoot} (such as
     * {@code src/main/java}).
     */
    public static PackageLayers of(Path sourceRoot, String basePackage) {
        return new PackageLayers(sourceRoot, basePackage);
    }

    /**
     * Declares package {@code name} (relative to the base package; {@code ""} is the base package
     * itself) and the module's packages it may use, by the same relative names.
     */
    public PackageLayers layer(String name, String... uses) {
        mayUse.put(name, new LinkedHashSet<>(List.of(uses)));
        return this;
    }

    /** The rule table, one line per package: {@code name -> uses}. */
    public List<String> table() {
        List<String> lines = new ArrayList<>();
        mayUse.forEach((name, uses) -> lines.add((name.isEmpty() ? "(" + base + ")" : name) + " -> "
                + (uses.isEmpty() ? "(nothing)" : String.join(", ", uses))));
        return lines;
    }

    /** Every departure from the table, one line each; empty when the sources keep to it. */
    public List<String> violations() {
        List<String> found = new ArrayList<>(cyclesInTable());
        Set<String> seen = new TreeSet<>();
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                check(file, seen, found);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (String name : mayUse.keySet()) {
            if (!seen.contains(name)) {
                found.add("the table names " + qualified(name) + ", which has no sources");
            }
        }
        return found;
    }

    private void check(Path file, Set<String> seen, List<String> found) throws IOException {
        String source = Files.readString(file);
        Matcher declared = PACKAGE.matcher(source);
        if (!declared.find()) {
            return;
        }
        String own = relative(declared.group(1));
        if (own == null) {
            return;
        }
        seen.add(own);
        String where = sources.relativize(file).toString();
        Set<String> allowed = mayUse.get(own);
        if (allowed == null) {
            found.add(where + ": package " + declared.group(1) + " is not in the layer table");
            return;
        }
        Matcher imports = IMPORT.matcher(source);
        while (imports.find()) {
            if (imports.group(3) != null) {
                found.add(where + ": wildcard import " + imports.group(2) + ".*");
                continue;
            }
            String used = packageOf(imports.group(2), imports.group(1) != null);
            String target = relative(used);
            if (target != null && !target.equals(own) && !allowed.contains(target)) {
                found.add(where + ": " + qualified(own) + " may not use " + qualified(target) + " (imports "
                        + imports.group(2) + ")");
            }
        }
        String[] code = codeOnly(source).split("\n", -1);
        for (int line = 0; line < code.length; line++) {
            String text = code[line].strip();
            if (text.startsWith("import ") || text.startsWith("package ")) {
                continue;
            }
            Matcher qualified = QUALIFIED.matcher(code[line]);
            while (qualified.find()) {
                found.add(where + ":" + (line + 1) + ": fully qualified name " + qualified.group()
                        + " in code: import it");
            }
        }
    }

    /** The package of an imported class (for a static import, of the member's class). */
    private static String packageOf(String imported, boolean isStatic) {
        String name = isStatic ? imported.substring(0, imported.lastIndexOf('.')) : imported;
        String[] parts = name.split("\\.");
        StringBuilder pkg = new StringBuilder();
        for (String part : parts) {
            if (!part.isEmpty() && Character.isUpperCase(part.charAt(0))) {
                break; // a class, or a class nested in it
            }
            pkg.append(pkg.isEmpty() ? "" : ".").append(part);
        }
        return pkg.toString();
    }

    /** {@code pkg} relative to the base package, "" for the base itself, null outside it. */
    private String relative(String pkg) {
        if (pkg.equals(base)) {
            return "";
        }
        return pkg.startsWith(base + ".") ? pkg.substring(base.length() + 1) : null;
    }

    private String qualified(String name) {
        return name.isEmpty() ? base : base + "." + name;
    }

    private List<String> cyclesInTable() {
        List<String> cycles = new ArrayList<>();
        for (String start : mayUse.keySet()) {
            List<String> path = new ArrayList<>();
            if (reaches(start, start, path, new LinkedHashSet<>())) {
                cycles.add("the table has a cycle: " + start + " -> " + String.join(" -> ", path));
            }
        }
        return cycles;
    }

    private boolean reaches(String from, String target, List<String> path, Set<String> visited) {
        for (String next : mayUse.getOrDefault(from, Set.of())) {
            path.add(next);
            if (next.equals(target) || (visited.add(next) && reaches(next, target, path, visited))) {
                return true;
            }
            path.remove(path.size() - 1);
        }
        return false;
    }

    /** The source with comments and string and character literals blanked, lines kept. */
    static String codeOnly(String source) {
        StringBuilder out = new StringBuilder(source.length());
        int i = 0;
        int n = source.length();
        while (i < n) {
            if (source.startsWith("//", i)) {
                int end = source.indexOf('\n', i);
                i = end < 0 ? n : end;
            } else if (source.startsWith("/*", i)) {
                int end = source.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                source.substring(i, end).chars().filter(c -> c == '\n').forEach(c -> out.append('\n'));
                i = end;
            } else if (source.startsWith("\"\"\"", i)) {
                int end = source.indexOf("\"\"\"", i + 3);
                end = end < 0 ? n : end + 3;
                source.substring(i, end).chars().filter(c -> c == '\n').forEach(c -> out.append('\n'));
                out.append("\"\"");
                i = end;
            } else if (source.charAt(i) == '"' || source.charAt(i) == '\'') {
                char quote = source.charAt(i);
                int j = i + 1;
                while (j < n && source.charAt(j) != quote && source.charAt(j) != '\n') {
                    j += source.charAt(j) == '\\' ? 2 : 1;
                }
                out.append(quote).append(quote);
                i = j + 1;
            } else {
                out.append(source.charAt(i++));
            }
        }
        return out.toString();
    }
}
