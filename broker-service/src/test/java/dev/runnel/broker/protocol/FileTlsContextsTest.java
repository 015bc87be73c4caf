package dev.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.security.Principal;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.TestCertificates;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

/**
 * The listeners' TLS contexts from key and trust store files: the three store types, mutual TLS
 * with the certificate's principal, and keys renewed on disk taken up by new connections.
 */
class FileTlsContextsTest {

    @TempDir
    static Path dir;

    private static TestCertificates authority;
    private final ManualClock clock = new ManualClock();

    @BeforeAll
    static void issue() {
        authority = TestCertificates.authority(dir);
        authority.issue("server", "server-1");
        authority.issue("renewed", "server-2");
        authority.issue("alice", "Alice");
    }

    @Test
    void pkcs12AndPemStoresServeAHandshakeAndTheClientCertificateNamesThePrincipal() throws Exception {
        for (TlsSettings settings : List.of(settings("PKCS12", dir.resolve("server.p12"), "required"),
                settings("PEM", authority.pem("server"), "required"))) {
            FileTlsContexts contexts = new FileTlsContexts(settings, clock);

            SSLSession session = handshake(contexts, "alice");

            assertThat(contexts.principal(session)).isEqualTo(Principal.user("alice"));
            assertThat(((java.security.cert.X509Certificate) session.getLocalCertificates()[0])
                    .getSubjectX500Principal().getName()).isEqualTo("CN=server-1");
        }
    }

    @Test
    void aJksStoreIsReadToo() throws Exception {
        Path jks = dir.resolve("server.jks");
        java.security.KeyStore source = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(dir.resolve("server.p12"))) {
            source.load(in, TestCertificates.PASSWORD.toCharArray());
        }
        java.security.KeyStore target = java.security.KeyStore.getInstance("JKS");
        target.load(null, null);
        target.setKeyEntry("server", source.getKey("server", TestCertificates.PASSWORD.toCharArray()),
                TestCertificates.PASSWORD.toCharArray(), source.getCertificateChain("server"));
        try (var out = Files.newOutputStream(jks)) {
            target.store(out, TestCertificates.PASSWORD.toCharArray());
        }

        FileTlsContexts contexts = new FileTlsContexts(settings("JKS", jks, "none"), clock);

        assertThat(contexts.principal(handshake(contexts, null))).as("no client certificate")
                .isEqualTo(Principal.ANONYMOUS);
    }

    @Test
    void aRenewedKeyStoreIsUsedByNewConnectionsOnceItsFileChanges() throws Exception {
        Path live = dir.resolve("live.p12");
        Files.copy(dir.resolve("server.p12"), live, StandardCopyOption.REPLACE_EXISTING);
        FileTlsContexts contexts = new FileTlsContexts(settings("PKCS12", live, "none"), clock);
        assertThat(serverName(handshake(contexts, null))).isEqualTo("CN=server-1");

        replace(live, dir.resolve("renewed.p12"));
        assertThat(serverName(handshake(contexts, null))).as("not looked at before the interval").isEqualTo("CN=server-1");
        clock.advance(FileTlsContexts.CHECK_INTERVAL);

        assertThat(serverName(handshake(contexts, null))).isEqualTo("CN=server-2");
    }

    @Test
    void aStoreThatCannotBeReadKeepsTheKeysLoadedBefore() throws Exception {
        Path live = dir.resolve("broken.p12");
        Files.copy(dir.resolve("server.p12"), live, StandardCopyOption.REPLACE_EXISTING);
        FileTlsContexts contexts = new FileTlsContexts(settings("PKCS12", live, "none"), clock);

        Files.write(live, new byte[] {1, 2, 3});
        Files.setLastModifiedTime(live, FileTime.from(Instant.now().plusSeconds(60)));
        clock.advance(FileTlsContexts.CHECK_INTERVAL);

        assertThat(contexts.reloadIfChanged()).isFalse();
        assertThat(serverName(handshake(contexts, null))).isEqualTo("CN=server-1");
    }

    @Test
    void aBrokerWithAnUnreadableStoreDoesNotStart() throws IOException {
        Path garbage = Files.write(dir.resolve("garbage.p12"), new byte[] {0, 1, 2});

        assertThatThrownBy(() -> new FileTlsContexts(settings("PKCS12", garbage, "none"), clock))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot read the TLS key or trust store");
        assertThatThrownBy(() -> settings("PKCS12", garbage, "maybe")).hasMessageContaining("ssl.client.auth");
    }

    private static void replace(Path live, Path with) throws IOException {
        Files.copy(with, live, StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(live, FileTime.from(Instant.now().plusSeconds(5)));
    }

    private static TlsSettings settings(String type, Path keystore, String clientAuth) {
        return new TlsSettings(type, keystore, TestCertificates.PASSWORD, null, "PKCS12", authority.truststore(),
                TestCertificates.PASSWORD, clientAuth, List.of(), List.of(), "RULE:^CN=(.*)$/$1/L");
    }

    private static String serverName(SSLSession session) throws Exception {
        return ((java.security.cert.X509Certificate) session.getLocalCertificates()[0]).getSubjectX500Principal()
                .getName();
    }

    /** An in-memory handshake of a client (showing {@code clientKeys}' certificate, if any) with a new server engine. */
    private static SSLSession handshake(FileTlsContexts contexts, String clientKeys) throws Exception {
        SslContextBuilder client = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                .trustManager(authority.authorityPem().toFile());
        if (clientKeys != null) {
            client.keyManager(authority.pem(clientKeys).toFile(), authority.pem(clientKeys).toFile());
        }
        SSLEngine clientEngine = client.build().newEngine(ByteBufAllocator.DEFAULT, "localhost", 9093);
        SSLEngine serverEngine = contexts.newHandler("SSL", ByteBufAllocator.DEFAULT).engine();
        pump(clientEngine, serverEngine);
        return serverEngine.getSession();
    }

    private static void pump(SSLEngine client, SSLEngine server) throws SSLException {
        java.nio.ByteBuffer empty = java.nio.ByteBuffer.allocate(0);
        java.nio.ByteBuffer toServer = java.nio.ByteBuffer.allocate(64 * 1024);
        java.nio.ByteBuffer toClient = java.nio.ByteBuffer.allocate(64 * 1024);
        java.nio.ByteBuffer sink = java.nio.ByteBuffer.allocate(64 * 1024);
        client.beginHandshake();
        server.beginHandshake();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!(done(client) && done(server))) {
            assertThat(System.nanoTime() - deadline).as("handshake finished in time").isNegative();
            step(client, empty, toServer, toClient, sink);
            step(server, empty, toClient, toServer, sink);
        }
    }

    private static boolean done(SSLEngine engine) {
        SSLEngineResult.HandshakeStatus status = engine.getHandshakeStatus();
        return status == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING
                || status == SSLEngineResult.HandshakeStatus.FINISHED;
    }

    /** One round of {@code engine}: run its tasks, write what it wants to send, read what it was sent. */
    private static void step(SSLEngine engine, java.nio.ByteBuffer empty, java.nio.ByteBuffer out,
            java.nio.ByteBuffer in, java.nio.ByteBuffer sink) throws SSLException {
        for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
            task.run();
        }
        engine.wrap(empty, out);
        in.flip();
        if (in.hasRemaining()) {
            engine.unwrap(in, sink);
            sink.clear();
        }
        in.compact();
    }
}
