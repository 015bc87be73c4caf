package dev.runnel.client.listener;

import java.time.Duration;

/**
 * A container factory's defaults.
 *
 * @param concurrency     consumers per container unless the listener says otherwise
 * @param ackMode         when offsets are committed
 * @param pollTimeout     how long one poll waits for records (also how soon a stop is noticed)
 * @param autoStartup     whether containers start with the application
 * @param shutdownTimeout how long a stop waits for the current record and the last commit
 */
public record ContainerSettings(int concurrency, AckMode ackMode, Duration pollTimeout, boolean autoStartup,
        Duration shutdownTimeout) {

    public static final ContainerSettings DEFAULTS = new ContainerSettings(1, AckMode.BATCH, Duration.ofSeconds(1), true,
            Duration.ofSeconds(30));
}
