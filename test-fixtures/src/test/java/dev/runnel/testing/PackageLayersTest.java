package dev.runnel.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackageLayersTest {

    @TempDir
    Path sources;

    private void write(String pkg, String name, String body) throws IOException {
        Path dir = sources.resolve(pkg.replace('.', '/'));
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(name + ".java"), "package " + pkg + ";\n\n" + body);
    }

    private void lowerAndUpper() throws IOException {
        write("app.lower", "Lower", "public class Lower {\n}\n");
        write("app.upper", "Upper", "import app.lower.Lower;\n\npublic class Upper {\n    Lower lower;\n}\n");
    }

    private PackageLayers table() {
        return PackageLayers.of(sources, "app").layer("lower").layer("upper", "lower");
    }

    @Test
    void sourcesThatKeepToTheTableHaveNoViolations() throws IOException {
        lowerAndUpper();

        assertThat(table().violations()).isEmpty();
        assertThat(table().table()).containsExactly("lower -> (nothing)", "upper -> lower");
    }

    @Test
    void aReintroducedCycleIsAnImportTheTableRefuses() throws IOException {
        lowerAndUpper();
        write("app.lower", "Back", "import app.upper.Upper;\n\nclass Back {\n    Upper upper;\n}\n");

        assertThat(table().violations()).singleElement().asString()
                .contains("app.lower may not use app.upper (imports app.upper.Upper)");
    }

    @Test
    void aTableWithACycleIsRefused() throws IOException {
        lowerAndUpper();

        assertThat(PackageLayers.of(sources, "app").layer("lower", "upper").layer("upper", "lower").violations())
                .anyMatch(v -> v.startsWith("the table has a cycle: lower -> upper -> lower"));
    }

    @Test
    void fullyQualifiedNamesInCodeAndWildcardsAreRefusedButCommentsAndStringsMayNameAnything() throws IOException {
        lowerAndUpper();
        write("app.upper", "Qualified", """
                import java.util.*;

                /** See {@link app.lower.Lower} and java.util.List. */
                class Qualified {
                    String text = "app.lower.Lower";
                    java.util.List<String> names; // java.util.Map
                }
                """);

        assertThat(table().violations()).containsExactly("app/upper/Qualified.java: wildcard import java.util.*",
                "app/upper/Qualified.java:8: fully qualified name java.util.List in code: import it");
    }

    @Test
    void aPackageMissingFromTheTableIsNamed() throws IOException {
        lowerAndUpper();
        write("app.extra", "Extra", "class Extra {\n}\n");

        assertThat(table().violations()).containsExactly("app/extra/Extra.java: package app.extra is not in the layer table");
    }
}
