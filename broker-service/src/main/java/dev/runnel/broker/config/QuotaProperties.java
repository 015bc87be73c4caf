package dev.runnel.broker.config;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * How client quotas are measured ({@code runnel.broker.quota.*}, Kafka's {@code quota.window.*}):
 * a client's rate is taken over {@code window-num} windows of {@code window-size-seconds} each.
 * The quotas themselves are set with AlterClientQuotas ({@code kafka-configs}).
 */
@ConfigurationProperties("runnel.broker.quota")
public class QuotaProperties {

    /** Windows a client quota's rate is measured over ({@code quota.window.num}). */
    private int windowNum = 11;

    /** Seconds each window lasts ({@code quota.window.size.seconds}). */
    private int windowSizeSeconds = 1;

    public int getWindowNum() {
        return windowNum;
    }

    public void setWindowNum(int windowNum) {
        this.windowNum = windowNum;
    }

    public int getWindowSizeSeconds() {
        return windowSizeSeconds;
    }

    public void setWindowSizeSeconds(int windowSizeSeconds) {
        this.windowSizeSeconds = windowSizeSeconds;
    }
}
