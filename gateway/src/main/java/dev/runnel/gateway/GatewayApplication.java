package dev.runnel.gateway;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Import;

import dev.runnel.cluster.process.ProcessConfiguration;
import dev.runnel.cluster.web.HostCheckConfiguration;
import dev.runnel.cluster.web.InternalHttpConfiguration;
import dev.runnel.cluster.zookeeper.ZooKeeperAuthConfiguration;

/**
 * The gateway: the cluster's HTTP front door (REST proxy, admin routing, web console). Its
 * defaults live in {@code runnel-gateway.properties} (see {@link GatewayDefaults}), below any
 * {@code application.properties} a deployment adds. Like every service it takes the {@code
 * runnel.process.*} settings ({@link ProcessConfiguration}), answers only to its own host names
 * ({@link HostCheckConfiguration}) and authenticates to ZooKeeper when given credentials ({@link
 * ZooKeeperAuthConfiguration}); it calls the controllers over TLS when {@code runnel.cluster.ssl-bundle}
 * names an SSL bundle ({@link InternalHttpConfiguration}).
 */
@SpringBootApplication
@EnableConfigurationProperties(GatewayProperties.class)
@Import({ProcessConfiguration.class, HostCheckConfiguration.class, ZooKeeperAuthConfiguration.class,
        InternalHttpConfiguration.class})
public class GatewayApplication {

    public static void main(String[] args) {
        SpringApplication.run(GatewayApplication.class, args);
    }
}
