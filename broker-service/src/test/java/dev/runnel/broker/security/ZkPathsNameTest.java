package dev.runnel.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import dev.runnel.cluster.ZkPaths;

/** Resource and user names as ZooKeeper path segments. */
class ZkPathsNameTest {

    @Test
    void namesRoundTripThroughOneSegment() {
        for (String name : new String[] {"orders", "orders.eu-1_a", "*", "team/app", "50%", "a b", "ünïcödé", "…",
            "=2C", ".", "..", "...", "zookeeper", "%2F"}) {
            String segment = ZkPaths.encodeName(name);
            assertThat(segment).as(name).matches("[A-Za-z0-9._%-]+").isNotIn(".", "..");
            assertThat(ZkPaths.decodeName(segment)).isEqualTo(name);
        }
        assertThat(ZkPaths.encodeName("orders.eu-1_a")).isEqualTo("orders.eu-1_a");
        assertThat(ZkPaths.encodeName("team/app")).isEqualTo("team%2Fapp");
        assertThat(ZkPaths.user("a/b")).isEqualTo("/users/a%2Fb");
    }

    @Test
    void malformedSegmentsAndEmptyNamesAreRefused() {
        assertThatThrownBy(() -> ZkPaths.encodeName("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ZkPaths.decodeName("a%2")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ZkPaths.decodeName("a%zz")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ZkPaths.decodeName("ä")).isInstanceOf(IllegalArgumentException.class);
    }
}
