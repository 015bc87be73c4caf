package dev.runnel.controller.api;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.ClusterSettings;
import dev.runnel.cluster.GroupView;
import dev.runnel.cluster.InternalApi;
import dev.runnel.cluster.InternalHttp;
import dev.runnel.controller.election.ActiveController;
import dev.runnel.controller.metadata.AdminException;
import dev.runnel.controller.metadata.AdminException.Reason;
import dev.runnel.controller.metadata.ClusterView;

/**
 * {@code GET /api/v1/groups} and {@code GET /api/v1/groups/{id}}: the consumer groups of the
 * cluster, gathered from every live broker (each reports the groups it coordinates), with each
 * committed offset's lag behind the high watermark of the partition's leader. A broker that does
 * not answer in time is left out, and its groups with it.
 */
@RestController
@RequestMapping("/api/v1")
class GroupsApiController {

    private static final Logger log = LoggerFactory.getLogger(GroupsApiController.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final ActiveController controller;
    private final String secret;
    private final InternalHttp http;

    GroupsApiController(ActiveController controller, ClusterSettings cluster, InternalHttp http) {
        this.controller = controller;
        this.secret = cluster.getSecret();
        this.http = http;
    }

    @GetMapping("/groups")
    List<GroupView> groups() {
        return gather();
    }

    @GetMapping("/groups/{id}")
    GroupView group(@PathVariable String id) {
        return gather().stream().filter(g -> g.groupId().equals(id)).findFirst()
                .orElseThrow(() -> new AdminException(Reason.UNKNOWN_GROUP, "Group '" + id + "' does not exist"));
    }

    private List<GroupView> gather() {
        ClusterView view = controller.view();
        if (view == null) {
            throw new AdminException(Reason.NOT_CONTROLLER, "This controller is " + controller.role() + ", not active; retry");
        }
        List<CompletableFuture<GroupView[]>> groups = new ArrayList<>();
        List<CompletableFuture<Map<?, ?>>> marks = new ArrayList<>();
        for (BrokerInfo broker : view.brokers().values()) {
            String base = http.baseUrl(broker.host(), broker.httpPort()) + "/api/v1/broker";
            groups.add(get(base + "/groups", GroupView[].class, new GroupView[0]));
            marks.add(get(base + "/high-watermarks", Map.class, Map.of()).thenApply(m -> (Map<?, ?>) m));
        }
        Map<String, Long> highWatermarks = new HashMap<>();
        for (CompletableFuture<Map<?, ?>> m : marks) {
            m.join().forEach((tp, hw) -> highWatermarks.put(String.valueOf(tp), ((Number) hw).longValue()));
        }
        List<GroupView> all = new ArrayList<>();
        for (CompletableFuture<GroupView[]> g : groups) {
            for (GroupView group : g.join()) {
                all.add(withLeaderLag(group, highWatermarks));
            }
        }
        all.sort(Comparator.comparing(GroupView::groupId));
        return all;
    }

    /** The group's lags measured against the leaders' high watermarks where they are known. */
    private static GroupView withLeaderLag(GroupView group, Map<String, Long> highWatermarks) {
        List<GroupView.PartitionOffset> offsets = new ArrayList<>();
        Long total = null;
        for (GroupView.PartitionOffset o : group.offsets()) {
            Long hw = highWatermarks.getOrDefault(o.topic() + "-" + o.partition(), o.highWatermark());
            Long lag = hw == null ? null : Math.max(0, hw - o.committedOffset());
            if (lag != null) {
                total = total == null ? lag : total + lag;
            }
            offsets.add(new GroupView.PartitionOffset(o.topic(), o.partition(), o.committedOffset(), o.metadata(), hw, lag));
        }
        return new GroupView(group.groupId(), group.state(), group.protocolType(), group.protocol(), group.generation(),
                group.coordinator(), group.members(), offsets, total);
    }

    private <T> CompletableFuture<T> get(String url, Class<T> type, T fallback) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT)
                .header(InternalApi.SECRET_HEADER, secret).GET().build();
        return http.client().sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()).thenApply(response -> {
            if (response.statusCode() != 200) {
                log.warn("{} answered {}", url, response.statusCode());
                return fallback;
            }
            return ClusterJson.read(response.body(), type, url);
        }).exceptionally(e -> {
            log.warn("{} did not answer: {}", url, e.toString());
            return fallback;
        });
    }
}
