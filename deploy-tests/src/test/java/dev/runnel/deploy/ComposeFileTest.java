package dev.runnel.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.actuate.autoconfigure.web.server.ManagementServerProperties;
import org.springframework.boot.autoconfigure.ssl.JksSslBundleProperties;
import org.springframework.boot.autoconfigure.ssl.SslProperties;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.ConfigTreePropertySource;
import org.springframework.boot.web.server.Ssl;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.yaml.snakeyaml.Yaml;

import dev.runnel.broker.config.BrokerProperties;
import dev.runnel.broker.config.ListenerProperties;
import dev.runnel.broker.protocol.Listener;
import dev.runnel.broker.protocol.Listeners;
import dev.runnel.cluster.ClusterSettings;
import dev.runnel.cluster.zookeeper.ZooKeeperSettings;
import dev.runnel.controller.ControllerProperties;
import dev.runnel.gateway.GatewayProperties;
import dev.runnel.gateway.security.GatewaySecurityProperties;

/**
 * {@code docker-compose.yml} against what the services read: Debian's {@code docker-compose}
 * accepts it; every {@code RUNNEL_*} variable binds, through Spring Boot's own relaxed binding, to
 * a property the service has (an unknown one fails the bind); broker ids, listeners, ports and
 * volumes are distinct and follow the service names (an internal listener advertised by service
 * name for replication and the gateway, an external one advertised on and published to the host's
 * loopback); only 127.0.0.1 of the host gets ports, never ZooKeeper's; each health check asks the
 * port the service serves on; every Runnel service waits for what it needs to be healthy.
 */
class ComposeFileTest {

    private static final Path COMPOSE = Path.of("..", "docker-compose.yml");
    private static final Pattern HEALTH_PORT = Pattern.compile("/dev/tcp/127\\.0\\.0\\.1/(\\d+)");

    private static Map<String, Map<String, Object>> services;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws Exception {
        Map<String, Object> file = new Yaml().load(Files.readString(COMPOSE));
        services = (Map<String, Map<String, Object>>) file.get("services");
    }

    private static Map<String, String> env(String service) {
        return env(services, service);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> env(Map<String, Map<String, Object>> services, String service) {
        Map<String, String> env = new HashMap<>();
        ((Map<String, Object>) services.get(service).get("environment")).forEach((k, v) -> env.put(k, String.valueOf(v)));
        return env;
    }

    /** The service's environment as Spring Boot reads it from the process environment. */
    private static Binder binder(String service) {
        return binder(env(service));
    }

    private static Binder binder(Map<String, String> env) {
        MutablePropertySources sources = new MutablePropertySources();
        sources.addFirst(new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                new HashMap<>(env)));
        return new Binder(ConfigurationPropertySources.from(sources));
    }

    /**
     * Binds {@code prefix} from the service's environment to the service's own properties class,
     * and fails if any variable under it was not used, i.e. names no property of that class.
     */
    private static <T> T bindStrictly(String service, String prefix, Class<T> type) {
        return bindStrictly(service, env(service), prefix, type);
    }

    private static <T> T bindStrictly(String service, Map<String, String> env, String prefix, Class<T> type) {
        Set<String> used = new HashSet<>();
        T bound = bindRecording(service, env, prefix, type, used);
        assertEveryVariableUsed(service, env, prefix, used, type.getSimpleName());
        return bound;
    }

    /** A broker's settings under {@code runnel.broker}: the core ones and the listener/security ones, bound strictly together. */
    private record BrokerSettings(BrokerProperties broker, ListenerProperties listener) {
        Listeners listeners() {
            return Listeners.parse(listener.getListeners(), listener.getAdvertisedListeners(),
                    listener.getListenerSecurityProtocolMap(), listener.getInterBrokerListenerName(), broker.getHost());
        }
    }

    private static BrokerSettings bindBroker(String service, Map<String, String> env) {
        Set<String> used = new HashSet<>();
        BrokerSettings settings = new BrokerSettings(
                bindRecording(service, env, "runnel.broker", BrokerProperties.class, used),
                bindRecording(service, env, "runnel.broker", ListenerProperties.class, used));
        assertEveryVariableUsed(service, env, "runnel.broker", used, "BrokerProperties or ListenerProperties");
        return settings;
    }

    private static <T> T bindRecording(String service, Map<String, String> env, String prefix, Class<T> type,
            Set<String> used) {
        BindHandler recorder = DeployTestSupport.recordingUsed(used);
        return binder(env).bind(prefix, Bindable.of(type), recorder)
                .orElseThrow(() -> new AssertionError(service + " sets nothing under " + prefix + " for " + type.getSimpleName()));
    }

    private static void assertEveryVariableUsed(String service, Map<String, String> env, String prefix, Set<String> used,
            String what) {
        String envPrefix = prefix.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace("-", "") + "_";
        Set<String> given = new HashSet<>();
        env.keySet().stream().filter(k -> k.startsWith(envPrefix)).forEach(given::add);
        assertThat(used).as(service + ": every " + envPrefix + "* variable names a property of " + what)
                .containsAll(given);
    }

    private static int healthPort(String service) {
        return healthPort(services, service);
    }

    private static int healthPort(Map<String, Map<String, Object>> services, String service) {
        @SuppressWarnings("unchecked")
        Map<String, Object> health = (Map<String, Object>) services.get(service).get("healthcheck");
        Matcher m = HEALTH_PORT.matcher(String.valueOf(health.get("test")));
        assertThat(m.find()).as(service + " health check names a port").isTrue();
        assertThat(String.valueOf(health.get("test"))).as(service).contains("/actuator/health/readiness");
        return Integer.parseInt(m.group(1));
    }

    private static void assumeDockerCompose() {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/docker-compose")),
                "needs Debian's docker-compose (apt-get install docker-compose; .ci/run installs it)");
    }

    @Test
    void dockerComposeAcceptsTheFile() throws Exception {
        assumeDockerCompose();
        ProcessBuilder builder = new ProcessBuilder("docker-compose", "-f", COMPOSE.toString(), "config", "-q")
                .redirectErrorStream(true);
        builder.environment().put("RUNNEL_CLUSTER_SECRET", "a-secret-for-the-check");
        builder.environment().put("RUNNEL_GATEWAY_PASSWORD", "a-password-for-the-check");
        builder.environment().put("RUNNEL_ZOOKEEPER_PASSWORD", "a-zookeeper-password-for-the-check");
        Process config = builder.start();
        String output = new String(config.getInputStream().readAllBytes());
        assertThat(config.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(config.exitValue()).as(output).isZero();

        Process missing = new ProcessBuilder("docker-compose", "-f", COMPOSE.toString(), "config", "-q")
                .redirectErrorStream(true).start();
        String refused = new String(missing.getInputStream().readAllBytes());
        assertThat(missing.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(missing.exitValue()).as("no secret, no cluster").isNotZero();
        assertThat(refused).contains("set RUNNEL_CLUSTER_SECRET");
    }

    private static List<String> ports(String service) {
        return ports(services, service);
    }

    @SuppressWarnings("unchecked")
    private static List<String> ports(Map<String, Map<String, Object>> services, String service) {
        Object ports = services.get(service).get("ports");
        return ports == null ? List.of() : ((List<Object>) ports).stream().map(String::valueOf).toList();
    }

    @Test
    void brokersHaveDistinctIdsListenersPortsAndVolumesThatTheyActuallyRead() {
        Set<Integer> kafkaPorts = new HashSet<>();
        Set<String> logVolumes = new HashSet<>();
        for (int id = 1; id <= 3; id++) {
            String service = "broker-" + id;
            int external = 9091 + id;
            BrokerSettings settings = bindBroker(service, env(service));
            BrokerProperties broker = settings.broker();
            assertThat(broker.getId()).as(service).isEqualTo(id);
            assertThat(broker.getHost()).as(service + " is reached by its service name").isEqualTo(service);
            Listeners listeners = settings.listeners();
            assertThat(listeners.interBroker().name()).isEqualTo("INTERNAL");
            assertThat(listeners.interBroker().advertisedHost() + ":" + listeners.interBroker().advertisedPort())
                    .as(service + " replicates by service name").isEqualTo(service + ":19092");
            Listener outside = listeners.all().stream().filter(l -> l.name().equals("EXTERNAL")).findFirst().orElseThrow();
            assertThat(outside.advertisedHost()).as(service + " tells host clients the host's loopback").isEqualTo("127.0.0.1");
            assertThat(outside.port()).isEqualTo(external);
            assertThat(outside.advertisedPort()).isEqualTo(external);
            assertThat(ports(service)).as(service + " publishes its external listener on the host's loopback")
                    .contains("127.0.0.1:" + external + ":" + external);
            assertThat(broker.getLogDirs()).containsExactly(Path.of("/var/lib/runnel"));
            kafkaPorts.add(external);
            assertThat(binder(service).bind("server.port", Integer.class).get()).isEqualTo(8090 + id)
                    .isEqualTo(healthPort(service));
            assertThat(bindStrictly(service, "runnel.cluster", ClusterSettings.class).getSecret()).isNotBlank();
            @SuppressWarnings("unchecked")
            List<String> volumes = (List<String>) services.get(service).get("volumes");
            assertThat(volumes).containsExactly(service + "-data:/var/lib/runnel");
            logVolumes.add(volumes.get(0));
            assertThat(String.valueOf(services.get(service).get("stop_grace_period"))).as("time for controlled shutdown")
                    .isEqualTo("60s");
        }
        assertThat(kafkaPorts).hasSize(3);
        assertThat(logVolumes).hasSize(3);
    }

    @Test
    void controllersAndGatewayReadTheirSettingsAndServeWhereTheirHealthChecksLook() {
        for (int id = 1; id <= 2; id++) {
            String service = "controller-" + id;
            ControllerProperties controller = bindStrictly(service, "runnel.controller", ControllerProperties.class);
            assertThat(controller.getId()).isEqualTo(id);
            assertThat(binder(service).bind("server.port", Integer.class).get()).isEqualTo(healthPort(service));
        }
        assertThat(binder("controller-1").bind("server.port", Integer.class).get())
                .isNotEqualTo(binder("controller-2").bind("server.port", Integer.class).get());
        GatewaySecurityProperties security = bindStrictly("gateway", "runnel.gateway.security",
                GatewaySecurityProperties.class);
        assertThat(security.getUsers()).hasSize(1);
        assertThat(security.getUsers().get(0).getName()).isEqualTo("admin");
        assertThat(security.getUsers().get(0).getRole()).isEqualTo(GatewaySecurityProperties.Role.ADMIN);
        assertThat(binder("gateway").bind("server.port", Integer.class).get()).isEqualTo(8080)
                .isEqualTo(healthPort("gateway"));
        for (String service : services.keySet()) {
            if (!service.equals("zookeeper")) {
                assertThat(bindStrictly(service, "runnel.zookeeper", ZooKeeperSettings.class).getAuth().getPassword())
                        .as(service + " authenticates to ZooKeeper with the one password given")
                        .isEqualTo("${RUNNEL_ZOOKEEPER_PASSWORD:-}");
                assertThat(env(service).get("SPRING_CLOUD_ZOOKEEPER_CONNECT_STRING")).as(service).isEqualTo("zookeeper:2181");
                assertThat(binder(service).bind("server.address", String.class).get())
                        .as(service + " listens in its container for the network").isEqualTo("0.0.0.0");
                int http = binder(service).bind("server.port", Integer.class).get();
                assertThat(ports(service)).as(service + " publishes its HTTP port on the host's loopback")
                        .contains("127.0.0.1:" + http + ":" + http);
            }
            assertThat(ports(service)).as(service + ": only the host's loopback gets ports")
                    .allMatch(p -> p.startsWith("127.0.0.1:"));
            assertThat(services.get(service)).as(service).doesNotContainKey("network_mode");
            assertThat(String.valueOf(services.get(service).get("networks"))).as(service).contains("runnel");
        }
        assertThat(ports("zookeeper")).as("ZooKeeper is reachable inside the network only").isEmpty();
        assertThat(env("zookeeper").get("ZOO_SERVERS")).endsWith(";2181");
        assertThat(bindStrictly("gateway", "runnel.gateway.kafka", GatewayProperties.Kafka.class).getListener())
                .as("the gateway uses the brokers' internal listener").isEqualTo("INTERNAL");
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyServiceWaitsForWhatItNeedsToBeHealthy() {
        Map<String, List<String>> needs = Map.of("controller-1", List.of("zookeeper"), "controller-2", List.of("zookeeper"),
                "broker-1", List.of("controller-1"), "broker-2", List.of("controller-1"), "broker-3", List.of("controller-1"),
                "gateway", List.of("broker-1", "broker-2", "broker-3"));
        needs.forEach((service, dependencies) -> {
            Map<String, Map<String, String>> dependsOn = (Map<String, Map<String, String>>) services.get(service)
                    .get("depends_on");
            assertThat(dependsOn).as(service).containsOnlyKeys(dependencies);
            dependsOn.values().forEach(c -> assertThat(c.get("condition")).isEqualTo("service_healthy"));
        });
        assertThat(services.get("zookeeper").get("healthcheck")).isNotNull();
        assertThat(String.valueOf(services.get("zookeeper").get("image"))).startsWith("zookeeper:");
    }

    /**
     * {@code docker-compose.secure.yml} merged over the file by {@code docker-compose config}, with
     * the secrets {@code bin/compose-secrets} writes: EXTERNAL is SASL_SSL and INTERNAL
     * SASL_PLAINTEXT, the authorizer is on with admin as super user, users and ACLs come from the
     * mounted files, the stores' passwords and the gateway's login from config trees whose file
     * names are the properties the services read, and the gateway's kafka-clients settings arrive
     * under their own (dotted) names.
     */
    @Test
    @SuppressWarnings("unchecked")
    void theSecureOverrideMakesExternalSaslSslWithAclsFromTheGeneratedSecrets(@TempDir Path secrets) throws Exception {
        Map<String, Map<String, Object>> merged = secureConfig(secrets);

        assertThat(String.valueOf(merged.get("secrets").get("volumes"))).contains(secrets.toString());
        for (int id = 1; id <= 3; id++) {
            String service = "broker-" + id;
            Map<String, String> env = env(merged, service);
            assertThat(((Map<String, Object>) merged.get(service).get("depends_on"))).containsKey("secrets");
            assertThat(String.valueOf(merged.get(service).get("volumes"))).contains("runnel-secrets:/etc/runnel/secrets:ro");
            BrokerSettings settings = bindBroker(service, env);
            ListenerProperties broker = settings.listener();
            Listeners listeners = settings.listeners();
            assertThat(listeners.all()).extracting(l -> l.name() + ":" + l.protocol()).containsExactlyInAnyOrder(
                    "INTERNAL:SASL_PLAINTEXT", "EXTERNAL:SASL_SSL");
            assertThat(broker.getAuthorizer().isEnabled()).isTrue();
            assertThat(broker.getAuthorizer().getSuperUsers()).isEqualTo("User:admin");
            // what the container sees under /etc/runnel/secrets is what bin/compose-secrets wrote
            assertThat(secrets.resolve(Path.of("/etc/runnel/secrets").relativize(broker.getAuthorizer().getBootstrapAclsFile())))
                    .content().contains("User:app READ GROUP PREFIXED app-");
            assertThat(secrets.resolve(Path.of("/etc/runnel/secrets").relativize(broker.getSasl().getBootstrapUsersFile())))
                    .content().contains("admin:").contains("app:");
            assertThat(secrets.resolve(Path.of("/etc/runnel/secrets").relativize(broker.getSsl().getKeystoreLocation())))
                    .isNotEmptyFile();
            ListenerProperties fromTree = bindConfigTree(secrets, env.get("SPRING_CONFIG_IMPORT"), "runnel.broker",
                    ListenerProperties.class);
            assertThat(fromTree.getSsl().getKeystorePassword()).isNotBlank()
                    .isEqualTo(Files.readString(secrets.resolve("client/store-password")).strip());
            assertThat(fromTree.getSsl().getTruststorePassword()).isEqualTo(fromTree.getSsl().getKeystorePassword());
        }
        Map<String, String> gatewayEnv = env(merged, "gateway");
        GatewayProperties.Kafka kafka = bindStrictly("gateway", gatewayEnv, "runnel.gateway.kafka", GatewayProperties.Kafka.class);
        assertThat(kafka.getListener()).isEqualTo("INTERNAL");
        assertThat(kafka.getProperties()).containsEntry("security.protocol", "SASL_PLAINTEXT")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512");
        GatewayProperties fromTree = bindConfigTree(secrets, gatewayEnv.get("SPRING_CONFIG_IMPORT"), "runnel.gateway",
                GatewayProperties.class);
        assertThat(fromTree.getKafka().getProperties().get("sasl.jaas.config"))
                .startsWith("org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\"");
    }

    /**
     * Runs {@code bin/compose-secrets} into {@code secrets} and returns the services of {@code
     * docker-compose.secure.yml} merged over the file by {@code docker-compose config}.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> secureConfig(Path secrets) throws Exception {
        assumeDockerCompose();
        ProcessBuilder generating = new ProcessBuilder(Path.of("..", "bin", "compose-secrets").toString())
                .redirectErrorStream(true);
        generating.environment().put("RUNNEL_COMPOSE_SECRETS", secrets.toString());
        Process made = generating.start();
        String generated = new String(made.getInputStream().readAllBytes());
        assertThat(made.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(made.exitValue()).as(generated).isZero();

        ProcessBuilder builder = new ProcessBuilder("docker-compose", "-f", COMPOSE.toString(), "-f",
                Path.of("..", "docker-compose.secure.yml").toString(), "config").redirectErrorStream(false);
        builder.environment().put("RUNNEL_CLUSTER_SECRET", "a-secret-for-the-check");
        builder.environment().put("RUNNEL_GATEWAY_PASSWORD", "a-password-for-the-check");
        builder.environment().put("RUNNEL_COMPOSE_SECRETS", secrets.toString());
        Process config = builder.start();
        String output = new String(config.getInputStream().readAllBytes());
        assertThat(config.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(config.exitValue()).as(new String(config.getErrorStream().readAllBytes())).isZero();
        Map<String, Map<String, Object>> merged = (Map<String, Map<String, Object>>) ((Map<String, Object>) new Yaml()
                .load(output)).get("services");
        return merged;
    }

    /**
     * The secure overlay's internal HTTP API on TLS: controllers and brokers name the SSL bundle
     * (runnel.cluster.ssl-bundle) and give it, as Spring Boot binds {@code spring.ssl}, a key store
     * and trust store that bin/compose-secrets wrote, whose passwords come from their config trees and
     * whose certificate names the service (its advertised host) and is signed by what the trust
     * stores trust; the gateway names the bundle with a trust store only. Their health checks ask
     * Actuator on a management port of the container's loopback, plain HTTP, not the HTTPS port.
     */
    @Test
    void theSecureOverridePutsTheInternalHttpApiOnTlsWithCertificatesNamingTheServices(@TempDir Path secrets)
            throws Exception {
        Map<String, Map<String, Object>> merged = secureConfig(secrets);
        String copied = String.valueOf(merged.get("secrets").get("entrypoint"));
        String storePassword = Files.readString(secrets.resolve("client/store-password")).strip();
        List<String> servers = List.of("controller-1", "controller-2", "broker-1", "broker-2", "broker-3");
        for (String service : merged.keySet()) {
            if (!servers.contains(service) && !service.equals("gateway")) {
                continue;
            }
            Map<String, String> env = env(merged, service);
            assertThat(bindStrictly(service, env, "runnel.cluster", ClusterSettings.class).getSslBundle())
                    .as(service).isEqualTo("internal");
            @SuppressWarnings("unchecked")
            Map<String, Object> dependsOn = (Map<String, Object>) merged.get(service).get("depends_on");
            assertThat(dependsOn).as(service + " starts after the secrets are copied").containsKey("secrets");
            assertThat(String.valueOf(merged.get(service).get("volumes"))).as(service)
                    .contains("runnel-secrets:/etc/runnel/secrets:ro");
            JksSslBundleProperties bundle = bindStrictly(service, env, "spring.ssl", SslProperties.class).getBundle()
                    .getJks().get("internal");
            assertThat(bundle).as(service + " defines the SSL bundle it names").isNotNull();
            assertThat(bundle.isReloadOnUpdate()).as(service).isTrue();
            JksSslBundleProperties passwords = bindConfigTree(secrets, env.get("SPRING_CONFIG_IMPORT"), "spring.ssl",
                    SslProperties.class).getBundle().getJks().get("internal");
            assertThat(passwords).as(service + ": the bundle's passwords in its config tree").isNotNull();
            assertThat(bundle.getTruststore().getType()).as(service).isEqualTo("PKCS12");
            assertThat(passwords.getTruststore().getPassword()).as(service).isEqualTo(storePassword);
            KeyStore trustStore = load(secrets, copied, service, bundle.getTruststore().getLocation(), storePassword);
            if (service.equals("gateway")) {
                assertThat(bundle.getKeystore().getLocation()).as("the gateway only calls, trusting").isNull();
                assertThat(binder(env).bind("server.port", Integer.class).get()).isEqualTo(healthPort(merged, service));
                continue;
            }
            assertThat(bundle.getKeystore().getType()).as(service).isEqualTo("PKCS12");
            assertThat(passwords.getKeystore().getPassword()).as(service).isEqualTo(storePassword);
            KeyStore keyStore = load(secrets, copied, service, bundle.getKeystore().getLocation(), storePassword);
            String alias = bundle.getKey().getAlias();
            assertThat(keyStore.isKeyEntry(alias)).as(service + ": key alias " + alias).isTrue();
            X509Certificate certificate = (X509Certificate) keyStore.getCertificate(alias);
            String advertised = service.startsWith("broker-")
                    ? bindBroker(service, env).broker().getHost()
                    : bindStrictly(service, env, "runnel.controller", ControllerProperties.class).getHost();
            assertThat(advertised).as(service + " is called by its service name").isEqualTo(service);
            assertThat(dnsNames(certificate)).as(service + ": the certificate names the service").contains(service);
            assertThat(signedByOneOf(certificate, trustStore)).as(service + ": its trust store trusts its certificate")
                    .isTrue();
            KeyStore gatewayTrust = load(secrets, copied, "gateway", bindStrictly("gateway", env(merged, "gateway"),
                    "spring.ssl", SslProperties.class).getBundle().getJks().get("internal").getTruststore().getLocation(),
                    storePassword);
            assertThat(signedByOneOf(certificate, gatewayTrust)).as("the gateway trusts " + service).isTrue();

            assertThat(env.keySet()).as(service + ": TLS from the bundle, not server.ssl")
                    .noneMatch(k -> k.startsWith("SERVER_SSL_"));
            int health = healthPort(merged, service);
            ManagementServerProperties management = bindStrictly(service, env, "management.server",
                    ManagementServerProperties.class);
            assertThat(management.getPort()).as(service + ": the health check asks the management port").isEqualTo(health)
                    .isNotEqualTo(binder(env).bind("server.port", Integer.class).get());
            assertThat(management.getAddress().getHostAddress()).as(service + ": Actuator on the container's loopback only")
                    .isEqualTo("127.0.0.1");
            assertThat(Ssl.isEnabled(management.getSsl())).as(service + ": the management port is plain HTTP").isFalse();
            assertThat(ports(merged, service)).as(service + ": the management port is not published")
                    .noneMatch(p -> p.replaceFirst("/tcp$", "").endsWith(":" + health));
        }
    }

    /** The store at {@code location} (file:/etc/runnel/secrets/...) as bin/compose-secrets wrote it. */
    private static KeyStore load(Path secrets, String copied, String service, String location, String password)
            throws Exception {
        assertThat(location).as(service).startsWith("file:/etc/runnel/secrets/");
        Path relative = Path.of(location.substring("file:/etc/runnel/secrets/".length()));
        assertThat(copied).as(service + ": the secrets service copies " + relative.getName(0))
                .contains("/generated/" + relative.getName(0));
        Path file = secrets.resolve(relative);
        assertThat(file).as(service).isNotEmptyFile();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, password.toCharArray());
        }
        return store;
    }

    private static List<String> dnsNames(X509Certificate certificate) throws Exception {
        return certificate.getSubjectAlternativeNames() == null ? List.of()
                : certificate.getSubjectAlternativeNames().stream().filter(n -> Integer.valueOf(2).equals(n.get(0)))
                        .map(n -> String.valueOf(n.get(1))).toList();
    }

    private static boolean signedByOneOf(X509Certificate certificate, KeyStore trustStore) throws Exception {
        for (String alias : Collections.list(trustStore.aliases())) {
            Certificate trusted = trustStore.getCertificate(alias);
            try {
                certificate.verify(trusted.getPublicKey());
                return true;
            } catch (java.security.GeneralSecurityException notThisOne) {
                // the next
            }
        }
        return false;
    }

    /** Binds {@code prefix} from the config tree {@code configtree:/etc/runnel/secrets/...} as found under {@code secrets}. */
    private static <T> T bindConfigTree(Path secrets, String springConfigImport, String prefix, Class<T> type) {
        assertThat(springConfigImport).startsWith("configtree:/etc/runnel/secrets/");
        Path tree = secrets.resolve(springConfigImport.substring("configtree:/etc/runnel/secrets/".length()));
        MutablePropertySources sources = new MutablePropertySources();
        sources.addFirst(new ConfigTreePropertySource("tree", tree, ConfigTreePropertySource.Option.AUTO_TRIM_TRAILING_NEW_LINE));
        return new Binder(ConfigurationPropertySources.from(sources)).bind(prefix, Bindable.of(type)).get();
    }
}
