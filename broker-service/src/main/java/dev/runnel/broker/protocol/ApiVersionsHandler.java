package dev.runnel.broker.protocol;

import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.kafka.KafkaWire;

/** ApiVersions: the fixed {@link ApiVersionTable}; v3+ requests must name a valid client software. */
final class ApiVersionsHandler implements ApiHandler {

    private static final Pattern SOFTWARE = Pattern.compile("[a-zA-Z0-9](?:[a-zA-Z0-9\\-.]*[a-zA-Z0-9])?");

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        ApiVersionsRequestData body = (ApiVersionsRequestData) request.body();
        ApiVersionsResponseData response = new ApiVersionsResponseData().setApiKeys(ApiVersionTable.asResponse());
        if (request.version() >= 3 && !validSoftware(body)) {
            response.setErrorCode(Errors.INVALID_REQUEST.code());
        }
        return CompletableFuture.completedFuture(response);
    }

    /** KIP-511: name and version made of letters, digits, '.', '-' and starting and ending with one. */
    private static boolean validSoftware(ApiVersionsRequestData body) {
        return valid(body.clientSoftwareName()) && valid(body.clientSoftwareVersion());
    }

    private static boolean valid(String value) {
        return value != null && SOFTWARE.matcher(value).matches();
    }
}
