package dev.runnel.client.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.json.JsonMapper;

class PayloadSerializerTest {

    record Order(String id, int quantity) {
    }

    final PayloadCodec codec = new PayloadCodec(new JsonMapper());

    @Test
    void objectsGoAsJsonWithTheirTypeInTheHeaderOfTheirPart() {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = new PayloadSerializer(codec, false).serialize("orders", headers, new Order("o-1", 2));
        byte[] key = new PayloadSerializer(codec, true).serialize("orders", headers, new Order("k", 1));

        assertThat(new String(value, StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"o-1\",\"quantity\":2}");
        assertThat(new String(key, StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"k\",\"quantity\":1}");
        assertThat(PayloadCodec.header(headers, PayloadCodec.TYPE_HEADER)).isEqualTo(Order.class.getName());
        assertThat(PayloadCodec.header(headers, PayloadCodec.KEY_TYPE_HEADER)).isEqualTo(Order.class.getName());
    }

    @Test
    void stringsAndBytesGoAsTheyAreWithoutATypeHeader() {
        RecordHeaders headers = new RecordHeaders();
        PayloadSerializer values = new PayloadSerializer(codec, false);

        assertThat(values.serialize("t", headers, "hello")).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));
        assertThat(values.serialize("t", headers, new byte[] {7, 8})).containsExactly(7, 8);
        assertThat(values.serialize("t", headers, null)).isNull();
        assertThat(headers.toArray()).isEmpty();
    }

    @Test
    void aSecondSendOfTheSameHeadersKeepsOneTypeHeader() {
        RecordHeaders headers = new RecordHeaders();
        PayloadSerializer values = new PayloadSerializer(codec, false);
        values.serialize("t", headers, new Order("a", 1));
        values.serialize("t", headers, new Order("a", 1));

        assertThat(headers.headers(PayloadCodec.TYPE_HEADER)).hasSize(1);
    }
}
