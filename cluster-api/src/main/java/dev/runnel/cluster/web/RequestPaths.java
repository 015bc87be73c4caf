package dev.runnel.cluster.web;

import java.util.Locale;

import org.springframework.http.server.PathContainer;
import org.springframework.http.server.RequestPath;

import jakarta.servlet.http.HttpServletRequest;

/**
 * The path of a request as Spring MVC matches it: percent-decoded, with {@code ;parameters}
 * removed from each segment. Filters that guard or route by path must look at this, never at the
 * raw URI, or {@code /internal;x/v1/...} and {@code /%69nternal/v1/...} would slip past them.
 */
public final class RequestPaths {

    private RequestPaths() {
    }

    /** The decoded path within the application, lower-cased, with repeated slashes collapsed. */
    public static String normalized(HttpServletRequest request) {
        RequestPath path = RequestPath.parse(request.getRequestURI(), request.getContextPath());
        StringBuilder normalized = new StringBuilder();
        for (PathContainer.Element element : path.pathWithinApplication().elements()) {
            if (element instanceof PathContainer.PathSegment segment) {
                normalized.append(segment.valueToMatch());
            } else if (normalized.length() == 0 || normalized.charAt(normalized.length() - 1) != '/') {
                normalized.append('/');
            }
        }
        return normalized.toString().toLowerCase(Locale.ROOT);
    }

    /** Whether the request's path is {@code prefix} or lies under it. */
    public static boolean isUnder(HttpServletRequest request, String prefix) {
        String path = normalized(request);
        String lower = prefix.toLowerCase(Locale.ROOT);
        return path.equals(lower) || path.startsWith(lower + "/");
    }
}
