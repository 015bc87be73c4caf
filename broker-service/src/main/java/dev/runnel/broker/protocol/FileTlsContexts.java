package dev.runnel.broker.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import javax.net.SocketFactory;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.security.Principal;
import dev.runnel.common.time.Ticker;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;

/**
 * TLS contexts from key and trust store files ({@link TlsSettings}), reloaded when the files change:
 * a new connection looks at their modification times at most every {@link #CHECK_INTERVAL}, and
 * if either changed, reads them again; connections already open keep the keys they started with.
 * A store that cannot be read then (a half-written file) leaves the previous context in place and
 * is logged, so renewing a certificate never takes the listener down.
 */
public final class FileTlsContexts implements TlsContexts {

    private static final Logger log = LoggerFactory.getLogger(FileTlsContexts.class);

    static final Duration CHECK_INTERVAL = Duration.ofSeconds(10);

    private final TlsSettings settings;
    private final SslPrincipalMapper principals;
    private final Ticker ticker;
    private volatile SslContext context;
    private volatile List<FileTime> loadedTimes;
    private volatile long nextCheck;

    /**
     * Reads the stores.
     *
     * @throws IllegalArgumentException if they cannot be read: a broker with a TLS listener does not start without keys
     */
    public FileTlsContexts(TlsSettings settings, Ticker ticker) {
        this.settings = settings;
        this.principals = SslPrincipalMapper.of(settings.principalMappingRules());
        this.ticker = ticker;
        try {
            this.loadedTimes = modificationTimes();
            this.context = build(settings);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the TLS key or trust store ("
                    + settings.keystoreLocation() + ", " + settings.truststoreLocation() + "): " + e, e);
        }
        this.nextCheck = ticker.nanoTime() + CHECK_INTERVAL.toNanos();
    }

    @Override
    public SslHandler newHandler(String listener, ByteBufAllocator allocator) {
        reloadIfChanged();
        return context.newHandler(allocator);
    }

    @Override
    public Principal principal(SSLSession session) {
        Certificate[] chain;
        try {
            chain = session.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return Principal.ANONYMOUS;
        }
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate certificate)) {
            return Principal.ANONYMOUS;
        }
        return Principal.user(principals.map(certificate.getSubjectX500Principal().getName()));
    }

    /** Reads the stores again if their files changed since they were read; true if it did. */
    boolean reloadIfChanged() {
        long now = ticker.nanoTime();
        if (now - nextCheck < 0) {
            return false;
        }
        synchronized (this) {
            if (now - nextCheck < 0) {
                return false;
            }
            nextCheck = now + CHECK_INTERVAL.toNanos();
            try {
                List<FileTime> times = modificationTimes();
                if (times.equals(loadedTimes)) {
                    return false;
                }
                context = build(settings);
                loadedTimes = times;
                log.info("TLS key and trust stores reloaded from {} and {}", settings.keystoreLocation(),
                        settings.truststoreLocation());
                return true;
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                log.warn("TLS stores changed but cannot be read; keeping the keys loaded before: {}", e.toString());
                return false;
            }
        }
    }

    private List<FileTime> modificationTimes() throws IOException {
        List<FileTime> times = new ArrayList<>();
        times.add(Files.getLastModifiedTime(settings.keystoreLocation()));
        if (settings.truststoreLocation() != null) {
            times.add(Files.getLastModifiedTime(settings.truststoreLocation()));
        }
        return times;
    }

    private static SslContext build(TlsSettings settings) throws IOException, GeneralSecurityException {
        SslContextBuilder builder = settings.keystoreType().equals("PEM")
                // One file with the private key (PKCS#8) and the certificate chain, as Kafka's PEM key store.
                ? SslContextBuilder.forServer(settings.keystoreLocation().toFile(), settings.keystoreLocation().toFile(),
                        settings.keyPassword())
                : SslContextBuilder.forServer(keyManagers(settings));
        trust(builder, settings);
        builder.sslProvider(SslProvider.JDK).protocols(settings.protocols())
                .clientAuth(switch (settings.clientAuth()) {
                    case "required" -> ClientAuth.REQUIRE;
                    case "requested" -> ClientAuth.OPTIONAL;
                    default -> ClientAuth.NONE;
                });
        if (!settings.cipherSuites().isEmpty()) {
            builder.ciphers(settings.cipherSuites());
        }
        return builder.build();
    }

    /**
     * Sockets to another broker's TLS listener: its certificate checked against the trust store, and
     * this broker's own key shown when asked (mutual TLS).
     *
     * @throws IllegalArgumentException if the stores cannot be read
     */
    public static SocketFactory clientSockets(TlsSettings settings) {
        try {
            SslContextBuilder builder = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                    .protocols(settings.protocols());
            if (settings.keystoreType().equals("PEM")) {
                builder.keyManager(settings.keystoreLocation().toFile(), settings.keystoreLocation().toFile(),
                        settings.keyPassword());
            } else {
                builder.keyManager(keyManagers(settings));
            }
            trust(builder, settings);
            return ((JdkSslContext) builder.build()).context().getSocketFactory();
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the TLS stores for connections to other brokers: " + e, e);
        }
    }

    /** The keys of a PKCS12 or JKS key store. */
    private static KeyManagerFactory keyManagers(TlsSettings settings) throws IOException, GeneralSecurityException {
        KeyStore keys = load(settings.keystoreType(), settings.keystoreLocation(), settings.keystorePassword());
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        String keyPassword = settings.keyPassword() != null ? settings.keyPassword() : settings.keystorePassword();
        factory.init(keys, keyPassword == null ? new char[0] : keyPassword.toCharArray());
        return factory;
    }

    /** The trust store, if there is one, as what {@code builder} checks the other side against. */
    private static void trust(SslContextBuilder builder, TlsSettings settings) throws IOException,
            GeneralSecurityException {
        if (settings.truststoreLocation() == null) {
            return;
        }
        if ("PEM".equals(settings.truststoreType())) {
            builder.trustManager(settings.truststoreLocation().toFile());
            return;
        }
        KeyStore trusted = load(settings.truststoreType() == null ? "PKCS12" : settings.truststoreType(),
                settings.truststoreLocation(), settings.truststorePassword());
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trusted);
        builder.trustManager(factory);
    }

    private static KeyStore load(String type, Path file, String password) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(type);
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, password == null ? null : password.toCharArray());
        }
        return store;
    }
}
