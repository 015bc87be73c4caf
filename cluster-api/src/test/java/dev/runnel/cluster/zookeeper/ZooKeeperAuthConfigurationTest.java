package dev.runnel.cluster.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.ZooDefs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.cloud.zookeeper.ZookeeperAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

import dev.runnel.zookeeper.LocalZooKeeper;

/**
 * The Curator client Spring Cloud Zookeeper builds for a service, with {@link ZooKeeperAuthConfiguration}:
 * authenticated and putting the cluster's ACLs on what it creates when a password is set, unchanged
 * when none is (or an empty one, as an unset environment variable gives).
 */
class ZooKeeperAuthConfigurationTest {

    @TempDir
    Path dir;

    private LocalZooKeeper zookeeper;

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties
    @Import({ZooKeeperAuthConfiguration.class, ZookeeperAutoConfiguration.class})
    static class AService {
    }

    @BeforeEach
    void start() throws Exception {
        zookeeper = LocalZooKeeper.start(new LocalZooKeeper.Options("127.0.0.1", 0, Files.createDirectories(dir.resolve("zk"))));
    }

    @AfterEach
    void stop() {
        zookeeper.close();
    }

    private ConfigurableApplicationContext run(String... args) {
        List<String> all = new java.util.ArrayList<>(List.of("--spring.cloud.zookeeper.connect-string="
                + zookeeper.connectString(), "--runnel.cluster.namespace=ns"));
        all.addAll(List.of(args));
        return new SpringApplicationBuilder(AService.class).web(WebApplicationType.NONE).logStartupInfo(false)
                .run(all.toArray(String[]::new));
    }

    @Test
    void withAPasswordTheServiceAuthenticatesAndItsNodesCarryTheClusterAcls() throws Exception {
        try (ConfigurableApplicationContext service = run("--runnel.zookeeper.auth.username=svc",
                "--runnel.zookeeper.auth.password=s3cret")) {
            CuratorFramework zk = service.getBean(CuratorFramework.class);
            zk.usingNamespace("ns").create().creatingParentsIfNeeded().forPath("/topics/t", new byte[0]);

            NamespaceAcls expected = new NamespaceAcls("ns", "svc", "s3cret");
            assertThat(service.getBean(NamespaceAcls.class).root()).isEqualTo("/ns");
            assertThat(zk.getACL().forPath("/ns/topics/t")).isEqualTo(expected.getAclForPath("/ns/topics/t"));
            assertThat(zk.getACL().forPath("/ns")).isEqualTo(expected.getAclForPath("/ns"));
        }
    }

    @Test
    void withoutAPasswordNothingChanges() throws Exception {
        for (String[] args : List.of(new String[0], new String[] {"--runnel.zookeeper.auth.password="})) {
            try (ConfigurableApplicationContext service = run(args)) {
                CuratorFramework zk = service.getBean(CuratorFramework.class);
                zk.usingNamespace("ns").create().orSetData().creatingParentsIfNeeded().forPath("/topics/t", new byte[0]);

                assertThat(service.getBeansOfType(NamespaceAcls.class)).isEmpty();
                assertThat(zk.getACL().forPath("/ns/topics/t")).isEqualTo(ZooDefs.Ids.OPEN_ACL_UNSAFE);
            }
        }
    }
}
