package dev.runnel.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A test certificate authority and certificates it signed, made with the JDK's {@code keytool}
 * (no library, nothing installed): PKCS12 key stores for a server and for clients, a trust store
 * holding the authority, and the same as PEM files. Each entity's certificate names
 * {@code localhost} and {@code 127.0.0.1}, so host name checks pass on loopback.
 *
 * <p>Key generation takes a few seconds (each {@code keytool} run is a JVM): create one per test
 * class and share it.
 */
public final class TestCertificates {

    /** The password of every key store made here. */
    public static final String PASSWORD = "test-password";

    private static final long TIMEOUT_SECONDS = 60;

    private final Path dir;

    private TestCertificates(Path dir) {
        this.dir = dir;
    }

    /** A new authority in {@code dir}. */
    public static TestCertificates authority(Path dir) {
        try {
            Files.createDirectories(dir);
            TestCertificates certificates = new TestCertificates(dir);
            certificates.keytool("-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048",
                    "-dname", "CN=Runnel Test CA", "-ext", "bc:c", "-validity", "3650",
                    "-keystore", certificates.file("ca.p12"), "-storetype", "PKCS12", "-storepass", PASSWORD);
            certificates.keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", certificates.file("ca.p12"),
                    "-storepass", PASSWORD, "-file", certificates.file("ca.pem"));
            certificates.keytool("-importcert", "-noprompt", "-alias", "ca", "-file", certificates.file("ca.pem"),
                    "-keystore", certificates.file("truststore.p12"), "-storetype", "PKCS12", "-storepass", PASSWORD);
            return certificates;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A key store {@code <name>.p12} with a key and a certificate for {@code CN=<commonName>} signed
     * by this authority (chain: the certificate, then the authority's), and {@code <name>.pem} with the
     * PKCS#8 private key and that chain.
     *
     * @return the PKCS12 key store
     */
    public Path issue(String name, String commonName) {
        String store = file(name + ".p12");
        String san = "SAN=dns:localhost,ip:127.0.0.1";
        keytool("-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=" + commonName,
                "-validity", "365", "-keystore", store, "-storetype", "PKCS12", "-storepass", PASSWORD);
        keytool("-certreq", "-alias", name, "-keystore", store, "-storepass", PASSWORD, "-file", file(name + ".csr"));
        keytool("-gencert", "-alias", "ca", "-keystore", file("ca.p12"), "-storepass", PASSWORD, "-infile",
                file(name + ".csr"), "-outfile", file(name + ".crt"), "-rfc", "-ext", san, "-validity", "365");
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", file("ca.pem"), "-keystore", store,
                "-storepass", PASSWORD);
        keytool("-importcert", "-noprompt", "-alias", name, "-file", file(name + ".crt"), "-keystore", store, "-storepass", PASSWORD);
        writePem(Path.of(store), name, dir.resolve(name + ".pem"));
        return Path.of(store);
    }

    /** A self-signed key store that this authority did not sign (a certificate nobody trusts). */
    public Path selfSigned(String name, String commonName) {
        String store = file(name + ".p12");
        keytool("-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=" + commonName,
                "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "365", "-keystore", store, "-storetype", "PKCS12",
                "-storepass", PASSWORD);
        return Path.of(store);
    }

    /** The trust store holding only this authority (PKCS12). */
    public Path truststore() {
        return dir.resolve("truststore.p12");
    }

    /** This authority's certificate as PEM. */
    public Path authorityPem() {
        return dir.resolve("ca.pem");
    }

    /** The PEM key store (private key and chain) of an entity {@link #issue issued} as {@code name}. */
    public Path pem(String name) {
        return dir.resolve(name + ".pem");
    }

    private String file(String name) {
        return dir.resolve(name).toString();
    }

    private void keytool(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("keytool " + args[0] + " did not finish");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: "
                        + new String(output, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void writePem(Path store, String alias, Path target) {
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(in, PASSWORD.toCharArray());
            PrivateKey key = (PrivateKey) keys.getKey(alias, PASSWORD.toCharArray());
            StringBuilder pem = new StringBuilder(block("PRIVATE KEY", key.getEncoded()));
            for (Certificate certificate : keys.getCertificateChain(alias)) {
                pem.append(block("CERTIFICATE", certificate.getEncoded()));
            }
            Files.writeString(target, pem);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String block(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
