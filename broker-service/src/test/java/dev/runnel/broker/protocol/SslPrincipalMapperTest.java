package dev.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Kafka's {@code ssl.principal.mapping.rules}. */
class SslPrincipalMapperTest {

    private static final String DN = "CN=Alice,OU=apps,O=Example,C=NL";

    @Test
    void defaultKeepsTheWholeName() {
        assertThat(SslPrincipalMapper.of(null).map(DN)).isEqualTo(DN);
        assertThat(SslPrincipalMapper.of("DEFAULT").map(DN)).isEqualTo(DN);
    }

    @Test
    void theFirstRuleThatMatchesTheWholeNameApplies() {
        SslPrincipalMapper mapper = SslPrincipalMapper.of(
                "RULE:^CN=(.*?),OU=ops.*$/ops-$1/, RULE:^CN=(.*?),OU=(.*?),.*$/$1@$2/L, DEFAULT");

        assertThat(mapper.map(DN)).isEqualTo("alice@apps");
        assertThat(mapper.map("CN=Bob,OU=ops,O=Example")).isEqualTo("ops-Bob");
        assertThat(mapper.map("UID=7")).as("DEFAULT last").isEqualTo("UID=7");
    }

    @Test
    void upperCaseAndEscapedSlashesAndCommas() {
        assertThat(SslPrincipalMapper.of("RULE:^CN=([^\\,]*)\\,.*$/$1\\/x/U").map(DN)).isEqualTo("ALICE/X");
    }

    @Test
    void aNameNoRuleMapsIsRefused() {
        assertThatThrownBy(() -> SslPrincipalMapper.of("RULE:^CN=(.*),OU=ops$/$1/").map(DN))
                .hasMessageContaining("no ssl.principal.mapping.rules rule maps");
    }

    @Test
    void badRulesAreRefusedAtStart() {
        assertThatThrownBy(() -> SslPrincipalMapper.of("RULE:^CN=(.*/$1"))
                .hasMessageContaining("lacks a '/'");
        assertThatThrownBy(() -> SslPrincipalMapper.of("RULE:(/x/"))
                .hasMessageContaining("bad pattern");
        assertThatThrownBy(() -> SslPrincipalMapper.of("SOMETHING"))
                .hasMessageContaining("expected RULE:pattern/replacement/ or DEFAULT");
    }
}
