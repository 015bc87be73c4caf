package dev.runnel.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP/1.1 request over a plain socket, with exactly the headers given: for what
 * {@code java.net.http.HttpClient} will not send, such as a {@code Host} header of the test's
 * choosing (a DNS rebinding attempt) or none at all.
 */
public final class RawHttp {

    /** An answer: the status, the header lines and the body (everything after the headers, as sent, chunked or not). */
    public record Answer(int status, String headers, String body) {
    }

    private RawHttp() {
    }

    /**
     * {@code GET path} to 127.0.0.1:{@code port}, with {@code Host: host} (none if null) and
     * {@code extraHeaders} (full lines, such as {@code "Authorization: Basic ..."}).
     */
    public static Answer get(int port, String path, String host, String... extraHeaders) throws IOException {
        // HTTP/1.0 without a Host header, as a health-check script sends it; HTTP/1.1 needs one.
        StringBuilder request = new StringBuilder("GET ").append(path)
                .append(host == null ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
        if (host != null) {
            request.append("Host: ").append(host).append("\r\n");
        }
        for (String header : extraHeaders) {
            request.append(header).append("\r\n");
        }
        request.append("Connection: close\r\n\r\n");
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String text = all.toString(StandardCharsets.UTF_8);
            int end = text.indexOf("\r\n\r\n");
            String head = end < 0 ? text : text.substring(0, end);
            String statusLine = head.lines().findFirst().orElse("");
            String[] parts = statusLine.split(" ");
            if (parts.length < 2) {
                throw new IOException("not an HTTP answer: " + statusLine);
            }
            return new Answer(Integer.parseInt(parts[1]), head, end < 0 ? "" : text.substring(end + 4));
        }
    }
}
