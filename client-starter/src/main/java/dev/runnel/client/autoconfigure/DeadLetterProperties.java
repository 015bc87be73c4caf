package dev.runnel.client.autoconfigure;

/** Where records go that the listener cannot process: {@code runnel.client.listener.dead-letter.*}. */
public class DeadLetterProperties {

    /** Whether failed records are published to a dead-letter topic (else logged and skipped). */
    private boolean enabled = true;

    /** The dead-letter topic is the record's topic with this suffix. */
    private String suffix = ".DLT";

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getSuffix() {
        return suffix;
    }

    public void setSuffix(String suffix) {
        if (suffix == null || suffix.isEmpty()) {
            throw new IllegalArgumentException("runnel.client.listener.dead-letter.suffix must not be empty");
        }
        this.suffix = suffix;
    }
}
