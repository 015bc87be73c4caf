package dev.runnel.gateway.routing;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.discovery.DiscoveryClient;

import dev.runnel.cluster.ControllerInfo;
import dev.runnel.cluster.InternalHttp;
import dev.runnel.cluster.ZkReads;

/**
 * Where admin calls go: the active controller as it recorded itself in ZooKeeper first, then
 * every controller registered through Spring Cloud Zookeeper discovery (a standby forwards to the
 * active one itself). Both are read afresh for each call, so a failover is followed at once.
 */
public class ControllerLocator {

    /** The discovery metadata key and value every controller registers with. */
    public static final String ROLE_KEY = "runnel-role";
    public static final String CONTROLLER_ROLE = "controller";

    private static final Logger log = LoggerFactory.getLogger(ControllerLocator.class);

    private final CuratorFramework zk;
    private final DiscoveryClient discovery;
    private final InternalHttp http;

    /**
     * @param zk        the cluster's namespace in ZooKeeper, or null when ZooKeeper is not configured
     * @param discovery the discovery client, or null when discovery is not configured
     * @param http      how controllers are called: its scheme is the one of a registered controller's URL
     */
    public ControllerLocator(CuratorFramework zk, DiscoveryClient discovery, InternalHttp http) {
        this.zk = zk;
        this.discovery = discovery;
        this.http = http;
    }

    /** Whether the gateway knows where to look for controllers at all. */
    public boolean configured() {
        return zk != null || discovery != null;
    }

    /** The active controller as recorded in ZooKeeper, if one is. */
    public Optional<ControllerInfo> active() {
        if (zk == null) {
            return Optional.empty();
        }
        try {
            return ZkReads.activeController(zk);
        } catch (Exception e) {
            log.debug("Cannot read the active controller from ZooKeeper", e);
            return Optional.empty();
        }
    }

    /** Every controller registered in discovery, as base URLs. */
    public List<URI> registered() {
        if (discovery == null) {
            return List.of();
        }
        List<URI> found = new ArrayList<>();
        try {
            for (String service : discovery.getServices()) {
                for (ServiceInstance instance : discovery.getInstances(service)) {
                    if (CONTROLLER_ROLE.equals(instance.getMetadata().get(ROLE_KEY))) {
                        found.add(URI.create(instance.isSecure() ? "https://" + instance.getHost() + ":"
                                + instance.getPort() : http.baseUrl(instance.getHost(), instance.getPort())));
                    }
                }
            }
        } catch (RuntimeException e) {
            log.debug("Cannot list controllers from discovery", e);
        }
        return found;
    }

    /** The base URLs to try, best first: the active controller, then the others. */
    public List<URI> candidates() {
        Set<URI> ordered = new LinkedHashSet<>();
        active().ifPresent(a -> ordered.add(URI.create(a.url())));
        ordered.addAll(registered());
        return new ArrayList<>(ordered);
    }
}
