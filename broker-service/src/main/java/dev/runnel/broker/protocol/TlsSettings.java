package dev.runnel.broker.protocol;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The TLS settings of the broker's SSL and SASL_SSL listeners, under Kafka's {@code ssl.*} names.
 *
 * @param keystoreType       {@code PKCS12}, {@code JKS} or {@code PEM} (a file holding the private key,
 *                           PKCS#8, and the certificate chain)
 * @param keystoreLocation   the key store file
 * @param keystorePassword   its password (PKCS12, JKS), or null
 * @param keyPassword        the private key's password, or null for the key store's
 * @param truststoreType     {@code PKCS12}, {@code JKS} or {@code PEM} (trusted certificates); null: no trust
 *                           store, so client certificates cannot be checked
 * @param truststoreLocation the trust store file, or null
 * @param truststorePassword its password, or null
 * @param clientAuth         {@code none}, {@code requested} or {@code required} ({@code ssl.client.auth})
 * @param protocols          the TLS versions enabled ({@code ssl.enabled.protocols}); empty for TLSv1.3 and TLSv1.2
 * @param cipherSuites       the cipher suites enabled; empty for the JDK's defaults
 * @param principalMappingRules {@code ssl.principal.mapping.rules}
 */
public record TlsSettings(String keystoreType, Path keystoreLocation, String keystorePassword, String keyPassword,
        String truststoreType, Path truststoreLocation, String truststorePassword, String clientAuth,
        List<String> protocols, List<String> cipherSuites, String principalMappingRules) {

    public TlsSettings {
        keystoreType = keystoreType == null ? "PKCS12" : keystoreType.toUpperCase(Locale.ROOT);
        truststoreType = truststoreType == null ? null : truststoreType.toUpperCase(Locale.ROOT);
        clientAuth = clientAuth == null ? "none" : clientAuth.toLowerCase(Locale.ROOT);
        protocols = protocols == null || protocols.isEmpty() ? List.of("TLSv1.3", "TLSv1.2") : List.copyOf(protocols);
        cipherSuites = cipherSuites == null ? List.of() : List.copyOf(cipherSuites);
        if (!List.of("PKCS12", "JKS", "PEM").contains(keystoreType)) {
            throw new IllegalArgumentException("ssl.keystore.type must be PKCS12, JKS or PEM, not " + keystoreType);
        }
        if (truststoreType != null && !List.of("PKCS12", "JKS", "PEM").contains(truststoreType)) {
            throw new IllegalArgumentException("ssl.truststore.type must be PKCS12, JKS or PEM, not " + truststoreType);
        }
        if (!List.of("none", "requested", "required").contains(clientAuth)) {
            throw new IllegalArgumentException("ssl.client.auth must be none, requested or required, not " + clientAuth);
        }
        if (keystoreLocation == null) {
            throw new IllegalArgumentException("a TLS listener needs ssl.keystore.location (runnel.broker.ssl.keystore-location)");
        }
        if (!clientAuth.equals("none") && truststoreLocation == null) {
            throw new IllegalArgumentException("ssl.client.auth=" + clientAuth + " needs ssl.truststore.location");
        }
    }
}
