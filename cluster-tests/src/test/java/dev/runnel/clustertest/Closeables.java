package dev.runnel.clustertest;

import java.util.ArrayList;
import java.util.List;

/**
 * What a test opened, closed in reverse order: every close runs even if one before failed, and the
 * first failure is thrown with the others suppressed in it.
 */
final class Closeables implements AutoCloseable {

    private final List<AutoCloseable> open = new ArrayList<>();

    /** Remembers {@code closeable} to be closed; returns it. */
    <T extends AutoCloseable> T add(T closeable) {
        open.add(closeable);
        return closeable;
    }

    @Override
    public void close() throws Exception {
        Exception failure = null;
        for (int i = open.size() - 1; i >= 0; i--) {
            try {
                open.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        open.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
