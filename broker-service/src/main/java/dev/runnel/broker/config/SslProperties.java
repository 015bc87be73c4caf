package dev.runnel.broker.config;

import java.nio.file.Path;
import java.util.List;

/** {@code runnel.broker.ssl.*}: TLS of the {@code SSL} and {@code SASL_SSL} listeners, under Kafka's {@code ssl.*} names. */
public class SslProperties {

    /** {@code PKCS12}, {@code JKS} or {@code PEM} (one file: the PKCS#8 private key and the certificate chain). */
    private String keystoreType = "PKCS12";

    /** The key store; read again when it changes. */
    private Path keystoreLocation;

    /** The key store's password. */
    private String keystorePassword;

    /** The private key's password, when it differs from the key store's. */
    private String keyPassword;

    /** {@code PKCS12}, {@code JKS} or {@code PEM} (trusted certificates). */
    private String truststoreType = "PKCS12";

    /** The certificates client certificates are checked against (mutual TLS). */
    private Path truststoreLocation;

    /** The trust store's password. */
    private String truststorePassword;

    /** Whether clients must show a certificate: {@code none}, {@code requested} or {@code required} ({@code ssl.client.auth}). */
    private String clientAuth = "none";

    /** The TLS versions served ({@code ssl.enabled.protocols}). */
    private List<String> enabledProtocols = List.of("TLSv1.3", "TLSv1.2");

    /** The cipher suites served; empty for the JDK's defaults ({@code ssl.cipher.suites}). */
    private List<String> cipherSuites = List.of();

    /** Whether another broker's certificate must name its host ({@code ssl.endpoint.identification.algorithm=https}). */
    private boolean endpointIdentification = true;

    public boolean isEndpointIdentification() {
        return endpointIdentification;
    }

    public void setEndpointIdentification(boolean endpointIdentification) {
        this.endpointIdentification = endpointIdentification;
    }

    /** How a client certificate's distinguished name becomes a user name ({@code ssl.principal.mapping.rules}). */
    private String principalMappingRules = "DEFAULT";

    public String getKeystoreType() {
        return keystoreType;
    }

    public void setKeystoreType(String keystoreType) {
        this.keystoreType = keystoreType;
    }

    public Path getKeystoreLocation() {
        return keystoreLocation;
    }

    public void setKeystoreLocation(Path keystoreLocation) {
        this.keystoreLocation = keystoreLocation;
    }

    public String getKeystorePassword() {
        return keystorePassword;
    }

    public void setKeystorePassword(String keystorePassword) {
        this.keystorePassword = keystorePassword;
    }

    public String getKeyPassword() {
        return keyPassword;
    }

    public void setKeyPassword(String keyPassword) {
        this.keyPassword = keyPassword;
    }

    public String getTruststoreType() {
        return truststoreType;
    }

    public void setTruststoreType(String truststoreType) {
        this.truststoreType = truststoreType;
    }

    public Path getTruststoreLocation() {
        return truststoreLocation;
    }

    public void setTruststoreLocation(Path truststoreLocation) {
        this.truststoreLocation = truststoreLocation;
    }

    public String getTruststorePassword() {
        return truststorePassword;
    }

    public void setTruststorePassword(String truststorePassword) {
        this.truststorePassword = truststorePassword;
    }

    public String getClientAuth() {
        return clientAuth;
    }

    public void setClientAuth(String clientAuth) {
        this.clientAuth = clientAuth;
    }

    public List<String> getEnabledProtocols() {
        return enabledProtocols;
    }

    public void setEnabledProtocols(List<String> enabledProtocols) {
        this.enabledProtocols = enabledProtocols;
    }

    public List<String> getCipherSuites() {
        return cipherSuites;
    }

    public void setCipherSuites(List<String> cipherSuites) {
        this.cipherSuites = cipherSuites;
    }

    public String getPrincipalMappingRules() {
        return principalMappingRules;
    }

    public void setPrincipalMappingRules(String principalMappingRules) {
        this.principalMappingRules = principalMappingRules;
    }
}
