package dev.runnel.controller.api;

import java.util.List;

import org.apache.curator.framework.CuratorFramework;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.runnel.cluster.ClusterSettings;
import dev.runnel.cluster.ControllerInfo;
import dev.runnel.controller.channel.BrokerChannels;
import dev.runnel.controller.election.ActiveController;
import dev.runnel.controller.metadata.ClusterView;
import dev.runnel.cluster.ZkReads;

/** {@code GET /api/v1/controller}: this instance's role and the active controller, answered locally. */
@RestController
class ControllerStatusController {

    /**
     * This instance's view of the election and, on the active controller, how far each broker's
     * metadata is behind (empty on a standby).
     */
    record Status(int controllerId, ActiveController.Role role, Integer epoch, ControllerInfo activeController,
            List<BrokerChannels.BrokerLag> brokers) {
    }

    private final ActiveController controller;
    private final CuratorFramework zk;

    ControllerStatusController(ActiveController controller, CuratorFramework curator, ClusterSettings cluster) {
        this.controller = controller;
        this.zk = curator.usingNamespace(cluster.getNamespace());
    }

    @GetMapping("/api/v1/controller")
    Status status() throws Exception {
        ClusterView view = controller.view();
        return new Status(controller.controllerId(), controller.role(),
                view == null ? null : view.controllerEpoch(), ZkReads.activeController(zk).orElse(null),
                controller.brokerLag());
    }
}
