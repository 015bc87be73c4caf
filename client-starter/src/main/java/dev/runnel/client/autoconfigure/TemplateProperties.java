package dev.runnel.client.autoconfigure;

/** {@code LogTemplate}'s own settings: {@code runnel.client.template.*}. */
public class TemplateProperties {

    /** The topic of sendDefault(...); none when unset. */
    private String defaultTopic;

    public String getDefaultTopic() {
        return defaultTopic;
    }

    public void setDefaultTopic(String defaultTopic) {
        this.defaultTopic = defaultTopic;
    }
}
