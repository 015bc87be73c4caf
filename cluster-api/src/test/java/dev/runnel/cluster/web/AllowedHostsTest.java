package dev.runnel.cluster.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class AllowedHostsTest {

    private final AllowedHosts hosts = AllowedHosts.of(List.of("broker-0.runnel-broker-headless.streaming.svc.cluster.local",
            "Console.Example.COM", ".svc.cluster.local", " "));

    @Test
    void localhostTheGivenNamesAndNamesUnderADottedEntryAreAllowed() {
        assertThat(hosts.allows("localhost")).isTrue();
        assertThat(hosts.allows("localhost:8090")).isTrue();
        assertThat(hosts.allows("LOCALHOST.")).isTrue();
        assertThat(hosts.allows("console.example.com:443")).isTrue();
        assertThat(hosts.allows("broker-0.runnel-broker-headless.streaming.svc.cluster.local:8091")).isTrue();
        assertThat(hosts.allows("runnel-controller.streaming.svc.cluster.local")).isTrue();
        assertThat(hosts.allows("svc.cluster.local")).isTrue();
    }

    @Test
    void anyIpLiteralIsAllowedSinceNoRebindingProducesOne() {
        assertThat(hosts.allows("127.0.0.1:8090")).isTrue();
        assertThat(hosts.allows("10.42.0.17:8091")).isTrue();
        assertThat(hosts.allows("[::1]:8090")).isTrue();
        assertThat(hosts.allows("[fd00::17]")).isTrue();
        assertThat(hosts.allows("[fe80::1%25eth0]:80")).isTrue();
    }

    @Test
    void otherNamesAreRefused() {
        assertThat(hosts.allows("attacker.example:8090")).isFalse();
        assertThat(hosts.allows("example.com")).isFalse();
        assertThat(hosts.allows("console.example.com.attacker.example")).isFalse();
        assertThat(hosts.allows("evilsvc.cluster.local")).isFalse();
        assertThat(hosts.allows("127.0.0.1.nip.io")).isFalse();
        assertThat(hosts.allows("256.1.1.1")).isFalse();
        assertThat(hosts.allows("")).isFalse();
    }

    @Test
    void noHostHeaderPassesAndAStarAllowsEverything() {
        assertThat(hosts.allows(null)).as("HTTP/1.0 health checks send none; browsers always do").isTrue();
        assertThat(AllowedHosts.of(List.of("*")).allows("anything.example")).isTrue();
        assertThat(AllowedHosts.of(List.of()).allows("[::1]")).isTrue();
    }
}
