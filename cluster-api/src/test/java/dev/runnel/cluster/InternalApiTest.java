package dev.runnel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class InternalApiTest {

    @Test
    void anEqualSecretMatches() {
        assertThat(InternalApi.secretMatches("s3cret-Ünïcode", new String("s3cret-Ünïcode"))).isTrue();
    }

    @Test
    void aDifferentSecretDoesNotMatch() {
        assertThat(InternalApi.secretMatches("s3cret", "s3creT")).isFalse();
        assertThat(InternalApi.secretMatches("s3cret", "S3cret")).isFalse();
    }

    @Test
    void aSecretThatOnlyStartsOrEndsLikeTheConfiguredOneDoesNotMatch() {
        assertThat(InternalApi.secretMatches("s3cret", "s3cre")).isFalse();
        assertThat(InternalApi.secretMatches("s3cret", "s3cret!")).isFalse();
        assertThat(InternalApi.secretMatches("s3cret", " s3cret")).isFalse();
    }

    @Test
    void noPresentedSecretNeverMatches() {
        assertThat(InternalApi.secretMatches("s3cret", null)).isFalse();
        assertThat(InternalApi.secretMatches("s3cret", "")).isFalse();
    }

    @Test
    void withoutAConfiguredSecretNothingMatches() {
        assertThat(InternalApi.secretMatches(null, null)).isFalse();
        assertThat(InternalApi.secretMatches(null, "s3cret")).isFalse();
        assertThat(InternalApi.secretMatches("", "")).isFalse();
        assertThat(InternalApi.secretMatches("", "s3cret")).isFalse();
    }

    @Test
    void everyInternalPathIsUnderTheVersionedPrefix() {
        assertThat(InternalApi.PREFIX).isEqualTo("/internal/v1");
        assertThat(new String[] {InternalApi.LEADER_AND_ISR, InternalApi.UPDATE_METADATA, InternalApi.STOP_REPLICA,
                InternalApi.ALTER_PARTITION, InternalApi.CONTROLLED_SHUTDOWN})
                .allSatisfy(path -> assertThat(path).startsWith(InternalApi.PREFIX + "/"))
                .doesNotHaveDuplicates();
    }
}
