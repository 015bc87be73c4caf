package dev.runnel.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.ssl.PemSslBundleProperties;
import org.springframework.boot.autoconfigure.ssl.SslProperties;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.pem.PemSslStoreBundle;
import org.springframework.boot.ssl.pem.PemSslStoreDetails;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import com.marcnuri.helm.DryRun;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.netty.buffer.ByteBufAllocator;

import dev.runnel.broker.config.BrokerProperties;
import dev.runnel.broker.config.ListenerProperties;
import dev.runnel.broker.protocol.FileTlsContexts;
import dev.runnel.broker.protocol.Listener;
import dev.runnel.broker.protocol.Listeners;
import dev.runnel.broker.protocol.TlsSettings;
import dev.runnel.broker.security.AclBinding;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.BootstrapAcls;
import dev.runnel.cluster.ClusterSettings;
import dev.runnel.cluster.security.ClusterHttpSecurityConfiguration.ClusterSecurityProperties;
import dev.runnel.cluster.web.HttpSettings;
import dev.runnel.cluster.zookeeper.ZooKeeperSettings;
import dev.runnel.common.time.Ticker;
import dev.runnel.controller.ControllerProperties;
import dev.runnel.gateway.GatewayProperties;
import dev.runnel.gateway.security.GatewaySecurityProperties;

/**
 * The Helm chart's {@code security.enabled} preset: the Secret it generates holds a CA and
 * certificates that Java parses, that chain to the CA and that the broker's own TLS code (Kafka
 * listeners) and Spring Boot's PEM SSL bundle (internal HTTPS) serve in real handshakes checked
 * for every broker's and a controller's host name; SCRAM users and ACL files the broker's parsers
 * read, with quickstart's and compose's grants; client settings kafka-clients accepts. Every
 * variable the services get binds, strictly, to what they read; the pods mount only the files they
 * need; probes use HTTPS; {@code helm lint --strict} passes; without the preset nothing of it is
 * rendered.
 *
 * <p>{@code helm template} leaves hooks out and the Secret is one (made once at install, as the
 * chart's other generated Secrets): the chart is rendered from a copy whose {@code helm.sh/hook}
 * annotations are removed, nothing else changed.
 */
class HelmSecurePresetTest {

    private static final Path CHART = Path.of("..", "helm", "runnel");
    private static final String NAMESPACE = "streaming";
    private static final String DIR = "/etc/runnel/security";
    private static final String BROKER_HEADLESS = "events-runnel-broker-headless";
    private static final Map<String, Object> SECURE = Map.of("security.enabled", true);
    private static final Map<String, Object> SECURE_EXTERNAL = Map.of("security.enabled", true,
            "broker.externalListener.enabled", true, "broker.externalListener.advertisedHost", "kafka-{id}.acme.test",
            "broker.externalListener.nodePortBase", 31000);

    @TempDir
    static Path work;

    /** The chart without hook annotations, so that helm template renders the generated Secrets and the test Pod. */
    private static Path unhooked;

    @BeforeAll
    static void copyTheChartWithoutHooks() throws IOException {
        unhooked = work.resolve("runnel");
        try (Stream<Path> files = Files.walk(CHART)) {
            for (Path file : files.toList()) {
                Path target = unhooked.resolve(CHART.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else if (file.toString().endsWith(".yaml") && file.getParent().toString().contains("templates")) {
                    Files.writeString(target, Files.readString(file).lines()
                            .filter(l -> !l.contains("helm.sh/hook")).collect(Collectors.joining("\n", "", "\n")));
                } else {
                    Files.copy(file, target);
                }
            }
        }
        assertThat(Files.readString(unhooked.resolve("templates/security.yaml"))).contains("kind: Secret")
                .doesNotContain("helm.sh/hook");
        assertThat(Files.readString(CHART.resolve("templates/security.yaml")))
                .as("the real chart makes the Secret once, before anything else, and keeps it")
                .contains("helm.sh/hook: pre-install", "helm.sh/resource-policy: keep");
    }

    private record Rendered(Map<String, HasMetadata> objects) {

        <T extends HasMetadata> T get(Class<T> type, String name) {
            return find(type, name).orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name
                    + " in " + objects.keySet()));
        }

        <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
            HasMetadata object = objects.get(type.getSimpleName() + "/" + name);
            return object == null ? Optional.empty() : Optional.of(type.cast(object));
        }

        PodSpec pod(String component) {
            return switch (component) {
                case "broker" -> get(StatefulSet.class, "events-runnel-broker").getSpec().getTemplate().getSpec();
                case "test" -> get(Pod.class, "events-runnel-test-produce-consume").getSpec();
                default -> get(Deployment.class, "events-runnel-" + component).getSpec().getTemplate().getSpec();
            };
        }

        Container container(String component) {
            return pod(component).getContainers().get(0);
        }

        /** The security Secret's files, written to {@code dir}. */
        Path writeSecret(Path dir) throws IOException {
            Files.createDirectories(dir);
            for (Map.Entry<String, String> file : get(Secret.class, "events-runnel-security").getData().entrySet()) {
                Files.write(dir.resolve(file.getKey()), Base64.getDecoder().decode(file.getValue()));
            }
            return dir;
        }
    }

    private static Rendered render(Path chart, Map<String, Object> values) {
        TemplateCommand template = new Helm(chart).template().withName("events").withNamespace(NAMESPACE);
        values.forEach(template::set);
        return new Rendered(DeployTestSupport.manifests(template.call()));
    }

    private static String env(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst()
                .orElse(null);
    }

    /**
     * The container's environment as its process sees it: values from Secrets and fields as
     * placeholders, and what its command exports (a broker's id and advertised listeners, a
     * controller's id and host) from running the command with java left out.
     */
    private static Map<String, String> processEnv(Container container, Map<String, String> fields) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvVar var : container.getEnv()) {
            String value = var.getValue();
            if (var.getValueFrom() != null && var.getValueFrom().getSecretKeyRef() != null) {
                value = "secret:" + var.getValueFrom().getSecretKeyRef().getName() + "/"
                        + var.getValueFrom().getSecretKeyRef().getKey();
            } else if (var.getValueFrom() != null && var.getValueFrom().getFieldRef() != null) {
                value = fields.get(var.getValueFrom().getFieldRef().getFieldPath());
            }
            for (Map.Entry<String, String> defined : env.entrySet()) {
                value = value.replace("$(" + defined.getKey() + ")", defined.getValue());
            }
            env.put(var.getName(), value);
        }
        List<String> command = container.getCommand();
        if (command != null && !command.isEmpty()) {
            String script = command.get(2).replace("exec java org.springframework.boot.loader.launch.JarLauncher",
                    "env | grep '^RUNNEL_'");
            ProcessBuilder pod = new ProcessBuilder("bash", "-c", script);
            pod.environment().keySet().removeIf(k -> !k.equals("PATH"));
            pod.environment().putAll(env);
            Process run = pod.redirectErrorStream(true).start();
            String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(run.waitFor()).as(out).isZero();
            out.lines().map(l -> l.split("=", 2)).forEach(kv -> env.put(kv[0], kv[1]));
        }
        return env;
    }

    private static Binder binder(Map<String, String> env) {
        MutablePropertySources sources = new MutablePropertySources();
        sources.addFirst(new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                new HashMap<>(env)));
        return new Binder(ConfigurationPropertySources.from(sources));
    }

    /** Binds {@code prefix} to {@code type}, adding the variables it used to {@code used}. */
    private static <T> T bind(Map<String, String> env, String prefix, Class<T> type, Set<String> used) {
        BindHandler recorder = DeployTestSupport.recordingUsed(used);
        return binder(env).bind(prefix, Bindable.of(type), recorder).orElseGet(() -> {
            try {
                return type.getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        });
    }

    /** What a container's variables bind to. */
    private record Bound(Map<String, String> env, BrokerProperties broker, ListenerProperties listener,
            ClusterSettings cluster, ClusterSecurityProperties clusterSecurity, ZooKeeperSettings zookeeper,
            HttpSettings http, ControllerProperties controller, GatewayProperties gateway,
            GatewaySecurityProperties gatewaySecurity, SslProperties ssl) {

        Listeners listeners() {
            return Listeners.parse(listener.getListeners(), listener.getAdvertisedListeners(),
                    listener.getListenerSecurityProtocolMap(), listener.getInterBrokerListenerName(), broker.getHost());
        }

        PemSslBundleProperties internalBundle() {
            return ssl.getBundle().getPem().get("internal");
        }
    }

    /** Variables of the pods that are not Runnel's or Spring's own settings. */
    private static final Set<String> NOT_SETTINGS = Set.of("POD_NAME", "POD_UID", "POD_IP", "EXTERNAL_ADVERTISED_HOST",
            "SERVER_PORT", "SERVER_ADDRESS", "SERVER_SSL_BUNDLE", "SPRING_CLOUD_ZOOKEEPER_CONNECT_STRING");

    /**
     * Binds every RUNNEL_* and SPRING_SSL_* variable to the properties class that reads it and fails
     * on any that none of them uses.
     */
    private static Bound bindStrictly(String what, Map<String, String> env) {
        Set<String> used = new HashSet<>();
        Bound bound = new Bound(env, bind(env, "runnel.broker", BrokerProperties.class, used),
                bind(env, "runnel.broker", ListenerProperties.class, used),
                bind(env, "runnel.cluster", ClusterSettings.class, used),
                bind(env, "runnel.cluster.security", ClusterSecurityProperties.class, used),
                bind(env, "runnel.zookeeper", ZooKeeperSettings.class, used),
                bind(env, "runnel.http", HttpSettings.class, used),
                bind(env, "runnel.controller", ControllerProperties.class, used),
                bind(env, "runnel.gateway", GatewayProperties.class, used),
                bind(env, "runnel.gateway.security", GatewaySecurityProperties.class, used),
                bind(env, "spring.ssl", SslProperties.class, used));
        Set<String> settings = env.keySet().stream().filter(k -> !NOT_SETTINGS.contains(k)).collect(Collectors.toSet());
        assertThat(settings).as(what + ": only Runnel's and Spring's SSL settings besides the known others")
                .allMatch(k -> k.startsWith("RUNNEL_") || k.startsWith("SPRING_SSL_"));
        assertThat(used).as(what + ": every variable names a property the service reads").containsAll(settings);
        return bound;
    }

    private static Bound boundBroker(Rendered r, int ordinal) throws Exception {
        return bindStrictly("broker " + ordinal, processEnv(r.container("broker"),
                Map.of("metadata.name", "events-runnel-broker-" + ordinal)));
    }

    private static String brokerHost(int ordinal) {
        return "events-runnel-broker-" + ordinal + "." + BROKER_HEADLESS + "." + NAMESPACE + ".svc.cluster.local";
    }

    // ---- certificates ----

    private static List<X509Certificate> certificates(Path pem) throws Exception {
        try (var in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(X509Certificate.class::cast).toList();
        }
    }

    private static PrivateKey pkcs8(Path pem) throws Exception {
        String text = Files.readString(pem);
        assertThat(text).as(pem + " is PKCS#8, as the broker's PEM key store needs").startsWith("-----BEGIN PRIVATE KEY-----\n")
                .contains("-----END PRIVATE KEY-----");
        String body = text.substring(text.indexOf('\n'), text.indexOf("-----END")).replaceAll("\\s", "");
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
    }

    private static List<String> dnsNames(X509Certificate certificate) throws Exception {
        return certificate.getSubjectAlternativeNames().stream().filter(n -> (Integer) n.get(0) == 2)
                .map(n -> (String) n.get(1)).toList();
    }

    /** Whether a certificate's DNS names cover {@code host}, a wildcard standing for one left-most label. */
    private static boolean covers(List<String> names, String host) {
        return names.stream().anyMatch(n -> n.equalsIgnoreCase(host) || n.startsWith("*.")
                && host.indexOf('.') > 0 && host.substring(host.indexOf('.')).equalsIgnoreCase(n.substring(1)));
    }

    /** Checks a service's certificate and key: chained to the CA, key matching, and returns the certificate. */
    private static X509Certificate leaf(Path secret, String service, X509Certificate ca) throws Exception {
        List<X509Certificate> chain = certificates(secret.resolve(service + ".crt"));
        assertThat(chain).as(service + ".crt: its certificate, then the CA").hasSize(2);
        assertThat(chain.get(1)).isEqualTo(ca);
        X509Certificate certificate = chain.get(0);
        certificate.verify(ca.getPublicKey());
        certificate.checkValidity();
        assertThat(certificate.getExtendedKeyUsage()).as(service + " serves TLS").contains("1.3.6.1.5.5.7.3.1");
        PrivateKey key = pkcs8(secret.resolve(service + ".key"));
        assertThat(((RSAPrivateCrtKey) key).getModulus())
                .isEqualTo(((RSAPublicKey) certificate.getPublicKey()).getModulus());
        Signature signature = Signature.getInstance("SHA256withRSA");
        signature.initSign(key);
        signature.update(service.getBytes(StandardCharsets.UTF_8));
        byte[] signed = signature.sign();
        signature.initVerify(certificate);
        signature.update(service.getBytes(StandardCharsets.UTF_8));
        assertThat(signature.verify(signed)).isTrue();
        return certificate;
    }

    /** A TLS client that trusts only {@code ca} and checks the server's host name as HTTPS does. */
    private static SSLEngine client(X509Certificate ca, String host) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        SSLEngine engine = context.createSSLEngine(host, 443);
        engine.setUseClientMode(true);
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        engine.setSSLParameters(parameters);
        return engine;
    }

    /** A TLS handshake between two engines in memory; throws what the client or server throws. */
    private static void handshake(SSLEngine client, SSLEngine server) throws SSLException {
        ByteBuffer toServer = ByteBuffer.allocate(1 << 17);
        ByteBuffer toClient = ByteBuffer.allocate(1 << 17);
        ByteBuffer application = ByteBuffer.allocate(1 << 17);
        ByteBuffer empty = ByteBuffer.allocate(0);
        client.beginHandshake();
        server.beginHandshake();
        for (int round = 0; round < 500; round++) {
            for (SSLEngine engine : List.of(client, server)) {
                Runnable task;
                while ((task = engine.getDelegatedTask()) != null) {
                    task.run();
                }
            }
            if (client.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING
                    && server.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING) {
                return;
            }
            client.wrap(empty, toServer);
            toServer.flip();
            server.unwrap(toServer, application.clear());
            toServer.compact();
            server.wrap(empty, toClient);
            toClient.flip();
            client.unwrap(toClient, application.clear());
            toClient.compact();
        }
        throw new AssertionError("the handshake did not finish");
    }

    /** Replaces the pods' directory of the Secret's files with where the test wrote them. */
    private static String local(String value, Path secret) {
        return value.replace(DIR, secret.toString());
    }

    @Test
    void theSecretsCertificatesChainToTheCaAndServeEveryBrokerAndControllerName(@TempDir Path dir) throws Exception {
        Rendered r = render(unhooked, SECURE_EXTERNAL);
        Path secret = r.writeSecret(dir.resolve("secret"));
        List<X509Certificate> cas = certificates(secret.resolve("ca.crt"));
        assertThat(cas).hasSize(1);
        X509Certificate ca = cas.get(0);
        ca.verify(ca.getPublicKey());
        assertThat(ca.getBasicConstraints()).as("a CA").isGreaterThanOrEqualTo(0);
        assertThat(r.get(Secret.class, "events-runnel-security").getData()).doesNotContainKey("ca.key");

        X509Certificate broker = leaf(secret, "broker", ca);
        List<String> brokerNames = dnsNames(broker);
        for (int ordinal = 0; ordinal < 5; ordinal++) {
            String pod = "events-runnel-broker-" + ordinal + "." + BROKER_HEADLESS + "." + NAMESPACE;
            assertThat(covers(brokerNames, pod + ".svc.cluster.local") && covers(brokerNames, pod + ".svc"))
                    .as("broker pod %d (and more, after scaling) is covered by %s", ordinal, brokerNames).isTrue();
        }
        for (int id = 1; id <= 3; id++) {
            assertThat(brokerNames).as("the external listener's advertised host").contains("kafka-" + id + ".acme.test");
        }
        assertThat(brokerNames).contains("events-runnel-broker", "events-runnel-broker.streaming.svc.cluster.local");
        assertThat(covers(brokerNames, "events-runnel-controller")).isFalse();
        assertThat(Files.readString(secret.resolve("broker.pem"))).as("the Kafka key store: key, then the chain")
                .isEqualTo(Files.readString(secret.resolve("broker.key")) + Files.readString(secret.resolve("broker.crt")));

        X509Certificate controller = leaf(secret, "controller", ca);
        assertThat(dnsNames(controller)).contains("events-runnel-controller",
                "events-runnel-controller.streaming.svc.cluster.local");
        X509Certificate gateway = leaf(secret, "gateway", ca);
        assertThat(dnsNames(gateway)).contains("events-runnel-gateway", "events-runnel-gateway.streaming.svc",
                "localhost");

        // The brokers' Kafka listeners: the broker's own TLS code with the key store and trust store
        // its variables name, against a client that checks each broker's advertised name.
        for (int ordinal = 0; ordinal < 3; ordinal++) {
            ListenerProperties listener = boundBroker(r, ordinal).listener();
            TlsSettings settings = new TlsSettings(listener.getSsl().getKeystoreType(),
                    Path.of(local(listener.getSsl().getKeystoreLocation().toString(), secret)),
                    listener.getSsl().getKeystorePassword(), listener.getSsl().getKeyPassword(),
                    listener.getSsl().getTruststoreType(),
                    Path.of(local(listener.getSsl().getTruststoreLocation().toString(), secret)),
                    listener.getSsl().getTruststorePassword(), listener.getSsl().getClientAuth(),
                    listener.getSsl().getEnabledProtocols(), listener.getSsl().getCipherSuites(),
                    listener.getSsl().getPrincipalMappingRules());
            FileTlsContexts tls = new FileTlsContexts(settings, Ticker.SYSTEM);
            handshake(client(ca, brokerHost(ordinal)), tls.newHandler("INTERNAL", ByteBufAllocator.DEFAULT).engine());
            handshake(client(ca, "kafka-" + (ordinal + 1) + ".acme.test"),
                    tls.newHandler("EXTERNAL", ByteBufAllocator.DEFAULT).engine());
            if (ordinal == 0) {
                assertThatThrownBy(() -> handshake(client(ca, "kafka.elsewhere.test"),
                        tls.newHandler("EXTERNAL", ByteBufAllocator.DEFAULT).engine()))
                        .as("a name the certificate does not cover").isInstanceOf(SSLException.class);
            }
        }

        // Internal HTTPS: Spring Boot's PEM bundle from each service's spring.ssl variables, serving
        // the name the others call it by (a controller: its pod IP with dashes under its headless Service).
        Map<String, String> names = Map.of("broker", brokerHost(2), "gateway", "events-runnel-gateway");
        for (String service : List.of("controller", "broker", "gateway")) {
            Container container = r.container(service);
            Map<String, String> env = processEnv(container, Map.of("status.podIP", "10.244.3.17", "metadata.uid",
                    "0b9f0c3e-4c1e-4a43-9a8e-2b7c86bb4f0a", "metadata.name", "events-runnel-broker-2"));
            Bound bound = bindStrictly(service, env);
            assertThat(bound.cluster().getSslBundle()).as(service + ": runnel.cluster.ssl-bundle").isEqualTo("internal");
            PemSslBundleProperties bundle = bound.internalBundle();
            assertThat(bundle.isReloadOnUpdate()).as(service + " reloads its key when the Secret changes").isTrue();
            SslBundle ssl = SslBundle.of(new PemSslStoreBundle(
                    PemSslStoreDetails.forCertificates(local(bundle.getKeystore().getCertificate(), secret))
                            .withPrivateKey(local(bundle.getKeystore().getPrivateKey(), secret)),
                    PemSslStoreDetails.forCertificates(local(bundle.getTruststore().getCertificate(), secret))));
            String host = service.equals("controller") ? env.get("RUNNEL_CONTROLLER_HOST") : names.get(service);
            if (service.equals("controller")) {
                assertThat(host).isEqualTo("10-244-3-17.events-runnel-controller-headless.streaming.svc.cluster.local");
            }
            SSLEngine server = ssl.createSslContext().createSSLEngine();
            server.setUseClientMode(false);
            handshake(client(ca, host), server);
        }
    }

    @Test
    void usersAclsAndClientSettingsAreWhatTheBrokerAndKafkaClientsRead(@TempDir Path dir) throws Exception {
        for (Map<String, Object> values : List.of(SECURE, SECURE_EXTERNAL)) {
            Rendered r = render(unhooked, values);
            Path secret = r.writeSecret(dir.resolve(values.size() == 1 ? "internal" : "external"));
            Map<String, String> passwords = Map.of("admin", Files.readString(secret.resolve("admin-password")),
                    "app", Files.readString(secret.resolve("app-password")));
            passwords.values().forEach(p -> assertThat(p).matches("[A-Za-z0-9]{32}"));
            assertThat(passwords.get("admin")).isNotEqualTo(passwords.get("app"));

            Bound broker = boundBroker(r, 0);
            // The users file as SecurityConfiguration.createBootstrapUsers reads it: name:password lines.
            Path users = Path.of(local(broker.listener().getSasl().getBootstrapUsersFile().toString(), secret));
            Map<String, String> entries = new LinkedHashMap<>();
            for (String line : Files.readAllLines(users)) {
                if (!line.isBlank() && !line.strip().startsWith("#")) {
                    int colon = line.strip().indexOf(':');
                    assertThat(colon).as("name:password").isPositive().isLessThan(line.strip().length() - 1);
                    entries.put(line.strip().substring(0, colon), line.strip().substring(colon + 1));
                }
            }
            assertThat(entries).isEqualTo(passwords);

            // The ACLs through the broker's own parser, and the same grants as bin/compose-secrets and quickstart.
            Path acls = Path.of(local(broker.listener().getAuthorizer().getBootstrapAclsFile().toString(), secret));
            List<AclBinding> bindings = BootstrapAcls.read(List.of(), acls);
            assertThat(bindings).extracting(b -> b.entry().principal() + " " + b.entry().operation() + " "
                    + b.pattern().resourceType() + " " + b.pattern().patternType() + " " + b.pattern().name())
                    .containsExactlyInAnyOrder("User:app CREATE TOPIC PREFIXED app-", "User:app READ TOPIC PREFIXED app-",
                            "User:app WRITE TOPIC PREFIXED app-", "User:app DESCRIBE TOPIC PREFIXED app-",
                            "User:app READ GROUP PREFIXED app-");
            assertThat(bindings).allMatch(b -> b.entry().operation() != AclOperation.ALL);
            for (String script : List.of("bin/compose-secrets", "bin/quickstart")) {
                assertThat(grants(Files.readString(Path.of("..", script)))).as(script)
                        .isEqualTo(grants(Files.readString(acls)));
            }

            String inside = "events-runnel-broker.streaming.svc.cluster.local:9092";
            String bootstrap = values.size() == 1 ? inside
                    : "kafka-1.acme.test:31000,kafka-2.acme.test:31001,kafka-3.acme.test:31002";
            for (String user : List.of("admin", "app")) {
                Properties client = new Properties();
                String text = Files.readString(secret.resolve("client-" + user + ".properties"));
                client.load(new StringReader(text));
                assertThat(client).containsEntry("bootstrap.servers", bootstrap)
                        .containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                        .containsEntry("ssl.truststore.type", "PEM").containsEntry("ssl.truststore.location", "ca.crt")
                        .containsEntry("sasl.jaas.config", jaas(user, passwords.get(user)));
                if (values.size() > 1) {
                    assertThat(text).as("the in-cluster address too").contains("# Inside Kubernetes: bootstrap.servers=" + inside);
                }
                new AdminClientConfig(client); // kafka-clients accepts every setting's type and value
            }
            assertThat(Files.readString(secret.resolve("gateway-kafka-jaas"))).isEqualTo(jaas("admin", passwords.get("admin")));
        }
    }

    private static String jaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\""
                + password + "\";";
    }

    /** The ACL lines ("User:..." rules) of a file or script. */
    private static List<String> grants(String text) {
        return text.lines().map(String::strip).filter(l -> l.startsWith("User:")).toList();
    }

    @Test
    void everyServiceIsSecuredWithVariablesThatBindAndOnlyTheFilesItNeeds() throws Exception {
        for (Map<String, Object> values : List.of(SECURE, SECURE_EXTERNAL)) {
            Rendered r = render(unhooked, values);
            boolean external = values.size() > 1;
            Secret secret = r.get(Secret.class, "events-runnel-security");

            for (int ordinal = 0; ordinal < 3; ordinal++) {
                Bound broker = boundBroker(r, ordinal);
                Listeners listeners = broker.listeners();
                assertThat(listeners.all()).extracting(l -> l.name() + ":" + l.protocol())
                        .containsExactlyInAnyOrderElementsOf(external ? List.of("INTERNAL:SASL_SSL", "EXTERNAL:SASL_SSL")
                                : List.of("INTERNAL:SASL_SSL"));
                assertThat(listeners.interBroker().name()).isEqualTo("INTERNAL");
                assertThat(listeners.interBroker().advertisedHost()).isEqualTo(brokerHost(ordinal));
                assertThat(listeners.interBroker().port()).isEqualTo(9092);
                if (external) {
                    Listener outside = listeners.all().stream().filter(l -> l.name().equals("EXTERNAL")).findFirst()
                            .orElseThrow();
                    assertThat(outside.advertisedHost() + ":" + outside.advertisedPort())
                            .isEqualTo("kafka-" + (ordinal + 1) + ".acme.test:" + (31000 + ordinal));
                }
                ListenerProperties listener = broker.listener();
                assertThat(listener.getSasl().getEnabledMechanisms()).contains("SCRAM-SHA-512");
                assertThat(listener.getAuthorizer().isEnabled()).isTrue();
                assertThat(listener.getAuthorizer().getSuperUsers()).isEqualTo("User:admin");
                assertThat(listener.getAuthorizer().isAllowEveryoneIfNoAclFound()).isFalse();
                assertThat(listener.getSsl().getKeystoreType()).isEqualTo("PEM");
                assertThat(listener.getSsl().getKeystoreLocation()).isEqualTo(Path.of(DIR, "broker.pem"));
                assertThat(listener.getSsl().getTruststoreLocation()).isEqualTo(Path.of(DIR, "ca.crt"));
            }
            Map<String, String> fields = Map.of("status.podIP", "10.244.3.17", "metadata.uid",
                    "0b9f0c3e-4c1e-4a43-9a8e-2b7c86bb4f0a", "metadata.name", "events-runnel-broker-0");
            Bound controller = bindStrictly("controller", processEnv(r.container("controller"), fields));
            assertThat(controller.controller().getId()).isPositive();
            assertThat(controller.controller().getHost()).as("reached by a name its certificate covers")
                    .isEqualTo("10-244-3-17.events-runnel-controller-headless.streaming.svc.cluster.local");
            Service controllerHeadless = r.get(Service.class, "events-runnel-controller-headless");
            assertThat(controllerHeadless.getSpec().getClusterIP()).isEqualTo("None");
            assertThat(controllerHeadless.getSpec().getPublishNotReadyAddresses()).isTrue();
            assertThat(r.get(Deployment.class, "events-runnel-controller").getSpec().getTemplate().getMetadata()
                    .getLabels()).containsAllEntriesOf(controllerHeadless.getSpec().getSelector());

            Bound gateway = bindStrictly("gateway", processEnv(r.container("gateway"), fields));
            assertThat(env(r.container("gateway"), "SERVER_SSL_BUNDLE")).as("the gateway's own port on HTTPS, as its probes expect")
                    .isEqualTo("internal");
            assertThat(gateway.gateway().getKafka().getListener()).isEqualTo("INTERNAL");
            assertThat(gateway.gateway().getKafka().getProperties()).containsEntry("security.protocol", "SASL_SSL")
                    .containsEntry("sasl.mechanism", "SCRAM-SHA-512").containsEntry("ssl.truststore.type", "PEM")
                    .containsEntry("ssl.truststore.location", DIR + "/ca.crt")
                    .containsEntry("sasl.jaas.config", "secret:events-runnel-security/gateway-kafka-jaas");

            Map<String, List<String>> files = Map.of(
                    "broker", List.of("ca.crt", "broker.crt", "broker.key", "broker.pem", "kafka-users", "kafka-acls"),
                    "controller", List.of("ca.crt", "controller.crt", "controller.key"),
                    "gateway", List.of("ca.crt", "gateway.crt", "gateway.key"),
                    "test", List.of("ca.crt"));
            for (Map.Entry<String, List<String>> component : files.entrySet()) {
                String service = component.getKey();
                PodSpec pod = r.pod(service);
                Container container = pod.getContainers().get(0);
                Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals("security")).findFirst()
                        .orElseThrow();
                assertThat(volume.getSecret().getSecretName()).isEqualTo("events-runnel-security");
                assertThat(volume.getSecret().getItems()).extracting(KeyToPath::getKey)
                        .as(service + " gets only the files it needs").containsExactlyInAnyOrderElementsOf(component.getValue());
                assertThat(volume.getSecret().getItems()).allMatch(i -> i.getKey().equals(i.getPath()));
                assertThat(secret.getData().keySet()).containsAll(component.getValue());
                assertThat(volume.getSecret().getDefaultMode()).isEqualTo(0440);
                assertThat(pod.getSecurityContext().getFsGroup()).as(service + " reads them through its group")
                        .isEqualTo(10001L);
                VolumeMount mount = container.getVolumeMounts().stream().filter(m -> m.getName().equals("security"))
                        .findFirst().orElseThrow();
                assertThat(mount.getMountPath()).isEqualTo(DIR);
                assertThat(mount.getSubPath()).as("a directory, so that a changed Secret reaches the files").isNull();
                assertThat(mount.getReadOnly()).isTrue();
                if (service.equals("test")) {
                    continue;
                }
                assertThat(env(container, "RUNNEL_CLUSTER_SSLBUNDLE")).isEqualTo("internal");
                assertThat(env(container, "SPRING_SSL_BUNDLE_PEM_INTERNAL_KEYSTORE_CERTIFICATE"))
                        .isEqualTo("file:" + DIR + "/" + service + ".crt");
                assertThat(env(container, "SPRING_SSL_BUNDLE_PEM_INTERNAL_KEYSTORE_PRIVATEKEY"))
                        .isEqualTo("file:" + DIR + "/" + service + ".key");
                assertThat(env(container, "SPRING_SSL_BUNDLE_PEM_INTERNAL_TRUSTSTORE_CERTIFICATE"))
                        .isEqualTo("file:" + DIR + "/ca.crt");
                assertThat(env(container, "SPRING_SSL_BUNDLE_PEM_INTERNAL_RELOADONUPDATE")).isEqualTo("true");
                for (Probe probe : List.of(container.getStartupProbe(), container.getLivenessProbe(),
                        container.getReadinessProbe())) {
                    assertThat(probe.getHttpGet().getScheme()).as(service + " probes over HTTPS").isEqualTo("HTTPS");
                }
                assertThat(container.getEnv()).as(service + " must authenticate to ZooKeeper").anySatisfy(e -> {
                    assertThat(e.getName()).isEqualTo("RUNNEL_ZOOKEEPER_AUTH_PASSWORD");
                    assertThat(e.getValueFrom().getSecretKeyRef().getOptional()).isFalse();
                });
            }

            // Every Secret and key the pods take is one the chart makes.
            for (String component : List.of("broker", "controller", "gateway", "test")) {
                for (EnvVar var : r.container(component).getEnv()) {
                    if (var.getValueFrom() != null && var.getValueFrom().getSecretKeyRef() != null) {
                        Secret source = r.get(Secret.class, var.getValueFrom().getSecretKeyRef().getName());
                        assertThat(source.getData()).as(component + " " + var.getName())
                                .containsKey(var.getValueFrom().getSecretKeyRef().getKey());
                    }
                }
            }
            String test = String.join("\n", r.container("test").getCommand());
            assertThat(test).contains("https://events-runnel-gateway:8080", "CURL_CA_BUNDLE=" + DIR + "/ca.crt");
        }
    }

    @Test
    void serviceMonitorsScrapeOverHttpsWithTheCa() {
        Rendered r = render(unhooked, Map.of("security.enabled", true, "serviceMonitor.enabled", true));
        // No ServiceMonitor class in the fabric8 model used here: a generic resource's spec.
        for (String component : List.of("controller", "broker", "gateway")) {
            GenericKubernetesResource monitor = (GenericKubernetesResource) r.objects()
                    .get("ServiceMonitor/events-runnel-" + component);
            assertThat(monitor).as(component).isNotNull();
            assertThat(String.valueOf(monitor.getAdditionalProperties().get("spec"))).contains("scheme=https",
                    "serverName=events-runnel-" + component, "name=events-runnel-security", "key=ca.crt");
        }
    }

    @Test
    void helmLintIsCleanWithThePreset() throws IOException {
        Path values = unhooked.resolve("values.yaml");
        String original = Files.readString(values);
        String secure = original.replace("security:\n  enabled: false", "security:\n  enabled: true");
        assertThat(secure).isNotEqualTo(original);
        Path lintCopy = work.resolve("lint");
        try (Stream<Path> files = Files.walk(CHART)) {
            for (Path file : files.toList()) {
                Path target = lintCopy.resolve(CHART.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
        Files.writeString(lintCopy.resolve("values.yaml"), secure);
        LintResult lint = new Helm(lintCopy).lint().strict().call();
        assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
        assertThat(lint.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @Test
    void withoutThePresetNothingOfItIsRendered() {
        Rendered r = render(unhooked, Map.of());
        assertThat(r.find(Secret.class, "events-runnel-security")).isEmpty();
        assertThat(r.find(Service.class, "events-runnel-controller-headless")).isEmpty();
        for (String component : List.of("broker", "controller", "gateway", "test")) {
            PodSpec pod = r.pod(component);
            Container container = pod.getContainers().get(0);
            assertThat(container.getEnv()).as(component).noneMatch(e -> e.getName().startsWith("SPRING_SSL_")
                    || e.getName().equals("RUNNEL_CLUSTER_SSLBUNDLE") || e.getName().startsWith("RUNNEL_BROKER_SSL_")
                    || e.getName().startsWith("RUNNEL_BROKER_AUTHORIZER_") || e.getName().startsWith("RUNNEL_GATEWAY_KAFKA_"));
            assertThat(pod.getVolumes() == null ? List.<Volume>of() : pod.getVolumes()).noneMatch(v -> v.getName().equals("security"));
            if (!component.equals("test")) {
                assertThat(container.getReadinessProbe().getHttpGet().getScheme()).isNull();
            }
        }
        assertThat(r.container("controller").getEnv()).as("a controller is reached at its pod IP").anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("RUNNEL_CONTROLLER_HOST");
            assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("status.podIP");
        });
        assertThat(String.join("\n", r.container("test").getCommand())).contains("http://events-runnel-gateway:8080");
    }

    @Test
    void theNotesSayHowToFetchTheClientSettingsAndTheCa() {
        String notes = new Helm(CHART).install().withName("events").withNamespace(NAMESPACE).dryRun()
                .withDryRunOption(DryRun.CLIENT).clientOnly().set("security.enabled", true)
                .set("broker.externalListener.enabled", true).set("broker.externalListener.advertisedHost", "kafka.acme.test")
                .call().getOutput();
        assertThat(notes)
                .contains("kubectl get secret -n streaming events-runnel-security -o jsonpath='{.data.ca\\.crt}' | base64 -d > ca.crt")
                .contains("-o jsonpath='{.data.client-app\\.properties}' | base64 -d > client-app.properties")
                .contains("kafka-console-producer --bootstrap-server kafka.acme.test:30092 --producer.config client-app.properties")
                .contains("kcat -b kafka.acme.test:30092 -X security.protocol=SASL_SSL -X sasl.mechanisms=SCRAM-SHA-512")
                .contains("-X ssl.ca.location=ca.crt")
                .contains("Clients outside Kubernetes use the EXTERNAL listener (SASL_SSL)")
                .contains("open https://localhost:8080/");
        String inside = new Helm(CHART).install().withName("events").withNamespace(NAMESPACE).dryRun()
                .withDryRunOption(DryRun.CLIENT).clientOnly().set("security.enabled", true).call().getOutput();
        assertThat(inside).contains(
                "kafka-console-producer --bootstrap-server events-runnel-broker.streaming.svc.cluster.local:9092");
    }
}
