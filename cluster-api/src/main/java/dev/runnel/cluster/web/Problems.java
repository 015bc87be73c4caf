package dev.runnel.cluster.web;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.runnel.cluster.ClusterJson;
import jakarta.servlet.http.HttpServletResponse;

/** RFC 9457 problem responses written by servlet filters, which run outside Spring MVC's handlers. */
public final class Problems {

    /** The base of the {@code type} URIs of Runnel's problems. */
    public static final String TYPE_BASE = "https://runnel.dev/problems/";

    private Problems() {
    }

    public static void write(HttpServletResponse response, int status, String type, String title, String detail)
            throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", TYPE_BASE + type);
        body.put("title", title);
        body.put("status", status);
        body.put("detail", detail);
        response.setStatus(status);
        response.setContentType("application/problem+json");
        response.getOutputStream().write(ClusterJson.write(body));
    }
}
