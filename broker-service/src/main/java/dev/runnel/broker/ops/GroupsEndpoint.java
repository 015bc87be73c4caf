package dev.runnel.broker.ops;

import java.util.List;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.stereotype.Component;

import dev.runnel.cluster.GroupView;

/**
 * {@code /actuator/groups}: the consumer groups this broker coordinates, with members, assigned
 * partitions, committed offsets and lag; {@code /actuator/groups/{group}} for one (404 if another
 * broker coordinates it).
 */
@Component
@Endpoint(id = "groups")
class GroupsEndpoint {

    private final GroupViews views;

    GroupsEndpoint(GroupViews views) {
        this.views = views;
    }

    @ReadOperation
    List<GroupView> groups() {
        return views.all();
    }

    @ReadOperation
    GroupView group(@Selector String group) {
        return views.one(group).orElse(null);
    }
}
