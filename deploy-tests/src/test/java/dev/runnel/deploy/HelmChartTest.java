package dev.runnel.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import com.marcnuri.helm.DryRun;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.Release;
import com.marcnuri.helm.TemplateCommand;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

import dev.runnel.broker.protocol.Listener;
import dev.runnel.broker.protocol.Listeners;

/**
 * The Helm chart {@code helm/runnel} through real Helm (embedded by helm-java): {@code helm lint}
 * is clean, and {@code helm template} for the default values and for other combinations renders
 * manifests that, parsed with the fabric8 Kubernetes model, agree with the services: probes ask
 * Actuator on the port the service serves on, brokers advertise names of their headless Service,
 * replica counts and disruption budgets are as set.
 */
class HelmChartTest {

    private static final Path CHART = Path.of("..", "helm", "runnel");
    private static final String NAMESPACE = "streaming";

    /** The rendered objects by kind and name. */
    private record Rendered(Map<String, HasMetadata> objects) {

        <T extends HasMetadata> T get(Class<T> type, String name) {
            return find(type, name).orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name
                    + " in " + objects.keySet()));
        }

        <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
            HasMetadata object = objects.get(type.getSimpleName() + "/" + name);
            return object == null ? Optional.empty() : Optional.of(type.cast(object));
        }

        List<String> kinds() {
            return objects.keySet().stream().map(k -> k.substring(0, k.indexOf('/'))).toList();
        }
    }

    private static Rendered render(Map<String, Object> values) {
        TemplateCommand template = new Helm(CHART).template().withName("events").withNamespace(NAMESPACE);
        values.forEach(template::set);
        return new Rendered(DeployTestSupport.manifests(template.call()));
    }

    private static String env(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst()
                .orElse(null);
    }

    private static boolean hasEnv(Container container, String name) {
        return container.getEnv().stream().anyMatch(e -> e.getName().equals(name));
    }

    /** Probes go to Actuator's liveness and readiness groups on the named port the service listens on. */
    private static void assertProbesMatchThePort(PodTemplateSpec pod) {
        Container container = pod.getSpec().getContainers().get(0);
        ContainerPort http = container.getPorts().stream().filter(p -> "http".equals(p.getName())).findFirst().orElseThrow();
        assertThat(env(container, "SERVER_PORT")).as(container.getName() + " serves on its http port")
                .isEqualTo(String.valueOf(http.getContainerPort()));
        for (Probe probe : List.of(container.getLivenessProbe(), container.getReadinessProbe(), container.getStartupProbe())) {
            assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("http");
        }
        assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/liveness");
        assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/readiness");
        assertThat(container.getStartupProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/liveness");
        assertThat(pod.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(pod.getSpec().getAffinity().getPodAntiAffinity()).isNotNull();
    }

    private static void assertSelects(PodDisruptionBudget pdb, PodTemplateSpec pod) {
        assertThat(pod.getMetadata().getLabels()).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
    }

    @Test
    void helmLintIsClean() {
        LintResult lint = new Helm(CHART).lint().strict().call();
        assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
        assertThat(lint.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @Test
    void theDefaultValuesRenderAConsistentCluster() {
        Rendered r = render(Map.of());
        System.out.println("default values render: " + r.kinds());

        StatefulSet brokers = r.get(StatefulSet.class, "events-runnel-broker");
        assertThat(brokers.getSpec().getReplicas()).isEqualTo(3);
        Service headless = r.get(Service.class, brokers.getSpec().getServiceName());
        assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(brokers.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(headless.getSpec().getSelector());
        Container broker = brokers.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(env(broker, "RUNNEL_BROKER_HOST")).as("each broker advertises its name under the headless Service")
                .isEqualTo("$(POD_NAME)." + headless.getMetadata().getName() + "." + NAMESPACE + ".svc.cluster.local");
        assertThat(broker.getEnv().get(0).getName()).as("POD_NAME is defined before it is used").isEqualTo("POD_NAME");
        assertThat(broker.getCommand()).anySatisfy(c -> assertThat(c).contains("RUNNEL_BROKER_ID=$(( ${POD_NAME##*-} + 1 ))"));
        ContainerPort kafka = broker.getPorts().stream().filter(p -> "kafka".equals(p.getName())).findFirst().orElseThrow();
        assertThat(env(broker, "RUNNEL_BROKER_KAFKA_PORT")).isEqualTo(String.valueOf(kafka.getContainerPort()));
        assertThat(headless.getSpec().getPorts()).anySatisfy(p -> assertThat(p.getPort()).isEqualTo(kafka.getContainerPort()));
        assertThat(env(broker, "RUNNEL_BROKER_LISTEN_HOST")).isEqualTo("0.0.0.0");
        assertThat(brokers.getSpec().getVolumeClaimTemplates()).hasSize(1);
        assertThat(brokers.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds()).isGreaterThanOrEqualTo(60L);
        assertProbesMatchThePort(brokers.getSpec().getTemplate());
        PodDisruptionBudget brokerPdb = r.get(PodDisruptionBudget.class, "events-runnel-broker");
        assertThat(brokerPdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertSelects(brokerPdb, brokers.getSpec().getTemplate());

        Deployment controllers = r.get(Deployment.class, "events-runnel-controller");
        assertThat(controllers.getSpec().getReplicas()).isEqualTo(2);
        assertProbesMatchThePort(controllers.getSpec().getTemplate());
        assertSelects(r.get(PodDisruptionBudget.class, "events-runnel-controller"), controllers.getSpec().getTemplate());
        Container controller = controllers.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(controller.getEnv()).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo("RUNNEL_CONTROLLER_HOST");
            assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("status.podIP");
        });
        assertThat(env(controller, "SERVER_ADDRESS")).as("reachable at its pod IP, not only on loopback")
                .isEqualTo("0.0.0.0");
        assertThat(env(controller, "RUNNEL_HTTP_ALLOWED_HOSTS")).as("it answers to its Service's names")
                .contains("events-runnel-controller", "events-runnel-controller." + NAMESPACE + ".svc.cluster.local");

        StatefulSet zookeeper = r.get(StatefulSet.class, "events-runnel-zookeeper");
        assertThat(zookeeper.getSpec().getReplicas()).isEqualTo(3);
        Service zkHeadless = r.get(Service.class, zookeeper.getSpec().getServiceName());
        String connect = env(broker, "SPRING_CLOUD_ZOOKEEPER_CONNECT_STRING");
        assertThat(connect.split(",")).hasSize(3).allSatisfy(h -> assertThat(h)
                .matches("events-runnel-zookeeper-[0-2]\\." + zkHeadless.getMetadata().getName() + "\\." + NAMESPACE
                        + "\\.svc\\.cluster\\.local:2181"));
        assertThat(env(controller, "SPRING_CLOUD_ZOOKEEPER_CONNECT_STRING")).isEqualTo(connect);
        assertSelects(r.get(PodDisruptionBudget.class, "events-runnel-zookeeper"), zookeeper.getSpec().getTemplate());
        Container zk = zookeeper.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(zk.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/data"));
        assertThat(env(zk, "ZOO_DATA_LOG_DIR")).as("the transaction log is on the volume").startsWith("/data/");

        Deployment gateway = r.get(Deployment.class, "events-runnel-gateway");
        assertProbesMatchThePort(gateway.getSpec().getTemplate());
        Container gatewayContainer = gateway.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(env(gatewayContainer, "SPRING_CLOUD_ZOOKEEPER_CONNECT_STRING")).isEqualTo(connect);
        assertThat(hasEnv(gatewayContainer, "RUNNEL_GATEWAY_SECURITY_USERS_0_PASSWORD")).isTrue();
        assertThat(hasEnv(gatewayContainer, "RUNNEL_CLUSTER_SECRET")).as("it calls controllers with the cluster secret")
                .isTrue();
        for (Container service : List.of(controller, broker)) {
            assertThat(hasEnv(service, "RUNNEL_CLUSTER_SECURITY_USERS_0_PASSWORD"))
                    .as(service.getName() + " knows the admin user, for its admin API and Actuator").isTrue();
        }
        for (Container service : List.of(controller, broker, gatewayContainer)) {
            assertThat(service.getEnv()).as(service.getName() + " authenticates to ZooKeeper").anySatisfy(e -> {
                assertThat(e.getName()).isEqualTo("RUNNEL_ZOOKEEPER_AUTH_PASSWORD");
                assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("events-runnel-cluster");
                assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("zookeeper-password");
                assertThat(e.getValueFrom().getSecretKeyRef().getOptional()).as("a Secret from before it leaves it off")
                        .isTrue();
            });
        }
        Service gatewayService = r.get(Service.class, "events-runnel-gateway");
        assertThat(gatewayService.getSpec().getSessionAffinity()).as("REST consumer instances live in one pod")
                .isEqualTo("ClientIP");
        assertThat(gateway.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(gatewayService.getSpec().getSelector());
        assertThat(r.find(Ingress.class, "events-runnel-gateway")).isEmpty();
        assertThat(env(gatewayContainer, "RUNNEL_HTTP_ALLOWED_HOSTS").split(",")).as("the names the helm test and "
                + "in-cluster clients call it by").contains("events-runnel-gateway", "events-runnel-gateway." + NAMESPACE,
                "events-runnel-gateway." + NAMESPACE + ".svc", "events-runnel-gateway." + NAMESPACE + ".svc.cluster.local");

        // Hooks (the generated Secrets, the helm test Pod) are left out of helm template's output;
        // helm lint renders and checks them.
        assertThat(gatewayContainer.getEnv()).anySatisfy(e -> assertThat(e.getValueFrom() == null ? null
                : e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("events-runnel-gateway"));
        assertThat(r.kinds()).doesNotContain("ServiceMonitor", "ClusterRole");
    }

    @Test
    void otherValueCombinationsRenderWhatTheyAskFor() {
        List<String> rendered = new ArrayList<>();

        Rendered external = render(Map.of("zookeeper.enabled", false, "zookeeper.external.connectString",
                "zk-a:2181,zk-b:2181,zk-c:2181"));
        rendered.add("external ZooKeeper");
        assertThat(external.find(StatefulSet.class, "events-runnel-zookeeper")).isEmpty();
        Container broker = external.get(StatefulSet.class, "events-runnel-broker").getSpec().getTemplate().getSpec()
                .getContainers().get(0);
        assertThat(env(broker, "SPRING_CLOUD_ZOOKEEPER_CONNECT_STRING")).isEqualTo("zk-a:2181,zk-b:2181,zk-c:2181");

        Rendered five = render(Map.of("broker.replicas", 5));
        rendered.add("5 brokers");
        assertThat(five.get(StatefulSet.class, "events-runnel-broker").getSpec().getReplicas()).isEqualTo(5);
        assertThat(five.get(PodDisruptionBudget.class, "events-runnel-broker").getSpec().getMaxUnavailable().getIntVal())
                .isEqualTo(1);

        Rendered ingress = render(Map.of("gateway.ingress.enabled", true, "gateway.ingress.host", "runnel.acme.test",
                "gateway.ingress.className", "nginx", "gateway.allowedHosts[0]", "events.acme.test",
                "gateway.allowedHosts[1]", ".lb.acme.test"));
        rendered.add("ingress on");
        Ingress in = ingress.get(Ingress.class, "events-runnel-gateway");
        assertThat(in.getSpec().getRules().get(0).getHost()).isEqualTo("runnel.acme.test");
        assertThat(in.getSpec().getRules().get(0).getHttp().getPaths().get(0).getBackend().getService().getName())
                .isEqualTo(ingress.get(Service.class, "events-runnel-gateway").getMetadata().getName());
        assertThat(env(ingress.get(Deployment.class, "events-runnel-gateway").getSpec().getTemplate().getSpec()
                .getContainers().get(0), "RUNNEL_HTTP_ALLOWED_HOSTS").split(",")).as("it answers to the Ingress's host")
                .contains("runnel.acme.test", "events-runnel-gateway", "events.acme.test", ".lb.acme.test");

        Rendered ephemeral = render(Map.of("broker.persistence.enabled", false));
        rendered.add("persistence off");
        StatefulSet brokers = ephemeral.get(StatefulSet.class, "events-runnel-broker");
        assertThat(brokers.getSpec().getVolumeClaimTemplates()).isNullOrEmpty();
        assertThat(brokers.getSpec().getTemplate().getSpec().getVolumes()).anySatisfy(v -> {
            assertThat(v.getName()).isEqualTo("data");
            assertThat(v.getEmptyDir()).isNotNull();
        });

        Rendered everything = render(Map.of("broker.rack.enabled", true, "serviceMonitor.enabled", true,
                "podAntiAffinity", "hard", "gateway.enabled", false, "controller.replicas", 3));
        rendered.add("racks, ServiceMonitors, hard anti-affinity, no gateway, 3 controllers");
        StatefulSet racked = everything.get(StatefulSet.class, "events-runnel-broker");
        assertThat(racked.getSpec().getTemplate().getSpec().getInitContainers()).singleElement()
                .satisfies(c -> assertThat(String.join(" ", c.getCommand())).contains("topology.kubernetes.io/zone"));
        assertThat(racked.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("events-runnel-broker");
        assertThat(racked.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution()).hasSize(1);
        assertThat(everything.kinds()).contains("ServiceMonitor", "ClusterRole", "ClusterRoleBinding", "ServiceAccount")
                .doesNotContain("Ingress");
        assertThat(everything.find(Deployment.class, "events-runnel-gateway")).isEmpty();
        assertThat(everything.get(Deployment.class, "events-runnel-controller").getSpec().getReplicas()).isEqualTo(3);
        assertThat(hasEnv(everything.get(Deployment.class, "events-runnel-controller").getSpec().getTemplate().getSpec()
                .getContainers().get(0), "RUNNEL_CLUSTER_SECURITY_USERS_0_PASSWORD"))
                .as("without the gateway there is no admin user's Secret").isFalse();

        System.out.println("value combinations rendered besides the defaults: " + rendered);
    }

    @Test
    void anExternalListenerGivesEachBrokerANodePortItAdvertises() throws Exception {
        Rendered r = render(Map.of("broker.externalListener.enabled", true, "broker.externalListener.protocol", "SASL_SSL",
                "broker.externalListener.advertisedHost", "kafka-{id}.acme.test", "broker.externalListener.nodePortBase", 31000));
        StatefulSet brokers = r.get(StatefulSet.class, "events-runnel-broker");
        Container broker = brokers.getSpec().getTemplate().getSpec().getContainers().get(0);
        ContainerPort external = broker.getPorts().stream().filter(p -> "external".equals(p.getName())).findFirst()
                .orElseThrow();
        assertThat(hasEnv(broker, "RUNNEL_BROKER_KAFKA_PORT")).as("the listeners are named instead").isFalse();
        for (int ordinal = 0; ordinal < 3; ordinal++) {
            Service service = r.get(Service.class, "events-runnel-broker-external-" + ordinal);
            assertThat(service.getSpec().getType()).isEqualTo("NodePort");
            assertThat(service.getSpec().getSelector()).containsEntry("statefulset.kubernetes.io/pod-name",
                    "events-runnel-broker-" + ordinal);
            assertThat(brokers.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(
                    service.getSpec().getSelector().entrySet().stream()
                            .filter(e -> !e.getKey().startsWith("statefulset.kubernetes.io/"))
                            .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
            ServicePort port = service.getSpec().getPorts().get(0);
            assertThat(port.getNodePort()).isEqualTo(31000 + ordinal);
            assertThat(port.getTargetPort().getStrVal()).isEqualTo("external");

            // What the pod's command makes of it, run as the container would (java left out).
            String script = broker.getCommand().get(2).replace("exec java org.springframework.boot.loader.launch.JarLauncher",
                    "echo \"$RUNNEL_BROKER_ID $RUNNEL_BROKER_ADVERTISED_LISTENERS\"");
            String host = "events-runnel-broker-" + ordinal + ".events-runnel-broker-headless.streaming.svc.cluster.local";
            ProcessBuilder pod = new ProcessBuilder("bash", "-c", script);
            pod.environment().put("POD_NAME", "events-runnel-broker-" + ordinal);
            pod.environment().put("RUNNEL_BROKER_HOST", host);
            pod.environment().put("EXTERNAL_ADVERTISED_HOST", env(broker, "EXTERNAL_ADVERTISED_HOST"));
            Process run = pod.redirectErrorStream(true).start();
            String[] said = new String(run.getInputStream().readAllBytes()).strip().split(" ");
            assertThat(run.waitFor()).isZero();
            assertThat(said[0]).isEqualTo(String.valueOf(ordinal + 1));
            Listeners listeners = Listeners.parse(env(broker, "RUNNEL_BROKER_LISTENERS"), said[1],
                    env(broker, "RUNNEL_BROKER_LISTENER_SECURITY_PROTOCOL_MAP"),
                    env(broker, "RUNNEL_BROKER_INTER_BROKER_LISTENER_NAME"), host);
            assertThat(listeners.interBroker().name()).isEqualTo("INTERNAL");
            assertThat(listeners.interBroker().advertisedHost()).isEqualTo(host);
            Listener outside = listeners.all().stream().filter(l -> l.name().equals("EXTERNAL")).findFirst().orElseThrow();
            assertThat(outside.protocol().name()).isEqualTo("SASL_SSL");
            assertThat(outside.port()).isEqualTo(external.getContainerPort());
            assertThat(outside.advertisedHost() + ":" + outside.advertisedPort())
                    .isEqualTo("kafka-" + (ordinal + 1) + ".acme.test:" + (31000 + ordinal));
        }
        assertThat(r.find(Service.class, "events-runnel-broker-external-3")).isEmpty();
        assertThatThrownBy(() -> render(Map.of("broker.externalListener.enabled", true)))
                .hasMessageContaining("broker.externalListener.advertisedHost");
        assertThatThrownBy(() -> render(Map.of("broker.externalListener.protocol", "TLS")))
                .hasMessageContaining("/broker/externalListener/protocol");
    }

    @Test
    void aGivenClusterSecretGivesAZooKeeperPasswordThatAnUpgradeRendersTheSame() {
        Map<String, Object> values = Map.of("clusterSecret", "a-given-cluster-secret");
        Secret first = render(values).get(Secret.class,
                "events-runnel-cluster");
        Secret again = render(values).get(Secret.class,
                "events-runnel-cluster");
        assertThat(first.getData().get("zookeeper-password")).isNotBlank()
                .isEqualTo(again.getData().get("zookeeper-password"))
                .isNotEqualTo(first.getData().get("cluster-secret"));
    }

    @Test
    void theNotesSayHowToConnect() {
        Release release = new Helm(CHART).install().withName("events").withNamespace(NAMESPACE).dryRun()
                .withDryRunOption(DryRun.CLIENT).clientOnly().call();
        assertThat(release.getOutput())
                .contains("events-runnel-broker.streaming.svc.cluster.local:9092")
                .contains("events-runnel-broker-0.events-runnel-broker-headless.streaming.svc.cluster.local:9092")
                .contains("kubectl port-forward -n streaming svc/events-runnel-gateway 8080:8080")
                .contains("helm test events -n streaming");
    }

    @Test
    void valuesThatCannotWorkAreRefused() {
        assertThatThrownBy(() -> render(Map.of("zookeeper.enabled", false)))
                .hasMessageContaining("connectString");
        assertThatThrownBy(() -> render(Map.of("broker.replicas", 0))).hasMessageContaining("/broker/replicas");
        assertThatThrownBy(() -> render(Map.of("podAntiAffinity", "sometimes"))).hasMessageContaining("/podAntiAffinity");
    }
}
